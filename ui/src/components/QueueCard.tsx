import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { MemberKind, OperatorView, QueueMember, QueueView, RoleView } from '../generated/ipc';
import { addQueueMember, errorMessage, removeQueueMember, updateQueue } from '../ipc';
import { t } from '../i18n';
import { draftOf, QueueFields, toNewQueue, validateQueue, type QueueDraft } from './QueueForm';

interface QueueCardProps {
  queue: QueueView;
  /** Everyone who could be added; `null` while loading. */
  operators: OperatorView[] | null;
  roles: RoleView[] | null;
  /** Why the users or roles could not be loaded. */
  directoryError: string | null;
  /** The other queues' names, to catch a duplicate before asking the shell. */
  otherNames: string[];
  /** The queue as the shell answered after a change. */
  onChanged: (queue: QueueView) => void;
  onClose: () => void;
}

const memberKey = (kind: MemberKind, id: string) => `${kind}:${id}`;

/** "user:op-1" → ["user", "op-1"]; ids may themselves contain colons. */
function parseMemberKey(value: string): { kind: MemberKind; id: string } | null {
  const colon = value.indexOf(':');
  if (colon < 0) return null;
  const kind = value.slice(0, colon);
  if (kind !== 'user' && kind !== 'role') return null;
  return { kind, id: value.slice(colon + 1) };
}

/** True when the draft says something other than the queue does. */
function draftDiffers(draft: QueueDraft, queue: QueueView): boolean {
  const saved = draftOf(queue);
  return draft.name.trim() !== saved.name || draft.rule !== saved.rule || draft.timeout.trim() !== saved.timeout;
}

/**
 * A queue's mini-card: its name, routing rule and completion timeout (Apply sends `update_queue`,
 * Cancel puts back what the queue says) and its Operators detail: the users and roles serving it, a remove button on
 * each and a "+" picker. Every change goes to the shell at once; the card shows the queue it answers.
 */
export function QueueCard({ queue, operators, roles, directoryError, otherNames, onChanged, onClose }: QueueCardProps) {
  const [draft, setDraft] = useState<QueueDraft>(() => draftOf(queue));
  const [timeoutUnreadable, setTimeoutUnreadable] = useState(false);
  const timeoutInput = useRef<HTMLInputElement>(null);
  const [picking, setPicking] = useState(false);
  const [pick, setPick] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);
  const pickSelect = useRef<HTMLSelectElement>(null);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  useEffect(() => {
    if (picking) pickSelect.current?.focus();
  }, [picking]);

  const taken = new Set(queue.members.map((m) => memberKey(m.kind, m.id)));
  const freeUsers = (operators ?? []).filter((o) => !taken.has(memberKey('user', o.id)));
  const freeRoles = (roles ?? []).filter((r) => !taken.has(memberKey('role', r.id)));
  const directoryLoading = (operators === null || roles === null) && directoryError === null;

  const run = async (change: () => Promise<QueueView>, after?: () => void, answered?: (queue: QueueView) => void) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const updated = await change();
      if (!mounted.current) return;
      onChanged(updated);
      answered?.(updated);
      after?.();
    } catch (failure) {
      if (mounted.current) setError(errorMessage(failure));
    } finally {
      if (mounted.current) setBusy(false);
    }
  };

  const confirm = () => {
    const member = parseMemberKey(pick);
    if (!member) return;
    void run(
      () => addQueueMember(queue.id, member.kind, member.id),
      () => {
        setPicking(false);
        setPick('');
      },
    );
  };

  const changed = timeoutUnreadable || draftDiffers(draft, queue);
  const problems = changed ? validateQueue(draft.name, draft.timeout, timeoutUnreadable, otherNames) : {};
  const invalid = problems.name !== undefined || problems.timeout !== undefined;

  const editDraft = (patch: Partial<QueueDraft>) => {
    setDraft((current) => ({ ...current, ...patch }));
    if ('timeout' in patch) setTimeoutUnreadable(timeoutInput.current?.validity.badInput ?? false);
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    if (!changed || invalid) return;
    void run(
      () => updateQueue(queue.id, toNewQueue(draft)),
      () => setTimeoutUnreadable(false),
      (updated) => setDraft(draftOf(updated)),
    );
  };

  const revert = () => {
    setDraft(draftOf(queue));
    setTimeoutUnreadable(false);
    setError(null);
  };

  const remove = (member: QueueMember) => void run(() => removeQueueMember(queue.id, member.kind, member.id));

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    if (picking) setPicking(false);
    else onClose();
  };

  const titleId = `queue-card-title-${queue.id}`;
  return (
    <section
      className="mini-card"
      data-testid="queue-card"
      data-queue-id={queue.id}
      aria-labelledby={titleId}
      onKeyDown={onKeyDown}
    >
      <header className="mini-card__header">
        <h3 id={titleId} className="mini-card__title">
          {t('queueCard.title', { name: queue.name })}
        </h3>
        <button
          type="button"
          className="icon-button"
          data-testid="queue-card-close"
          aria-label={t('queueCard.close')}
          title={t('queueCard.close')}
          onClick={onClose}
        >
          ×
        </button>
      </header>
      {error !== null && (
        <div className="error-banner" role="alert" data-testid="queue-card-error">
          <span className="error-banner__text">{error}</span>
        </div>
      )}
      <form
        className="mini-card__edit"
        data-testid="queue-card-form"
        aria-labelledby={`${titleId}-edit`}
        noValidate
        onSubmit={apply}
      >
        <h4 id={`${titleId}-edit`} className="mini-card__subtitle">
          {t('queueCard.settings')}
        </h4>
        <QueueFields
          testIdPrefix="queue-card"
          draft={draft}
          problems={problems}
          onChange={editDraft}
          timeoutInput={timeoutInput}
          disabled={busy}
        />
        <div className="mini-card__buttons">
          <button
            type="button"
            className="secondary-button"
            data-testid="queue-card-cancel"
            disabled={busy || !changed}
            onClick={revert}
          >
            {t('queueForm.cancel')}
          </button>
          <button type="submit" className="primary-button" data-testid="queue-card-apply" disabled={busy || !changed || invalid}>
            {busy ? t('queueForm.applying') : t('queueForm.apply')}
          </button>
        </div>
      </form>
      <div className="mini-card__detail">
        <div className="mini-card__detail-header">
          <h4 className="mini-card__subtitle">{t('queueCard.operators')}</h4>
          <button
            type="button"
            className="add-button add-button--small"
            data-testid="add-queue-member"
            aria-label={t('queueCard.add')}
            title={t('queueCard.add')}
            disabled={picking || busy}
            onClick={() => {
              setError(null);
              setPicking(true);
            }}
          >
            +
          </button>
        </div>
        {queue.members.length === 0 ? (
          <p className="warning" role="note" data-testid="queue-no-members">
            {t('queueCard.noMembers')}
          </p>
        ) : (
          <>
            <table className="settings-table settings-table--compact">
              <thead>
                <tr>
                  <th scope="col">{t('queueCard.colKind')}</th>
                  <th scope="col">{t('queueCard.colName')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('queueCard.remove')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {queue.members.map((member) => (
                  <tr
                    key={memberKey(member.kind, member.id)}
                    data-testid="queue-member"
                    data-kind={member.kind}
                    data-member-id={member.id}
                  >
                    <td>{t(member.kind === 'user' ? 'queueCard.user' : 'queueCard.role')}</td>
                    <td>{member.name}</td>
                    <td className="settings-table__action">
                      <button
                        type="button"
                        className="secondary-button secondary-button--small"
                        data-testid="remove-queue-member"
                        aria-label={t('queueCard.removeLabel', { name: member.name })}
                        disabled={busy}
                        onClick={() => remove(member)}
                      >
                        {t('queueCard.remove')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {queue.operator_names.length > 0 ? (
              <p className="field__hint" data-testid="queue-effective-operators">
                {t('queueCard.effective', { names: queue.operator_names.join(', ') })}
              </p>
            ) : (
              <p className="warning" role="note" data-testid="queue-no-operators">
                {t('queueCard.noneActive')}
              </p>
            )}
          </>
        )}
        {picking && (
          <div className="mini-card__picker" data-testid="queue-member-picker">
            {directoryError !== null && (
              <div className="error-banner" role="alert">
                <span className="error-banner__text">{directoryError}</span>
              </div>
            )}
            {directoryLoading ? (
              <p className="muted">{t('settings.loading')}</p>
            ) : freeUsers.length === 0 && freeRoles.length === 0 ? (
              directoryError === null && <p className="muted">{t('queueCard.nothingToAdd')}</p>
            ) : (
              <label className="field">
                <span className="field__label">{t('queueCard.pick')}</span>
                <select
                  ref={pickSelect}
                  className="field__input"
                  data-testid="queue-member-select"
                  value={pick}
                  onChange={(event) => setPick(event.target.value)}
                >
                  <option value="" disabled>
                    {t('queueCard.pickPlaceholder')}
                  </option>
                  {freeUsers.length > 0 && (
                    <optgroup label={t('queueCard.users')}>
                      {freeUsers.map((o) => (
                        <option key={o.id} value={memberKey('user', o.id)}>
                          {o.name}
                        </option>
                      ))}
                    </optgroup>
                  )}
                  {freeRoles.length > 0 && (
                    <optgroup label={t('queueCard.roles')}>
                      {freeRoles.map((r) => (
                        <option key={r.id} value={memberKey('role', r.id)}>
                          {r.name}
                        </option>
                      ))}
                    </optgroup>
                  )}
                </select>
              </label>
            )}
            <div className="mini-card__buttons">
              <button type="button" className="secondary-button" data-testid="queue-member-cancel" onClick={() => setPicking(false)}>
                {t('queueForm.cancel')}
              </button>
              <button
                type="button"
                className="primary-button"
                data-testid="queue-member-confirm"
                disabled={busy || parseMemberKey(pick) === null}
                onClick={confirm}
              >
                {busy ? t('queueForm.applying') : t('queueCard.confirm')}
              </button>
            </div>
          </div>
        )}
      </div>
    </section>
  );
}
