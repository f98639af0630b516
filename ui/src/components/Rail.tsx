import type { ChatSummary } from '../generated/ipc';
import { t } from '../i18n';

/** The narrow left rail: product, the operator's status and counters. */
export function Rail({ chats }: { chats: ChatSummary[] | null }) {
  const active = chats?.filter((c) => c.state === 'active').length ?? 0;
  const unread = chats?.reduce((sum, c) => sum + c.unread_count, 0) ?? 0;
  return (
    <nav className="rail" aria-label={t('app.name')}>
      <div className="rail__brand">
        <span className="rail__logo" aria-hidden="true">
          S
        </span>
        <span className="rail__name">{t('app.name')}</span>
      </div>
      <div className="rail__status" data-testid="operator-status" title={t('rail.status')}>
        <span className="status-dot status-dot--active" aria-hidden="true" />
        {t('rail.statusActive')}
      </div>
      <dl className="rail__counters">
        <div className="counter" data-testid="counter-active">
          <dt>{t('rail.activeChats')}</dt>
          <dd>{active}</dd>
        </div>
        <div className="counter" data-testid="counter-unread">
          <dt>{t('rail.unread')}</dt>
          <dd className={unread > 0 ? 'counter__value--alert' : undefined}>{unread}</dd>
        </div>
      </dl>
    </nav>
  );
}
