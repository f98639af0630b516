import { useId, useRef, useState, type FormEvent } from 'react';
import type { NewOperatorLogin, OperatorLogin, QueueView } from '../generated/ipc';
import { createOperatorLogin, errorMessage } from '../ipc';
import { t, type MessageKey } from '../i18n';

type Field = 'name' | 'login' | 'password';
type Problems = Partial<Record<Field, MessageKey>>;

/** The server's rule for a login name (it checks again). */
export const LOGIN_PATTERN = /^[a-z][a-z0-9_]*$/;

/** What must be right before the shell is asked: the fields filled in and the login's pattern. The
 * password is sent as typed (spaces may be part of it); the shell checks its length. */
export function operatorLoginProblems(input: { name: string; login: string; password: string }): Problems {
  const problems: Problems = {};
  if (input.name.trim() === '') problems.name = 'operatorLogins.nameRequired';
  const login = input.login.trim();
  if (login === '') problems.login = 'operatorLogins.loginRequired';
  else if (!LOGIN_PATTERN.test(login)) problems.login = 'operatorLogins.loginPattern';
  if (input.password === '') problems.password = 'operatorLogins.passwordRequired';
  return problems;
}

const EMPTY = { name: '', login: '', password: '' };

interface OperatorLoginFormProps {
  /** The queues to offer; `null` while loading. */
  queues: QueueView[] | null;
  /** The shell created the operator: the list reloads. */
  onCreated: (created: OperatorLogin) => void;
}

/**
 * Add operator: name, login, password (sent to the shell once; it goes to the database and is
 * never shown again), Admin, and the queues the operator serves. Cleared after a success.
 */
export function OperatorLoginForm({ queues, onCreated }: OperatorLoginFormProps) {
  const id = useId();
  const [fields, setFields] = useState(EMPTY);
  const [isAdmin, setIsAdmin] = useState(false);
  const [queueIds, setQueueIds] = useState<readonly string[]>([]);
  const [problems, setProblems] = useState<Problems>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<OperatorLogin | null>(null);
  const inputs = useRef<Partial<Record<Field, HTMLInputElement | null>>>({});

  const edit = (field: Field, value: string) => {
    setFields((current) => ({ ...current, [field]: value }));
    setProblems((current) => ({ ...current, [field]: undefined }));
    setError(null);
    setCreated(null);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    setCreated(null);
    const found = operatorLoginProblems(fields);
    setProblems(found);
    const first = (['name', 'login', 'password'] as const).find((field) => found[field] !== undefined);
    if (first !== undefined) {
      inputs.current[first]?.focus();
      return;
    }
    const sent: NewOperatorLogin = {
      name: fields.name.trim(),
      login: fields.login.trim(),
      password: fields.password,
      is_admin: isAdmin,
      // Only queues still offered (one may have gone since it was ticked).
      queue_ids: queueIds.filter((queueId) => queues?.some((q) => q.id === queueId) ?? false),
    };
    setBusy(true);
    try {
      const answer = await createOperatorLogin(sent);
      setFields(EMPTY);
      setIsAdmin(false);
      setQueueIds([]);
      setCreated(answer);
      onCreated(answer);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  const field = (name: Field, label: MessageKey, extra: { type?: string; autoComplete: string; hint?: MessageKey }) => {
    const problem = problems[name];
    const note = `${id}-${name}-note`;
    return (
      <label className="field">
        <span className="field__label">{t(label)}</span>
        <input
          ref={(element) => {
            inputs.current[name] = element;
          }}
          className="field__input"
          data-testid={`operator-login-${name}`}
          name={`operator-login-${name}`}
          type={extra.type ?? 'text'}
          autoComplete={extra.autoComplete}
          autoCapitalize="off"
          spellCheck={false}
          value={fields[name]}
          disabled={busy}
          aria-invalid={problem !== undefined ? true : undefined}
          aria-describedby={problem !== undefined || extra.hint !== undefined ? note : undefined}
          onChange={(event) => edit(name, event.target.value)}
        />
        {problem !== undefined ? (
          <span id={note} className="field__problem" data-testid={`operator-login-${name}-problem`}>
            {t(problem)}
          </span>
        ) : (
          extra.hint !== undefined && (
            <span id={note} className="field__hint">
              {t(extra.hint)}
            </span>
          )
        )}
      </label>
    );
  };

  const titleId = `${id}-title`;
  return (
    <form
      className="settings-form operator-logins__form"
      noValidate
      data-testid="operator-login-form"
      aria-labelledby={titleId}
      onSubmit={(event) => void submit(event)}
    >
      <h3 id={titleId} className="mini-card__title">
        {t('operatorLogins.add')}
      </h3>
      <div className="settings-form__fields">
        {field('name', 'operatorLogins.name', { autoComplete: 'off' })}
        {field('login', 'operatorLogins.login', { autoComplete: 'off', hint: 'operatorLogins.loginHint' })}
        {field('password', 'operatorLogins.password', {
          type: 'password',
          autoComplete: 'new-password',
          hint: 'operatorLogins.passwordHint',
        })}
      </div>
      <label className="checkbox-field">
        <input
          type="checkbox"
          data-testid="operator-login-admin"
          checked={isAdmin}
          disabled={busy}
          onChange={(event) => setIsAdmin(event.target.checked)}
        />
        <span>{t('operatorLogins.isAdmin')}</span>
      </label>
      <fieldset className="mini-card__checklist">
        <legend className="field__label">{t('operatorLogins.queues')}</legend>
        {queues === null ? (
          <p className="muted">{t('settings.loading')}</p>
        ) : queues.length === 0 ? (
          <p className="muted">{t('operatorLogins.noQueues')}</p>
        ) : (
          queues.map((queue) => (
            <label key={queue.id} className="checkbox-field">
              <input
                type="checkbox"
                data-testid="operator-login-queue"
                data-queue-id={queue.id}
                checked={queueIds.includes(queue.id)}
                disabled={busy}
                onChange={(event) => {
                  const on = event.target.checked;
                  setQueueIds((current) =>
                    on ? [...current.filter((q) => q !== queue.id), queue.id] : current.filter((q) => q !== queue.id),
                  );
                }}
              />
              <span>{queue.name}</span>
            </label>
          ))
        )}
      </fieldset>
      {error !== null && (
        <div className="error-banner" role="alert" data-testid="operator-login-error">
          <span className="error-banner__text">{error}</span>
        </div>
      )}
      {created !== null && created.login !== null && (
        <p className="settings-form__saved" role="status" data-testid="operator-login-created">
          {t('operatorLogins.created', { name: created.name, login: created.login })}
        </p>
      )}
      <div className="mini-card__buttons">
        <button type="submit" className="primary-button" data-testid="operator-login-submit" disabled={busy}>
          {busy ? t('operatorLogins.creating') : t('operatorLogins.add')}
        </button>
      </div>
    </form>
  );
}
