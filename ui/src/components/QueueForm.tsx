import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent, type RefObject } from 'react';
import type { NewQueue, QueueView, RoutingRule } from '../generated/ipc';
import { createQueue, errorMessage } from '../ipc';
import { t } from '../i18n';
import { ruleKeys } from './WhyPanel';

const RULES: RoutingRule[] = ['to_all', 'freest'];

export interface Problems {
  name?: string;
  timeout?: string;
}

/** What the admin typed for a queue: the timeout stays text until it is sent. */
export interface QueueDraft {
  name: string;
  rule: RoutingRule;
  timeout: string;
}

export const EMPTY_DRAFT: QueueDraft = { name: '', rule: 'to_all', timeout: '' };

export function draftOf(queue: QueueView): QueueDraft {
  return {
    name: queue.name,
    rule: queue.rule,
    timeout: queue.completion_timeout_min === null ? '' : String(queue.completion_timeout_min),
  };
}

/** The draft as the shell takes it: trimmed name, empty timeout = `null` (never). */
export function toNewQueue(draft: QueueDraft): NewQueue {
  const minutes = draft.timeout.trim();
  return { name: draft.name.trim(), rule: draft.rule, completion_timeout_min: minutes === '' ? null : Number(minutes) };
}

/** Checks what the admin typed before asking the shell, which checks again. */
export function validateQueue(
  name: string,
  timeout: string,
  timeoutUnreadable: boolean,
  existingNames: string[],
): Problems {
  const problems: Problems = {};
  const trimmed = name.trim();
  if (trimmed === '') problems.name = t('queueForm.nameRequired');
  else if (existingNames.some((n) => n.trim().toLocaleLowerCase() === trimmed.toLocaleLowerCase())) {
    problems.name = t('queueForm.nameTaken');
  }
  const minutes = timeout.trim();
  if (timeoutUnreadable || (minutes !== '' && (!/^\d+$/.test(minutes) || Number(minutes) < 1))) {
    problems.timeout = t('queueForm.timeoutInvalid');
  }
  return problems;
}

interface QueueFieldsProps {
  /** Prefix of the fields' test ids: `queue` for the new-queue form, `queue-card` in a queue's card. */
  testIdPrefix: string;
  draft: QueueDraft;
  problems: Problems;
  onChange: (patch: Partial<QueueDraft>) => void;
  nameInput?: RefObject<HTMLInputElement | null>;
  timeoutInput?: RefObject<HTMLInputElement | null>;
  disabled?: boolean;
}

/** Name, routing rule and completion timeout: shared by the new-queue form and a queue's card. */
export function QueueFields({ testIdPrefix, draft, problems, onChange, nameInput, timeoutInput, disabled }: QueueFieldsProps) {
  const id = useId();
  const nameProblemId = `${id}-name-problem`;
  const timeoutProblemId = `${id}-timeout-problem`;
  const timeoutHintId = `${id}-timeout-hint`;
  return (
    <div className="mini-card__fields">
      <label className="field">
        <span className="field__label">{t('queueForm.name')}</span>
        <input
          ref={nameInput}
          className="field__input"
          data-testid={`${testIdPrefix}-name-input`}
          value={draft.name}
          disabled={disabled}
          aria-invalid={problems.name ? true : undefined}
          aria-describedby={problems.name ? nameProblemId : undefined}
          onChange={(event) => onChange({ name: event.target.value })}
        />
        {problems.name && (
          <span className="field__problem" id={nameProblemId} data-testid={`${testIdPrefix}-name-error`}>
            {problems.name}
          </span>
        )}
      </label>
      <label className="field">
        <span className="field__label">{t('queueForm.rule')}</span>
        <select
          className="field__input"
          data-testid={`${testIdPrefix}-rule-select`}
          value={draft.rule}
          disabled={disabled}
          onChange={(event) => onChange({ rule: event.target.value as RoutingRule })}
        >
          {RULES.map((value) => (
            <option key={value} value={value}>
              {t(ruleKeys[value])}
            </option>
          ))}
        </select>
        <span className="field__hint">
          {t(draft.rule === 'to_all' ? 'queueForm.ruleHint.to_all' : 'queueForm.ruleHint.freest')}
        </span>
      </label>
      <label className="field">
        <span className="field__label">{t('queueForm.timeout')}</span>
        <input
          ref={timeoutInput}
          className="field__input field__input--number"
          data-testid={`${testIdPrefix}-timeout-input`}
          type="number"
          inputMode="numeric"
          min={1}
          step={1}
          value={draft.timeout}
          disabled={disabled}
          aria-invalid={problems.timeout ? true : undefined}
          aria-describedby={problems.timeout ? timeoutProblemId : timeoutHintId}
          onChange={(event) => onChange({ timeout: event.target.value })}
        />
        {problems.timeout ? (
          <span className="field__problem" id={timeoutProblemId} data-testid={`${testIdPrefix}-timeout-error`}>
            {problems.timeout}
          </span>
        ) : (
          <span className="field__hint" id={timeoutHintId}>
            {t('queueForm.timeoutHint')}
          </span>
        )}
      </label>
    </div>
  );
}

interface QueueFormProps {
  /** Names already taken, to catch duplicates before asking the shell. */
  existingNames: string[];
  onCreated: (queue: QueueView) => void;
  onCancel: () => void;
}

/** The mini-card for a new queue: name, routing rule, completion timeout; Apply / Cancel. */
export function QueueForm({ existingNames, onCreated, onCancel }: QueueFormProps) {
  const [draft, setDraft] = useState<QueueDraft>(EMPTY_DRAFT);
  const [problems, setProblems] = useState<Problems>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const nameInput = useRef<HTMLInputElement>(null);
  const timeoutInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    nameInput.current?.focus();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (saving) return;
    const unreadable = timeoutInput.current?.validity.badInput ?? false;
    const found = validateQueue(draft.name, draft.timeout, unreadable, existingNames);
    setProblems(found);
    setServerError(null);
    if (found.name) {
      nameInput.current?.focus();
      return;
    }
    if (found.timeout) {
      timeoutInput.current?.focus();
      return;
    }
    setSaving(true);
    try {
      onCreated(await createQueue(toNewQueue(draft)));
    } catch (failure) {
      setServerError(errorMessage(failure));
      setSaving(false);
    }
  };

  const onChange = (patch: Partial<QueueDraft>) => {
    setDraft((current) => ({ ...current, ...patch }));
    setProblems((current) => ({
      name: 'name' in patch ? undefined : current.name,
      timeout: 'timeout' in patch ? undefined : current.timeout,
    }));
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
      data-testid="queue-form"
      aria-labelledby="queue-form-title"
      noValidate
      onSubmit={(event) => void submit(event)}
      onKeyDown={onKeyDown}
    >
      <h3 id="queue-form-title" className="mini-card__title">
        {t('queueForm.title')}
      </h3>
      {serverError !== null && (
        <div className="error-banner mini-card__error" role="alert" data-testid="queue-form-error">
          <span className="error-banner__text">{serverError}</span>
        </div>
      )}
      <QueueFields
        testIdPrefix="queue"
        draft={draft}
        problems={problems}
        onChange={onChange}
        nameInput={nameInput}
        timeoutInput={timeoutInput}
      />
      <div className="mini-card__buttons">
        <button type="button" className="secondary-button" data-testid="queue-cancel" onClick={onCancel}>
          {t('queueForm.cancel')}
        </button>
        <button type="submit" className="primary-button" data-testid="queue-apply" disabled={saving}>
          {saving ? t('queueForm.applying') : t('queueForm.apply')}
        </button>
      </div>
    </form>
  );
}
