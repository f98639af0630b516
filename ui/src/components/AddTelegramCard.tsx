import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { ChannelView, QueueView } from '../generated/ipc';
import { addTelegramChannel, errorMessage } from '../ipc';
import { t } from '../i18n';

interface AddTelegramCardProps {
  /** `null` while loading: the shell then picks the first queue. */
  queues: QueueView[] | null;
  /** The channel the shell created (named after the bot). */
  onAdded: (channel: ChannelView) => void;
  onCancel: () => void;
}

const API_BASE_PLACEHOLDER = 'https://api.telegram.org/';

/** An empty Bot API address means "this installation's default"; anything else must be a web address. */
function apiBaseProblem(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed === '') return null;
  return /^https?:\/\/\S+$/i.test(trimmed) ? null : t('addTelegram.apiBaseInvalid');
}

/**
 * The "Add Telegram" mini-card: the bot token (kept in this card's state only until the shell
 * answers, then dropped), the queue for new chats and, folded away, a self-hosted Bot API server.
 * The shell checks the token with Telegram's `getMe`; its refusal is shown here as it is worded.
 */
export function AddTelegramCard({ queues, onAdded, onCancel }: AddTelegramCardProps) {
  const id = useId();
  const [token, setToken] = useState('');
  const [queueId, setQueueId] = useState<string>(queues?.[0]?.id ?? '');
  const [apiBase, setApiBase] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tried, setTried] = useState(false);
  const tokenInput = useRef<HTMLInputElement>(null);
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    tokenInput.current?.focus();
    return () => {
      mounted.current = false;
    };
  }, []);

  // The queues may arrive after the card opened: default to the first one.
  useEffect(() => {
    if (queueId === '' && queues && queues[0]) setQueueId(queues[0].id);
  }, [queues, queueId]);

  const tokenProblem = tried && token.trim() === '' ? t('addTelegram.tokenRequired') : null;
  const baseProblem = apiBaseProblem(apiBase);

  const connect = async (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (busy || token.trim() === '' || baseProblem !== null) return;
    setBusy(true);
    setError(null);
    try {
      const channel = await addTelegramChannel({
        token: token.trim(),
        queue_id: queueId === '' ? null : queueId,
        api_base: apiBase.trim() === '' ? null : apiBase.trim(),
      });
      if (!mounted.current) return;
      setToken('');
      onAdded(channel);
    } catch (failure) {
      if (mounted.current) setError(errorMessage(failure));
    } finally {
      if (mounted.current) setBusy(false);
    }
  };

  const cancel = () => {
    setToken('');
    onCancel();
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || busy) return;
    event.preventDefault();
    cancel();
  };

  return (
    <form
      className="mini-card"
      data-testid="add-telegram-card"
      aria-labelledby={`${id}-title`}
      aria-busy={busy}
      noValidate
      onSubmit={(event) => void connect(event)}
      onKeyDown={onKeyDown}
    >
      <h3 id={`${id}-title`} className="mini-card__title">
        {t('addTelegram.title')}
      </h3>
      {error !== null && (
        <div className="error-banner" role="alert" data-testid="add-channel-error">
          <span className="error-banner__text">{error}</span>
        </div>
      )}
      <div className="mini-card__fields mini-card__fields--two">
        <label className="field">
          <span className="field__label">{t('addTelegram.token')}</span>
          <input
            ref={tokenInput}
            className="field__input"
            type="password"
            name="telegram-token"
            autoComplete="off"
            spellCheck={false}
            autoCapitalize="off"
            data-testid="telegram-token-input"
            value={token}
            disabled={busy}
            aria-invalid={tokenProblem !== null}
            aria-describedby={`${id}-token-hint`}
            onChange={(event) => setToken(event.target.value)}
          />
          {tokenProblem !== null ? (
            <span className="field__problem" id={`${id}-token-hint`}>
              {tokenProblem}
            </span>
          ) : (
            <span className="field__hint" id={`${id}-token-hint`}>
              {t('addTelegram.tokenHint')}
            </span>
          )}
        </label>
        <label className="field">
          <span className="field__label">{t('addTelegram.queue')}</span>
          <select
            className="field__input"
            data-testid="telegram-queue-select"
            value={queueId}
            disabled={busy || queues === null || queues.length === 0}
            onChange={(event) => setQueueId(event.target.value)}
          >
            {(queues ?? []).map((q) => (
              <option key={q.id} value={q.id}>
                {q.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <details className="mini-card__advanced">
        <summary>{t('addTelegram.advanced')}</summary>
        <label className="field">
          <span className="visually-hidden">{t('addTelegram.advanced')}</span>
          <input
            className="field__input"
            type="url"
            autoComplete="off"
            spellCheck={false}
            data-testid="telegram-api-base-input"
            placeholder={API_BASE_PLACEHOLDER}
            value={apiBase}
            disabled={busy}
            aria-invalid={baseProblem !== null}
            onChange={(event) => setApiBase(event.target.value)}
          />
          <span className={baseProblem !== null ? 'field__problem' : 'field__hint'}>
            {baseProblem ?? t('addTelegram.apiBaseHint')}
          </span>
        </label>
      </details>
      <div className="mini-card__buttons">
        <button type="button" className="secondary-button" data-testid="telegram-cancel-button" disabled={busy} onClick={cancel}>
          {t('queueForm.cancel')}
        </button>
        <button type="submit" className="primary-button" data-testid="telegram-connect-button" disabled={busy}>
          {busy ? t('addTelegram.checking') : t('addTelegram.connect')}
        </button>
      </div>
    </form>
  );
}
