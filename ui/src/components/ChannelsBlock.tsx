import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { ChannelView, FacebookSettings, QueueView } from '../generated/ipc';
import { t } from '../i18n';
import { AddFacebookCard } from './AddFacebookCard';
import { AddTelegramCard } from './AddTelegramCard';
import { Block, openableRow } from './Block';
import { ChannelCard, languageName } from './ChannelCard';
import { healthTone, healthWords } from './channelHealth';
import { ErrorBanner } from './ErrorBanner';
import { ProviderIcon } from './ProviderIcon';

type Adding = 'telegram' | 'facebook' | null;

/** The "+" menu: the kinds of channel that can be added. */
function AddMenu({ onAdd, onClose }: { onAdd: (kind: 'telegram' | 'facebook') => void; onClose: () => void }) {
  const first = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  useEffect(() => first.current?.focus(), []);

  // A click anywhere else closes the menu (the "+" itself toggles it).
  useEffect(() => {
    const onPointerDown = (event: MouseEvent) => {
      const target = event.target as Element | null;
      if (menu.current?.contains(target) || target?.closest('[data-testid="channels-add-button"]')) return;
      onClose();
    };
    document.addEventListener('mousedown', onPointerDown);
    return () => document.removeEventListener('mousedown', onPointerDown);
  }, [onClose]);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    onClose();
  };

  return (
    <div ref={menu} className="add-menu" role="menu" aria-label={t('channels.addMenu')} data-testid="channels-add-menu" onKeyDown={onKeyDown}>
      <button ref={first} type="button" role="menuitem" className="add-menu__item" data-testid="add-facebook" onClick={() => onAdd('facebook')}>
        <ProviderIcon provider="messenger" />
        {t('channels.addFacebook')}
      </button>
      <button type="button" role="menuitem" className="add-menu__item" data-testid="add-telegram" onClick={() => onAdd('telegram')}>
        <ProviderIcon provider="telegram" />
        {t('channels.addTelegram')}
      </button>
    </div>
  );
}

interface ChannelsBlockProps {
  channels: ChannelView[] | null;
  error: string | null;
  queues: QueueView[] | null;
  /** Channels as the shell answered them (added or changed); the list is reloaded after them. */
  onChannelChanged: (changed: ChannelView | readonly ChannelView[]) => void;
  /** The Facebook app settings (`null` while loading): Facebook Login needs the id and secret. */
  facebook: FacebookSettings | null;
  facebookError: string | null;
  onReloadFacebook: () => void;
  /** Takes the admin to the Facebook app settings (Settings block). */
  onOpenFacebookSettings: () => void;
}

/**
 * Channels: Provider · Name · Active · Queue · Language · State, a "+" menu (Facebook pages through
 * Facebook Login and the page picker, Telegram by bot token) and, on a row click, the channel's
 * mini-card.
 */
export function ChannelsBlock({
  channels,
  error,
  queues,
  onChannelChanged,
  facebook,
  facebookError,
  onReloadFacebook,
  onOpenFacebookSettings,
}: ChannelsBlockProps) {
  const [menuOpen, setMenuOpen] = useState(false);
  const [adding, setAdding] = useState<Adding>(null);
  const [added, setAdded] = useState<ChannelView | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const open = channels?.find((c) => c.id === openId) ?? null;
  const closeMenu = useCallback(() => setMenuOpen(false), []);

  // Queue names follow renames made in the Queues block below.
  const queueName = (channel: ChannelView) => queues?.find((q) => q.id === channel.queue_id)?.name ?? channel.queue_name;

  const onAdded = (channel: ChannelView) => {
    setAdding(null);
    setAdded(channel);
    onChannelChanged(channel);
  };

  return (
    <Block
      title={t('settings.channels')}
      testId="channels-block"
      add={{
        label: t('settings.addChannel'),
        testId: 'channels-add-button',
        onClick: () => setMenuOpen((o) => !o),
        disabled: adding !== null,
        expanded: menuOpen,
      }}
    >
      {menuOpen && (
        <AddMenu
          onAdd={(kind) => {
            setMenuOpen(false);
            setOpenId(null);
            setAdded(null);
            // The settings may have been changed in another window since the page loaded.
            if (kind === 'facebook') onReloadFacebook();
            setAdding(kind);
          }}
          onClose={closeMenu}
        />
      )}
      {error !== null && <ErrorBanner message={error} />}
      {adding === 'telegram' && <AddTelegramCard queues={queues} onAdded={onAdded} onCancel={() => setAdding(null)} />}
      {adding === 'facebook' && (
        <AddFacebookCard
          facebook={facebook}
          facebookError={facebookError}
          onRetry={onReloadFacebook}
          onOpenSettings={onOpenFacebookSettings}
          onConnected={onChannelChanged}
          onClose={() => setAdding(null)}
        />
      )}
      {added !== null && (
        <div className="notice notice--inline" role="status" data-testid="add-channel-done">
          <span className="notice__text">{t('addTelegram.done', { name: added.name })}</span>
          <button
            type="button"
            className="icon-button"
            aria-label={t('error.dismiss')}
            title={t('error.dismiss')}
            onClick={() => setAdded(null)}
          >
            ×
          </button>
        </div>
      )}
      {open !== null && (
        <ChannelCard
          key={open.id}
          channel={open}
          queues={queues}
          onChanged={onChannelChanged}
          onClose={() => setOpenId(null)}
          onReconnect={() => {
            setOpenId(null);
            setAdding('facebook');
          }}
        />
      )}
      {channels === null ? (
        error === null && <p className="muted pad">{t('settings.loading')}</p>
      ) : channels.length === 0 ? (
        <p className="muted pad">{t('channels.none')}</p>
      ) : (
        <table className="settings-table">
          <thead>
            <tr>
              <th scope="col">{t('settings.colProvider')}</th>
              <th scope="col">{t('settings.colName')}</th>
              <th scope="col">{t('settings.colActive')}</th>
              <th scope="col">{t('settings.colQueue')}</th>
              <th scope="col">{t('settings.colLanguage')}</th>
              <th scope="col">{t('settings.colHealth')}</th>
            </tr>
          </thead>
          <tbody>
            {channels.map((channel) => {
              const row = openableRow(t('settings.rowOpen', { name: channel.name }), channel.id === openId, () => {
                setAdding(null);
                setMenuOpen(false);
                setOpenId(channel.id);
              });
              const tone = healthTone(channel);
              return (
                <tr
                  key={channel.id}
                  data-testid="channel-row"
                  data-channel-id={channel.id}
                  data-health={channel.health}
                  data-active={channel.active ? 'true' : 'false'}
                  {...row}
                  className={`${row.className}${channel.id === added?.id ? ' settings-table__row--new' : ''}`}
                >
                  <td>
                    <span className="settings-table__provider">
                      <ProviderIcon provider={channel.provider} />
                      {t(channel.provider === 'telegram' ? 'provider.telegram' : 'provider.messenger')}
                    </span>
                  </td>
                  <td className="settings-table__name">{channel.name}</td>
                  <td>{channel.active ? t('settings.yes') : t('settings.no')}</td>
                  <td>{queueName(channel)}</td>
                  <td>{languageName(channel.language)}</td>
                  <td title={channel.health_reason ?? undefined}>
                    <span className={`health-badge health-badge--${tone}`}>
                      <span className={`status-dot status-dot--${tone}`} aria-hidden="true" />
                      {healthWords(channel)}
                    </span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Block>
  );
}
