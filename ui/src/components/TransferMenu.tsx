import { useCallback, useEffect, useRef, useState } from 'react';
import type { OperatorStatus, OperatorView, QueueView } from '../generated/ipc';
import type { TransferTarget } from '../hooks/useChats';
import { errorMessage, listOperators, listQueues } from '../ipc';
import { t, type MessageKey } from '../i18n';

const statusKeys: Record<OperatorStatus, MessageKey> = {
  active: 'status.active',
  inactive: 'status.inactive',
  offline: 'status.offline',
};

const statusOrder: Record<OperatorStatus, number> = { active: 0, inactive: 1, offline: 2 };

export interface ChosenTarget extends TransferTarget {
  /** The queue's or operator's name, for the confirmation line. */
  label: string;
}

interface TransferMenuProps {
  /** The operator at this desk, left out of the list (null while unknown). */
  myOperatorId: string | null;
  /** Name of the operator who has the chat, used when `myOperatorId` is not known yet. */
  myName: string | null;
  currentQueueName: string;
  onChoose: (target: ChosenTarget) => void;
  onClose: () => void;
}

/**
 * The list of places a chat can go: queues (routed afresh there) and the other operators with their
 * status and load. Loaded fresh each time it opens, so it never offers a deleted queue.
 */
export function TransferMenu({ myOperatorId, myName, currentQueueName, onChoose, onClose }: TransferMenuProps) {
  const [queues, setQueues] = useState<QueueView[] | null>(null);
  const [operators, setOperators] = useState<OperatorView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const root = useRef<HTMLDivElement>(null);
  const seq = useRef(0);

  const load = useCallback(async () => {
    const mine = ++seq.current;
    setError(null);
    try {
      const [q, o] = await Promise.all([listQueues(), listOperators()]);
      if (mine !== seq.current) return;
      setQueues(q);
      setOperators(o);
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

  // Escape or a click elsewhere closes the menu.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    const onPointer = (event: MouseEvent) => {
      const target = event.target;
      if (target instanceof Node && root.current && !root.current.contains(target)) onClose();
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onPointer);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onPointer);
    };
  }, [onClose]);

  useEffect(() => {
    root.current?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus();
  }, [queues, operators]);

  const others =
    operators
      ?.filter((o) => (myOperatorId !== null ? o.id !== myOperatorId : o.name !== myName))
      .sort((a, b) => statusOrder[a.status] - statusOrder[b.status] || a.name.localeCompare(b.name)) ?? null;

  return (
    <div className="menu transfer-menu" ref={root} role="menu" aria-label={t('transfer.title')} data-testid="transfer-menu">
      <p className="menu__title">{t('transfer.title')}</p>
      {error !== null ? (
        <div className="menu__error" role="alert">
          <span>{error}</span>
          <button type="button" className="link-button" onClick={() => void load()}>
            {t('list.retry')}
          </button>
        </div>
      ) : queues === null || others === null ? (
        <p className="menu__empty">{t('transfer.loading')}</p>
      ) : (
        <>
          <p className="menu__group">{t('transfer.queues')}</p>
          {queues.length === 0 && <p className="menu__empty">{t('transfer.noQueues')}</p>}
          {queues.map((queue) => (
            <button
              key={queue.id}
              type="button"
              role="menuitem"
              className="menu__item"
              data-testid="transfer-target"
              data-target-kind="queue"
              data-target-id={queue.id}
              onClick={() => onChoose({ kind: 'queue', id: queue.id, label: queue.name })}
            >
              <span className="menu__item-name">{queue.name}</span>
              {queue.name === currentQueueName && (
                <span className="menu__item-meta">{t('transfer.currentQueue')}</span>
              )}
            </button>
          ))}
          <p className="menu__group">{t('transfer.operators')}</p>
          {others.length === 0 && <p className="menu__empty">{t('transfer.noOperators')}</p>}
          {others.map((operator) => (
            <button
              key={operator.id}
              type="button"
              role="menuitem"
              className="menu__item"
              data-testid="transfer-target"
              data-target-kind="operator"
              data-target-id={operator.id}
              onClick={() => onChoose({ kind: 'operator', id: operator.id, label: operator.name })}
            >
              <span className={`status-dot status-dot--${operator.status}`} aria-hidden="true" />
              <span className="menu__item-name">{operator.name}</span>
              <span className="menu__item-meta">
                {t(statusKeys[operator.status])} · {t('transfer.operatorLoad', { count: operator.active_chats })}
              </span>
            </button>
          ))}
        </>
      )}
    </div>
  );
}
