import { useCallback, useEffect, useRef, useState } from 'react';
import type { RoutingEntry, RoutingRule } from '../generated/ipc';
import { formatFullDate } from '../format';
import { errorMessage, explainRouting } from '../ipc';
import { t, type MessageKey } from '../i18n';

const kindKeys: Record<string, MessageKey> = {
  offer: 'why.kind.offer',
  assign: 'why.kind.assign',
  withdraw: 'why.kind.withdraw',
  wait: 'why.kind.wait',
  complete: 'why.kind.complete',
  set_inactive: 'why.kind.set_inactive',
};

export const ruleKeys: Record<RoutingRule, MessageKey> = {
  to_all: 'rule.to_all',
  freest: 'rule.freest',
};

function kindLabel(kind: string): string {
  const key = kindKeys[kind];
  return key ? t(key) : kind;
}

interface WhyPanelProps {
  chatId: string;
  /** Changes whenever the chat changed, so the history is fetched again. */
  version: string;
  onClose: () => void;
}

/** "Why this chat?": every routing decision recorded for the chat, with its candidates. */
export function WhyPanel({ chatId, version, onClose }: WhyPanelProps) {
  const [entries, setEntries] = useState<RoutingEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);

  const load = useCallback(async (id: string) => {
    const mine = ++seq.current;
    try {
      const explanation = await explainRouting(id);
      if (mine !== seq.current) return;
      setEntries([...explanation.entries].sort((a, b) => a.decided_at - b.decided_at));
      setError(null);
    } catch (failure) {
      if (mine !== seq.current) return;
      setError(errorMessage(failure));
    }
  }, []);

  // A different chat starts from a blank panel; a newer version of the same chat refreshes quietly.
  useEffect(() => {
    setEntries(null);
    setError(null);
  }, [chatId]);

  useEffect(() => {
    void load(chatId);
  }, [chatId, version, load]);

  useEffect(
    () => () => {
      seq.current++;
    },
    [],
  );

  return (
    <aside className="why-panel" data-testid="why-panel" data-chat-id={chatId} aria-labelledby="why-title">
      <header className="pane-header">
        <h2 id="why-title">{t('why.title')}</h2>
        <span className="pane-header__spacer" />
        <button type="button" className="link-button" onClick={() => void load(chatId)}>
          {t('why.refresh')}
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={t('why.close')}
          title={t('why.close')}
          onClick={onClose}
        >
          ×
        </button>
      </header>
      <div className="why-panel__body">
        {error !== null && (
          <div className="error-banner" role="alert">
            <span className="error-banner__text">{error}</span>
          </div>
        )}
        {entries === null ? (
          error === null && <p className="muted pad">{t('why.loading')}</p>
        ) : entries.length === 0 ? (
          <p className="muted pad">{t('why.empty')}</p>
        ) : (
          <ol className="why-panel__entries">
            {entries.map((entry, index) => (
              <li key={`${entry.decided_at}-${index}`} className="why-entry" data-testid="why-entry" data-kind={entry.kind}>
                <div className="why-entry__head">
                  <span className="why-entry__kind">{kindLabel(entry.kind)}</span>
                  <time className="why-entry__time" dateTime={new Date(entry.decided_at).toISOString()}>
                    {formatFullDate(entry.decided_at)}
                  </time>
                </div>
                <p className="why-entry__summary" data-testid="why-summary">
                  {entry.summary}
                </p>
                {entry.rule !== null && (
                  <p className="why-entry__line">
                    <span className="why-entry__label">{t('why.rule')}:</span>{' '}
                    <span data-testid="why-rule" data-rule={entry.rule}>
                      {t(ruleKeys[entry.rule])}
                    </span>
                  </p>
                )}
                {entry.candidates.length > 0 ? (
                  <table className="why-table">
                    <thead>
                      <tr>
                        <th scope="col">{t('why.colOperator')}</th>
                        <th scope="col">{t('why.colActive')}</th>
                        <th scope="col">{t('why.colLast')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {entry.candidates.map((candidate, row) => (
                        <tr key={`${candidate.operator_name}-${row}`} data-testid="why-candidate">
                          <td>{candidate.operator_name}</td>
                          <td className="why-table__number">{candidate.active_chats}</td>
                          <td>
                            {candidate.last_assigned_at === null
                              ? t('why.never')
                              : formatFullDate(candidate.last_assigned_at)}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                ) : (
                  entry.kind === 'wait' && (
                    <p className="why-entry__line muted">{t('why.noCandidates')}</p>
                  )
                )}
                {entry.tie_break !== null && entry.tie_break !== '' && (
                  <p className="why-entry__line" data-testid="why-tie-break">
                    <span className="why-entry__label">{t('why.tieBreak')}:</span> {entry.tie_break}
                  </p>
                )}
              </li>
            ))}
          </ol>
        )}
      </div>
    </aside>
  );
}
