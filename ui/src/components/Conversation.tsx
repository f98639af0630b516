import type { ChatDetail, ChatSummary } from '../generated/ipc';
import { t } from '../i18n';
import { AcceptBar } from './AcceptBar';
import { BotBar } from './BotBar';
import { ChatActions } from './ChatActions';
import { Composer, type OutgoingFile } from './Composer';
import { ErrorBanner } from './ErrorBanner';
import { MessageList } from './MessageList';
import { ProviderIcon } from './ProviderIcon';
import type { ChosenTarget } from './TransferMenu';

interface ConversationProps {
  selectedId: string | null;
  detail: ChatDetail | null;
  loading: boolean;
  error: string | null;
  onRetry: () => void;
  /** Reloads the open conversation quietly; stable. */
  onRefresh: () => void;
  draft: string;
  onDraftChange: (chatId: string, text: string) => void;
  onSend: (chatId: string, text: string) => Promise<void>;
  onSendFile: (chatId: string, file: OutgoingFile) => Promise<void>;
  myOperatorId: string | null;
  whyOpen: boolean;
  onToggleWhy: () => void;
  /** The routing actions resolve when over; the parent reports failures. */
  onAccept: (chatId: string) => Promise<void>;
  onDecline: (chatId: string) => Promise<void>;
  onComplete: (chat: ChatSummary) => Promise<void>;
  onTransfer: (chat: ChatSummary, target: ChosenTarget) => Promise<void>;
  onTakeOver: (chat: ChatSummary) => Promise<void>;
  onPassBack: (chat: ChatSummary) => Promise<void>;
}

/** The open chat: who it is with, its actions, the messages and the reply box (or Accept, or
 * Take over while a bot holds it). */
export function Conversation({
  selectedId,
  detail,
  loading,
  error,
  onRetry,
  onRefresh,
  draft,
  onDraftChange,
  onSend,
  onSendFile,
  myOperatorId,
  whyOpen,
  onToggleWhy,
  onAccept,
  onDecline,
  onComplete,
  onTransfer,
  onTakeOver,
  onPassBack,
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
          {detail?.contact_picture?.startsWith('data:image/') ? (
            <img className="conversation__avatar" data-testid="contact-picture" src={detail.contact_picture} alt="" />
          ) : (
            <ProviderIcon provider={chat.provider} />
          )}
          <div className="conversation__who">
            <h2 className="conversation__name" data-testid="conversation-name">
              {chat.contact_name.trim() || t('list.unknownCustomer')}
            </h2>
            <span className="conversation__channel">
              {chat.channel_name} · {chat.queue_name}
            </span>
          </div>
          <span className={`chip chip--${chat.state}`}>{t(`state.${chat.state}`)}</span>
          <ChatActions
            key={chat.id}
            chat={chat}
            myOperatorId={myOperatorId}
            whyOpen={whyOpen}
            onToggleWhy={onToggleWhy}
            onComplete={onComplete}
            onTransfer={onTransfer}
            onPassBack={onPassBack}
          />
        </header>
      )}
      {error !== null && <ErrorBanner message={error} onRetry={onRetry} />}
      {detail ? (
        <>
          <MessageList chatId={detail.chat.id} messages={detail.messages} onChanged={onRefresh} />
          {detail.chat.offered_to_me ? (
            <AcceptBar key={detail.chat.id} chatId={detail.chat.id} onAccept={onAccept} onDecline={onDecline} />
          ) : detail.chat.state === 'bot' ? (
            <BotBar key={detail.chat.id} chat={detail.chat} onTakeOver={onTakeOver} />
          ) : (
            <Composer
              key={detail.chat.id}
              chatId={detail.chat.id}
              draft={draft}
              onDraftChange={(text) => onDraftChange(detail.chat.id, text)}
              onSend={(text) => onSend(detail.chat.id, text)}
              onSendFile={(file) => onSendFile(detail.chat.id, file)}
              disabledReason={detail.chat.state === 'completed' ? t('composer.completed') : null}
              replyWindow={detail.window}
              onWindowExpired={onRefresh}
            />
          )}
        </>
      ) : (
        loading && <p className="muted center pad">{t('conversation.loading')}</p>
      )}
    </section>
  );
}
