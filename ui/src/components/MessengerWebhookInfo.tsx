import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { MessengerWebhook } from '../generated/ipc';
import { errorMessage, messengerWebhook } from '../ipc';
import { t } from '../i18n';
import { ErrorBanner } from './ErrorBanner';

const MASK = '••••••••••••';

/** The path of the callback URL, which the tunnel's address must end with. */
export function callbackPath(url: string): string {
  try {
    const { pathname, search } = new URL(url);
    return `${pathname}${search}`;
  } catch {
    return url;
  }
}

type CopyOutcome = { what: 'url' | 'token'; ok: boolean } | null;

async function copyText(text: string): Promise<boolean> {
  try {
    if (!navigator.clipboard) return false;
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

function CopyButton({ label, testId, onCopy }: { label: string; testId: string; onCopy: () => void }) {
  return (
    <button type="button" className="secondary-button secondary-button--small" data-testid={testId} aria-label={label} title={label} onClick={onCopy}>
      {t('webhook.copy')}
    </button>
  );
}

/**
 * What to paste into the Facebook app's Messenger → Webhooks settings: the callback URL of this
 * desktop's receiver and the verify token (masked until "Show"), each with Copy, and whether the
 * receiver runs. Meta cannot reach a local address, hence the note about an HTTPS tunnel.
 * `refreshKey` changes when the Facebook app settings are saved.
 */
export function MessengerWebhookInfo({ refreshKey }: { refreshKey?: unknown }) {
  const id = useId();
  const [info, setInfo] = useState<MessengerWebhook | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [shown, setShown] = useState(false);
  const [copied, setCopied] = useState<CopyOutcome>(null);
  const seq = useRef(0);

  const load = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const answer = await messengerWebhook();
      if (mine !== seq.current) return;
      setInfo(answer);
      setError(null);
    } catch (failure) {
      if (mine !== seq.current) return;
      setError(errorMessage(failure));
    }
  }, []);

  // Saving the Facebook app (a new secret) restarts the receiver: ask again.
  useEffect(() => {
    void load();
    return () => {
      seq.current++;
    };
  }, [load, refreshKey]);

  const copy = async (what: 'url' | 'token', text: string) => {
    setCopied({ what, ok: await copyText(text) });
  };

  return (
    <section className="settings-section" aria-labelledby={`${id}-title`} data-testid="messenger-webhook">
      <h3 id={`${id}-title`} className="settings-section__title">
        {t('webhook.title')}
        {info !== null && (
          <span
            className={`health-badge health-badge--${info.listening ? 'running' : 'error'} webhook__state`}
            data-testid="messenger-webhook-state"
            data-listening={info.listening ? 'true' : 'false'}
          >
            <span className={`status-dot status-dot--${info.listening ? 'running' : 'error'}`} aria-hidden="true" />
            {info.listening ? t('webhook.listening') : t('webhook.notListening')}
          </span>
        )}
      </h3>
      {error !== null && <ErrorBanner message={error} onRetry={() => void load()} />}
      {info === null && error === null && <p className="muted pad">{t('settings.loading')}</p>}
      {info !== null && (
        <div className="settings-form settings-form--section webhook">
          {!info.listening && (
            <div className="error-banner" role="alert" data-testid="messenger-webhook-problem">
              <span className="error-banner__text">{info.problem?.trim() || t('webhook.problemFallback')}</span>
            </div>
          )}
          <p className="field__hint">{t('webhook.intro')}</p>
          <div className="webhook__row">
            <span className="field__label" id={`${id}-url`}>
              {t('webhook.callbackUrl')}
            </span>
            <code className="webhook__value" data-testid="messenger-callback-url" aria-labelledby={`${id}-url`}>
              {info.callback_url}
            </code>
            <CopyButton label={t('webhook.copyUrlLabel')} testId="messenger-callback-copy" onCopy={() => void copy('url', info.callback_url)} />
          </div>
          <p className="field__hint webhook__tunnel" data-testid="messenger-webhook-tunnel">
            {t('webhook.tunnel', { path: callbackPath(info.callback_url) })}
          </p>
          <div className="webhook__row">
            <span className="field__label" id={`${id}-token`}>
              {t('webhook.verifyToken')}
            </span>
            <code
              className="webhook__value"
              data-testid="messenger-verify-token"
              data-masked={shown ? 'false' : 'true'}
              aria-labelledby={`${id}-token`}
            >
              {shown ? info.verify_token : MASK}
            </code>
            <button
              type="button"
              className="secondary-button secondary-button--small"
              data-testid="messenger-verify-token-show"
              aria-pressed={shown}
              aria-label={shown ? t('webhook.hideLabel') : t('webhook.showLabel')}
              onClick={() => setShown((s) => !s)}
            >
              {shown ? t('webhook.hide') : t('webhook.show')}
            </button>
            <CopyButton label={t('webhook.copyTokenLabel')} testId="messenger-verify-token-copy" onCopy={() => void copy('token', info.verify_token)} />
          </div>
          {copied !== null && (
            <p
              className={copied.ok ? 'settings-form__saved' : 'field__problem'}
              role="status"
              data-testid="messenger-copy-status"
              data-copied={copied.what}
            >
              {copied.ok ? t('webhook.copied') : t('webhook.copyFailed')}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
