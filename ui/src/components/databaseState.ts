// Words for the shared database's connection, shared by the rail's badge and the settings block.

import type { DatabaseConnection } from '../generated/ipc';
import { language, t, type MessageKey } from '../i18n';

export type ConnectionState = DatabaseConnection['state'];

const stateKeys: Record<ConnectionState, MessageKey> = {
  standalone: 'sharedDb.state.standalone',
  connecting: 'sharedDb.state.connecting',
  online: 'sharedDb.state.online',
  offline: 'sharedDb.state.offline',
};

/** The state in one word: "Online", "Connecting…", "Offline". */
export function connectionWord(connection: DatabaseConnection): string {
  return t(stateKeys[connection.state]);
}

/** Why the database is out of reach (offline only). */
export function connectionReason(connection: DatabaseConnection): string | null {
  return connection.state === 'offline' && connection.reason.trim() !== '' ? connection.reason : null;
}

/** The state with its reason: "Offline: the server does not answer". */
export function connectionSentence(connection: DatabaseConnection): string {
  const reason = connectionReason(connection);
  return reason === null ? connectionWord(connection) : t('sharedDb.state.offlineBecause', { reason });
}

/** The status-dot colour for a state. */
export const dotClass: Record<ConnectionState, string> = {
  standalone: 'status-dot--stopped',
  connecting: 'status-dot--starting',
  online: 'status-dot--running',
  offline: 'status-dot--error',
};

const plural = new Intl.PluralRules(language);

/** "3 changes wait to be sent", with the plural form the language needs. */
export function pendingSentence(count: number): string {
  const form = plural.select(count);
  const key: MessageKey =
    form === 'one' || form === 'few' || form === 'many' ? `sharedDb.pending.${form}` : 'sharedDb.pending.other';
  return t(key, { count });
}
