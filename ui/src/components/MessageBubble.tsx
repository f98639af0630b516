import { memo, useState } from 'react';
import type { MessageView } from '../generated/ipc';
import { formatFullDate, formatMessageTime } from '../format';
import { errorMessage, retryMessage } from '../ipc';
import { t } from '../i18n';
import { Attachment } from './Attachment';

/** Messenger's receipts: the customer's app got the message, or they opened it. */
function Receipt({ message }: { message: MessageView }) {
  const read = message.read_at !== null;
  const at = message.read_at ?? message.delivered_at;
  if (at === null) return null;
  return (
    <span
      className={`delivery delivery--${read ? 'read' : 'delivered'}`}
      data-testid="message-receipt"
      data-receipt={read ? 'read' : 'delivered'}
      title={t(read ? 'message.readAt' : 'message.deliveredAt', { time: formatFullDate(at) })}
    >
      {t(read ? 'message.read' : 'message.delivered')}
    </span>
  );
}

function DeliveryStatus({ message }: { message: MessageView }) {
  // A receipt says more than "Sent" (and arrives only after it).
  if (message.kind === 'outbound' && message.delivery !== 'failed' && (message.read_at ?? message.delivered_at) !== null) {
    return <Receipt message={message} />;
  }
  switch (message.delivery) {
    case null:
      return null;
    case 'pending':
      // Waiting for a reason (Telegram asked to slow down, the network is down): say so quietly.
      return message.failure_reason ? (
        <span className="delivery delivery--pending delivery--waiting" data-testid="message-waiting">
          {t('message.waiting', { reason: message.failure_reason })}
        </span>
      ) : (
        <span className="delivery delivery--pending">{t('message.pending')}</span>
      );
    case 'sent':
      return <span className="delivery delivery--sent">{t('message.sent')}</span>;
    case 'failed':
      return (
        <span className="delivery delivery--failed" role="status" data-testid="delivery-failure">
          {message.failure_reason ? (
            <>
              {t('message.failed')}: <span data-testid="message-failure">{message.failure_reason}</span>
            </>
          ) : (
            t('message.failed')
          )}
        </span>
      );
  }
}

/** "Send again" for a failed message of the operator's. */
function RetryButton({ messageId, onChanged }: { messageId: string; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const retry = async () => {
    setBusy(true);
    setError(null);
    try {
      await retryMessage(messageId);
      onChanged();
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(false);
    }
  };

  return (
    <div className="message__retry">
      {error !== null && (
        <span className="message__retry-error" role="alert">
          {error}
        </span>
      )}
      <button type="button" className="message__retry-button" data-testid="message-retry" disabled={busy} onClick={() => void retry()}>
        {t('message.retry')}
      </button>
    </div>
  );
}

interface MessageBubbleProps {
  message: MessageView;
  now: number;
  /** Reloads the conversation after "Send again" or "Download again". */
  onChanged: () => void;
}

/** One message. Its text and file names are always rendered as text, never as markup. */
export const MessageBubble = memo(function MessageBubble({ message, now, onChanged }: MessageBubbleProps) {
  const { kind } = message;
  const time = (
    <time
      className="message__time"
      dateTime={new Date(message.created_at).toISOString()}
      title={formatFullDate(message.created_at)}
    >
      {formatMessageTime(message.created_at, now)}
    </time>
  );

  if (kind === 'system') {
    return (
      <li
        className="message message--system"
        data-testid="message"
        data-kind={kind}
        data-message-id={message.id}
      >
        <span className="message__text" data-testid="message-text">
          {message.text}
        </span>
        {time}
      </li>
    );
  }

  const attachments = message.attachments;
  const showText = message.text !== '' || attachments.length === 0;
  return (
    <li
      className={`message message--${kind}${message.delivery === 'failed' ? ' message--failed' : ''}${
        attachments.length > 0 ? ' message--with-files' : ''
      }`}
      data-testid="message"
      data-kind={kind}
      data-delivery={message.delivery ?? undefined}
      data-message-id={message.id}
    >
      {(kind === 'note' || message.author !== '') && (
        <div className="message__author">
          {kind === 'note' && <span className="message__note-label">{t('message.note')}</span>}
          {message.author !== '' && <span>{message.author}</span>}
        </div>
      )}
      {attachments.length > 0 && (
        <div className="message__attachments">
          {attachments.map((attachment) => (
            <Attachment key={attachment.id} attachment={attachment} onChanged={onChanged} />
          ))}
        </div>
      )}
      {showText && (
        <div className="message__text" data-testid="message-text">
          {message.text}
        </div>
      )}
      <div className="message__meta">
        {message.edited_at !== null && (
          <span
            className="message__edited"
            data-testid="message-edited"
            title={t('message.editedAt', { time: formatFullDate(message.edited_at) })}
          >
            {t('message.edited')}
          </span>
        )}
        {time}
        <DeliveryStatus message={message} />
      </div>
      {message.delivery === 'failed' && message.can_retry && <RetryButton messageId={message.id} onChanged={onChanged} />}
    </li>
  );
});
