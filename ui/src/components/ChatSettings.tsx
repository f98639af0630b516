import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type { ChannelView, QueueView } from '../generated/ipc';
import { errorMessage, listQueues } from '../ipc';
import { t } from '../i18n';
import { ErrorBanner } from './ErrorBanner';
import { ProviderIcon } from './ProviderIcon';
import { QueueForm } from './QueueForm';
import { ruleKeys } from './WhyPanel';

interface BlockProps {
  title: string;
  testId: string;
  /** The "+" button; omitted where adding is not possible yet. */
  add?: { label: string; testId: string; onClick: () => void; disabled?: boolean } | undefined;
  children: ReactNode;
}

function Block({ title, testId, add, children }: BlockProps) {
  const id = `${testId}-title`;
  return (
    <section className="settings-block" data-testid={testId} aria-labelledby={id}>
      <header className="settings-block__header">
        <h2 id={id}>{title}</h2>
        {add && (
          <button
            type="button"
            className="add-button"
            data-testid={add.testId}
            aria-label={add.label}
            title={add.label}
            disabled={add.disabled}
            onClick={add.onClick}
          >
            +
          </button>
        )}
      </header>
      {children}
    </section>
  );
}

/**
 * Channels as a read-only table. Adding a channel (Telegram token, Facebook page picker) and the
 * channel mini-card come with their own issue; the Queue column waits for ChannelView to carry the
 * channel's queue.
 */
function ChannelsBlock({ channels, error }: { channels: ChannelView[] | null; error: string | null }) {
  return (
    <Block title={t('settings.channels')} testId="channels-block">
      {error !== null && <ErrorBanner message={error} />}
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
              <th scope="col">{t('settings.colHealth')}</th>
            </tr>
          </thead>
          <tbody>
            {channels.map((channel) => (
              <tr key={channel.id} data-testid="channel-row" data-channel-id={channel.id}>
                <td>
                  <span className="settings-table__provider">
                    <ProviderIcon provider={channel.provider} />
                    {t(channel.provider === 'telegram' ? 'provider.telegram' : 'provider.messenger')}
                  </span>
                </td>
                <td>{channel.name}</td>
                <td>{channel.active ? t('settings.yes') : t('settings.no')}</td>
                <td title={channel.health_reason ?? undefined}>
                  {!channel.active
                    ? t('channels.inactive')
                    : channel.health === 'running'
                      ? t('channels.running')
                      : channel.health === 'starting'
                        ? t('channels.starting')
                        : channel.health_reason
                          ? `${t('channels.error')}: ${channel.health_reason}`
                          : t('channels.error')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Block>
  );
}

/**
 * Chat queues: the table and the "+" mini-card. Editing an existing queue (clicking a row) and its
 * Operators detail need update commands the shell does not offer yet.
 */
function QueuesBlock() {
  const [queues, setQueues] = useState<QueueView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [createdId, setCreatedId] = useState<string | null>(null);
  const seq = useRef(0);

  const load = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const list = await listQueues();
      if (mine !== seq.current) return;
      setQueues(list);
      setError(null);
    } catch (failure) {
      if (mine !== seq.current) return;
      setError(errorMessage(failure));
    }
  }, []);

  useEffect(() => {
    void load();
    return () => {
      seq.current++;
    };
  }, [load]);

  const onCreated = (queue: QueueView) => {
    setAdding(false);
    setCreatedId(queue.id);
    // Show it at once; the reload brings the operators the shell attached.
    setQueues((list) => (list && !list.some((q) => q.id === queue.id) ? [...list, queue] : list));
    void load();
  };

  return (
    <Block
      title={t('settings.queues')}
      testId="queues-block"
      add={{ label: t('settings.addQueue'), testId: 'add-queue', onClick: () => setAdding(true), disabled: adding }}
    >
      {error !== null && <ErrorBanner message={error} onRetry={() => void load()} />}
      {adding && (
        <QueueForm
          existingNames={queues?.map((q) => q.name) ?? []}
          onCreated={onCreated}
          onCancel={() => setAdding(false)}
        />
      )}
      {queues === null ? (
        error === null && <p className="muted pad">{t('settings.loading')}</p>
      ) : queues.length === 0 ? (
        <p className="muted pad">{t('settings.noQueues')}</p>
      ) : (
        <table className="settings-table">
          <thead>
            <tr>
              <th scope="col">{t('settings.colName')}</th>
              <th scope="col">{t('settings.colRule')}</th>
              <th scope="col">{t('settings.colTimeout')}</th>
              <th scope="col">{t('settings.colOperators')}</th>
            </tr>
          </thead>
          <tbody>
            {queues.map((queue) => (
              <tr
                key={queue.id}
                data-testid="queue-row"
                data-queue-id={queue.id}
                className={queue.id === createdId ? 'settings-table__row--new' : undefined}
              >
                <td className="settings-table__name">{queue.name}</td>
                <td data-rule={queue.rule}>{t(ruleKeys[queue.rule])}</td>
                <td>{queue.completion_timeout_min ?? t('settings.never')}</td>
                <td>
                  {queue.operator_names.length > 0 ? (
                    queue.operator_names.join(', ')
                  ) : (
                    <span className="muted">{t('settings.noOperators')}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Block>
  );
}

interface ChatSettingsProps {
  channels: ChannelView[] | null;
  channelsError: string | null;
}

/** The designer's "Chat settings" page: one page of blocks, each a table with a "+" button. */
export function ChatSettings({ channels, channelsError }: ChatSettingsProps) {
  return (
    <div className="settings" data-testid="chat-settings">
      <header className="settings__header">
        <h1>{t('settings.title')}</h1>
      </header>
      <div className="settings__blocks">
        <ChannelsBlock channels={channels} error={channelsError} />
        <QueuesBlock />
        {/* TODO(next issue): the Chat actions block (Name · Process · Queue) with its "+" and
            mini-card, once the shell offers list/create commands for chat actions. */}
      </div>
    </div>
  );
}
