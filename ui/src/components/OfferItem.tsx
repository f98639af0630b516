import { memo, useState } from 'react';
import type { ChatSummary } from '../generated/ipc';
import { formatFullDate, formatWaiting, previewLine } from '../format';
import { t } from '../i18n';
import { ProviderIcon } from './ProviderIcon';

interface OfferItemProps {
  chat: ChatSummary;
  selected: boolean;
  now: number;
  onSelect: (chatId: string) => void;
  /** Resolve when the action is over (the parent reports failures). */
  onAccept: (chatId: string) => Promise<void>;
  onDecline: (chatId: string) => Promise<void>;
}

/** A chat offered to this operator: who, what they wrote, how long they wait, and Accept. */
export const OfferItem = memo(function OfferItem({
  chat,
  selected,
  now,
  onSelect,
  onAccept,
  onDecline,
}: OfferItemProps) {
  const [busy, setBusy] = useState<'accept' | 'decline' | null>(null);
  const preview = previewLine(chat.last_message_text);
  const name = chat.contact_name.trim() || t('list.unknownCustomer');

  const run = async (which: 'accept' | 'decline') => {
    if (busy !== null) return;
    setBusy(which);
    try {
      await (which === 'accept' ? onAccept(chat.id) : onDecline(chat.id));
    } finally {
      setBusy(null);
    }
  };

  return (
    <li
      className={`offer${selected ? ' offer--selected' : ''}`}
      data-testid="offer-item"
      data-chat-id={chat.id}
      data-state={chat.state}
      aria-current={selected ? 'true' : undefined}
    >
      <button type="button" className="offer__open" onClick={() => onSelect(chat.id)}>
        <ProviderIcon provider={chat.provider} />
        <span className="chat-item__body">
          <span className="chat-item__top">
            <span className="chat-item__name" data-testid="chat-item-name">
              {name}
            </span>
            <time
              className="chat-item__time offer__waiting"
              data-testid="offer-waiting"
              dateTime={new Date(chat.last_activity_at).toISOString()}
              title={formatFullDate(chat.last_activity_at)}
            >
              {formatWaiting(chat.last_activity_at, now)}
            </time>
          </span>
          <span className={`chat-item__preview${preview === null ? ' chat-item__preview--empty' : ''}`}>
            {preview ?? t('list.noMessages')}
          </span>
          <span className="chat-item__meta">
            <span className="chat-item__channel">{chat.channel_name}</span>
            <span aria-hidden="true">·</span>
            <span className="offer__queue" data-testid="offer-queue" title={t('list.queue')}>
              {chat.queue_name}
            </span>
          </span>
        </span>
      </button>
      <div className="offer__actions">
        <button
          type="button"
          className="primary-button primary-button--small"
          data-testid="accept-button"
          disabled={busy !== null}
          onClick={() => void run('accept')}
        >
          {busy === 'accept' ? t('list.accepting') : t('list.accept')}
        </button>
        <button
          type="button"
          className="secondary-button secondary-button--small"
          data-testid="decline-button"
          disabled={busy !== null}
          onClick={() => void run('decline')}
        >
          {t('list.decline')}
        </button>
      </div>
    </li>
  );
});
