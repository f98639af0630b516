import { useId, useRef, useState, type FormEvent } from 'react';
import type { SharedDatabaseCheck, SharedDatabaseLogin, SharedDatabaseView, StandaloneData } from '../generated/ipc';
import { connectSharedDatabase, errorMessage, testSharedDatabase } from '../ipc';
import { language, t, type MessageKey } from '../i18n';

type Field = 'address' | 'user' | 'password';
type Problems = Partial<Record<Field, MessageKey>>;

/** What must be filled in before the shell is asked (it checks the rest). The password is sent as
 * typed: spaces may be part of it. */
function problemsOf(login: SharedDatabaseLogin): Problems {
  const problems: Problems = {};
  if (login.address.trim() === '') problems.address = 'sharedDb.addressRequired';
  if (login.user.trim() === '') problems.user = 'sharedDb.userRequired';
  if (login.password === '') problems.password = 'sharedDb.passwordRequired';
  return problems;
}

function checkSentence(check: SharedDatabaseCheck): string {
  return t('sharedDb.checkOk', {
    name: check.operator_name,
    role: t(check.is_admin ? 'sharedDb.roleAdmin' : 'sharedDb.roleOperator'),
    version: check.server_version,
  });
}

const numbers = new Intl.NumberFormat(language);

/** What the upload offer lists, in this order. */
const OFFERED: { label: MessageKey; count: (data: StandaloneData) => number; testId: string }[] = [
  { label: 'sharedDb.upload.channels', count: (d) => d.channels, testId: 'channels' },
  { label: 'sharedDb.upload.queues', count: (d) => d.queues, testId: 'queues' },
  { label: 'sharedDb.upload.people', count: (d) => d.operators + d.roles, testId: 'people' },
  { label: 'sharedDb.upload.chats', count: (d) => d.chats, testId: 'chats' },
  { label: 'sharedDb.upload.messages', count: (d) => d.messages, testId: 'messages' },
];

interface SharedDatabaseFormProps {
  /** The shell's answer to Connect: the setting is recorded, a restart is due. */
  onConnected: (view: SharedDatabaseView) => void;
  /** What this standalone desktop holds (absent when nothing beyond a fresh install's defaults):
   * the form then offers to upload it. */
  offer?: StandaloneData;
}

/**
 * Standalone: connect this desktop to the contact centre's shared database. Address, user and
 * password (sent to the shell only; it keeps the password in the keychain), Test connection and
 * Connect. The password is dropped from the form once connected. A desktop with data of its own
 * shows what it holds and "Upload this desktop's data" (ticked; admins only): the shell uploads it
 * before it records the connection, and nothing is deleted here.
 */
export function SharedDatabaseForm({ onConnected, offer }: SharedDatabaseFormProps) {
  const id = useId();
  const [login, setLogin] = useState<SharedDatabaseLogin>({ address: '', user: '', password: '' });
  const [upload, setUpload] = useState(true);
  const uploading = offer !== undefined && upload;
  const [problems, setProblems] = useState<Problems>({});
  const [busy, setBusy] = useState<'testing' | 'connecting' | null>(null);
  const [check, setCheck] = useState<SharedDatabaseCheck | null>(null);
  const [error, setError] = useState<string | null>(null);
  const inputs = useRef<Partial<Record<Field, HTMLInputElement | null>>>({});

  const edit = (field: Field, value: string) => {
    setLogin((current) => ({ ...current, [field]: value }));
    setProblems((current) => ({ ...current, [field]: undefined }));
    // What was tested or refused was another login.
    setCheck(null);
    setError(null);
  };

  /** The login to send, or `null` (and the problems shown, the first field focused) when incomplete. */
  const ready = (): SharedDatabaseLogin | null => {
    const found = problemsOf(login);
    setProblems(found);
    const first = (['address', 'user', 'password'] as const).find((field) => found[field] !== undefined);
    if (first !== undefined) {
      inputs.current[first]?.focus();
      return null;
    }
    return { address: login.address.trim(), user: login.user.trim(), password: login.password };
  };

  const test = async () => {
    if (busy !== null) return;
    setCheck(null);
    setError(null);
    const sent = ready();
    if (sent === null) return;
    setBusy('testing');
    try {
      setCheck(await testSharedDatabase(sent));
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(null);
    }
  };

  const connect = async (event?: FormEvent) => {
    event?.preventDefault();
    if (busy !== null) return;
    setError(null);
    const sent = ready();
    if (sent === null) return;
    setBusy('connecting');
    try {
      // Without data to offer the request stays as it was: no upload field at all.
      const view = await connectSharedDatabase(offer === undefined ? sent : { ...sent, upload });
      setLogin((current) => ({ ...current, password: '' }));
      setCheck(null);
      setBusy(null);
      onConnected(view);
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(null);
    }
  };

  const field = (name: Field, label: MessageKey, extra: { type?: string; placeholder?: string; hint?: MessageKey }) => {
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
          data-testid={`shared-db-${name}`}
          name={`shared-db-${name}`}
          type={extra.type ?? 'text'}
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          placeholder={extra.placeholder}
          value={login[name]}
          disabled={busy !== null}
          aria-invalid={problem !== undefined ? true : undefined}
          aria-describedby={problem !== undefined || extra.hint !== undefined ? note : undefined}
          onChange={(event) => edit(name, event.target.value)}
        />
        {problem !== undefined ? (
          <span id={note} className="field__problem" data-testid={`shared-db-${name}-problem`}>
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

  return (
    <form className="settings-form" noValidate data-testid="shared-db-form" onSubmit={(event) => void connect(event)}>
      <p className="field__hint">{t('sharedDb.intro')}</p>
      <div className="settings-form__fields shared-db__fields">
        {field('address', 'sharedDb.address', { placeholder: 'db.example.com:5432/switchboard', hint: 'sharedDb.addressHint' })}
        {field('user', 'sharedDb.user', {})}
        {field('password', 'sharedDb.password', { type: 'password', hint: 'sharedDb.passwordHint' })}
      </div>
      {error !== null && (
        <div className="error-banner" role="alert" data-testid="shared-db-error">
          <span className="error-banner__text">{error}</span>
        </div>
      )}
      {check !== null && (
        <p className="shared-db__check" role="status" data-testid="shared-db-check">
          {checkSentence(check)}
          <span className={check.encrypted ? undefined : 'shared-db__unencrypted'}>
            {' · '}
            {t(check.encrypted ? 'sharedDb.encrypted' : 'sharedDb.notEncrypted')}
          </span>
        </p>
      )}
      {offer !== undefined && (
        <fieldset className="shared-db__upload" data-testid="shared-db-upload">
          <legend className="field__label">{t('sharedDb.upload.title')}</legend>
          <dl className="shared-db__counts" data-testid="shared-db-upload-counts">
            {OFFERED.map(({ label, count, testId }) => (
              <div key={testId}>
                <dt>{t(label)}</dt>
                <dd data-testid={`shared-db-upload-${testId}`}>{numbers.format(count(offer))}</dd>
              </div>
            ))}
          </dl>
          <label className="checkbox-field">
            <input
              type="checkbox"
              data-testid="shared-db-upload-box"
              checked={upload}
              disabled={busy !== null}
              aria-describedby={`${id}-upload-note`}
              onChange={(event) => {
                setUpload(event.target.checked);
                setError(null);
              }}
            />
            <span>{t('sharedDb.upload.label')}</span>
          </label>
          <span id={`${id}-upload-note`} className="field__hint">
            {t('sharedDb.upload.hint')}
          </span>
          {uploading && check !== null && !check.is_admin && (
            <p className="shared-db__admin-only" role="note" data-testid="shared-db-upload-admin-only">
              {t('sharedDb.upload.adminOnly', { name: check.operator_name })}
            </p>
          )}
        </fieldset>
      )}
      <div className="mini-card__buttons">
        <button
          type="button"
          className="secondary-button"
          data-testid="shared-db-test"
          disabled={busy !== null}
          onClick={() => void test()}
        >
          {busy === 'testing' ? t('sharedDb.testing') : t('sharedDb.test')}
        </button>
        <button type="submit" className="primary-button" data-testid="shared-db-connect" disabled={busy !== null}>
          {busy === 'connecting'
            ? t(uploading ? 'sharedDb.upload.uploading' : 'sharedDb.connecting')
            : t(uploading ? 'sharedDb.upload.connect' : 'sharedDb.connect')}
        </button>
      </div>
    </form>
  );
}
