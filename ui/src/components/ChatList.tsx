import type { ChatSummary } from '../generated/ipc';
import { useNow } from '../hooks/useNow';
import { t } from '../i18n';
import { ChatListItem } from './ChatListItem';
import { OfferItem } from './OfferItem';

interface ChatListProps {
  /** null until the first load finishes. */
  chats: ChatSummary[] | null;
  offers: ChatSummary[];
  myChats: ChatSummary[];
  /** Conversations a bot holds, shown read-only below the operator's chats. */
  botChats: ChatSummary[];
  selectedId: string | null;
  onSelect: (chatId: string) => void;
  /** Resolve when the action is over (the parent reports failures). */
  onAccept: (chatId: string) => Promise<void>;
  onDecline: (chatId: string) => Promise<void>;
}

/** Offers waiting for Accept on top, then the operator's own chats, then what bots are handling
 * (the operator's own work first; a bot's conversation needs nothing unless someone takes it). */
export function ChatList({ chats, offers, myChats, botChats, selectedId, onSelect, onAccept, onDecline }: ChatListProps) {
  const now = useNow();
  return (
    <section className="chat-list" aria-label={t('list.title')}>
      {offers.length > 0 && (
        <div className="chat-list__section chat-list__section--offers" role="group" aria-labelledby="offer-list-title">
          <header className="pane-header pane-header--offers">
            <h2 id="offer-list-title">{t('list.offers')}</h2>
            <span className="pane-header__count pane-header__count--offers">{offers.length}</span>
          </header>
          <ul className="chat-list__offers">
            {offers.map((chat) => (
              <OfferItem
                key={chat.id}
                chat={chat}
                selected={chat.id === selectedId}
                now={now}
                onSelect={onSelect}
                onAccept={onAccept}
                onDecline={onDecline}
              />
            ))}
          </ul>
        </div>
      )}
      <header className="pane-header">
        <h2 id="chat-list-title">{t('list.title')}</h2>
        {chats !== null && <span className="pane-header__count">{myChats.length}</span>}
      </header>
      {chats === null ? (
        <p className="muted pad">{t('list.loading')}</p>
      ) : myChats.length === 0 ? (
        <p className="muted pad">{offers.length > 0 || botChats.length > 0 ? t('list.noneOfMine') : t('list.empty')}</p>
      ) : (
        <ul className="chat-list__items" aria-labelledby="chat-list-title">
          {myChats.map((chat) => (
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
      {botChats.length > 0 && (
        <div className="chat-list__section chat-list__section--bots" role="group" aria-labelledby="bot-list-title">
          <header className="pane-header pane-header--bots">
            <h2 id="bot-list-title">{t('list.bots')}</h2>
            <span className="pane-header__count">{botChats.length}</span>
          </header>
          <ul className="chat-list__items chat-list__items--bots" aria-label={t('list.botsLabel')}>
            {botChats.map((chat) => (
              <ChatListItem
                key={chat.id}
                chat={chat}
                selected={chat.id === selectedId}
                now={now}
                onSelect={onSelect}
                testId="bot-chat-item"
              />
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
