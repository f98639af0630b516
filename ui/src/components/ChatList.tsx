import type { ChatSummary } from '../generated/ipc';
import { useNow } from '../hooks/useNow';
import { t } from '../i18n';
import { ChatListItem } from './ChatListItem';

interface ChatListProps {
  chats: ChatSummary[] | null;
  selectedId: string | null;
  onSelect: (chatId: string) => void;
}

export function ChatList({ chats, selectedId, onSelect }: ChatListProps) {
  const now = useNow();
  return (
    <section className="chat-list" aria-labelledby="chat-list-title">
      <header className="pane-header">
        <h2 id="chat-list-title">{t('list.title')}</h2>
        {chats !== null && <span className="pane-header__count">{chats.length}</span>}
      </header>
      {chats === null ? (
        <p className="muted pad">{t('list.loading')}</p>
      ) : chats.length === 0 ? (
        <p className="muted pad">{t('list.empty')}</p>
      ) : (
        <ul className="chat-list__items">
          {chats.map((chat) => (
            <ChatListItem
              key={chat.id}
              chat={chat}
              selected={chat.id === selectedId}
              now={now}
              onSelect={onSelect}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
