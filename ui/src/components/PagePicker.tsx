import { useEffect, useId, useRef, useState } from 'react';
import type { ChannelView, PageChoice, PageConnection, PagePicker as PagePickerData } from '../generated/ipc';
import { connectFacebookPages, errorMessage } from '../ipc';
import { t } from '../i18n';

/** Only a picture Rust fetched and labelled as an image is shown; anything else is a letter. */
export function safePicture(picture: string | null): string | null {
  return picture !== null && picture.startsWith('data:image/') ? picture : null;
}

function PageAvatar({ page }: { page: Pick<PageChoice, 'name' | 'picture'> }) {
  const picture = safePicture(page.picture);
  if (picture !== null) {
    return <img className="page-avatar" src={picture} alt="" width={32} height={32} data-testid="page-picture" />;
  }
  return (
    <span className="page-avatar page-avatar--letter" aria-hidden="true">
      {Array.from(page.name.trim())[0]?.toUpperCase() ?? '?'}
    </span>
  );
}

function PageRow({ page, checked, onToggle }: { page: PageChoice; checked: boolean; onToggle: (on: boolean) => void }) {
  const id = useId();
  return (
    <li className={`page-option${page.can_message ? '' : ' page-option--disabled'}`} data-testid="page-option" data-page-id={page.id}>
      <input
        id={id}
        type="checkbox"
        data-testid="page-option-checkbox"
        checked={checked}
        disabled={!page.can_message}
        aria-describedby={page.can_message ? undefined : `${id}-warning`}
        onChange={(event) => onToggle(event.target.checked)}
      />
      <label htmlFor={id} className="page-option__label">
        <PageAvatar page={page} />
        <span className="page-option__name">{page.name}</span>
        {page.connected_channel_id !== null && (
          <span className="page-badge" data-testid="page-option-connected" title={t('pagePicker.connectedHint')}>
            {t('pagePicker.connected')}
          </span>
        )}
      </label>
      {!page.can_message && (
        <p className="warning page-option__warning" id={`${id}-warning`} data-testid="page-option-no-messaging">
          {t('pagePicker.noMessaging')}
        </p>
      )}
    </li>
  );
}

function resultText(result: PageConnection): string {
  if (result.error !== null) return t('pagePicker.failed', { name: result.page_name, reason: result.error.message });
  if (result.refreshed) return t('pagePicker.refreshed', { name: result.channel?.name ?? result.page_name });
  return t('pagePicker.created', { name: result.channel?.name ?? result.page_name });
}

interface PagePickerProps {
  picker: PagePickerData;
  /** The channels the shell created or refreshed (the list is reloaded after them). */
  onConnected: (channels: ChannelView[]) => void;
  /** Leaves the picker before connecting anything (back to "Log in with Facebook"). */
  onCancel: () => void;
  /** After the results. */
  onClose: () => void;
}

type Step = 'choose' | 'confirm' | 'results';

/**
 * The page picker after Facebook Login: tick pages → Next → the confirmation (what connecting
 * does) → Done → one line per page (created, token refreshed, or why it failed) → Close.
 * Page names come from Facebook and are rendered as text.
 */
export function PagePicker({ picker, onConnected, onCancel, onClose }: PagePickerProps) {
  const id = useId();
  const [step, setStep] = useState<Step>('choose');
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [results, setResults] = useState<PageConnection[]>([]);
  const heading = useRef<HTMLHeadingElement>(null);
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  // Each step starts with its heading focused, so a screen reader hears where it is.
  useEffect(() => heading.current?.focus(), [step]);

  const selectable = picker.pages.filter((p) => p.can_message);
  const selected = picker.pages.filter((p) => p.can_message && chosen.has(p.id));

  const toggle = (pageId: string, on: boolean) =>
    setChosen((current) => {
      const next = new Set(current);
      if (on) next.add(pageId);
      else next.delete(pageId);
      return next;
    });

  const connect = async () => {
    if (busy || selected.length === 0) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await connectFacebookPages({ login_id: picker.login_id, page_ids: selected.map((p) => p.id) });
      if (!mounted.current) return;
      setResults(answer);
      setStep('results');
      onConnected(answer.flatMap((r) => (r.channel !== null ? [r.channel] : [])));
    } catch (failure) {
      if (mounted.current) setError(errorMessage(failure));
    } finally {
      if (mounted.current) setBusy(false);
    }
  };

  const title =
    step === 'choose' ? t('pagePicker.title') : step === 'confirm' ? t('pagePicker.confirmTitle') : t('pagePicker.resultsTitle');

  return (
    <div className="page-picker" data-testid="page-picker" data-step={step} aria-labelledby={`${id}-title`} aria-busy={busy} role="group">
      <h4 id={`${id}-title`} ref={heading} tabIndex={-1} className="page-picker__title">
        {title}
      </h4>
      {step === 'choose' &&
        (picker.pages.length === 0 ? (
          <p className="warning" data-testid="page-picker-empty">
            {t('pagePicker.empty')}
          </p>
        ) : (
          <ul className="page-picker__list">
            {picker.pages.map((page) => (
              <PageRow key={page.id} page={page} checked={chosen.has(page.id)} onToggle={(on) => toggle(page.id, on)} />
            ))}
          </ul>
        ))}
      {step === 'confirm' && (
        <>
          <p className="field__hint">{t('pagePicker.confirmIntro')}</p>
          <ul className="page-picker__list" data-testid="page-picker-chosen">
            {selected.map((page) => (
              <li key={page.id} className="page-option" data-testid="page-chosen" data-page-id={page.id}>
                <span className="page-option__label">
                  <PageAvatar page={page} />
                  <span className="page-option__name">{page.name}</span>
                  {page.connected_channel_id !== null && <span className="page-badge">{t('pagePicker.connected')}</span>}
                </span>
              </li>
            ))}
          </ul>
          {error !== null && (
            <div className="error-banner" role="alert" data-testid="page-picker-error">
              <span className="error-banner__text">{error}</span>
            </div>
          )}
        </>
      )}
      {step === 'results' && (
        <ul className="page-picker__list">
          {results.map((result) => (
            <li
              key={result.page_id}
              className={`page-result${result.error === null ? '' : ' page-result--failed'}`}
              data-testid="page-result"
              data-page-id={result.page_id}
              data-ok={result.error === null ? 'true' : 'false'}
            >
              {resultText(result)}
            </li>
          ))}
        </ul>
      )}
      <div className="mini-card__buttons">
        {step === 'choose' && (
          <>
            {selectable.length > 0 && (
              <span className="page-picker__count" aria-live="polite">
                {t('pagePicker.selected', { count: selected.length })}
              </span>
            )}
            <button type="button" className="secondary-button" data-testid="page-picker-cancel" onClick={onCancel}>
              {t('queueForm.cancel')}
            </button>
            <button
              type="button"
              className="primary-button"
              data-testid="page-picker-next"
              disabled={selected.length === 0}
              onClick={() => setStep('confirm')}
            >
              {t('pagePicker.next')}
            </button>
          </>
        )}
        {step === 'confirm' && (
          <>
            <button type="button" className="secondary-button" data-testid="page-picker-back" disabled={busy} onClick={() => setStep('choose')}>
              {t('pagePicker.back')}
            </button>
            <button type="button" className="primary-button" data-testid="page-picker-done" disabled={busy} onClick={() => void connect()}>
              {busy ? t('pagePicker.connecting') : t('pagePicker.done')}
            </button>
          </>
        )}
        {step === 'results' && (
          <button type="button" className="primary-button" data-testid="page-picker-close" onClick={onClose}>
            {t('pagePicker.close')}
          </button>
        )}
      </div>
    </div>
  );
}
