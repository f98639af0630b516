import type { Provider } from '../generated/ipc';
import { t } from '../i18n';

/** The channel's provider as a small icon with an accessible name. */
export function ProviderIcon({ provider }: { provider: Provider }) {
  const label = t(provider === 'telegram' ? 'provider.telegram' : 'provider.messenger');
  return (
    <span className={`provider provider--${provider}`} role="img" aria-label={label} title={label}>
      {provider === 'telegram' ? (
        <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path d="M20.7 4.3 2.9 11.2c-1 .4-1 1.5 0 1.8l4.4 1.4 1.7 5.2c.2.7 1.1.9 1.6.4l2.5-2.3 4.5 3.3c.7.5 1.6.1 1.8-.7l3-14.2c.2-1-.8-1.8-1.7-1.4ZM9.6 14.2l-.4 3.6-1.4-4.3 9.8-6.2-8 6.9Z" />
        </svg>
      ) : (
        <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path d="M12 2.5C6.5 2.5 2.2 6.5 2.2 11.7c0 2.7 1.2 5.1 3.1 6.8v3.1l2.9-1.6c1.2.3 2.4.5 3.8.5 5.5 0 9.8-4 9.8-9.1S17.5 2.5 12 2.5Zm1 12.2-2.5-2.7-4.9 2.7 5.4-5.7 2.6 2.7 4.8-2.7-5.4 5.7Z" />
        </svg>
      )}
    </span>
  );
}
