import { useCallback, useEffect, useRef, useState } from 'react';
import type { OperatorLogin, QueueView } from '../generated/ipc';
import { disableOperatorLogin, errorMessage, listOperatorLogins } from '../ipc';
import { t } from '../i18n';
import { Block } from './Block';
import { ErrorBanner } from './ErrorBanner';
import { OperatorLoginForm } from './OperatorLoginForm';

interface OperatorLoginsBlockProps {
  /** The queues an operator can serve from the start; `null` while loading. */
  queues: QueueView[] | null;
  /** An operator was created: the queues and the operators have someone new. */
  onCreated: () => void;
}

/**
 * Operator logins (shared mode): every operator of the shared database with their login, Admin and
 * whether the login is enabled; Disable (with a confirm step) and an Add operator form. The shell
 * refuses non-admins with a sentence, shown here.
 */
export function OperatorLoginsBlock({ queues, onCreated }: OperatorLoginsBlockProps) {
  const [logins, setLogins] = useState<OperatorLogin[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [disabling, setDisabling] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);

  const load = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const list = await listOperatorLogins();
      if (mine !== seq.current) return;
      setLogins(list);
      setLoadError(null);
    } catch (failure) {
      if (mine !== seq.current) return;
      setLoadError(errorMessage(failure));
    }
  }, []);

  useEffect(() => {
    void load();
    return () => {
      seq.current++;
    };
  }, [load]);

  const disable = async (login: string) => {
    if (disabling) return;
    setDisabling(true);
    setError(null);
    try {
      const list = await disableOperatorLogin(login);
      seq.current++; // a load still on its way must not undo this newer list
      setLogins(list);
      setConfirming(null);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setDisabling(false);
    }
  };

  const pending = logins?.find((l) => l.login !== null && l.login === confirming) ?? null;
  const pendingLogin = pending?.login ?? null;

  return (
    <Block title={t('operatorLogins.title')} testId="operator-logins-block">
      <p className="field__hint pad">{t('operatorLogins.intro')}</p>
      {loadError !== null && <ErrorBanner message={loadError} onRetry={() => void load()} />}
      {logins === null ? (
        loadError === null && <p className="muted pad">{t('settings.loading')}</p>
      ) : logins.length === 0 ? (
        <p className="muted pad">{t('operatorLogins.none')}</p>
      ) : (
        <table className="settings-table">
          <thead>
            <tr>
              <th scope="col">{t('settings.colName')}</th>
              <th scope="col">{t('operatorLogins.colLogin')}</th>
              <th scope="col">{t('operatorLogins.colRole')}</th>
              <th scope="col">{t('operatorLogins.colState')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('operatorLogins.disable')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {logins.map((entry) => (
              <tr
                key={entry.user_id}
                data-testid="operator-login-row"
                data-login={entry.login ?? ''}
                data-enabled={entry.enabled ? 'true' : 'false'}
              >
                <td className="settings-table__name">{entry.name}</td>
                <td>{entry.login ?? <span className="muted">{t('operatorLogins.noLogin')}</span>}</td>
                <td>
                  {entry.is_admin ? (
                    <span className="health-badge" data-testid="operator-login-admin-badge">
                      {t('operatorLogins.admin')}
                    </span>
                  ) : (
                    <span className="muted">{t('operatorLogins.operator')}</span>
                  )}
                </td>
                <td data-testid="operator-login-state">
                  {entry.login === null ? null : entry.enabled ? (
                    <span className="health-badge health-badge--running">{t('operatorLogins.enabled')}</span>
                  ) : (
                    <span className="health-badge">{t('operatorLogins.disabled')}</span>
                  )}
                </td>
                <td>
                  {entry.login !== null && entry.enabled && (
                    <button
                      type="button"
                      className="secondary-button"
                      data-testid="operator-login-disable"
                      aria-label={t('operatorLogins.disableLabel', { login: entry.login })}
                      aria-pressed={confirming === entry.login}
                      disabled={disabling}
                      onClick={() => {
                        setError(null);
                        setConfirming(entry.login);
                      }}
                    >
                      {t('operatorLogins.disable')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pending !== null && pendingLogin !== null && (
        <div className="settings-form shared-db__confirm" data-testid="operator-login-disable-confirm">
          <p className="warning" role="note">
            {t('operatorLogins.disableConfirm', { name: pending.name, login: pendingLogin })}
          </p>
          <div className="mini-card__buttons">
            <button
              type="button"
              className="secondary-button"
              data-testid="operator-login-disable-cancel"
              disabled={disabling}
              onClick={() => {
                setConfirming(null);
                setError(null);
              }}
            >
              {t('queueForm.cancel')}
            </button>
            <button
              type="button"
              className="primary-button primary-button--danger"
              data-testid="operator-login-disable-yes"
              disabled={disabling}
              onClick={() => void disable(pendingLogin)}
            >
              {disabling ? t('operatorLogins.disabling') : t('operatorLogins.disable')}
            </button>
          </div>
        </div>
      )}
      {error !== null && (
        <div className="settings-form">
          <div className="error-banner" role="alert" data-testid="operator-logins-error">
            <span className="error-banner__text">{error}</span>
          </div>
        </div>
      )}
      <OperatorLoginForm
        queues={queues}
        onCreated={() => {
          void load();
          onCreated();
        }}
      />
    </Block>
  );
}
