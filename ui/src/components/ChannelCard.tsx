import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { ChannelView, QueueView } from '../generated/ipc';
import { errorMessage, replaceChannelToken, restartChannel, updateChannel } from '../ipc';
import { t } from '../i18n';
import { healthAction, healthTone, healthWords } from './channelHealth';
import { ProviderIcon } from './ProviderIcon';

export const LANGUAGES = ['en', 'ru'] as const;

export function languageName(code: string): string {
  return code === 'ru' ? t('language.ru') : code === 'en' ? t('language.en') : code;
}

interface ChannelCardProps {
  channel: ChannelView;
  queues: QueueView[] | null;
  /** The channel as the shell answered after a change. */
  onChanged: (channel: ChannelView) => void;
  onClose: () => void;
  /** Runs Add → Facebook again (a page whose token died). */
  onReconnect?: () => void;
}

/** A new token for a channel whose token Telegram rejected (or the keychain lost). */
function ReplaceToken({ busy, onSave }: { busy: boolean; onSave: (token: string) => Promise<boolean> }) {
  const id = useId();
  const [token, setToken] = useState('');

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (token.trim() === '') return;
    // Once the shell has it, the token leaves this field; on a refusal it stays to be corrected.
    if (await onSave(token.trim())) setToken('');
  };

  return (
    <form className="mini-card__inline-form" noValidate onSubmit={(event) => void save(event)}>
      <label className="field field--grow" htmlFor={`${id}-token`}>
        <span className="field__label">{t('channelCard.replaceToken')}</span>
        <input
          id={`${id}-token`}
          className="field__input"
          type="password"
          autoComplete="off"
          spellCheck={false}
          autoCapitalize="off"
          placeholder={t('channelCard.newToken')}
          data-testid="channel-replace-token-input"
          value={token}
          disabled={busy}
          onChange={(event) => setToken(event.target.value)}
        />
      </label>
      <button
        type="submit"
        className="primary-button"
        data-testid="channel-replace-token-save"
        disabled={busy || token.trim() === ''}
      >
        {busy ? t('addTelegram.checking') : t('channelCard.save')}
      </button>
    </form>
  );
}

/**
 * A channel's mini-card: the Active switch and, for Messenger, the Human Agent tag switch (both
 * apply at once), its queue and language (Apply /
 * Cancel), and its health with the one action that can help: a new token, "Try again", or
 * nothing when it resumes by itself.
 */
export function ChannelCard({ channel, queues, onChanged, onClose, onReconnect }: ChannelCardProps) {
  const id = useId();
  const [queueId, setQueueId] = useState(channel.queue_id);
  const [language, setLanguage] = useState(channel.language);
  const [busy, setBusy] = useState<'active' | 'humanAgent' | 'apply' | 'token' | 'restart' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);
  const saved = useRef({ queueId: channel.queue_id, language: channel.language });

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  // Someone else may change the channel while the card is open (the list reloads on
  // channels-changed): follow them in the fields the admin has not touched.
  useEffect(() => {
    const before = saved.current;
    saved.current = { queueId: channel.queue_id, language: channel.language };
    setQueueId((current) => (current === before.queueId ? channel.queue_id : current));
    setLanguage((current) => (current === before.language ? channel.language : current));
  }, [channel.queue_id, channel.language]);

  const run = async (what: NonNullable<typeof busy>, change: () => Promise<ChannelView>): Promise<boolean> => {
    if (busy !== null) return false;
    setBusy(what);
    setError(null);
    try {
      const updated = await change();
      if (!mounted.current) return true;
      onChanged(updated);
      if (what === 'apply') {
        setQueueId(updated.queue_id);
        setLanguage(updated.language);
      }
      return true;
    } catch (failure) {
      if (mounted.current) setError(errorMessage(failure));
      return false;
    } finally {
      if (mounted.current) setBusy(null);
    }
  };

  const changed = queueId !== channel.queue_id || language !== channel.language;

  const apply = (event: FormEvent) => {
    event.preventDefault();
    if (!changed) return;
    void run('apply', () =>
      updateChannel(channel.id, {
        name: null,
        active: null,
        queue_id: queueId !== channel.queue_id ? queueId : null,
        language: language !== channel.language ? language : null,
        human_agent: null,
      }),
    );
  };

  const revert = () => {
    setQueueId(channel.queue_id);
    setLanguage(channel.language);
    setError(null);
  };

  const toggleActive = () =>
    void run('active', () => updateChannel(channel.id, { name: null, active: !channel.active, queue_id: null, language: null, human_agent: null }));

  const toggleHumanAgent = () =>
    void run('humanAgent', () =>
      updateChannel(channel.id, { name: null, active: null, queue_id: null, language: null, human_agent: !channel.human_agent }),
    );

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    onClose();
  };

  // The channel's queue may be missing from a list loaded before it was created.
  const queueOptions =
    queues && queues.some((q) => q.id === channel.queue_id)
      ? queues
      : [...(queues ?? []), { id: channel.queue_id, name: channel.queue_name }];
  const action = healthAction(channel);
  const tone = healthTone(channel);

  return (
    <section
      className="mini-card"
      data-testid="channel-card"
      data-channel-id={channel.id}
      aria-labelledby={`${id}-title`}
      onKeyDown={onKeyDown}
    >
      <header className="mini-card__header">
        <div className="mini-card__heading">
          <ProviderIcon provider={channel.provider} />
          <h3 id={`${id}-title`} className="mini-card__title">
            {t('channelCard.title', { name: channel.name })}
          </h3>
          {channel.external_id !== '' && (
            <span className="muted mini-card__id">{t(channel.provider === 'messenger' ? 'channelCard.pageId' : 'channelCard.externalId', { id: channel.external_id })}</span>
          )}
        </div>
        <button
          type="button"
          className="icon-button"
          data-testid="channel-card-close"
          aria-label={t('queueCard.close')}
          title={t('queueCard.close')}
          onClick={onClose}
        >
          ×
        </button>
      </header>
      {error !== null && (
        <div className="error-banner" role="alert" data-testid="channel-card-error">
          <span className="error-banner__text">{error}</span>
        </div>
      )}
      <div className="channel-card__active">
        <button
          type="button"
          role="switch"
          aria-checked={channel.active}
          aria-describedby={`${id}-active-hint`}
          className={`toggle-switch${channel.active ? ' toggle-switch--on' : ''}`}
          data-testid="channel-active-toggle"
          disabled={busy !== null}
          onClick={toggleActive}
        >
          <span className="toggle-switch__track" aria-hidden="true">
            <span className="toggle-switch__thumb" />
          </span>
          <span className="toggle-switch__label">{t('channelCard.active')}</span>
        </button>
        <span className="field__hint" id={`${id}-active-hint`}>
          {t('channelCard.activeHint')}
        </span>
      </div>
      {channel.provider === 'messenger' && (
        <div className="channel-card__active">
          <button
            type="button"
            role="switch"
            aria-checked={channel.human_agent}
            aria-describedby={`${id}-human-agent-hint`}
            className={`toggle-switch${channel.human_agent ? ' toggle-switch--on' : ''}`}
            data-testid="channel-human-agent-toggle"
            disabled={busy !== null}
            onClick={toggleHumanAgent}
          >
            <span className="toggle-switch__track" aria-hidden="true">
              <span className="toggle-switch__thumb" />
            </span>
            <span className="toggle-switch__label">{t('channelCard.humanAgent')}</span>
          </button>
          <span className="field__hint" id={`${id}-human-agent-hint`} data-testid="channel-human-agent-hint">
            {t('channelCard.humanAgentHint')}
          </span>
        </div>
      )}
      <form className="mini-card__edit" noValidate onSubmit={apply}>
        <div className="mini-card__fields mini-card__fields--two">
          <label className="field">
            <span className="field__label">{t('addTelegram.queue')}</span>
            <select
              className="field__input"
              data-testid="channel-queue-select"
              value={queueId}
              disabled={busy !== null}
              onChange={(event) => setQueueId(event.target.value)}
            >
              {queueOptions.map((q) => (
                <option key={q.id} value={q.id}>
                  {q.name}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field__label">{t('channelCard.language')}</span>
            <select
              className="field__input"
              data-testid="channel-language-select"
              value={language}
              disabled={busy !== null}
              aria-describedby={`${id}-language-hint`}
              onChange={(event) => setLanguage(event.target.value)}
            >
              {LANGUAGES.map((code) => (
                <option key={code} value={code} lang={code}>
                  {languageName(code)}
                </option>
              ))}
            </select>
            <span className="field__hint" id={`${id}-language-hint`}>
              {t('channelCard.languageHint')}
            </span>
          </label>
        </div>
        <div className="mini-card__buttons">
          <button
            type="button"
            className="secondary-button"
            data-testid="channel-cancel"
            disabled={busy !== null || !changed}
            onClick={revert}
          >
            {t('queueForm.cancel')}
          </button>
          <button type="submit" className="primary-button" data-testid="channel-apply" disabled={busy !== null || !changed}>
            {busy === 'apply' ? t('queueForm.applying') : t('queueForm.apply')}
          </button>
        </div>
      </form>
      <div className="mini-card__detail" data-testid="channel-health-detail" data-health={channel.health}>
        <h4 className="mini-card__subtitle">{t('channelCard.health')}</h4>
        <p className={`health-badge health-badge--${tone}`} data-testid="channel-health-badge">
          <span className={`status-dot status-dot--${tone}`} aria-hidden="true" />
          {healthWords(channel)}
        </p>
        {channel.health_reason !== null && channel.health_reason !== '' && (
          <p className="channel-card__reason" data-testid="channel-health-reason">
            {channel.health_reason}
          </p>
        )}
        {channel.problem === 'rate_limited' && <p className="field__hint">{t('channelCard.rateLimited')}</p>}
        {action === 'replace_token' && (
          <ReplaceToken busy={busy === 'token'} onSave={(token) => run('token', () => replaceChannelToken(channel.id, token))} />
        )}
        {action === 'reconnect' && onReconnect !== undefined && (
          <div>
            <button type="button" className="secondary-button" data-testid="channel-reconnect" onClick={onReconnect}>
              {t('channelCard.reconnect')}
            </button>
          </div>
        )}
        {action === 'restart' && (
          <div>
            <button
              type="button"
              className="secondary-button"
              data-testid="channel-retry"
              disabled={busy !== null}
              onClick={() => void run('restart', () => restartChannel(channel.id))}
            >
              {busy === 'restart' ? t('channelCard.retrying') : t('channelCard.retry')}
            </button>
          </div>
        )}
      </div>
    </section>
  );
}
