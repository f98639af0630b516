// A fake Rust shell for component tests: the four commands and the chats-changed event.

import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';
import {
  CHATS_CHANGED_EVENT,
  type ChannelView,
  type ChatDetail,
  type ChatSummary,
  type ChatsChanged,
  type MessageView,
} from '../generated/ipc';

export const NOW = Date.now();

export function chat(overrides: Partial<ChatSummary> & { id: string }): ChatSummary {
  return {
    provider: 'telegram',
    channel_name: 'Support bot',
    contact_name: `Customer ${overrides.id}`,
    state: 'active',
    last_message_text: 'Hello',
    last_activity_at: NOW - 5 * 60_000,
    unread_count: 0,
    ...overrides,
  };
}

export function message(overrides: Partial<MessageView> & { id: string; chat_id: string }): MessageView {
  return {
    kind: 'inbound',
    text: 'Hello',
    author: 'Customer',
    created_at: NOW - 60_000,
    delivery: null,
    failure_reason: null,
    ...overrides,
  };
}

export function channel(overrides: Partial<ChannelView> & { id: string }): ChannelView {
  return {
    provider: 'telegram',
    name: 'Support bot',
    active: true,
    health: 'running',
    health_reason: null,
    ...overrides,
  };
}

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

type Handler = (args: Record<string, unknown>) => unknown;

export interface FakeShell {
  chats: ChatSummary[];
  messages: Map<string, MessageView[]>;
  channels: ChannelView[];
  calls: Call[];
  callsOf: (cmd: string) => Call[];
  /** Replaces a command's behaviour (throw to reject). */
  override: (cmd: string, handler: Handler) => void;
  emitChatsChanged: (chatIds: string[]) => Promise<void>;
}

export function fakeShell(init: {
  chats?: ChatSummary[];
  messages?: MessageView[];
  channels?: ChannelView[];
}): FakeShell {
  const messages = new Map<string, MessageView[]>();
  for (const m of init.messages ?? []) {
    messages.set(m.chat_id, [...(messages.get(m.chat_id) ?? []), m]);
  }
  const overrides = new Map<string, Handler>();
  let nextId = 1000;

  const shell: FakeShell = {
    chats: init.chats ?? [],
    messages,
    channels: init.channels ?? [],
    calls: [],
    callsOf: (cmd) => shell.calls.filter((c) => c.cmd === cmd),
    override: (cmd, handler) => overrides.set(cmd, handler),
    emitChatsChanged: (chatIds) => emit(CHATS_CHANGED_EVENT, { chat_ids: chatIds } satisfies ChatsChanged),
  };

  const notFound = (chatId: unknown) => ({
    code: 'not_found',
    message: `Chat ${String(chatId)} no longer exists.`,
    details: null,
  });

  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      shell.calls.push({ cmd, args });
      const override = overrides.get(cmd);
      if (override) return override(args);
      switch (cmd) {
        case 'list_chats':
          return structuredClone(shell.chats);
        case 'list_channels':
          return structuredClone(shell.channels);
        case 'read_chat': {
          const found = shell.chats.find((c) => c.id === args['chatId']);
          if (!found) throw notFound(args['chatId']);
          found.unread_count = 0;
          return structuredClone({
            chat: found,
            messages: shell.messages.get(found.id) ?? [],
          } satisfies ChatDetail);
        }
        case 'send_reply': {
          const chatId = String(args['chatId']);
          if (!shell.chats.some((c) => c.id === chatId)) throw notFound(chatId);
          const sent = message({
            id: `m${nextId++}`,
            chat_id: chatId,
            kind: 'outbound',
            text: String(args['text']),
            author: 'Operator',
            created_at: Date.now(),
            delivery: 'pending',
          });
          shell.messages.set(chatId, [...(shell.messages.get(chatId) ?? []), sent]);
          return structuredClone(sent);
        }
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    },
    { shouldMockEvents: true },
  );
  return shell;
}
