import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { FacebookSettings } from '../generated/ipc';
import { errorMessage, getFacebookSettings, updateFacebookSettings } from '../ipc';
import { t } from '../i18n';
import { ErrorBanner } from './ErrorBanner';

/** The Facebook app settings, loaded once by the page: the Settings block edits them and the
 * Channels block needs to know whether Facebook Login can start. */
export function useFacebookSettings() {
  const [settings, setSettings] = useState<FacebookSettings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);

  const reload = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const answer = await getFacebookSettings();
      if (mine !== seq.current) return;
      setSettings(answer);
      setError(null);
    } catch (failure) {
      if (mine !== seq.current) return;
      setError(errorMessage(failure));
    }
  }, []);

  const saved = useCallback((answer: FacebookSettings) => {
    seq.current++; // an older get_facebook_settings answer must not undo this one
    setSettings(answer);
    setError(null);
  }, []);

  useEffect(() => {
    void reload();
    return () => {
      seq.current++;
    };
  }, [reload]);

  return { settings, error, reload, saved };
}

/** What is still missing before Facebook Login can start. */
export function facebookMissing(settings: FacebookSettings): 'both' | 'appId' | 'secret' | null {
  const noId = settings.app_id.trim() === '';
  if (noId && !settings.app_secret_set) return 'both';
  if (noId) return 'appId';
  return settings.app_secret_set ? null : 'secret';
}

const appIdValid = (value: string) => /^\d*$/.test(value.trim());
const redirectValid = (value: string) => value.trim() === '' || /^https:\/\/\S+$/i.test(value.trim());
/** The redirect field stays empty while the default is in use (the default is its placeholder). */
const redirectDraft = (settings: FacebookSettings) =>
  settings.redirect_uri === settings.default_redirect_uri ? '' : settings.redirect_uri;

interface FacebookAppBlockProps {
  settings: FacebookSettings | null;
  loadError: string | null;
  onRetry: () => void;
  onSaved: (settings: FacebookSettings) => void;
  /** Bumped when another block asks for these settings: scroll here and focus what is missing. */
  focusRequest: number;
}

/**
 * The "Facebook app" part of the Settings block: App ID, App secret (write-only: the shell only
 * says whether one is stored; an empty field keeps it; what was typed is dropped once saved or
 * cancelled) and, folded away, the redirect URI.
 */
export function FacebookAppBlock({ settings, loadError, onRetry, onSaved, focusRequest }: FacebookAppBlockProps) {
  const id = useId();
  const [appId, setAppId] = useState(settings?.app_id ?? '');
  const [secret, setSecret] = useState('');
  const [redirect, setRedirect] = useState(settings ? redirectDraft(settings) : '');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [justSaved, setJustSaved] = useState(false);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const section = useRef<HTMLElement>(null);
  const appIdInput = useRef<HTMLInputElement>(null);
  const secretInput = useRef<HTMLInputElement>(null);
  const loadedFrom = useRef<FacebookSettings | null>(settings);

  // Settings loaded (or saved) after the form appeared: show them unless the admin is editing.
  useEffect(() => {
    if (settings === null || settings === loadedFrom.current) return;
    const previous = loadedFrom.current;
    loadedFrom.current = settings;
    const untouched = previous === null || (appId === previous.app_id && redirect === redirectDraft(previous) && secret === '');
    if (untouched) {
      setAppId(settings.app_id);
      setRedirect(redirectDraft(settings));
    }
  }, [settings, appId, redirect, secret]);

  // Only a new request moves the focus (not a change of settings): read them through a ref.
  const current = useRef(settings);
  current.current = settings;
  useEffect(() => {
    if (focusRequest === 0) return;
    section.current?.scrollIntoView?.({ behavior: 'smooth', block: 'center' });
    const known = current.current;
    const secretOnly = known !== null && known.app_id.trim() !== '' && !known.app_secret_set;
    (secretOnly ? secretInput : appIdInput).current?.focus();
  }, [focusRequest]);

  const idProblem = appIdValid(appId) ? null : t('facebookApp.appIdInvalid');
  const redirectProblem = redirectValid(redirect) ? null : t('facebookApp.redirectInvalid');
  const changed =
    settings !== null &&
    (appId.trim() !== settings.app_id || secret !== '' || redirect.trim() !== redirectDraft(settings));
  const invalid = idProblem !== null || redirectProblem !== null;

  const edited = () => {
    setJustSaved(false);
    setError(null);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (saving || !changed || invalid) return;
    setSaving(true);
    setError(null);
    setJustSaved(false);
    try {
      const answer = await updateFacebookSettings({
        app_id: appId.trim(),
        app_secret: secret === '' ? null : secret,
        redirect_uri: redirect.trim() === '' ? null : redirect.trim(),
      });
      loadedFrom.current = answer;
      setSecret('');
      setAppId(answer.app_id);
      setRedirect(redirectDraft(answer));
      setJustSaved(true);
      onSaved(answer);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setSaving(false);
    }
  };

  const cancel = () => {
    setSecret('');
    if (settings !== null) {
      setAppId(settings.app_id);
      setRedirect(redirectDraft(settings));
    }
    edited();
  };

  return (
    <section ref={section} className="settings-section" aria-labelledby={`${id}-title`} data-testid="facebook-app-settings">
      <h3 id={`${id}-title`} className="settings-section__title">
        {t('facebookApp.title')}
      </h3>
      {loadError !== null && <ErrorBanner message={loadError} onRetry={onRetry} />}
      {settings === null && loadError === null && <p className="muted pad">{t('settings.loading')}</p>}
      {settings !== null && (
        <form className="settings-form settings-form--section" noValidate onSubmit={(event) => void submit(event)}>
          <p className="field__hint">{t('facebookApp.intro')}</p>
          {error !== null && (
            <div className="error-banner" role="alert" data-testid="facebook-settings-error">
              <span className="error-banner__text">{error}</span>
            </div>
          )}
          <div className="settings-form__fields">
            <label className="field">
              <span className="field__label">{t('facebookApp.appId')}</span>
              <input
                ref={appIdInput}
                className="field__input"
                data-testid="facebook-app-id-input"
                inputMode="numeric"
                autoComplete="off"
                spellCheck={false}
                value={appId}
                disabled={saving}
                aria-invalid={idProblem !== null ? true : undefined}
                onChange={(event) => {
                  setAppId(event.target.value);
                  edited();
                }}
              />
              <span className={idProblem !== null ? 'field__problem' : 'field__hint'}>
                {idProblem ?? t('facebookApp.appIdHint')}
              </span>
            </label>
            <label className="field">
              <span className="field__label">{t('facebookApp.secret')}</span>
              <input
                ref={secretInput}
                className="field__input"
                data-testid="facebook-app-secret-input"
                type="password"
                name="facebook-app-secret"
                autoComplete="new-password"
                spellCheck={false}
                placeholder={settings.app_secret_set ? t('facebookApp.secretSet') : ''}
                value={secret}
                disabled={saving}
                onChange={(event) => {
                  setSecret(event.target.value);
                  edited();
                }}
              />
              <span className="field__hint">
                {settings.app_secret_set ? t('facebookApp.secretHintSet') : t('facebookApp.secretHintUnset')}
              </span>
            </label>
          </div>
          <details
            className="mini-card__advanced"
            open={advancedOpen || redirectProblem !== null}
            onToggle={(event) => setAdvancedOpen(event.currentTarget.open)}
          >
            <summary>{t('facebookApp.advanced')}</summary>
            <label className="field">
              <span className="visually-hidden">{t('facebookApp.advanced')}</span>
              <input
                className="field__input"
                data-testid="facebook-redirect-input"
                type="url"
                autoComplete="off"
                spellCheck={false}
                placeholder={settings.default_redirect_uri}
                value={redirect}
                disabled={saving}
                aria-invalid={redirectProblem !== null ? true : undefined}
                onChange={(event) => {
                  setRedirect(event.target.value);
                  edited();
                }}
              />
              <span className={redirectProblem !== null ? 'field__problem' : 'field__hint'}>
                {redirectProblem ?? t('facebookApp.redirectHint')}
              </span>
            </label>
          </details>
          <div className="mini-card__buttons">
            {justSaved && (
              <span className="settings-form__saved" role="status" data-testid="facebook-settings-saved">
                {t('facebookApp.saved')}
              </span>
            )}
            <button
              type="button"
              className="secondary-button"
              data-testid="facebook-settings-cancel"
              disabled={!changed || saving}
              onClick={cancel}
            >
              {t('queueForm.cancel')}
            </button>
            <button
              type="submit"
              className="primary-button"
              data-testid="facebook-settings-apply"
              disabled={!changed || invalid || saving}
            >
              {saving ? t('queueForm.applying') : t('queueForm.apply')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
