import { useCallback, useState } from 'react';
import type { ChatSummary } from '../generated/ipc';
import { t } from '../i18n';
import { PassBackButton } from './PassBackButton';
import { TransferMenu, type ChosenTarget } from './TransferMenu';

interface ChatActionsProps {
  chat: ChatSummary;
  myOperatorId: string | null;
  whyOpen: boolean;
  onToggleWhy: () => void;
  /** Resolve when the action is over (the parent reports failures). */
  onComplete: (chat: ChatSummary) => Promise<void>;
  onTransfer: (chat: ChatSummary, target: ChosenTarget) => Promise<void>;
  /** Gives my Messenger chat back to the Page Inbox (after the operator confirms). */
  onPassBack: (chat: ChatSummary) => Promise<void>;
}

/**
 * The open chat's header actions. Complete is one explicit click (no confirmation): a completed
 * chat is not lost — it stays in history and a new customer message opens a new chat — and the
 * panel confirms with a notice and moves on to the next chat.
 */
export function ChatActions({
  chat,
  myOperatorId,
  whyOpen,
  onToggleWhy,
  onComplete,
  onTransfer,
  onPassBack,
}: ChatActionsProps) {
  type Busy = 'complete' | 'transfer' | 'passBack';
  const [busy, setBusy] = useState<Busy | null>(null);
  const [menuOpen, setMenuOpen] = useState(false);
  const mine = chat.state === 'active' && !chat.offered_to_me;

  const run = async (which: Busy, action: () => Promise<void>) => {
    if (busy !== null) return;
    setBusy(which);
    try {
      await action();
    } finally {
      setBusy(null);
    }
  };

  const closeMenu = useCallback(() => setMenuOpen(false), []);

  return (
    <div className="chat-actions" role="toolbar" aria-label={t('conversation.actions')}>
      <button
        type="button"
        className={`secondary-button${whyOpen ? ' secondary-button--pressed' : ''}`}
        data-testid="why-button"
        aria-pressed={whyOpen}
        onClick={onToggleWhy}
      >
        {t('conversation.why')}
      </button>
      {mine && (
        <>
          <div className="chat-actions__menu-anchor">
            <button
              type="button"
              className="secondary-button"
              data-testid="transfer-button"
              aria-haspopup="menu"
              aria-expanded={menuOpen}
              disabled={busy !== null}
              onClick={() => setMenuOpen((open) => !open)}
            >
              {t('conversation.transfer')}
            </button>
            {menuOpen && (
              <TransferMenu
                myOperatorId={myOperatorId}
                myName={chat.operator_name}
                currentQueueName={chat.queue_name}
                onClose={closeMenu}
                onChoose={(target) => {
                  setMenuOpen(false);
                  void run('transfer', () => onTransfer(chat, target));
                }}
              />
            )}
          </div>
          {chat.provider === 'messenger' && (
            <PassBackButton
              disabled={busy !== null && busy !== 'passBack'}
              onConfirm={() => run('passBack', () => onPassBack(chat))}
            />
          )}
          <button
            type="button"
            className="primary-button primary-button--small"
            data-testid="complete-button"
            disabled={busy !== null}
            onClick={() => void run('complete', () => onComplete(chat))}
          >
            {busy === 'complete' ? t('conversation.completing') : t('conversation.complete')}
          </button>
        </>
      )}
    </div>
  );
}
