import { useLayoutEffect, useRef } from 'react';
import type { MessageView } from '../generated/ipc';
import { useNow } from '../hooks/useNow';
import { t } from '../i18n';
import { MessageBubble } from './MessageBubble';

const NEAR_BOTTOM_PX = 80;

interface MessageListProps {
  chatId: string;
  messages: MessageView[];
  /** Reloads the conversation (after "Send again", "Download again"); keep it stable. */
  onChanged: () => void;
}

/**
 * The conversation, oldest first. It opens at the newest message and follows new ones while the
 * operator is at the bottom; if they scrolled up to read history, it stays where they are.
 */
export function MessageList({ chatId, messages, onChanged }: MessageListProps) {
  const now = useNow();
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const shownChat = useRef<string | null>(null);
  const last = messages[messages.length - 1];
  const empty = messages.length === 0;

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const chatChanged = shownChat.current !== chatId;
    shownChat.current = chatId;
    if (chatChanged || atBottom.current || last?.kind === 'outbound') {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
    }
  }, [chatId, messages.length, last?.id, last?.kind]);

  // Pictures arrive after the messages and make them taller: stay at the newest one if the
  // operator was there.
  useLayoutEffect(() => {
    const el = scroller.current;
    const content = el?.firstElementChild;
    if (!el || !content || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(content);
    return () => observer.disconnect();
  }, [empty]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
  };

  return (
    <div className="message-list" ref={scroller} onScroll={onScroll}>
      {messages.length === 0 ? (
        <p className="muted center pad">{t('conversation.noMessages')}</p>
      ) : (
        <ol className="message-list__items" aria-live="polite" aria-relevant="additions">
          {messages.map((message) => (
            <MessageBubble key={message.id} message={message} now={now} onChanged={onChanged} />
          ))}
        </ol>
      )}
    </div>
  );
}
