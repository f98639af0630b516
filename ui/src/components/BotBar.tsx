import { useState } from 'react';
import type { ChatSummary } from '../generated/ipc';
import { t } from '../i18n';

interface BotBarProps {
  chat: ChatSummary;
  /** Resolves when the action is over (the parent reports failures). */
  onTakeOver: (chat: ChatSummary) => Promise<void>;
}

/** Shown instead of the composer while a bot holds the conversation: it is read-only here until an
 * operator takes thread control, which sends the chat into routing. */
export function BotBar({ chat, onTakeOver }: BotBarProps) {
  const [busy, setBusy] = useState(false);

  const takeOver = async () => {
    if (busy) return;
    setBusy(true);
    try {
      await onTakeOver(chat);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="bot-bar" data-testid="bot-bar" data-chat-id={chat.id}>
      <div className="bot-bar__text">
        <strong>{t('conversation.botBar')}</strong>
        <span className="bot-bar__hint">{t('conversation.botBarHint', { queue: chat.queue_name })}</span>
      </div>
      <button
        type="button"
        className="primary-button"
        data-testid="take-thread-button"
        disabled={busy}
        onClick={() => void takeOver()}
      >
        {busy ? t('conversation.takingOver') : t('conversation.takeOver')}
      </button>
    </div>
  );
}
