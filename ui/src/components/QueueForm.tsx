import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { NewQueue, QueueView, RoutingRule } from '../generated/ipc';
import { createQueue, errorMessage } from '../ipc';
import { t } from '../i18n';
import { ruleKeys } from './WhyPanel';

const RULES: RoutingRule[] = ['to_all', 'freest'];

interface Problems {
  name?: string;
  timeout?: string;
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

interface QueueFormProps {
  /** Names already taken, to catch duplicates before asking the shell. */
  existingNames: string[];
  onCreated: (queue: QueueView) => void;
  onCancel: () => void;
}

/** The mini-card for a new queue: name, routing rule, completion timeout; Apply / Cancel. */
export function QueueForm({ existingNames, onCreated, onCancel }: QueueFormProps) {
  const [name, setName] = useState('');
  const [rule, setRule] = useState<RoutingRule>('to_all');
  const [timeout, setTimeoutText] = useState('');
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
    const found = validateQueue(name, timeout, unreadable, existingNames);
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
    const queue: NewQueue = {
      name: name.trim(),
      rule,
      completion_timeout_min: timeout.trim() === '' ? null : Number(timeout.trim()),
    };
    setSaving(true);
    try {
      onCreated(await createQueue(queue));
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
      <div className="mini-card__fields">
        <label className="field">
          <span className="field__label">{t('queueForm.name')}</span>
          <input
            ref={nameInput}
            className="field__input"
            data-testid="queue-name-input"
            value={name}
            aria-invalid={problems.name ? true : undefined}
            aria-describedby={problems.name ? 'queue-name-problem' : undefined}
            onChange={(event) => {
              setName(event.target.value);
              setProblems((current) => ({ ...current, name: undefined }));
            }}
          />
          {problems.name && (
            <span className="field__problem" id="queue-name-problem" data-testid="queue-name-error">
              {problems.name}
            </span>
          )}
        </label>
        <label className="field">
          <span className="field__label">{t('queueForm.rule')}</span>
          <select
            className="field__input"
            data-testid="queue-rule-select"
            value={rule}
            onChange={(event) => setRule(event.target.value as RoutingRule)}
          >
            {RULES.map((value) => (
              <option key={value} value={value}>
                {t(ruleKeys[value])}
              </option>
            ))}
          </select>
          <span className="field__hint">{t(rule === 'to_all' ? 'queueForm.ruleHint.to_all' : 'queueForm.ruleHint.freest')}</span>
        </label>
        <label className="field">
          <span className="field__label">{t('queueForm.timeout')}</span>
          <input
            ref={timeoutInput}
            className="field__input field__input--number"
            data-testid="queue-timeout-input"
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            value={timeout}
            aria-invalid={problems.timeout ? true : undefined}
            aria-describedby={problems.timeout ? 'queue-timeout-problem' : 'queue-timeout-hint'}
            onChange={(event) => {
              setTimeoutText(event.target.value);
              setProblems((current) => ({ ...current, timeout: undefined }));
            }}
          />
          {problems.timeout ? (
            <span className="field__problem" id="queue-timeout-problem" data-testid="queue-timeout-error">
              {problems.timeout}
            </span>
          ) : (
            <span className="field__hint" id="queue-timeout-hint">
              {t('queueForm.timeoutHint')}
            </span>
          )}
        </label>
      </div>
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
