import { useEffect } from 'react';
import type { ReplyWindow } from '../generated/ipc';
import { formatFullDate, formatTimeLeft } from '../format';
import { useNow } from '../hooks/useNow';
import { t } from '../i18n';

/** setTimeout takes at most a signed 32-bit delay; later ends are re-armed by the next render. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface ReplyWindowIndicatorProps {
  replyWindow: ReplyWindow;
  /** Called once the current state has run out, so the shell can say what comes next (the tag
   * window, or closed). */
  onExpired: () => void;
}

/**
 * How long a Messenger reply can still be sent: the 24-hour window, then (when the channel has it)
 * the Human Agent tag up to 7 days, then closed with the shell's reason. Counts down by the minute.
 */
export function ReplyWindowIndicator({ replyWindow, onExpired }: ReplyWindowIndicatorProps) {
  const now = useNow(60_000);
  const { state, closes_at: closesAt, reason } = replyWindow;

  useEffect(() => {
    if (state === 'closed' || closesAt === null) return;
    const delay = Math.min(Math.max(closesAt - Date.now(), 0) + 1_000, MAX_TIMER_MS);
    const timer = window.setTimeout(onExpired, delay);
    return () => window.clearTimeout(timer);
  }, [state, closesAt, onExpired]);

  const until = closesAt !== null ? formatFullDate(closesAt) : undefined;
  const left = closesAt !== null ? formatTimeLeft(closesAt - now) : null;

  if (state === 'closed') {
    return (
      <div className="reply-window reply-window--closed" data-testid="reply-window" data-state={state} role="status">
        <span className="reply-window__title">{t('window.closed')}</span>
        <p className="reply-window__reason" data-testid="reply-window-reason">
          {reason?.trim() || t('window.closedReason')}
        </p>
      </div>
    );
  }

  const text =
    state === 'open'
      ? left !== null
        ? t('window.open', { left })
        : t('window.openNoTime')
      : left !== null
        ? t('window.humanAgent', { left })
        : t('window.humanAgentNoTime');
  const hint = state === 'human_agent' ? reason?.trim() || t('window.humanAgentHint') : null;
  return (
    <div
      className={`reply-window reply-window--${state === 'open' ? 'open' : 'tagged'}`}
      data-testid="reply-window"
      data-state={state}
    >
      <span className="reply-window__dot" aria-hidden="true" />
      <span className="reply-window__title" title={until}>
        {text}
      </span>
      {hint !== null && <span className="reply-window__hint">{hint}</span>}
    </div>
  );
}
