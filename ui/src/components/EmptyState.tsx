import { t } from '../i18n';

/**
 * What a new workspace shows before the first customer writes. On a desktop that works on its own
 * it also offers the other first-run path: joining the team's shared database.
 */
export function EmptyState({ onJoinTeam }: { onJoinTeam?: () => void }) {
  return (
    <div className="empty-state" data-testid="empty-state">
      <svg className="empty-state__art" viewBox="0 0 64 64" aria-hidden="true" focusable="false">
        <rect x="6" y="10" width="40" height="28" rx="8" />
        <path d="M14 38v10l10-10" />
        <rect x="22" y="24" width="36" height="24" rx="8" className="empty-state__back" />
        <path d="M50 48v8l-8-8" className="empty-state__back" />
      </svg>
      <h2>{t('empty.title')}</h2>
      <p>{t('empty.body')}</p>
      {onJoinTeam !== undefined && (
        <p className="empty-state__team" data-testid="empty-state-team">
          {t('empty.team')}{' '}
          <button type="button" className="link-button" onClick={onJoinTeam} data-testid="join-team">
            {t('empty.joinTeam')}
          </button>
        </p>
      )}
    </div>
  );
}
