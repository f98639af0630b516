import { useState } from 'react';
import type { ChatSummary, MyStatus, OperatorStatus, SharedDatabaseView } from '../generated/ipc';
import { t, type MessageKey } from '../i18n';
import { DatabaseBadge } from './DatabaseBadge';

export type View = 'panel' | 'settings';

const statusKeys: Record<OperatorStatus, MessageKey> = {
  active: 'status.active',
  inactive: 'status.inactive',
  offline: 'status.offline',
};

interface RailProps {
  chats: ChatSummary[] | null;
  status: MyStatus | null;
  /** Why the status could not be loaded. */
  statusError: string | null;
  view: View;
  onNavigate: (view: View) => void;
  /** Sets the operator's status; rejects with an error the parent shows. */
  onSetStatus: (status: OperatorStatus) => Promise<void>;
  /** This desktop's shared-database connection (a badge in shared mode only). */
  database: SharedDatabaseView | null;
}

/** The narrow left rail: product, the operator's status switch, the shared database's connection,
 * counters and navigation. */
export function Rail({ chats, status, statusError, view, onNavigate, onSetStatus, database }: RailProps) {
  const [switching, setSwitching] = useState(false);
  const mine = chats?.filter((c) => !c.offered_to_me) ?? [];
  // What a bot is answering is not waiting for this operator.
  const unread = chats?.reduce((sum, c) => (c.state === 'bot' ? sum : sum + c.unread_count), 0) ?? 0;
  const active = status?.active_chats ?? mine.filter((c) => c.state === 'active').length;
  const waiting = status?.waiting_in_my_queues ?? 0;
  const current = status?.status ?? null;
  const isActive = current === 'active';

  const toggle = async () => {
    if (current === null || switching) return;
    setSwitching(true);
    try {
      await onSetStatus(isActive ? 'inactive' : 'active');
    } catch {
      // The parent shows why; the switch keeps showing what the shell last said.
    } finally {
      setSwitching(false);
    }
  };

  return (
    <nav className="rail" aria-label={t('app.name')}>
      <div className="rail__brand">
        <span className="rail__logo" aria-hidden="true">
          S
        </span>
        <span className="rail__name">{t('app.name')}</span>
      </div>

      <div className="rail__status-block" data-testid="operator-status">
        <button
          type="button"
          role="switch"
          aria-checked={isActive}
          aria-label={t('rail.status')}
          className={`status-switch status-switch--${current ?? 'loading'}`}
          data-testid="status-toggle"
          data-status={current ?? undefined}
          disabled={current === null || switching}
          title={current === null ? undefined : isActive ? t('rail.goInactive') : t('rail.goActive')}
          onClick={() => void toggle()}
        >
          <span className="status-switch__track" aria-hidden="true">
            <span className="status-switch__thumb" />
          </span>
          <span className="status-switch__label">
            {current === null ? t('rail.statusLoading') : t(statusKeys[current])}
          </span>
        </button>
        {current === null && statusError !== null && (
          <p className="rail__hint rail__hint--error" data-testid="status-error">
            {statusError}
          </p>
        )}
        {current !== null && !isActive && (
          <p className="rail__hint" data-testid="status-hint">
            {t('rail.inactiveHint')}
          </p>
        )}
      </div>

      <DatabaseBadge view={database} />

      <dl className="rail__counters">
        <div
          className="counter"
          data-testid="counter-active"
          title={status ? t('rail.activeOf', { active, capacity: status.capacity }) : undefined}
        >
          <dt>{t('rail.activeChats')}</dt>
          <dd>
            {active}
            {status && <span className="counter__of"> / {status.capacity}</span>}
          </dd>
        </div>
        <div className="counter" data-testid="counter-unread">
          <dt>{t('rail.unread')}</dt>
          <dd className={unread > 0 ? 'counter__value--alert' : undefined}>{unread}</dd>
        </div>
        <div className="counter" data-testid="counter-waiting">
          <dt>{t('rail.waiting')}</dt>
          <dd className={waiting > 0 ? 'counter__value--warn' : undefined}>{waiting}</dd>
        </div>
      </dl>

      <ul className="rail__nav" aria-label={t('nav.label')}>
        <li>
          <button
            type="button"
            className="rail__nav-item"
            data-testid="nav-panel"
            aria-current={view === 'panel' ? 'page' : undefined}
            onClick={() => onNavigate('panel')}
          >
            <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
              <path d="M4 5h16v10H9l-5 4V5Z" />
            </svg>
            {t('nav.panel')}
          </button>
        </li>
        <li>
          <button
            type="button"
            className="rail__nav-item"
            data-testid="nav-settings"
            aria-current={view === 'settings' ? 'page' : undefined}
            onClick={() => onNavigate('settings')}
          >
            <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
              <path d="M4 7h10M18 7h2M4 17h2M10 17h10M14 4v6M6 14v6" />
            </svg>
            {t('nav.settings')}
          </button>
        </li>
      </ul>
    </nav>
  );
}
