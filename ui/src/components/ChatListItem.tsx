import { memo } from 'react';
import type { ChatSummary } from '../generated/ipc';
import { formatFullDate, formatWaiting, previewLine } from '../format';
import { t, type MessageKey } from '../i18n';
import { ProviderIcon } from './ProviderIcon';

const stateKeys: Record<ChatSummary['state'], MessageKey> = {
  bot: 'state.bot',
  queued: 'state.queued',
  offered: 'state.offered',
  active: 'state.active',
  completed: 'state.completed',
};

interface ChatListItemProps {
  chat: ChatSummary;
  selected: boolean;
  now: number;
  onSelect: (chatId: string) => void;
  /** `bot-chat-item` in the "Handled by a bot" section. */
  testId?: 'chat-item' | 'bot-chat-item';
}

export const ChatListItem = memo(function ChatListItem({ chat, selected, now, onSelect, testId = 'chat-item' }: ChatListItemProps) {
  const preview = previewLine(chat.last_message_text);
  const name = chat.contact_name.trim() || t('list.unknownCustomer');
  const unread = chat.unread_count;
  return (
    <li className="chat-list__row">
      <button
        type="button"
        className={`chat-item${selected ? ' chat-item--selected' : ''}${unread > 0 ? ' chat-item--unread' : ''}`}
        data-testid={testId}
        data-chat-id={chat.id}
        data-state={chat.state}
        aria-current={selected ? 'true' : undefined}
        onClick={() => onSelect(chat.id)}
      >
        <ProviderIcon provider={chat.provider} />
        <span className="chat-item__body">
          <span className="chat-item__top">
            <span className="chat-item__name" data-testid="chat-item-name">
              {name}
            </span>
            <time
              className="chat-item__time"
              dateTime={new Date(chat.last_activity_at).toISOString()}
              title={formatFullDate(chat.last_activity_at)}
            >
              {formatWaiting(chat.last_activity_at, now)}
            </time>
          </span>
          <span className="chat-item__bottom">
            <span className={`chat-item__preview${preview === null ? ' chat-item__preview--empty' : ''}`}>
              {preview ?? t('list.noMessages')}
            </span>
            {unread > 0 && (
              <span
                className="badge"
                data-testid="unread-badge"
                aria-label={t('list.unreadLabel', { count: unread })}
              >
                {unread > 99 ? '99+' : unread}
              </span>
            )}
          </span>
          <span className="chat-item__meta">
            <span className="chat-item__channel">{chat.channel_name}</span>
            {chat.state !== 'active' && (
              <span className={`chip chip--${chat.state}`}>{t(stateKeys[chat.state])}</span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
});
