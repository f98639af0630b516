// Builders for the fake shell's data: chats, queues, roles, operators, messages, attachments, channels,
// the Messenger/Facebook values (webhook, pages) and the shared-database view.

import type {
  AttachmentView,
  ChannelView,
  ChatSummary,
  MessageView,
  MessengerWebhook,
  OperatorView,
  PageChoice,
  QueueView,
  RoleView,
  RoutingEntry,
  SharedDatabaseView,
} from '../generated/ipc';

export const NOW = Date.now();

export const ME = { id: 'op-me', name: 'Olga Operator' };

/** A chat summary; `state: 'offered'` makes it an offer to this desk unless told otherwise. */
export function chat(overrides: Partial<ChatSummary> & { id: string }): ChatSummary {
  const state = overrides.state ?? 'active';
  return {
    provider: 'telegram',
    channel_name: 'Support bot',
    contact_name: `Customer ${overrides.id}`,
    state,
    last_message_text: 'Hello',
    last_activity_at: NOW - 5 * 60_000,
    unread_count: 0,
    operator_name: state === 'active' ? ME.name : null,
    offered_to_me: state === 'offered',
    queue_name: 'All operators',
    ...overrides,
  };
}

export function queue(overrides: Partial<QueueView> & { id: string }): QueueView {
  return {
    name: `Queue ${overrides.id}`,
    rule: 'to_all',
    completion_timeout_min: null,
    operator_names: [ME.name],
    members: [{ kind: 'user', id: ME.id, name: ME.name }],
    ...overrides,
  };
}

export function role(overrides: Partial<RoleView> & { id: string }): RoleView {
  return {
    name: `Role ${overrides.id}`,
    user_names: [],
    user_ids: [],
    ...overrides,
  };
}

export function operator(overrides: Partial<OperatorView> & { id: string }): OperatorView {
  return {
    name: `Operator ${overrides.id}`,
    status: 'active',
    active_chats: 0,
    ...overrides,
  };
}

export function routingEntry(overrides: Partial<RoutingEntry> = {}): RoutingEntry {
  return {
    decided_at: NOW - 10 * 60_000,
    kind: 'assign',
    rule: 'freest',
    summary: 'Assigned to the freest operator.',
    candidates: [],
    tie_break: null,
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
    edited_at: null,
    attachments: [],
    can_retry: false,
    delivered_at: null,
    read_at: null,
    ...overrides,
  };
}

export function attachment(overrides: Partial<AttachmentView> & { id: string }): AttachmentView {
  return {
    kind: 'photo',
    file_name: null,
    mime_type: 'image/jpeg',
    size: 2048,
    state: 'stored',
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
    problem: null,
    health_reason: null,
    queue_id: 'q-all',
    queue_name: 'All operators',
    language: 'en',
    external_id: `bot-${overrides.id}`,
    human_agent: false,
    ...overrides,
  };
}

/** A Messenger chat summary (a bot chat when `state: 'bot'`). */
export function messengerChat(overrides: Partial<ChatSummary> & { id: string }): ChatSummary {
  return chat({ provider: 'messenger', channel_name: 'Acme Page', ...overrides });
}

export function webhook(overrides: Partial<MessengerWebhook> = {}): MessengerWebhook {
  return {
    callback_url: 'http://127.0.0.1:8788/webhooks/messenger',
    verify_token: 'vt-3f9a1c0d',
    listening: true,
    problem: null,
    ...overrides,
  };
}

export const DEFAULT_REDIRECT_URI = 'https://www.facebook.com/connect/login_success.html';

export function page(overrides: Partial<PageChoice> & { id: string }): PageChoice {
  return {
    name: `Page ${overrides.id}`,
    picture: null,
    connected_channel_id: null,
    can_message: true,
    ...overrides,
  };
}

/** A desktop in standalone unless told otherwise. */
export function sharedDatabaseView(overrides: Partial<SharedDatabaseView> = {}): SharedDatabaseView {
  return {
    mode: 'standalone',
    address: null,
    user: null,
    operator_name: null,
    connection: { state: 'standalone' },
    pending_changes: 0,
    restart_required: false,
    problem: null,
    ...overrides,
  };
}
