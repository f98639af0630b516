import { memo } from 'react';
import type { MessageView } from '../generated/ipc';
import { formatFullDate, formatMessageTime } from '../format';
import { t } from '../i18n';

function DeliveryStatus({ message }: { message: MessageView }) {
  switch (message.delivery) {
    case null:
      return null;
    case 'pending':
      return <span className="delivery delivery--pending">{t('message.pending')}</span>;
    case 'sent':
      return <span className="delivery delivery--sent">{t('message.sent')}</span>;
    case 'failed':
      return (
        <span className="delivery delivery--failed" role="status" data-testid="delivery-failure">
          {message.failure_reason
            ? t('message.failedReason', { reason: message.failure_reason })
            : t('message.failed')}
        </span>
      );
  }
}

interface MessageBubbleProps {
  message: MessageView;
  now: number;
}

/** One message. Its text is always rendered as text, never as markup. */
export const MessageBubble = memo(function MessageBubble({ message, now }: MessageBubbleProps) {
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

  return (
    <li
      className={`message message--${kind}${message.delivery === 'failed' ? ' message--failed' : ''}`}
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
      <div className="message__text" data-testid="message-text">
        {message.text}
      </div>
      <div className="message__meta">
        {time}
        <DeliveryStatus message={message} />
      </div>
    </li>
  );
});
