import { useCallback, useState } from 'react';
import { ChannelHealth } from './components/ChannelHealth';
import { ChatList } from './components/ChatList';
import { Conversation } from './components/Conversation';
import { EmptyState } from './components/EmptyState';
import { ErrorBanner } from './components/ErrorBanner';
import { Rail } from './components/Rail';
import { useChats, type UseChatsOptions } from './hooks/useChats';

/** The operator's communication panel. */
export function App(options: UseChatsOptions = {}) {
  const model = useChats(options);
  const { chats, selectedId, send } = model;
  const [drafts, setDrafts] = useState<Record<string, string>>({});

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

  const noChats = chats !== null && chats.length === 0;

  return (
    <div className="app">
      <Rail chats={chats} />
      <main className="workspace">
        <ChannelHealth channels={model.channels} error={model.channelsError} />
        {model.listError !== null && <ErrorBanner message={model.listError} onRetry={model.reload} />}
        {noChats ? (
          <EmptyState />
        ) : (
          <div className="panes">
            <ChatList chats={chats} selectedId={selectedId} onSelect={model.select} />
            <Conversation
              selectedId={selectedId}
              detail={model.detail}
              loading={model.detailLoading}
              error={model.detailError}
              onRetry={model.reload}
              draft={selectedId !== null ? (drafts[selectedId] ?? '') : ''}
              onDraftChange={changeDraft}
              onSend={sendDraft}
            />
          </div>
        )}
      </main>
    </div>
  );
}
