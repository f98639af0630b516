import { useCallback, useEffect, useState } from 'react';
import { ChannelHealth } from './components/ChannelHealth';
import { ChatList } from './components/ChatList';
import { ChatSettings } from './components/ChatSettings';
import { Conversation } from './components/Conversation';
import { EmptyState } from './components/EmptyState';
import { ErrorBanner } from './components/ErrorBanner';
import { Rail, type View } from './components/Rail';
import type { OutgoingFile } from './components/Composer';
import type { ChosenTarget } from './components/TransferMenu';
import { WhyPanel } from './components/WhyPanel';
import type { ChatSummary, OperatorStatus } from './generated/ipc';
import { useChats, type UseChatsOptions } from './hooks/useChats';
import { useSharedDatabase } from './hooks/useSharedDatabase';
import { t } from './i18n';
import { errorMessage } from './ipc';

export interface AppProps extends UseChatsOptions {
  /** How long a confirmation such as "Chat completed" stays; 0 keeps it until dismissed. */
  noticeMs?: number;
}

function customerName(chat: ChatSummary | undefined): string {
  return chat?.contact_name.trim() || t('list.unknownCustomer');
}

/** The operator's communication panel and the Chat settings page. */
export function App({ noticeMs = 6_000, ...options }: AppProps = {}) {
  const model = useChats(options);
  const database = useSharedDatabase();
  const { chats, selectedId, send, sendFile } = model;
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [view, setView] = useState<View>('panel');
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [whyOpen, setWhyOpen] = useState(false);

  const changeDraft = useCallback((chatId: string, text: string) => {
    setDrafts((current) => ({ ...current, [chatId]: text }));
  }, []);

  const sendDraft = useCallback(
    async (chatId: string, text: string) => {
      const typed = drafts[chatId] ?? '';
      await send(chatId, text);
      // Clear only what was sent: if the operator kept typing meanwhile, keep their words.
      setDrafts((current) =>
        (current[chatId] ?? '') === typed ? { ...current, [chatId]: '' } : current,
      );
    },
    [drafts, send],
  );

  const sendFileDraft = useCallback(
    async (chatId: string, file: OutgoingFile) => {
      const typed = drafts[chatId] ?? '';
      await sendFile({ ...file, chat_id: chatId });
      // The draft was the caption: clear it unless the operator kept typing.
      setDrafts((current) =>
        (current[chatId] ?? '') === typed ? { ...current, [chatId]: '' } : current,
      );
    },
    [drafts, sendFile],
  );

  /** Runs a routing action; its failure is shown in words above the panel, its success as a notice. */
  const perform = useCallback(async (action: () => Promise<void>, success: string | null) => {
    setNotice(null);
    try {
      await action();
      setActionError(null);
      if (success !== null) setNotice(success);
    } catch (error) {
      setActionError(errorMessage(error));
    }
  }, []);

  const {
    accept: acceptChat,
    decline: declineChat,
    complete,
    transfer,
    takeOver: takeThread,
    passBack,
    setStatus: setMyStatus,
  } = model;

  const nameOf = useCallback((chatId: string) => customerName(chats?.find((c) => c.id === chatId)), [chats]);

  const accept = useCallback((chatId: string) => perform(() => acceptChat(chatId), null), [perform, acceptChat]);

  const decline = useCallback(
    (chatId: string) => perform(() => declineChat(chatId), t('notice.declined', { name: nameOf(chatId) })),
    [perform, declineChat, nameOf],
  );

  const completeChat = useCallback(
    (chat: ChatSummary) => perform(() => complete(chat.id), t('notice.completed', { name: customerName(chat) })),
    [perform, complete],
  );

  const transferChat = useCallback(
    (chat: ChatSummary, target: ChosenTarget) =>
      perform(
        () => transfer(chat.id, { kind: target.kind, id: target.id }),
        t('notice.transferred', { name: customerName(chat), target: target.label }),
      ),
    [perform, transfer],
  );

  const takeOver = useCallback(
    (chat: ChatSummary) => perform(() => takeThread(chat.id), t('notice.tookOver', { name: customerName(chat) })),
    [perform, takeThread],
  );

  const passBackChat = useCallback(
    (chat: ChatSummary) => perform(() => passBack(chat.id), t('notice.passedBack', { name: customerName(chat) })),
    [perform, passBack],
  );

  const setStatus = useCallback(
    (status: OperatorStatus) => perform(() => setMyStatus(status), null),
    [perform, setMyStatus],
  );

  useEffect(() => {
    if (notice === null || noticeMs <= 0) return;
    const timer = window.setTimeout(() => setNotice(null), noticeMs);
    return () => window.clearTimeout(timer);
  }, [notice, noticeMs]);

  const toggleWhy = useCallback(() => setWhyOpen((open) => !open), []);
  const closeWhy = useCallback(() => setWhyOpen(false), []);

  const noChats = chats !== null && chats.length === 0;
  const showWhy = whyOpen && selectedId !== null;

  return (
    <div className="app">
      <Rail
        chats={chats}
        status={model.status}
        statusError={model.statusError}
        view={view}
        onNavigate={setView}
        onSetStatus={setStatus}
        database={database.view}
      />
      <main className="workspace">
        {view === 'panel' && <ChannelHealth channels={model.channels} error={model.channelsError} />}
        {actionError !== null && <ErrorBanner message={actionError} onDismiss={() => setActionError(null)} />}
        {notice !== null && (
          <div className="notice" role="status" data-testid="notice">
            <span className="notice__text">{notice}</span>
            <button
              type="button"
              className="icon-button"
              aria-label={t('error.dismiss')}
              title={t('error.dismiss')}
              onClick={() => setNotice(null)}
            >
              ×
            </button>
          </div>
        )}
        {view === 'settings' ? (
          <ChatSettings
            channels={model.channels}
            channelsError={model.channelsError}
            onChannelChanged={model.channelChanged}
            database={database}
          />
        ) : (
          <>
            {model.listError !== null && <ErrorBanner message={model.listError} onRetry={model.reload} />}
            {noChats ? (
              <EmptyState
                onJoinTeam={
                  database.view?.mode === 'standalone' && !database.view.restart_required
                    ? () => setView('settings')
                    : undefined
                }
              />
            ) : (
              <div className={`panes${showWhy ? ' panes--why' : ''}`}>
                <ChatList
                  chats={chats}
                  offers={model.offers}
                  myChats={model.myChats}
                  botChats={model.botChats}
                  selectedId={selectedId}
                  onSelect={model.select}
                  onAccept={accept}
                  onDecline={decline}
                />
                <Conversation
                  selectedId={selectedId}
                  detail={model.detail}
                  loading={model.detailLoading}
                  error={model.detailError}
                  onRetry={model.reload}
                  onRefresh={model.refreshOpen}
                  draft={selectedId !== null ? (drafts[selectedId] ?? '') : ''}
                  onDraftChange={changeDraft}
                  onSend={sendDraft}
                  onSendFile={sendFileDraft}
                  myOperatorId={model.status?.operator_id ?? null}
                  whyOpen={showWhy}
                  onToggleWhy={toggleWhy}
                  onAccept={accept}
                  onDecline={decline}
                  onComplete={completeChat}
                  onTransfer={transferChat}
                  onTakeOver={takeOver}
                  onPassBack={passBackChat}
                />
                {showWhy && selectedId !== null && (
                  <WhyPanel
                    chatId={selectedId}
                    version={`${model.detail?.chat.state ?? ''}:${model.detail?.messages.length ?? 0}`}
                    onClose={closeWhy}
                  />
                )}
              </div>
            )}
          </>
        )}
      </main>
    </div>
  );
}
