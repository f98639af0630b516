import type { KeyboardEvent, ReactNode } from 'react';

interface BlockProps {
  title: string;
  testId: string;
  /** The "+" button; omitted where adding is not possible. */
  add?:
    | {
        label: string;
        testId: string;
        onClick: () => void;
        disabled?: boolean;
        /** Set when the "+" opens a menu: whether it is open. */
        expanded?: boolean;
      }
    | undefined;
  children: ReactNode;
}

/** One block of the Chat settings page: a titled box, usually a table, with an optional "+". */
export function Block({ title, testId, add, children }: BlockProps) {
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
            aria-haspopup={add.expanded !== undefined ? 'menu' : undefined}
            aria-expanded={add.expanded}
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

/** Row props that make a table row open its mini-card by click or by Enter/Space (keeping the row's
 * table semantics; the title tells a mouse user the row opens). */
export function openableRow(label: string, open: boolean, onOpen: () => void) {
  return {
    tabIndex: 0,
    title: label,
    'data-open': open ? 'true' : undefined,
    className: `settings-table__row--openable${open ? ' settings-table__row--open' : ''}`,
    onClick: onOpen,
    onKeyDown: (event: KeyboardEvent) => {
      if (event.target !== event.currentTarget) return;
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        onOpen();
      }
    },
  };
}
