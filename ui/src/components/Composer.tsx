import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { errorMessage } from '../ipc';
import { t } from '../i18n';
import { ErrorBanner } from './ErrorBanner';

interface ComposerProps {
  chatId: string;
  draft: string;
  onDraftChange: (text: string) => void;
  /** Sends the text; rejects with an error whose message is shown to the operator. */
  onSend: (text: string) => Promise<void>;
  disabledReason?: string | null;
}

/**
 * The reply box. Enter sends, Shift+Enter adds a line. On failure the text stays and the reason
 * is shown; the parent clears the draft on success.
 */
export function Composer({ chatId, draft, onDraftChange, onSend, disabledReason = null }: ComposerProps) {
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const disabled = disabledReason !== null;
  const canSend = !disabled && !sending && draft.trim() !== '';

  useEffect(() => {
    setError(null);
    input.current?.focus();
  }, [chatId]);

  const submit = async () => {
    if (!canSend) return;
    setSending(true);
    setError(null);
    try {
      await onSend(draft.trim());
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setSending(false);
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter while an input method is composing confirms the composition; it must not send.
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    void submit();
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      {error !== null && <ErrorBanner message={error} onDismiss={() => setError(null)} />}
      {disabled && <p className="composer__disabled">{disabledReason}</p>}
      <div className="composer__row">
        <textarea
          ref={input}
          className="composer__input"
          data-testid="composer-input"
          aria-label={t('composer.label')}
          placeholder={t('composer.placeholder')}
          value={draft}
          rows={3}
          disabled={disabled}
          onChange={(event) => onDraftChange(event.target.value)}
          onKeyDown={onKeyDown}
        />
        <button type="submit" className="primary-button" data-testid="send-button" disabled={!canSend}>
          {sending ? t('composer.sending') : t('composer.send')}
        </button>
      </div>
      <p className="composer__hint">{t('composer.hint')}</p>
    </form>
  );
}
