import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { OperatorView, RoleView } from '../generated/ipc';
import { createRole, errorMessage, setRoleMember } from '../ipc';
import { t } from '../i18n';
import { Block, openableRow } from './Block';
import { ErrorBanner } from './ErrorBanner';

/** Checks the new role's name before asking the shell, which checks again. */
export function validateRoleName(name: string, existingNames: string[]): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return t('roleForm.nameRequired');
  if (existingNames.some((n) => n.trim().toLocaleLowerCase() === trimmed.toLocaleLowerCase())) {
    return t('roleForm.nameTaken');
  }
  return null;
}

interface RoleFormProps {
  existingNames: string[];
  onCreated: (role: RoleView) => void;
  onCancel: () => void;
}

/** The "+" mini-card: a role's name; Apply / Cancel. */
function RoleForm({ existingNames, onCreated, onCancel }: RoleFormProps) {
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [serverError, setServerError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    input.current?.focus();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (saving) return;
    const found = validateRoleName(name, existingNames);
    setProblem(found);
    setServerError(null);
    if (found !== null) {
      input.current?.focus();
      return;
    }
    setSaving(true);
    try {
      onCreated(await createRole(name.trim()));
    } catch (failure) {
      setServerError(errorMessage(failure));
      setSaving(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      onCancel();
    }
  };

  return (
    <form
      className="mini-card"
      data-testid="role-form"
      aria-labelledby="role-form-title"
      noValidate
      onSubmit={(event) => void submit(event)}
      onKeyDown={onKeyDown}
    >
      <h3 id="role-form-title" className="mini-card__title">
        {t('roleForm.title')}
      </h3>
      {serverError !== null && (
        <div className="error-banner" role="alert" data-testid="role-form-error">
          <span className="error-banner__text">{serverError}</span>
        </div>
      )}
      <label className="field">
        <span className="field__label">{t('roleForm.name')}</span>
        <input
          ref={input}
          className="field__input"
          data-testid="role-name-input"
          value={name}
          aria-invalid={problem !== null ? true : undefined}
          aria-describedby={problem !== null ? 'role-name-problem' : undefined}
          onChange={(event) => {
            setName(event.target.value);
            setProblem(null);
          }}
        />
        {problem !== null && (
          <span className="field__problem" id="role-name-problem" data-testid="role-name-error">
            {problem}
          </span>
        )}
      </label>
      <div className="mini-card__buttons">
        <button type="button" className="secondary-button" data-testid="role-cancel" onClick={onCancel}>
          {t('queueForm.cancel')}
        </button>
        <button type="submit" className="primary-button" data-testid="role-apply" disabled={saving}>
          {saving ? t('queueForm.applying') : t('queueForm.apply')}
        </button>
      </div>
    </form>
  );
}

interface RoleCardProps {
  role: RoleView;
  operators: OperatorView[] | null;
  operatorsError: string | null;
  onChanged: (role: RoleView) => void;
  onClose: () => void;
}

/** A role's mini-card: every user with a checkbox; each tick goes to the shell at once. */
function RoleCard({ role, operators, operatorsError, onChanged, onClose }: RoleCardProps) {
  const [pending, setPending] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const toggle = async (userId: string, member: boolean) => {
    setPending((current) => new Set(current).add(userId));
    setError(null);
    try {
      const updated = await setRoleMember(role.id, userId, member);
      if (mounted.current) onChanged(updated);
    } catch (failure) {
      if (mounted.current) setError(errorMessage(failure));
    } finally {
      if (mounted.current) {
        setPending((current) => {
          const next = new Set(current);
          next.delete(userId);
          return next;
        });
      }
    }
  };

  const titleId = `role-card-title-${role.id}`;
  return (
    <section
      className="mini-card"
      data-testid="role-card"
      data-role-id={role.id}
      aria-labelledby={titleId}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          onClose();
        }
      }}
    >
      <header className="mini-card__header">
        <h3 id={titleId} className="mini-card__title">
          {t('roleCard.title', { name: role.name })}
        </h3>
        <button
          type="button"
          className="icon-button"
          data-testid="role-card-close"
          aria-label={t('queueCard.close')}
          title={t('queueCard.close')}
          onClick={onClose}
        >
          ×
        </button>
      </header>
      {error !== null && (
        <div className="error-banner" role="alert" data-testid="role-card-error">
          <span className="error-banner__text">{error}</span>
        </div>
      )}
      {operatorsError !== null && (
        <div className="error-banner" role="alert">
          <span className="error-banner__text">{operatorsError}</span>
        </div>
      )}
      <fieldset className="mini-card__checklist">
        <legend className="field__label">{t('roleCard.users')}</legend>
        {operators === null ? (
          operatorsError === null && <p className="muted">{t('settings.loading')}</p>
        ) : operators.length === 0 ? (
          <p className="muted">{t('roleCard.noOperators')}</p>
        ) : (
          operators.map((operator) => (
            <label key={operator.id} className="checkbox-field">
              <input
                type="checkbox"
                data-testid="role-user-checkbox"
                data-user-id={operator.id}
                checked={role.user_ids.includes(operator.id)}
                disabled={pending.has(operator.id)}
                onChange={(event) => void toggle(operator.id, event.target.checked)}
              />
              <span>{operator.name}</span>
            </label>
          ))
        )}
      </fieldset>
      <p className="field__hint">{t('roleCard.hint')}</p>
    </section>
  );
}

interface RolesBlockProps {
  roles: RoleView[] | null;
  rolesError: string | null;
  onRetry: () => void;
  operators: OperatorView[] | null;
  operatorsError: string | null;
  /** A role created or changed, as the shell answered. */
  onRoleChanged: (role: RoleView, membershipChanged: boolean) => void;
}

/** Roles: Name · Users, a "+" for a new role, and a mini-card per role to give it to users. */
export function RolesBlock({ roles, rolesError, onRetry, operators, operatorsError, onRoleChanged }: RolesBlockProps) {
  const [adding, setAdding] = useState(false);
  const [openId, setOpenId] = useState<string | null>(null);
  const [createdId, setCreatedId] = useState<string | null>(null);
  const open = roles?.find((r) => r.id === openId) ?? null;

  return (
    <Block
      title={t('settings.roles')}
      testId="roles-block"
      add={{
        label: t('settings.addRole'),
        testId: 'add-role',
        onClick: () => {
          setOpenId(null);
          setAdding(true);
        },
        disabled: adding,
      }}
    >
      {rolesError !== null && <ErrorBanner message={rolesError} onRetry={onRetry} />}
      {adding && (
        <RoleForm
          existingNames={roles?.map((r) => r.name) ?? []}
          onCreated={(role) => {
            setAdding(false);
            setCreatedId(role.id);
            onRoleChanged(role, false);
          }}
          onCancel={() => setAdding(false)}
        />
      )}
      {open !== null && (
        <RoleCard
          key={open.id}
          role={open}
          operators={operators}
          operatorsError={operatorsError}
          onChanged={(role) => onRoleChanged(role, true)}
          onClose={() => setOpenId(null)}
        />
      )}
      {roles === null ? (
        rolesError === null && <p className="muted pad">{t('settings.loading')}</p>
      ) : roles.length === 0 ? (
        <p className="muted pad">{t('settings.noRoles')}</p>
      ) : (
        <table className="settings-table">
          <thead>
            <tr>
              <th scope="col">{t('settings.colName')}</th>
              <th scope="col">{t('settings.colUsers')}</th>
            </tr>
          </thead>
          <tbody>
            {roles.map((role) => {
              const row = openableRow(t('settings.rowOpen', { name: role.name }), role.id === openId, () => {
                setAdding(false);
                setOpenId(role.id);
              });
              return (
                <tr
                  key={role.id}
                  data-testid="role-row"
                  data-role-id={role.id}
                  {...row}
                  className={`${row.className}${role.id === createdId ? ' settings-table__row--new' : ''}`}
                >
                  <td className="settings-table__name">{role.name}</td>
                  <td>
                    {role.user_names.length > 0 ? (
                      role.user_names.join(', ')
                    ) : (
                      <span className="muted">{t('settings.noUsers')}</span>
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
