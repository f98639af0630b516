import { useEffect, useRef, useState } from 'react';
import { t } from '../i18n';

interface PassBackButtonProps {
  /** True while another header action runs. */
  disabled: boolean;
  /** Resolves when the action is over (the parent reports failures). */
  onConfirm: () => Promise<void>;
}

/**
 * "Give back to Page Inbox" for my Messenger chat. Unlike Complete it asks first: the thread leaves
 * Switchboard for the page's own inbox, so the next customer message does not come back here.
 */
export function PassBackButton({ disabled, onConfirm }: PassBackButtonProps) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const cancelButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming) cancelButton.current?.focus();
  }, [confirming]);

  const confirm = async () => {
    if (busy) return;
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <div className="chat-actions__menu-anchor">
      <button
        type="button"
        className="secondary-button"
        data-testid="pass-thread-button"
        aria-expanded={confirming}
        disabled={disabled || busy}
        onClick={() => setConfirming((open) => !open)}
      >
        {t('conversation.passBack')}
      </button>
      {confirming && (
        <div
          className="menu confirm-pop"
          role="alertdialog"
          aria-label={t('conversation.passBack')}
          data-testid="pass-thread-confirm"
          onKeyDown={(event) => {
            if (event.key === 'Escape' && !busy) {
              event.preventDefault();
              setConfirming(false);
            }
          }}
        >
          <p className="confirm-pop__text">{t('conversation.passBackConfirm')}</p>
          <div className="confirm-pop__buttons">
            <button
              ref={cancelButton}
              type="button"
              className="secondary-button secondary-button--small"
              data-testid="pass-thread-cancel"
              disabled={busy}
              onClick={() => setConfirming(false)}
            >
              {t('queueForm.cancel')}
            </button>
            <button
              type="button"
              className="primary-button primary-button--small"
              data-testid="pass-thread-yes"
              disabled={busy}
              onClick={() => void confirm()}
            >
              {busy ? t('conversation.passingBack') : t('conversation.passBackYes')}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
