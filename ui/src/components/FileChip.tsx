import type { ReactNode } from 'react';
import type { AttachmentKind } from '../generated/ipc';
import { formatSize } from '../format';

function FileIcon({ kind }: { kind: AttachmentKind }) {
  return (
    <svg className="file-chip__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      {kind === 'voice' ? (
        <path d="M12 15a3 3 0 0 0 3-3V6a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3Zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.9V21h2v-2.1a7 7 0 0 0 6-6.9h-2Z" />
      ) : kind === 'photo' || kind === 'sticker' ? (
        <path d="M5 4h14a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1Zm1 12h12l-4-5-3 4-2-2-3 3Zm3-6a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3Z" />
      ) : (
        <path d="M6 2h8l6 6v13a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1Zm7 1.5V9h5.5L13 3.5Z" />
      )}
    </svg>
  );
}

interface FileChipProps {
  kind: AttachmentKind;
  /** Shown as text (a customer's file name is customer data). */
  name: string;
  size: number | null;
  /** Buttons or a state line after the name. */
  children?: ReactNode;
  testId?: string;
  /** Test id of the name: `attachment-name` in bubbles. */
  nameTestId?: string;
}

/** A file as a compact chip: icon, name, size and whatever can be done with it. */
export function FileChip({ kind, name, size, children, testId, nameTestId = 'attachment-name' }: FileChipProps) {
  return (
    <div className="file-chip" data-testid={testId}>
      <FileIcon kind={kind} />
      <span className="file-chip__text">
        <span className="file-chip__name" data-testid={nameTestId} title={name}>
          {name}
        </span>
        {size !== null && <span className="file-chip__size">{formatSize(size)}</span>}
      </span>
      {children}
    </div>
  );
}
