import { useState } from 'react';
import { t } from '../i18n';

interface AcceptBarProps {
  chatId: string;
  /** Resolve when the action is over (the parent reports failures). */
  onAccept: (chatId: string) => Promise<void>;
  onDecline: (chatId: string) => Promise<void>;
}

/** Shown instead of the composer while the open chat is only offered to the operator. */
export function AcceptBar({ chatId, onAccept, onDecline }: AcceptBarProps) {
  const [busy, setBusy] = useState<'accept' | 'decline' | null>(null);

  const run = async (which: 'accept' | 'decline') => {
    if (busy !== null) return;
    setBusy(which);
    try {
      await (which === 'accept' ? onAccept(chatId) : onDecline(chatId));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="accept-bar" data-testid="accept-bar" data-chat-id={chatId}>
      <p className="accept-bar__text">{t('conversation.offered')}</p>
      <button
        type="button"
        className="secondary-button"
        data-testid="accept-bar-decline"
        disabled={busy !== null}
        onClick={() => void run('decline')}
      >
        {t('list.decline')}
      </button>
      <button
        type="button"
        className="primary-button"
        data-testid="accept-bar-accept"
        disabled={busy !== null}
        onClick={() => void run('accept')}
      >
        {busy === 'accept' ? t('list.accepting') : t('list.accept')}
      </button>
    </div>
  );
}
