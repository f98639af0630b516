import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChannelView, OperatorView, QueueView, RoleView } from '../generated/ipc';
import type { SharedDatabaseState } from '../hooks/useSharedDatabase';
import { errorMessage, listOperators, listQueues, listRoles } from '../ipc';
import { t } from '../i18n';
import { Block, openableRow } from './Block';
import { ChannelsBlock } from './ChannelsBlock';
import { ErrorBanner } from './ErrorBanner';
import { FacebookAppBlock, useFacebookSettings } from './FacebookAppBlock';
import { MessengerWebhookInfo } from './MessengerWebhookInfo';
import { OperatorLoginsBlock } from './OperatorLoginsBlock';
import { QueueCard } from './QueueCard';
import { QueueForm } from './QueueForm';
import { RolesBlock } from './RolesBlock';
import { SharedDatabaseBlock } from './SharedDatabaseBlock';
import { ruleKeys } from './WhyPanel';
import { WorkspaceSettingsBlock } from './WorkspaceSettingsBlock';

/** Loads a list once (and again on `reload`), dropping answers that arrive after a newer request. */
function useList<T>(fetch: () => Promise<T[]>) {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);

  const reload = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const list = await fetch();
      if (mine !== seq.current) return;
      setItems(list);
      setError(null);
    } catch (failure) {
      if (mine !== seq.current) return;
      setError(errorMessage(failure));
    }
  }, [fetch]);

  useEffect(() => {
    void reload();
    return () => {
      seq.current++;
    };
  }, [reload]);

  return { items, setItems, error, reload };
}

type List<T> = ReturnType<typeof useList<T>>;

interface QueuesBlockProps {
  /** The queues, loaded by the page: the Channels block offers them too. */
  queueList: List<QueueView>;
  operators: OperatorView[] | null;
  roles: RoleView[] | null;
  directoryError: string | null;
  /** Bumped when a role's users change: the queues it serves get other operators. */
  revision: number;
}

/** Chat queues: the table, the "+" mini-card and, on a row click, the queue's card with its
 * Operators detail (users and roles). */
function QueuesBlock({ queueList, operators, roles, directoryError, revision }: QueuesBlockProps) {
  const { items: queues, setItems: setQueues, error, reload: load } = queueList;
  const [adding, setAdding] = useState(false);
  const [createdId, setCreatedId] = useState<string | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const open = queues?.find((q) => q.id === openId) ?? null;
  const firstRevision = useRef(revision);

  useEffect(() => {
    if (revision !== firstRevision.current) void load();
  }, [revision, load]);

  const onCreated = (queue: QueueView) => {
    setAdding(false);
    setCreatedId(queue.id);
    // Show it at once; the reload brings the operators the shell attached.
    setQueues((list) => (list && !list.some((q) => q.id === queue.id) ? [...list, queue] : list));
    void load();
  };

  const onChanged = (queue: QueueView) => {
    setQueues((list) => list?.map((q) => (q.id === queue.id ? queue : q)) ?? list);
  };

  return (
    <Block
      title={t('settings.queues')}
      testId="queues-block"
      add={{
        label: t('settings.addQueue'),
        testId: 'add-queue',
        onClick: () => {
          setOpenId(null);
          setAdding(true);
        },
        disabled: adding,
      }}
    >
      {error !== null && <ErrorBanner message={error} onRetry={() => void load()} />}
      {adding && (
        <QueueForm
          existingNames={queues?.map((q) => q.name) ?? []}
          onCreated={onCreated}
          onCancel={() => setAdding(false)}
        />
      )}
      {open !== null && (
        <QueueCard
          key={open.id}
          queue={open}
          operators={operators}
          roles={roles}
          directoryError={directoryError}
          otherNames={queues?.filter((q) => q.id !== open.id).map((q) => q.name) ?? []}
          onChanged={onChanged}
          onClose={() => setOpenId(null)}
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
            {queues.map((queue) => {
              const row = openableRow(t('settings.rowOpen', { name: queue.name }), queue.id === openId, () => {
                setAdding(false);
                setOpenId(queue.id);
              });
              return (
              <tr
                key={queue.id}
                data-testid="queue-row"
                data-queue-id={queue.id}
                {...row}
                className={`${row.className}${queue.id === createdId ? ' settings-table__row--new' : ''}`}
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
              );
            })}
          </tbody>
        </table>
      )}
    </Block>
  );
}

interface ChatSettingsProps {
  channels: ChannelView[] | null;
  channelsError: string | null;
  /** Channels as the shell answered them (added or changed). */
  onChannelChanged: (changed: ChannelView | readonly ChannelView[]) => void;
  /** This desktop's shared-database connection (loaded once for the window). */
  database: SharedDatabaseState;
}

/** The designer's "Chat settings" page: one page of blocks, each a table with a "+" button. */
export function ChatSettings({ channels, channelsError, onChannelChanged, database }: ChatSettingsProps) {
  const queues = useList(listQueues);
  // Users and roles feed both the queue cards' pickers and the Roles block.
  const operators = useList(listOperators);
  const roles = useList(listRoles);
  const [queuesRevision, setQueuesRevision] = useState(0);
  const { setItems: setRoles } = roles;
  const facebook = useFacebookSettings();
  /** Bumped by the Channels block's "Go to Facebook app settings". */
  const [facebookFocus, setFacebookFocus] = useState(0);

  const onRoleChanged = useCallback(
    (role: RoleView, membershipChanged: boolean) => {
      setRoles((list) =>
        list === null ? [role] : list.some((r) => r.id === role.id) ? list.map((r) => (r.id === role.id ? role : r)) : [...list, role],
      );
      if (membershipChanged) setQueuesRevision((n) => n + 1);
    },
    [setRoles],
  );

  return (
    <div className="settings" data-testid="chat-settings">
      <header className="settings__header">
        <h1>{t('settings.title')}</h1>
      </header>
      <div className="settings__blocks">
        <ChannelsBlock
          channels={channels}
          error={channelsError}
          queues={queues.items}
          onChannelChanged={onChannelChanged}
          facebook={facebook.settings}
          facebookError={facebook.error}
          onReloadFacebook={() => void facebook.reload()}
          onOpenFacebookSettings={() => setFacebookFocus((n) => n + 1)}
        />
        <QueuesBlock
          queueList={queues}
          operators={operators.items}
          roles={roles.items}
          directoryError={operators.error ?? roles.error}
          revision={queuesRevision}
        />
        {/* TODO(next issue): the Chat actions block (Name · Process · Queue) with its "+" and
            mini-card, once the shell offers list/create commands for chat actions. */}
        <RolesBlock
          roles={roles.items}
          rolesError={roles.error}
          onRetry={() => {
            void roles.reload();
            void operators.reload();
          }}
          operators={operators.items}
          operatorsError={operators.error}
          onRoleChanged={onRoleChanged}
        />
        <WorkspaceSettingsBlock>
          <FacebookAppBlock
            settings={facebook.settings}
            loadError={facebook.error}
            onRetry={() => void facebook.reload()}
            onSaved={facebook.saved}
            focusRequest={facebookFocus}
          />
          <MessengerWebhookInfo refreshKey={facebook.settings} />
        </WorkspaceSettingsBlock>
        {/* This desktop's own connection, not a workspace setting: every operator connects their
            own desktop with their own login, so it is a block of its own, outside the workspace
            Settings. */}
        <SharedDatabaseBlock database={database} />
        {/* Shared mode only: the operators' own logins to the shared database. There is no admin
            flag in the UI; the shell refuses non-admins with a sentence, which the block shows. */}
        {database.view?.mode === 'shared' && (
          <OperatorLoginsBlock
            queues={queues.items}
            onCreated={() => {
              void queues.reload();
              void operators.reload();
            }}
          />
        )}
      </div>
    </div>
  );
}
