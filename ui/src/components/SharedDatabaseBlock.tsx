import type { SharedDatabaseState } from '../hooks/useSharedDatabase';
import { t } from '../i18n';
import { Block } from './Block';
import { ErrorBanner } from './ErrorBanner';
import { RestartPrompt } from './RestartPrompt';
import { SharedDatabaseForm } from './SharedDatabaseForm';
import { SharedDatabaseStatus } from './SharedDatabaseStatus';

/**
 * "Shared database": this desktop's own connection to the contact centre's Postgres. In standalone
 * a form to connect; in shared mode the connection and Leave. Switching takes a restart, so once
 * the setting differs from the running mode the block asks for one.
 */
export function SharedDatabaseBlock({ database }: { database: SharedDatabaseState }) {
  const { view, error, reload, update } = database;
  const joining = view !== null && view.mode === 'standalone' && view.restart_required;

  return (
    <Block title={t('sharedDb.title')} testId="shared-database-block">
      {error !== null && <ErrorBanner message={error} onRetry={reload} />}
      {view === null && error === null && <p className="muted pad">{t('settings.loading')}</p>}
      {view !== null && view.problem !== null && (
        <p className="warning shared-db__problem" role="note" data-testid="shared-db-problem">
          {view.problem}
        </p>
      )}
      {view !== null && view.mode === 'shared' && <SharedDatabaseStatus view={view} onLeft={update} />}
      {view !== null && view.mode === 'standalone' && !joining && (
        <SharedDatabaseForm onConnected={update} offer={view.standalone_data} />
      )}
      {joining && view.address !== null && (
        <p className="settings-form shared-db__joining" data-testid="shared-db-joining">
          {view.user !== null
            ? t('sharedDb.joiningAs', { address: view.address, user: view.user })
            : t('sharedDb.joining', { address: view.address })}
        </p>
      )}
      {joining && view.upload_result !== undefined && (
        <p className="settings-form shared-db__uploaded" role="status" data-testid="shared-db-upload-result">
          {view.upload_result}
        </p>
      )}
      {view !== null && view.restart_required && (
        <RestartPrompt message={t(view.mode === 'shared' ? 'sharedDb.restartToLeave' : 'sharedDb.restartToJoin')} />
      )}
    </Block>
  );
}
