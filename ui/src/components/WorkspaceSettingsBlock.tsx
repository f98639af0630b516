import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { WorkspaceSettings } from '../generated/ipc';
import { errorMessage, getSettings, updateSettings } from '../ipc';
import { t, type MessageKey } from '../i18n';
import { Block } from './Block';
import { ErrorBanner } from './ErrorBanner';

/** The ranges the shell enforces (it checks again). */
export const SETTING_RANGES = {
  simultaneous_chats: { min: 1, max: 50 },
  accept_timeout_min: { min: 1, max: 120 },
} as const;

type Field = keyof WorkspaceSettings;

const problemKeys: Record<Field, MessageKey> = {
  simultaneous_chats: 'settings.simultaneousInvalid',
  accept_timeout_min: 'settings.acceptTimeoutInvalid',
};

/** The whole number typed, or `null` when it is not one within the field's range. */
export function parseSetting(field: Field, text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const value = Number(trimmed);
  const { min, max } = SETTING_RANGES[field];
  return value >= min && value <= max ? value : null;
}

type Draft = Record<Field, string>;

const toDraft = (settings: WorkspaceSettings): Draft => ({
  simultaneous_chats: String(settings.simultaneous_chats),
  accept_timeout_min: String(settings.accept_timeout_min),
});

/** SimultaneousChats and OperatorAcceptChatTimeout, edited in place with Apply / Cancel; other
 * sections of the Settings block (the Facebook app) come as children, below. */
export function WorkspaceSettingsBlock({ children }: { children?: ReactNode }) {
  const [saved, setSaved] = useState<WorkspaceSettings | null>(null);
  const [draft, setDraft] = useState<Draft>({ simultaneous_chats: '', accept_timeout_min: '' });
  /** Fields whose browser input could not read what was typed (e.g. "1e"). */
  const [unreadable, setUnreadable] = useState<Record<Field, boolean>>({
    simultaneous_chats: false,
    accept_timeout_min: false,
  });
  const [loadError, setLoadError] = useState<string | null>(null);
  const [serverError, setServerError] = useState<string | null>(null);
  const [justSaved, setJustSaved] = useState(false);
  const [saving, setSaving] = useState(false);
  const seq = useRef(0);

  const load = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const settings = await getSettings();
      if (mine !== seq.current) return;
      setSaved(settings);
      setDraft(toDraft(settings));
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

  const values: Record<Field, number | null> = {
    simultaneous_chats: unreadable.simultaneous_chats ? null : parseSetting('simultaneous_chats', draft.simultaneous_chats),
    accept_timeout_min: unreadable.accept_timeout_min ? null : parseSetting('accept_timeout_min', draft.accept_timeout_min),
  };
  const invalid = values.simultaneous_chats === null || values.accept_timeout_min === null;
  const changed =
    saved !== null &&
    (draft.simultaneous_chats.trim() !== String(saved.simultaneous_chats) ||
      draft.accept_timeout_min.trim() !== String(saved.accept_timeout_min) ||
      unreadable.simultaneous_chats ||
      unreadable.accept_timeout_min);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (saving || !changed || invalid || values.simultaneous_chats === null || values.accept_timeout_min === null) return;
    setSaving(true);
    setServerError(null);
    setJustSaved(false);
    try {
      const answer = await updateSettings({
        simultaneous_chats: values.simultaneous_chats,
        accept_timeout_min: values.accept_timeout_min,
      });
      setSaved(answer);
      setDraft(toDraft(answer));
      setJustSaved(true);
    } catch (failure) {
      setServerError(errorMessage(failure));
    } finally {
      setSaving(false);
    }
  };

  const cancel = () => {
    if (saved !== null) setDraft(toDraft(saved));
    setUnreadable({ simultaneous_chats: false, accept_timeout_min: false });
    setServerError(null);
    setJustSaved(false);
  };

  const input = (field: Field, testId: string, labelKey: MessageKey, hintKey: MessageKey) => {
    const problem = values[field] === null && saved !== null ? t(problemKeys[field]) : null;
    const { min, max } = SETTING_RANGES[field];
    return (
      <label className="field">
        <span className="field__label">{t(labelKey)}</span>
        <input
          className="field__input field__input--number"
          data-testid={testId}
          type="number"
          inputMode="numeric"
          min={min}
          max={max}
          step={1}
          value={draft[field]}
          disabled={saved === null}
          aria-invalid={problem !== null ? true : undefined}
          aria-describedby={`${testId}-${problem !== null ? 'problem' : 'hint'}`}
          onChange={(event) => {
            const { value, validity } = event.target;
            setDraft((current) => ({ ...current, [field]: value }));
            setUnreadable((current) => ({ ...current, [field]: validity.badInput }));
            setJustSaved(false);
            setServerError(null);
          }}
        />
        {problem !== null ? (
          <span className="field__problem" id={`${testId}-problem`} data-testid={`${testId}-error`}>
            {problem}
          </span>
        ) : (
          <span className="field__hint" id={`${testId}-hint`}>
            {t(hintKey)}
          </span>
        )}
      </label>
    );
  };

  return (
    <Block title={t('settings.settings')} testId="settings-block">
      {loadError !== null && <ErrorBanner message={loadError} onRetry={() => void load()} />}
      {saved === null && loadError === null && <p className="muted pad">{t('settings.loading')}</p>}
      {saved !== null && (
        <form className="settings-form" noValidate onSubmit={(event) => void submit(event)}>
          {serverError !== null && (
            <div className="error-banner" role="alert" data-testid="settings-error">
              <span className="error-banner__text">{serverError}</span>
            </div>
          )}
          <div className="settings-form__fields">
            {input('simultaneous_chats', 'setting-simultaneous', 'settings.simultaneous', 'settings.simultaneousHint')}
            {input('accept_timeout_min', 'setting-accept-timeout', 'settings.acceptTimeout', 'settings.acceptTimeoutHint')}
          </div>
          <div className="mini-card__buttons">
            {justSaved && (
              <span className="settings-form__saved" role="status" data-testid="settings-saved">
                {t('settings.saved')}
              </span>
            )}
            <button
              type="button"
              className="secondary-button"
              data-testid="settings-cancel"
              disabled={!changed || saving}
              onClick={cancel}
            >
              {t('queueForm.cancel')}
            </button>
            <button
              type="submit"
              className="primary-button"
              data-testid="settings-apply"
              disabled={!changed || invalid || saving}
            >
              {saving ? t('queueForm.applying') : t('queueForm.apply')}
            </button>
          </div>
        </form>
      )}
      {children}
    </Block>
  );
}
