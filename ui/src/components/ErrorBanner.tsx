import { t } from '../i18n';

interface ErrorBannerProps {
  message: string;
  onRetry?: (() => void) | undefined;
  onDismiss?: (() => void) | undefined;
}

/** An error in words for a person, with a way forward where there is one. */
export function ErrorBanner({ message, onRetry, onDismiss }: ErrorBannerProps) {
  return (
    <div className="error-banner" role="alert" data-testid="error-banner">
      <span className="error-banner__text">{message}</span>
      {onRetry && (
        <button type="button" className="link-button" onClick={onRetry}>
          {t('list.retry')}
        </button>
      )}
      {onDismiss && (
        <button
          type="button"
          className="icon-button"
          onClick={onDismiss}
          aria-label={t('error.dismiss')}
          title={t('error.dismiss')}
        >
          ×
        </button>
      )}
    </div>
  );
}
