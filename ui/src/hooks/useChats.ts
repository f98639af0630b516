import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChannelView, ChatDetail, ChatSummary, MessageView } from '../generated/ipc';
import { errorMessage, listChannels, listChats, onChatsChanged, readChat, sendReply } from '../ipc';

export interface ChatsModel {
  /** The operator's chats, newest activity first; null until the first load finishes. */
  chats: ChatSummary[] | null;
  /** Why the chat list could not be loaded, in words for a person. */
  listError: string | null;
  selectedId: string | null;
  /** The open conversation (always the selected chat's, never another's). */
  detail: ChatDetail | null;
  detailLoading: boolean;
  detailError: string | null;
  /** null until the first load finishes. */
  channels: ChannelView[] | null;
  channelsError: string | null;
  select: (chatId: string) => void;
  /** Queues a reply; rejects with an IpcFailure whose message can be shown as is. */
  send: (chatId: string, text: string) => Promise<MessageView>;
  /** Reloads the list, the open chat and the channels. */
  reload: () => void;
}

export interface UseChatsOptions {
  /** How often channel health is refreshed; 0 turns polling off. */
  channelPollMs?: number;
}

function withMessage(detail: ChatDetail, message: MessageView): ChatDetail {
  if (detail.chat.id !== message.chat_id) return detail;
  if (detail.messages.some((m) => m.id === message.id)) return detail;
  return { ...detail, messages: [...detail.messages, message] };
}

/** Unlistening is asynchronous in Tauri 2; a failure there must not surface as an unhandled rejection. */
function stopListening(stop: () => void): void {
  try {
    Promise.resolve(stop() as unknown).catch(() => undefined);
  } catch {
    // The window is going away; nothing to clean up.
  }
}

/**
 * State of the communication panel: the chat list, the open conversation and channel health,
 * kept current by the shell's `chats-changed` event. Responses that arrive out of order are
 * dropped, so a slow answer never overwrites a newer one or shows another chat's messages.
 */
export function useChats({ channelPollMs = 15_000 }: UseChatsOptions = {}): ChatsModel {
  const [chats, setChats] = useState<ChatSummary[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [detail, setDetail] = useState<ChatDetail | null>(null);
  const [detailLoading, setDetailLoading] = useState(false);
  const [detailError, setDetailError] = useState<string | null>(null);
  const [channels, setChannels] = useState<ChannelView[] | null>(null);
  const [channelsError, setChannelsError] = useState<string | null>(null);

  const selectedRef = useRef<string | null>(null);
  const mounted = useRef(false);
  const listSeq = useRef(0);
  const detailSeq = useRef(0);
  const channelSeq = useRef(0);

  const loadChats = useCallback(async () => {
    const seq = ++listSeq.current;
    try {
      const list = await listChats();
      if (!mounted.current || seq !== listSeq.current) return;
      setChats(list);
      setListError(null);
    } catch (error) {
      if (!mounted.current || seq !== listSeq.current) return;
      setListError(errorMessage(error));
    }
  }, []);

  const loadChannels = useCallback(async () => {
    const seq = ++channelSeq.current;
    try {
      const list = await listChannels();
      if (!mounted.current || seq !== channelSeq.current) return;
      setChannels(list);
      setChannelsError(null);
    } catch (error) {
      if (!mounted.current || seq !== channelSeq.current) return;
      setChannelsError(errorMessage(error));
    }
  }, []);

  /** Loads a conversation; `quiet` keeps the current one on screen while refreshing. */
  const loadDetail = useCallback(async (chatId: string, quiet: boolean) => {
    const seq = ++detailSeq.current;
    if (!quiet) setDetailLoading(true);
    try {
      const loaded = await readChat(chatId);
      if (!mounted.current || seq !== detailSeq.current || selectedRef.current !== chatId) return;
      setDetail(loaded);
      setDetailError(null);
      // Opening a chat marks it read: reflect that in the list without waiting for an event.
      setChats((list) =>
        list?.map((c) => (c.id === chatId ? { ...loaded.chat, unread_count: 0 } : c)) ?? list,
      );
    } catch (error) {
      if (!mounted.current || seq !== detailSeq.current || selectedRef.current !== chatId) return;
      setDetailError(errorMessage(error));
    } finally {
      if (mounted.current && seq === detailSeq.current) setDetailLoading(false);
    }
  }, []);

  const select = useCallback(
    (chatId: string) => {
      if (selectedRef.current !== chatId) {
        selectedRef.current = chatId;
        setSelectedId(chatId);
        setDetail(null);
        setDetailError(null);
      }
      void loadDetail(chatId, false);
    },
    [loadDetail],
  );

  const send = useCallback(
    async (chatId: string, text: string) => {
      const message = await sendReply(chatId, text);
      if (mounted.current && selectedRef.current === chatId) {
        setDetail((current) => (current ? withMessage(current, message) : current));
      }
      // The shell announces the change too; refreshing here keeps the list preview current even
      // if that event is late.
      void loadChats();
      return message;
    },
    [loadChats],
  );

  const reload = useCallback(() => {
    void loadChats();
    void loadChannels();
    const open = selectedRef.current;
    if (open !== null) void loadDetail(open, true);
  }, [loadChats, loadChannels, loadDetail]);

  // Subscribe first, then load, so a change between the two is never missed.
  useEffect(() => {
    mounted.current = true;
    let cancelled = false;
    let unlisten: (() => void) | undefined;

    onChatsChanged(({ chat_ids }) => {
      if (cancelled) return;
      void loadChats();
      const open = selectedRef.current;
      if (open !== null && chat_ids.includes(open)) void loadDetail(open, true);
    })
      .then((stop) => {
        if (cancelled) stopListening(stop);
        else unlisten = stop;
      })
      .catch((error: unknown) => {
        console.error('[ipc] could not subscribe to chat changes', error);
      })
      .finally(() => {
        if (cancelled) return;
        void loadChats();
        void loadChannels();
      });

    return () => {
      cancelled = true;
      mounted.current = false;
      if (unlisten) stopListening(unlisten);
    };
  }, [loadChats, loadChannels, loadDetail]);

  useEffect(() => {
    if (channelPollMs <= 0) return;
    const timer = window.setInterval(() => void loadChannels(), channelPollMs);
    return () => window.clearInterval(timer);
  }, [channelPollMs, loadChannels]);

  // Operators expect the newest chat to be open when nothing is selected yet.
  useEffect(() => {
    const newest = chats?.[0];
    if (selectedId === null && newest) select(newest.id);
  }, [chats, selectedId, select]);

  return {
    chats,
    listError,
    selectedId,
    detail,
    detailLoading,
    detailError,
    channels,
    channelsError,
    select,
    send,
    reload,
  };
}
