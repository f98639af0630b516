import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { ChannelView, FacebookSettings, PagePicker as PagePickerData } from '../generated/ipc';
import { cancelFacebookLogin, errorMessage, startFacebookLogin } from '../ipc';
import { t } from '../i18n';
import { ErrorBanner } from './ErrorBanner';
import { facebookMissing } from './FacebookAppBlock';
import { PagePicker } from './PagePicker';

interface AddFacebookCardProps {
  /** `null` while loading. */
  facebook: FacebookSettings | null;
  facebookError: string | null;
  onRetry: () => void;
  /** Takes the admin to the Facebook app settings. */
  onOpenSettings: () => void;
  onConnected: (channels: ChannelView[]) => void;
  onClose: () => void;
}

type Phase =
  | { kind: 'start'; outcome: { cancelled: true } | { error: string } | null }
  | { kind: 'waiting'; cancelling: boolean }
  | { kind: 'picker'; picker: PagePickerData };

/**
 * "+" → Facebook: explains what to fill in first when the Facebook app is not set up; otherwise
 * "Log in with Facebook" (the shell opens Facebook Login in its own window and answers when it
 * ends), then the page picker.
 */
export function AddFacebookCard({ facebook, facebookError, onRetry, onOpenSettings, onConnected, onClose }: AddFacebookCardProps) {
  const id = useId();
  const [phase, setPhase] = useState<Phase>({ kind: 'start', outcome: null });
  const mounted = useRef(true);
  const waiting = useRef(false);
  const loginButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      // Leaving the page while Facebook Login is open closes its window too.
      if (waiting.current) void cancelFacebookLogin().catch(() => undefined);
    };
  }, []);

  const login = async () => {
    if (waiting.current) return;
    waiting.current = true;
    setPhase({ kind: 'waiting', cancelling: false });
    try {
      const answer = await startFacebookLogin();
      if (!mounted.current) return;
      setPhase(answer.status === 'pages' ? { kind: 'picker', picker: answer } : { kind: 'start', outcome: { cancelled: true } });
    } catch (failure) {
      if (mounted.current) setPhase({ kind: 'start', outcome: { error: errorMessage(failure) } });
    } finally {
      waiting.current = false;
    }
  };

  const cancelLogin = async () => {
    setPhase({ kind: 'waiting', cancelling: true });
    try {
      await cancelFacebookLogin(); // the pending login then answers "cancelled"
    } catch (failure) {
      if (mounted.current && waiting.current) {
        setPhase({ kind: 'start', outcome: { error: errorMessage(failure) } });
      }
    }
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || phase.kind !== 'start') return;
    event.preventDefault();
    onClose();
  };

  const missing = facebook === null ? null : facebookMissing(facebook);
  const showLogin = facebook !== null && missing === null && phase.kind !== 'picker';

  // The login button takes the focus when it first appears (as the token field does for Telegram).
  useEffect(() => {
    if (showLogin) loginButton.current?.focus();
  }, [showLogin]);

  let body;
  if (facebook === null) {
    body =
      facebookError !== null ? (
        <ErrorBanner message={facebookError} onRetry={onRetry} />
      ) : (
        <p className="muted">{t('addFacebook.loading')}</p>
      );
  } else if (missing !== null) {
    body = (
      <div className="facebook-missing" data-testid="facebook-settings-missing">
        <p>{t(`addFacebook.missing.${missing}`)}</p>
        <button type="button" className="primary-button" data-testid="facebook-settings-open" onClick={onOpenSettings}>
          {t('addFacebook.openSettings')}
        </button>
      </div>
    );
  } else if (phase.kind === 'picker') {
    body = (
      <PagePicker
        picker={phase.picker}
        onConnected={onConnected}
        onCancel={() => setPhase({ kind: 'start', outcome: null })}
        onClose={onClose}
      />
    );
  } else {
    const outcome = phase.kind === 'start' ? phase.outcome : null;
    body = (
      <>
        <p className="warning" data-testid="facebook-takeover-warning">
          {t('addFacebook.takeover')}
        </p>
        <p className="field__hint">{t('addFacebook.explain')}</p>
        {outcome !== null && 'error' in outcome && (
          <div className="error-banner" role="alert" data-testid="facebook-login-error">
            <span className="error-banner__text">{outcome.error}</span>
          </div>
        )}
        {outcome !== null && 'cancelled' in outcome && (
          <p className="neutral-notice" role="status" data-testid="facebook-login-cancelled">
            {t('addFacebook.cancelled')}
          </p>
        )}
        {phase.kind === 'waiting' && (
          <p className="facebook-waiting" role="status" data-testid="facebook-login-waiting">
            <span className="spinner" aria-hidden="true" />
            {t('addFacebook.waiting')}
          </p>
        )}
      </>
    );
  }

  return (
    <div
      className="mini-card"
      role="group"
      data-testid="add-facebook-card"
      aria-labelledby={`${id}-title`}
      aria-busy={phase.kind === 'waiting'}
      onKeyDown={onKeyDown}
    >
      <h3 id={`${id}-title`} className="mini-card__title">
        {missing !== null ? t('addFacebook.missingTitle') : t('addFacebook.title')}
      </h3>
      {body}
      {phase.kind !== 'picker' && (
        <div className="mini-card__buttons">
          {phase.kind === 'waiting' ? (
            <button
              type="button"
              className="secondary-button"
              data-testid="facebook-login-cancel"
              disabled={phase.cancelling}
              onClick={() => void cancelLogin()}
            >
              {phase.cancelling ? t('addFacebook.cancelling') : t('addFacebook.cancelLogin')}
            </button>
          ) : (
            <button type="button" className="secondary-button" data-testid="facebook-card-close" onClick={onClose}>
              {t('pagePicker.close')}
            </button>
          )}
          {showLogin && (
            <button
              ref={loginButton}
              type="button"
              className="primary-button facebook-login-button"
              data-testid="facebook-login-button"
              disabled={phase.kind === 'waiting'}
              onClick={() => void login()}
            >
              {t('addFacebook.login')}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
