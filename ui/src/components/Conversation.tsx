import type { ChatDetail } from '../generated/ipc';
import { t } from '../i18n';
import { Composer } from './Composer';
import { ErrorBanner } from './ErrorBanner';
import { MessageList } from './MessageList';
import { ProviderIcon } from './ProviderIcon';

interface ConversationProps {
  selectedId: string | null;
  detail: ChatDetail | null;
  loading: boolean;
  error: string | null;
  onRetry: () => void;
  draft: string;
  onDraftChange: (chatId: string, text: string) => void;
  onSend: (chatId: string, text: string) => Promise<void>;
}

/** The open chat: who it is with, the messages and the reply box. */
export function Conversation({
  selectedId,
  detail,
  loading,
  error,
  onRetry,
  draft,
  onDraftChange,
  onSend,
}: ConversationProps) {
  if (selectedId === null) {
    return (
      <section className="conversation conversation--idle">
        <p className="muted center">{t('conversation.none')}</p>
      </section>
    );
  }

  const chat = detail?.chat;
  return (
    <section className="conversation" aria-label={chat?.contact_name} data-chat-id={selectedId}>
      {chat && (
        <header className="conversation__header">
          <ProviderIcon provider={chat.provider} />
          <div className="conversation__who">
            <h2 className="conversation__name" data-testid="conversation-name">
              {chat.contact_name.trim() || t('list.unknownCustomer')}
            </h2>
            <span className="conversation__channel">{chat.channel_name}</span>
          </div>
          <span className={`chip chip--${chat.state}`}>{t(`state.${chat.state}`)}</span>
        </header>
      )}
      {error !== null && <ErrorBanner message={error} onRetry={onRetry} />}
      {detail ? (
        <>
          <MessageList chatId={detail.chat.id} messages={detail.messages} />
          <Composer
            key={detail.chat.id}
            chatId={detail.chat.id}
            draft={draft}
            onDraftChange={(text) => onDraftChange(detail.chat.id, text)}
            onSend={(text) => onSend(detail.chat.id, text)}
            disabledReason={detail.chat.state === 'completed' ? t('composer.completed') : null}
          />
        </>
      ) : (
        loading && <p className="muted center pad">{t('conversation.loading')}</p>
      )}
    </section>
  );
}
