import type { SharedDatabaseView } from '../generated/ipc';
import { t } from '../i18n';
import { connectionReason, connectionWord, dotClass } from './databaseState';

/** The rail's shared-database badge: a dot, the state in a word and what waits to be sent; the
 * reason it is offline as its tooltip and in its accessible text. Nothing in standalone. */
export function DatabaseBadge({ view }: { view: SharedDatabaseView | null }) {
  if (view === null || view.mode !== 'shared') return null;
  const { connection, pending_changes: pending } = view;
  const reason = connectionReason(connection);
  const word = connectionWord(connection);
  return (
    <div
      className={`database-badge database-badge--${connection.state}`}
      role="status"
      data-testid="database-badge"
      data-state={connection.state}
      title={reason === null ? t('sharedDb.badgeTitle', { state: word }) : t('sharedDb.state.offlineBecause', { reason })}
    >
      <span className="visually-hidden">{t('sharedDb.badgeLabel')} </span>
      <span className={`status-dot ${dotClass[connection.state]}`} aria-hidden="true" />
      <span className="database-badge__state">{word}</span>
      {reason !== null && <span className="visually-hidden">: {reason}</span>}
      {pending > 0 && ' '}
      {pending > 0 && (
        <span className="database-badge__pending" data-testid="database-badge-pending">
          {t('sharedDb.badgePending', { count: pending })}
        </span>
      )}
    </div>
  );
}
