import { useEffect, useRef, useState, type ClipboardEvent, type FormEvent, type KeyboardEvent } from 'react';
import type { ReplyWindow, SendFile } from '../generated/ipc';
import { canSendAsPhoto, MAX_CAPTION_CHARS, MAX_FILE_BYTES, readAsBase64 } from '../files';
import { formatSize } from '../format';
import { errorMessage } from '../ipc';
import { t } from '../i18n';
import { ErrorBanner } from './ErrorBanner';
import { FileChip } from './FileChip';
import { ReplyWindowIndicator } from './ReplyWindowIndicator';

/** A file to send, as the shell takes it minus the chat. */
export type OutgoingFile = Omit<SendFile, 'chat_id'>;

interface ComposerProps {
  chatId: string;
  draft: string;
  onDraftChange: (text: string) => void;
  /** Sends the text; rejects with an error whose message is shown to the operator. */
  onSend: (text: string) => Promise<void>;
  /** Sends a photo or a document with the draft as its caption; rejects like `onSend`. */
  onSendFile: (file: OutgoingFile) => Promise<void>;
  disabledReason?: string | null;
  /** Messenger chats: whether a reply can go out now; `null` for channels without a window. */
  replyWindow?: ReplyWindow | null;
  /** Reloads the chat when the window's current state runs out. */
  onWindowExpired?: () => void;
}

const noop = () => undefined;

function PaperclipIcon() {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10h-1.5Z" />
    </svg>
  );
}

/**
 * The reply box. Enter sends, Shift+Enter adds a line. A file can be attached (paperclip or a
 * pasted image); the text then becomes its caption. On failure the text and the file stay and the
 * reason is shown; the parent clears the draft on success.
 */
export function Composer({
  chatId,
  draft,
  onDraftChange,
  onSend,
  onSendFile,
  disabledReason = null,
  replyWindow = null,
  onWindowExpired = noop,
}: ComposerProps) {
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [asPhoto, setAsPhoto] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  // A closed window says why in its indicator, before anything is typed.
  const disabled = disabledReason !== null || replyWindow?.state === 'closed';
  const caption = draft.trim();
  const captionTooLong = file !== null && caption.length > MAX_CAPTION_CHARS;
  const canSend = !disabled && !sending && (file !== null ? !captionTooLong : caption !== '');
  const photoPossible = file !== null && canSendAsPhoto(file);

  useEffect(() => {
    setError(null);
    input.current?.focus();
  }, [chatId]);

  /** Takes a chosen or pasted file, refusing what Telegram would refuse before reading a byte. */
  const attach = (chosen: File) => {
    if (chosen.size > MAX_FILE_BYTES) {
      setError(t('composer.fileTooBig', { name: chosen.name, size: formatSize(chosen.size) }));
      return;
    }
    if (chosen.size === 0) {
      setError(t('composer.fileEmpty', { name: chosen.name }));
      return;
    }
    setError(null);
    setFile(chosen);
    setAsPhoto(canSendAsPhoto(chosen));
    input.current?.focus();
  };

  const submit = async () => {
    if (!canSend) return;
    setSending(true);
    setError(null);
    try {
      if (file !== null) {
        let base64: string;
        try {
          base64 = await readAsBase64(file);
        } catch {
          setError(t('composer.fileUnreadable', { name: file.name }));
          return;
        }
        await onSendFile({
          kind: asPhoto && photoPossible ? 'photo' : 'document',
          file_name: file.name,
          mime_type: file.type === '' ? null : file.type,
          base64,
          caption,
        });
        setFile(null);
      } else {
        await onSend(caption);
      }
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

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const image = Array.from(event.clipboardData.files).find((f) => f.type.startsWith('image/'));
    if (!image || disabled || sending) return;
    event.preventDefault();
    attach(image);
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      {error !== null && <ErrorBanner message={error} onDismiss={() => setError(null)} />}
      {replyWindow !== null && disabledReason === null && (
        <ReplyWindowIndicator replyWindow={replyWindow} onExpired={onWindowExpired} />
      )}
      {disabledReason !== null && <p className="composer__disabled">{disabledReason}</p>}
      {file !== null && (
        <div className="composer__file">
          <FileChip
            kind={asPhoto && photoPossible ? 'photo' : 'document'}
            name={file.name}
            size={file.size}
            testId="composer-file-chip"
            nameTestId="composer-file-name"
          >
            {photoPossible && (
              <label className="composer__photo-toggle">
                <input
                  type="checkbox"
                  data-testid="composer-send-as-photo"
                  checked={asPhoto}
                  disabled={sending}
                  onChange={(event) => setAsPhoto(event.target.checked)}
                />
                {t('composer.sendAsPhoto')}
              </label>
            )}
            <button
              type="button"
              className="icon-button"
              data-testid="composer-remove-file"
              aria-label={t('composer.removeFile')}
              title={t('composer.removeFile')}
              disabled={sending}
              onClick={() => setFile(null)}
            >
              ×
            </button>
          </FileChip>
          <span
            className={`composer__counter${captionTooLong ? ' composer__counter--over' : ''}`}
            data-testid="composer-caption-counter"
            aria-live="polite"
          >
            {captionTooLong
              ? t('composer.captionTooLong', { max: MAX_CAPTION_CHARS })
              : `${caption.length} / ${MAX_CAPTION_CHARS}`}
          </span>
        </div>
      )}
      <div className="composer__row">
        <button
          type="button"
          className="composer__attach"
          data-testid="composer-attach"
          aria-label={t('composer.attach')}
          title={t('composer.attach')}
          disabled={disabled || sending}
          onClick={() => fileInput.current?.click()}
        >
          <PaperclipIcon />
        </button>
        <input
          ref={fileInput}
          type="file"
          hidden
          tabIndex={-1}
          data-testid="composer-file-input"
          onChange={(event) => {
            const chosen = event.target.files?.[0];
            // Let the same file be chosen again after it was removed.
            event.target.value = '';
            if (chosen) attach(chosen);
          }}
        />
        <textarea
          ref={input}
          className="composer__input"
          data-testid="composer-input"
          aria-label={file !== null ? t('composer.captionPlaceholder') : t('composer.label')}
          aria-invalid={captionTooLong || undefined}
          placeholder={file !== null ? t('composer.captionPlaceholder') : t('composer.placeholder')}
          value={draft}
          rows={3}
          disabled={disabled}
          onChange={(event) => onDraftChange(event.target.value)}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
        />
        <button type="submit" className="primary-button" data-testid="send-button" disabled={!canSend}>
          {sending ? t('composer.sending') : t('composer.send')}
        </button>
      </div>
      <p className="composer__hint">{t('composer.hint')}</p>
    </form>
  );
}
