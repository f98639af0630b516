import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type {
  ChannelView,
  ChatDetail,
  ChatSummary,
  MessageView,
  MyStatus,
  OperatorStatus,
  SendFile,
} from '../generated/ipc';
import {
  acceptChat,
  completeChat,
  declineChat,
  errorMessage,
  listChannels,
  listChats,
  myStatus,
  onChannelsChanged,
  onChatsChanged,
  passThreadBack,
  readChat,
  sendFile,
  sendReply,
  setMyStatus,
  takeThread,
  transferToOperator,
  transferToQueue,
} from '../ipc';

/** Where a chat is transferred: a queue (routed afresh there) or one operator. */
export interface TransferTarget {
  kind: 'queue' | 'operator';
  id: string;
}

export interface ChatsModel {
  /** Everything list_chats returned (offers and the operator's chats); null until the first load. */
  chats: ChatSummary[] | null;
  /** Chats offered to this operator, waiting for Accept. */
  offers: ChatSummary[];
  /** The operator's own chats (neither an offer nor a bot's), newest activity first. */
  myChats: ChatSummary[];
  /** Messenger conversations a bot holds (no operator); every operator sees them. */
  botChats: ChatSummary[];
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
  /** The operator at this desk; null until the first load finishes. */
  status: MyStatus | null;
  statusError: string | null;
  select: (chatId: string) => void;
  /** Queues a reply; rejects with an IpcFailure whose message can be shown as is. */
  send: (chatId: string, text: string) => Promise<MessageView>;
  /** Queues a photo or a document; rejects like `send`. */
  sendFile: (file: SendFile) => Promise<MessageView>;
  /** Reloads the open conversation quietly (after "Send again", "Download again"). */
  refreshOpen: () => void;
  /** Shows channels as the shell answered them (added or changed), then reloads the list once. */
  channelChanged: (changed: ChannelView | readonly ChannelView[]) => void;
  /** Takes an offer and opens it; on refusal rejects (IpcFailure) after refreshing the list. */
  accept: (chatId: string) => Promise<void>;
  /** Refuses an offer. */
  decline: (chatId: string) => Promise<void>;
  /** Completes an active chat; the next chat opens. */
  complete: (chatId: string) => Promise<void>;
  /** Hands a chat to a queue or an operator; the next chat opens. */
  transfer: (chatId: string, target: TransferTarget) => Promise<void>;
  /** Takes a bot's Messenger conversation: it enters routing and is offered like any other. */
  takeOver: (chatId: string) => Promise<void>;
  /** Gives my Messenger chat back to the Page Inbox; the chat completes and the next one opens. */
  passBack: (chatId: string) => Promise<void>;
  /** Sets Active / Inactive and reflects what the shell answered. */
  setStatus: (status: OperatorStatus) => Promise<void>;
  /** Reloads the list, the operator's status, the open chat and the channels. */
  reload: () => void;
}

export interface UseChatsOptions {
  /** How often channel health is refreshed; 0 turns polling off. */
  channelPollMs?: number;
}

/** An offer to this operator (shown with Accept), as opposed to a chat they already have. */
export function isOffer(chat: ChatSummary): boolean {
  return chat.offered_to_me;
}

/** A conversation a bot holds: read-only here until an operator takes it over. */
export function isBotChat(chat: ChatSummary): boolean {
  return chat.state === 'bot' && !chat.offered_to_me;
}

/** The operator's own chats: neither offers nor a bot's. */
function isMine(chat: ChatSummary): boolean {
  return !isOffer(chat) && !isBotChat(chat);
}

function withMessage(detail: ChatDetail, message: MessageView): ChatDetail {
  if (detail.chat.id !== message.chat_id) return detail;
  if (detail.messages.some((m) => m.id === message.id)) return detail;
  return { ...detail, messages: [...detail.messages, message] };
}

/**
 * Which chat to open when the open one left the list (completed, transferred, taken by someone
 * else): the one below it in the list the operator was looking at, else the one above, else any of
 * their chats, else the first offer (never a bot's conversation: nothing to do there).
 */
export function nextSelection(previous: ChatSummary[], current: ChatSummary[], goneId: string): string | null {
  const mine = current.filter(isMine);
  const stillThere = new Set(mine.map((c) => c.id));
  const index = previous.findIndex((c) => c.id === goneId);
  if (index >= 0) {
    for (const c of previous.slice(index + 1)) if (stillThere.has(c.id)) return c.id;
    for (const c of previous.slice(0, index).reverse()) if (stillThere.has(c.id)) return c.id;
  }
  return mine[0]?.id ?? current.find(isOffer)?.id ?? null;
}

/** Unlistening is asynchronous in Tauri 2; a failure there must not surface as an unhandled rejection. */
export function stopListening(stop: () => void): void {
  try {
    Promise.resolve(stop() as unknown).catch(() => undefined);
  } catch {
    // The window is going away; nothing to clean up.
  }
}

/**
 * State of the communication panel: the chat list (offers and the operator's chats), the open
 * conversation, the operator's status and channel health, kept current by the shell's
 * `chats-changed` event. Responses that arrive out of order are dropped, so a slow answer never
 * overwrites a newer one or shows another chat's messages.
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
  const [status, setStatusState] = useState<MyStatus | null>(null);
  const [statusError, setStatusError] = useState<string | null>(null);

  const selectedRef = useRef<string | null>(null);
  /** The list as last loaded, to find the neighbour of a chat that left it. */
  const chatsRef = useRef<ChatSummary[] | null>(null);
  const mounted = useRef(false);
  const listSeq = useRef(0);
  const detailSeq = useRef(0);
  const channelSeq = useRef(0);
  const statusSeq = useRef(0);

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

  const clearSelection = useCallback(() => {
    selectedRef.current = null;
    detailSeq.current++; // drop any answer still on its way
    setSelectedId(null);
    setDetail(null);
    setDetailError(null);
    setDetailLoading(false);
  }, []);

  const loadChats = useCallback(async () => {
    const seq = ++listSeq.current;
    try {
      const list = await listChats();
      if (!mounted.current || seq !== listSeq.current) return;
      const previous = chatsRef.current ?? [];
      chatsRef.current = list;
      setChats(list);
      setListError(null);
      const open = selectedRef.current;
      if (open !== null && !list.some((c) => c.id === open)) {
        const next = nextSelection(previous, list, open);
        if (next === null) clearSelection();
        else select(next);
      }
    } catch (error) {
      if (!mounted.current || seq !== listSeq.current) return;
      setListError(errorMessage(error));
    }
  }, [clearSelection, select]);

  const loadStatus = useCallback(async () => {
    const seq = ++statusSeq.current;
    try {
      const loaded = await myStatus();
      if (!mounted.current || seq !== statusSeq.current) return;
      setStatusState(loaded);
      setStatusError(null);
    } catch (error) {
      if (!mounted.current || seq !== statusSeq.current) return;
      setStatusError(errorMessage(error));
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

  const sendFileMessage = useCallback(
    async (file: SendFile) => {
      const message = await sendFile(file);
      if (mounted.current && selectedRef.current === file.chat_id) {
        setDetail((current) => (current ? withMessage(current, message) : current));
      }
      void loadChats();
      return message;
    },
    [loadChats],
  );

  const refreshOpen = useCallback(() => {
    const open = selectedRef.current;
    if (open !== null) void loadDetail(open, true);
  }, [loadDetail]);

  const channelChanged = useCallback(
    (changed: ChannelView | readonly ChannelView[]) => {
      const batch: readonly ChannelView[] = Array.isArray(changed) ? changed : [changed as ChannelView];
      if (batch.length === 0) {
        void loadChannels();
        return;
      }
      channelSeq.current++; // an older list_channels answer must not undo this one
      setChannels((list) => {
        let next = list ?? [];
        for (const channel of batch) {
          next = next.some((c) => c.id === channel.id)
            ? next.map((c) => (c.id === channel.id ? channel : c))
            : [...next, channel];
        }
        return next;
      });
      void loadChannels();
    },
    [loadChannels],
  );

  /** After any routing action: the list, the counters and (if still listed) the open chat. */
  const refreshAfterAction = useCallback(async () => {
    await Promise.all([loadChats(), loadStatus()]);
    const open = selectedRef.current;
    if (open !== null && chatsRef.current?.some((c) => c.id === open)) await loadDetail(open, true);
  }, [loadChats, loadStatus, loadDetail]);

  const accept = useCallback(
    async (chatId: string) => {
      try {
        const taken = await acceptChat(chatId);
        if (!mounted.current) return;
        chatsRef.current = chatsRef.current?.map((c) => (c.id === taken.id ? taken : c)) ?? null;
        setChats((list) => list?.map((c) => (c.id === taken.id ? taken : c)) ?? list);
        if (selectedRef.current === chatId) {
          // Swap the Accept bar for the composer now; the refresh below brings the system line.
          setDetail((current) => (current && current.chat.id === taken.id ? { ...current, chat: taken } : current));
        }
        // Accepting means the operator is about to answer: open the chat.
        if (selectedRef.current !== chatId) select(chatId);
      } finally {
        // On refusal too: the offer may be gone (someone else took it) or the status changed.
        if (mounted.current) await refreshAfterAction();
      }
    },
    [refreshAfterAction, select],
  );

  const decline = useCallback(
    async (chatId: string) => {
      try {
        await declineChat(chatId);
      } finally {
        if (mounted.current) await refreshAfterAction();
      }
    },
    [refreshAfterAction],
  );

  const complete = useCallback(
    async (chatId: string) => {
      try {
        await completeChat(chatId);
      } finally {
        if (mounted.current) await refreshAfterAction();
      }
    },
    [refreshAfterAction],
  );

  const transfer = useCallback(
    async (chatId: string, target: TransferTarget) => {
      try {
        if (target.kind === 'queue') await transferToQueue(chatId, target.id);
        else await transferToOperator(chatId, target.id);
      } finally {
        if (mounted.current) await refreshAfterAction();
      }
    },
    [refreshAfterAction],
  );

  const takeOver = useCallback(
    async (chatId: string) => {
      try {
        await takeThread(chatId);
      } finally {
        if (mounted.current) await refreshAfterAction();
      }
    },
    [refreshAfterAction],
  );

  const passBack = useCallback(
    async (chatId: string) => {
      try {
        await passThreadBack(chatId);
      } finally {
        if (mounted.current) await refreshAfterAction();
      }
    },
    [refreshAfterAction],
  );

  const setStatus = useCallback(
    async (next: OperatorStatus) => {
      try {
        const updated = await setMyStatus(next);
        if (!mounted.current) return;
        statusSeq.current++; // an older my_status answer must not undo this one
        setStatusState(updated);
        setStatusError(null);
      } catch (error) {
        if (mounted.current) void loadStatus();
        throw error;
      }
      // Becoming Active can route waiting chats to this operator at once.
      void loadChats();
    },
    [loadChats, loadStatus],
  );

  const reload = useCallback(() => {
    void loadChats();
    void loadStatus();
    void loadChannels();
    const open = selectedRef.current;
    if (open !== null) void loadDetail(open, true);
  }, [loadChats, loadStatus, loadChannels, loadDetail]);

  // Subscribe first, then load, so a change between the two is never missed.
  useEffect(() => {
    mounted.current = true;
    let cancelled = false;
    let unlisten: (() => void) | undefined;
    let unlistenChannels: (() => void) | undefined;

    onChannelsChanged(() => {
      if (!cancelled) void loadChannels();
    })
      .then((stop) => {
        if (cancelled) stopListening(stop);
        else unlistenChannels = stop;
      })
      .catch((error: unknown) => {
        console.error('[ipc] could not subscribe to channel changes', error);
      });

    onChatsChanged(({ chat_ids }) => {
      if (cancelled) return;
      void loadChats();
      // Offers, acceptances and status changes (e.g. set Inactive after a missed offer) all move
      // the counters.
      void loadStatus();
      const open = selectedRef.current;
      // An empty list means "anything may have changed" (the shell fell behind, or a shared
      // desktop's cache caught up): the open chat is reloaded too.
      if (open !== null && (chat_ids.length === 0 || chat_ids.includes(open))) void loadDetail(open, true);
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
        void loadStatus();
        void loadChannels();
      });

    return () => {
      cancelled = true;
      mounted.current = false;
      if (unlisten) stopListening(unlisten);
      if (unlistenChannels) stopListening(unlistenChannels);
    };
  }, [loadChats, loadStatus, loadChannels, loadDetail]);

  useEffect(() => {
    if (channelPollMs <= 0) return;
    const timer = window.setInterval(() => void loadChannels(), channelPollMs);
    return () => window.clearInterval(timer);
  }, [channelPollMs, loadChannels]);

  const offers = useMemo(() => chats?.filter(isOffer) ?? [], [chats]);
  const myChats = useMemo(() => chats?.filter(isMine) ?? [], [chats]);
  const botChats = useMemo(() => chats?.filter(isBotChat) ?? [], [chats]);

  // Operators expect their newest chat to be open when nothing is selected yet; with no chats of
  // their own, the newest offer opens (read-only, with Accept).
  useEffect(() => {
    if (selectedId !== null) return;
    const first = myChats[0] ?? offers[0];
    if (first) select(first.id);
  }, [myChats, offers, selectedId, select]);

  return {
    chats,
    offers,
    myChats,
    botChats,
    listError,
    selectedId,
    detail,
    detailLoading,
    detailError,
    channels,
    channelsError,
    status,
    statusError,
    select,
    send,
    sendFile: sendFileMessage,
    refreshOpen,
    channelChanged,
    accept,
    decline,
    complete,
    transfer,
    takeOver,
    passBack,
    setStatus,
    reload,
  };
}
