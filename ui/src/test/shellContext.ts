// What the fake shell's command modules share: the state, the id counter and the rejections and
// chat helpers several of them use. Each command module answers the commands it knows and returns
// `UNHANDLED` for the others.

import type { ChatSummary, ErrorCode, MyStatus } from '../generated/ipc';
import { message } from './fixtures';
import type { FakeShell } from './shellTypes';

/** Returned by a command module for a command that is not its own. */
export const UNHANDLED: unique symbol = Symbol('unhandled');

export type Commands = (cmd: string, args: Record<string, unknown>) => unknown;

export const failure = (code: ErrorCode, text: string) => ({ code, message: text, details: null });
export const notFound = (chatId: unknown) => failure('not_found', `Chat ${String(chatId)} no longer exists.`);

export interface ShellContext {
  shell: FakeShell;
  /** The next number for a new id (shared by every kind of id, as before). */
  nextId: () => number;
  activeCount: () => number;
  status: () => MyStatus;
  systemLine: (chatId: string, text: string) => void;
  /** The operator's active chat, or the rejection the shell would give. */
  myActiveChat: (chatId: unknown) => ChatSummary;
  removeChat: (chatId: string) => void;
  /** Like the shell: nothing goes out through a closed Messenger window. */
  refuseClosedWindow: (chatId: string) => void;
}

export function shellContext(shell: FakeShell): ShellContext {
  let nextId = 1000;
  const ctx: ShellContext = {
    shell,
    nextId: () => nextId++,
    activeCount: () => shell.chats.filter((c) => c.state === 'active' && !c.offered_to_me).length,
    status: (): MyStatus => ({ ...shell.me, active_chats: ctx.activeCount() }),
    systemLine: (chatId: string, text: string) => {
      shell.messages.set(chatId, [
        ...(shell.messages.get(chatId) ?? []),
        message({ id: `m${nextId++}`, chat_id: chatId, kind: 'system', text, author: '', created_at: Date.now() }),
      ]);
    },
    myActiveChat: (chatId: unknown): ChatSummary => {
      const found = shell.chats.find((c) => c.id === chatId);
      if (!found) throw notFound(chatId);
      if (found.state !== 'active' || found.offered_to_me) throw failure('conflict', 'This chat is not yours.');
      return found;
    },
    removeChat: (chatId: string) => {
      shell.chats = shell.chats.filter((c) => c.id !== chatId);
    },
    refuseClosedWindow: (chatId: string) => {
      const replyWindow = shell.windows.get(chatId);
      if (replyWindow?.state === 'closed') {
        throw failure('conflict', replyWindow.reason ?? 'The 24-hour reply window has closed.');
      }
    },
  };
  return ctx;
}
