import { useState } from 'react';
import type { SharedDatabaseView } from '../generated/ipc';
import { errorMessage, leaveSharedDatabase } from '../ipc';
import { t } from '../i18n';
import { connectionSentence, dotClass, pendingSentence } from './databaseState';

interface SharedDatabaseStatusProps {
  view: SharedDatabaseView;
  /** The shell's answer to Leave: standalone again after a restart. */
  onLeft: (view: SharedDatabaseView) => void;
}

/** Shared mode: which database and login this desktop uses, the connection in words, what waits
 * to be sent, and Leave shared mode (with a confirm step) unless a restart is already due. */
export function SharedDatabaseStatus({ view, onLeft }: SharedDatabaseStatusProps) {
  const [confirming, setConfirming] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { connection } = view;

  const leave = async () => {
    setLeaving(true);
    setError(null);
    try {
      const answer = await leaveSharedDatabase();
      setConfirming(false);
      onLeft(answer);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setLeaving(false);
    }
  };

  return (
    <div className="settings-form" data-testid="shared-db-status">
      <dl className="shared-db__facts">
        <div>
          <dt>{t('sharedDb.address')}</dt>
          <dd data-testid="shared-db-address">{view.address ?? '—'}</dd>
        </div>
        <div>
          <dt>{t('sharedDb.user')}</dt>
          <dd data-testid="shared-db-user">{view.user ?? '—'}</dd>
        </div>
        <div>
          <dt>{t('sharedDb.operator')}</dt>
          <dd data-testid="shared-db-operator">{view.operator_name ?? t('sharedDb.operatorUnknown')}</dd>
        </div>
        <div>
          <dt>{t('sharedDb.connection')}</dt>
          <dd data-testid="shared-db-connection" data-state={connection.state}>
            <span className={`status-dot ${dotClass[connection.state]}`} aria-hidden="true" />{' '}
            {connectionSentence(connection)}
          </dd>
        </div>
      </dl>
      {view.pending_changes > 0 && (
        <p className="shared-db__pending" data-testid="shared-db-pending">
          {pendingSentence(view.pending_changes)}
        </p>
      )}
      {error !== null && (
        <div className="error-banner" role="alert" data-testid="shared-db-error">
          <span className="error-banner__text">{error}</span>
        </div>
      )}
      {!view.restart_required &&
        (confirming ? (
          <div className="shared-db__confirm" data-testid="shared-db-leave-confirm">
            <p className="warning" role="note">
              {t('sharedDb.leaveExplain')}
            </p>
            <div className="mini-card__buttons">
              <button
                type="button"
                className="secondary-button"
                data-testid="shared-db-leave-cancel"
                disabled={leaving}
                onClick={() => {
                  setConfirming(false);
                  setError(null);
                }}
              >
                {t('queueForm.cancel')}
              </button>
              <button
                type="button"
                className="primary-button primary-button--danger"
                data-testid="shared-db-leave-yes"
                disabled={leaving}
                onClick={() => void leave()}
              >
                {leaving ? t('sharedDb.leaving') : t('sharedDb.leave')}
              </button>
            </div>
          </div>
        ) : (
          <div className="mini-card__buttons">
            <button
              type="button"
              className="secondary-button"
              data-testid="shared-db-leave"
              onClick={() => setConfirming(true)}
            >
              {t('sharedDb.leave')}
            </button>
          </div>
        ))}
    </div>
  );
}
