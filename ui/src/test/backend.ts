// A fake Rust shell for component tests: the chat, routing, status, queue, role, settings, channel,
// Facebook (app settings, login, page connection), Messenger (reply window, webhook, thread control),
// file, shared-database and operator-login commands and the chats-changed / channels-changed /
// database-changed events. It keeps its own state, so a test sees what the real shell would answer next.
//
// This is the entry tests import from. The parts live beside it: the data builders in `fixtures.ts`,
// the shell's shape in `shellTypes.ts`, the shared state helpers in `shellContext.ts` and the
// commands in `chatCommands.ts`, `adminCommands.ts`, `fileCommands.ts`, `facebookCommands.ts`,
// `messengerCommands.ts`, `sharedDatabaseCommands.ts` and `operatorLoginCommands.ts`.

import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';
import {
  CHANNELS_CHANGED_EVENT,
  CHATS_CHANGED_EVENT,
  DATABASE_CHANGED_EVENT,
  type AttachmentData,
  type ChannelView,
  type ChatSummary,
  type ChatsChanged,
  type MessageView,
  type MessengerWebhook,
  type OperatorLogin,
  type OperatorView,
  type PageChoice,
  type QueueView,
  type ReplyWindow,
  type RoleView,
  type RoutingEntry,
  type SharedDatabaseView,
  type WorkspaceSettings,
} from '../generated/ipc';
import { adminCommands } from './adminCommands';
import { chatCommands } from './chatCommands';
import { facebookCommands } from './facebookCommands';
import { fileCommands } from './fileCommands';
import { ME, operator, queue, sharedDatabaseView, webhook } from './fixtures';
import { messengerCommands } from './messengerCommands';
import { operatorLoginCommands } from './operatorLoginCommands';
import { sharedDatabaseCommands } from './sharedDatabaseCommands';
import { shellContext, UNHANDLED } from './shellContext';
import type { FakeDatabaseAccount, FakeFacebookApp, FakeMe, FakeShell, Handler } from './shellTypes';

export * from './fixtures';
export type { Call, FakeDatabaseAccount, FakeFacebookApp, FakeMe, FakeShell } from './shellTypes';

export function fakeShell(init: {
  chats?: ChatSummary[];
  messages?: MessageView[];
  channels?: ChannelView[];
  me?: Partial<FakeMe>;
  queues?: QueueView[];
  operators?: OperatorView[];
  explanations?: Record<string, RoutingEntry[]>;
  roles?: RoleView[];
  settings?: Partial<WorkspaceSettings>;
  bots?: Record<string, string>;
  files?: AttachmentData[];
  facebook?: Partial<FakeFacebookApp>;
  facebookPages?: PageChoice[];
  windows?: Record<string, ReplyWindow>;
  pictures?: Record<string, string>;
  webhook?: Partial<MessengerWebhook>;
  database?: Partial<SharedDatabaseView>;
  databaseAccounts?: FakeDatabaseAccount[];
  databaseServer?: Partial<FakeShell['databaseServer']>;
  operatorLogins?: OperatorLogin[];
  operatorLoginsAdmin?: boolean;
}): FakeShell {
  const messages = new Map<string, MessageView[]>();
  for (const m of init.messages ?? []) {
    messages.set(m.chat_id, [...(messages.get(m.chat_id) ?? []), m]);
  }
  const overrides = new Map<string, Handler>();
  const shell: FakeShell = {
    chats: init.chats ?? [],
    messages,
    channels: init.channels ?? [],
    me: {
      operator_id: ME.id,
      name: ME.name,
      status: 'active',
      capacity: 3,
      waiting_in_my_queues: 0,
      ...init.me,
    },
    queues: init.queues ?? [queue({ id: 'q-all', name: 'All operators' })],
    operators: init.operators ?? [operator({ id: ME.id, name: ME.name })],
    explanations: new Map(Object.entries(init.explanations ?? {})),
    roles: init.roles ?? [],
    settings: { simultaneous_chats: 2, accept_timeout_min: 5, ...init.settings },
    bots: new Map(Object.entries(init.bots ?? {})),
    files: new Map((init.files ?? []).map((f) => [f.id, f])),
    facebook: { app_id: '', app_secret: null, redirect_uri: '', ...init.facebook },
    facebookPages: init.facebookPages ?? [],
    windows: new Map(Object.entries(init.windows ?? {})),
    pictures: new Map(Object.entries(init.pictures ?? {})),
    webhook: webhook(init.webhook),
    facebookFailures: new Map(),
    holdFacebookLogin: false,
    database: sharedDatabaseView(init.database),
    databaseAccounts: init.databaseAccounts ?? [],
    databaseServer: { server_version: 'PostgreSQL 15.8', encrypted: true, ...init.databaseServer },
    databasePassword: null,
    operatorLogins: init.operatorLogins ?? [],
    operatorLoginsAdmin: init.operatorLoginsAdmin ?? true,
    finishFacebookLogin: (outcome) => facebook.finishLogin(outcome),
    calls: [],
    callsOf: (cmd) => shell.calls.filter((c) => c.cmd === cmd),
    override: (cmd, handler) => overrides.set(cmd, handler),
    emitChatsChanged: (chatIds) => emit(CHATS_CHANGED_EVENT, { chat_ids: chatIds } satisfies ChatsChanged),
    emitChannelsChanged: () => emit(CHANNELS_CHANGED_EVENT),
    emitDatabaseChanged: (changes = {}) => {
      shell.database = { ...shell.database, ...changes };
      return emit(DATABASE_CHANGED_EVENT, structuredClone(shell.database));
    },
  };

  const ctx = shellContext(shell);
  const facebook = facebookCommands(ctx);
  const modules = [
    chatCommands(ctx),
    adminCommands(ctx),
    facebook.commands,
    fileCommands(ctx),
    messengerCommands(ctx),
    sharedDatabaseCommands(ctx),
    operatorLoginCommands(ctx),
  ];

  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      shell.calls.push({ cmd, args });
      const override = overrides.get(cmd);
      if (override) return override(args);
      for (const commands of modules) {
        const answer = commands(cmd, args);
        if (answer !== UNHANDLED) return answer;
      }
      throw new Error(`unexpected command ${cmd}`);
    },
    { shouldMockEvents: true },
  );
  return shell;
}