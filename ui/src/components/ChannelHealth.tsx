import type { ChannelView } from '../generated/ipc';
import { t } from '../i18n';
import { healthTone, healthWords } from './channelHealth';
import { ProviderIcon } from './ProviderIcon';

function stateLabel(channel: ChannelView): string {
  if (!channel.active) return t('channels.inactive');
  const words = healthWords(channel);
  if (channel.health === 'running' && channel.problem === null) return words;
  return channel.health_reason ? `${words}: ${channel.health_reason}` : words;
}

interface ChannelHealthProps {
  channels: ChannelView[] | null;
  error: string | null;
}

/** One line per channel: its name and whether it is running, or why not. */
export function ChannelHealth({ channels, error }: ChannelHealthProps) {
  return (
    <section className="channel-health" data-testid="channel-health" aria-label={t('channels.title')}>
      <h2 className="channel-health__title">{t('channels.title')}</h2>
      {error !== null && (
        <span className="channel-health__error">{t('channels.unavailable', { reason: error })}</span>
      )}
      {error === null && channels !== null && channels.length === 0 && (
        <span className="channel-health__none">{t('channels.none')}</span>
      )}
      {channels !== null && channels.length > 0 && (
        <ul className="channel-health__list">
          {channels.map((channel) => {
            const health = channel.active ? channel.health : 'inactive';
            const tone = channel.active ? healthTone(channel) : 'inactive';
            return (
              <li
                key={channel.id}
                className={`channel channel--${tone}`}
                data-testid="channel-health-item"
                data-channel-id={channel.id}
                data-health={health}
                data-problem={channel.problem ?? undefined}
                title={channel.health_reason ?? undefined}
              >
                <ProviderIcon provider={channel.provider} />
                <span className="channel__name">{channel.name}</span>
                <span className="channel__state">
                  <span className={`status-dot status-dot--${tone}`} aria-hidden="true" />
                  {stateLabel(channel)}
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
