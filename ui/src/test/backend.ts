// A fake Rust shell for component tests: the chat, routing, status, queue, role, settings, channel,
// Facebook (app settings, login, page connection), Messenger (reply window, webhook, thread control)
// and file commands and the chats-changed / channels-changed events. It keeps its own state, so a test sees what the real shell would answer next.

import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';
import {
  CHANNELS_CHANGED_EVENT,
  CHATS_CHANGED_EVENT,
  type AttachmentData,
  type AttachmentView,
  type ChannelChanges,
  type ChannelView,
  type ChatDetail,
  type ChatSummary,
  type ChatsChanged,
  type ConnectPages,
  type ErrorCode,
  type FacebookLogin,
  type FacebookSettings,
  type FacebookSettingsUpdate,
  type MemberKind,
  type MessageView,
  type MessengerWebhook,
  type MyStatus,
  type OperatorView,
  type PageChoice,
  type PageConnection,
  type QueueView,
  type ReplyWindow,
  type RoleView,
  type RoutingEntry,
  type RoutingExplanation,
  type NewTelegramChannel,
  type SendFile,
  type WorkspaceSettings,
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

/** What the fake keeps of the Facebook app; the secret stays here, as it stays in the keychain. */
export interface FakeFacebookApp {
  app_id: string;
  app_secret: string | null;
  /** Empty: the default. */
  redirect_uri: string;
}

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

type Handler = (args: Record<string, unknown>) => unknown;

/** What the fake knows about the operator at this desk; `active_chats` is counted from `chats`. */
export type FakeMe = Omit<MyStatus, 'active_chats'>;

export interface FakeShell {
  chats: ChatSummary[];
  messages: Map<string, MessageView[]>;
  channels: ChannelView[];
  me: FakeMe;
  queues: QueueView[];
  /** Every operator of the workspace, this desk's included. */
  operators: OperatorView[];
  explanations: Map<string, RoutingEntry[]>;
  roles: RoleView[];
  settings: WorkspaceSettings;
  /** Bot tokens Telegram would accept, with the bot's name. */
  bots: Map<string, string>;
  /** Bytes of stored attachments, by attachment id. */
  files: Map<string, AttachmentData>;
  facebook: FakeFacebookApp;
  /** The pages the next Facebook Login answers with. */
  facebookPages: PageChoice[];
  /** Messenger reply windows by chat id (read_chat answers `null` for the others). */
  windows: Map<string, ReplyWindow>;
  /** Customers' profile pictures (data: URLs) by chat id. */
  pictures: Map<string, string>;
  webhook: MessengerWebhook;
  /** Pages whose connection fails, with the sentence the shell gives. */
  facebookFailures: Map<string, string>;
  /** When true, `start_facebook_login` waits for `finishFacebookLogin` or `cancel_facebook_login`. */
  holdFacebookLogin: boolean;
  /** Ends a held login: with the pages (default) or another outcome; an Error rejects it. */
  finishFacebookLogin: (outcome?: FacebookLogin | { code: ErrorCode; message: string; details: null }) => void;
  calls: Call[];
  callsOf: (cmd: string) => Call[];
  /** Replaces a command's behaviour (throw to reject). */
  override: (cmd: string, handler: Handler) => void;
  emitChatsChanged: (chatIds: string[]) => Promise<void>;
  emitChannelsChanged: () => Promise<void>;
}

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
}): FakeShell {
  const messages = new Map<string, MessageView[]>();
  for (const m of init.messages ?? []) {
    messages.set(m.chat_id, [...(messages.get(m.chat_id) ?? []), m]);
  }
  const overrides = new Map<string, Handler>();
  let nextId = 1000;
  let loginId: string | null = null;
  let pendingLogin: ((outcome: unknown) => void) | null = null;
  const pagesOutcome = (): FacebookLogin => {
    loginId = `login-${nextId++}`;
    return { status: 'pages', login_id: loginId, pages: structuredClone(shell.facebookPages) };
  };

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
    finishFacebookLogin: (outcome) => {
      const finish = pendingLogin;
      pendingLogin = null;
      finish?.(outcome ?? pagesOutcome());
    },
    calls: [],
    callsOf: (cmd) => shell.calls.filter((c) => c.cmd === cmd),
    override: (cmd, handler) => overrides.set(cmd, handler),
    emitChatsChanged: (chatIds) => emit(CHATS_CHANGED_EVENT, { chat_ids: chatIds } satisfies ChatsChanged),
    emitChannelsChanged: () => emit(CHANNELS_CHANGED_EVENT),
  };

  const failure = (code: ErrorCode, text: string) => ({ code, message: text, details: null });
  const notFound = (chatId: unknown) => failure('not_found', `Chat ${String(chatId)} no longer exists.`);

  const activeCount = () => shell.chats.filter((c) => c.state === 'active' && !c.offered_to_me).length;
  const status = (): MyStatus => ({ ...shell.me, active_chats: activeCount() });
  const systemLine = (chatId: string, text: string) => {
    shell.messages.set(chatId, [
      ...(shell.messages.get(chatId) ?? []),
      message({ id: `m${nextId++}`, chat_id: chatId, kind: 'system', text, author: '', created_at: Date.now() }),
    ]);
  };
  /** The operator's active chat, or the rejection the shell would give. */
  const myActiveChat = (chatId: unknown): ChatSummary => {
    const found = shell.chats.find((c) => c.id === chatId);
    if (!found) throw notFound(chatId);
    if (found.state !== 'active' || found.offered_to_me) throw failure('conflict', 'This chat is not yours.');
    return found;
  };
  const removeChat = (chatId: string) => {
    shell.chats = shell.chats.filter((c) => c.id !== chatId);
  };
  const findQueue = (queueId: unknown): QueueView => {
    const found = shell.queues.find((q) => q.id === queueId);
    if (!found) throw failure('not_found', 'This queue no longer exists.');
    return found;
  };
  const findRole = (roleId: unknown): RoleView => {
    const found = shell.roles.find((r) => r.id === roleId);
    if (!found) throw failure('not_found', 'This role no longer exists.');
    return found;
  };
  /** Like the shell: a queue's operators are its users plus the users of its roles. */
  const recountOperators = (q: QueueView) => {
    const ids = new Set<string>();
    for (const m of q.members) {
      if (m.kind === 'user') ids.add(m.id);
      else for (const id of shell.roles.find((r) => r.id === m.id)?.user_ids ?? []) ids.add(id);
    }
    q.operator_names = shell.operators.filter((o) => ids.has(o.id)).map((o) => o.name);
  };
  const findChannel = (channelId: unknown): ChannelView => {
    const found = shell.channels.find((c) => c.id === channelId);
    if (!found) throw failure('not_found', 'This channel no longer exists.');
    return found;
  };
  /** Like the shell: nothing goes out through a closed Messenger window. */
  const refuseClosedWindow = (chatId: string) => {
    const replyWindow = shell.windows.get(chatId);
    if (replyWindow?.state === 'closed') {
      throw failure('conflict', replyWindow.reason ?? 'The 24-hour reply window has closed.');
    }
  };
  const allMessages = () => [...shell.messages.values()].flat();
  /** Like the shell: a token is checked with getMe before anything is stored. */
  const botName = (token: unknown): string => {
    const name = shell.bots.get(String(token ?? '').trim());
    if (name === undefined) throw failure('invalid_input', 'Telegram rejected this token: check it with @BotFather.');
    return name;
  };
  const facebookView = (): FacebookSettings => ({
    app_id: shell.facebook.app_id,
    app_secret_set: shell.facebook.app_secret !== null,
    redirect_uri: shell.facebook.redirect_uri || DEFAULT_REDIRECT_URI,
    default_redirect_uri: DEFAULT_REDIRECT_URI,
  });
  const connectPage = (pageId: string): PageConnection => {
    const found = shell.facebookPages.find((p) => p.id === pageId);
    const pageName = found?.name ?? pageId;
    const refusal = found ? shell.facebookFailures.get(pageId) : 'This page was not offered by this login.';
    if (refusal !== undefined) {
      return { page_id: pageId, page_name: pageName, channel: null, refreshed: false, error: failure('invalid_input', refusal) };
    }
    const existing = shell.channels.find((c) => c.id === found?.connected_channel_id);
    if (existing) {
      return { page_id: pageId, page_name: pageName, channel: structuredClone(existing), refreshed: true, error: null };
    }
    const target = shell.queues[0];
    const created = channel({
      id: `ch${nextId++}`,
      provider: 'messenger',
      name: pageName,
      active: false,
      health: 'stopped',
      queue_id: target?.id ?? '',
      queue_name: target?.name ?? '',
      external_id: pageId,
    });
    shell.channels.push(created);
    return { page_id: pageId, page_name: pageName, channel: structuredClone(created), refreshed: false, error: null };
  };
  const memberArgs = (args: Record<string, unknown>) => {
    const kind = args['kind'];
    if (kind !== 'user' && kind !== 'role') throw failure('invalid_input', 'A member is a user or a role.');
    return { q: findQueue(args['queueId']), kind: kind as MemberKind, id: String(args['memberId']) };
  };

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
            window: shell.windows.get(found.id) ?? null,
            contact_picture: shell.pictures.get(found.id) ?? null,
          } satisfies ChatDetail);
        }
        case 'send_reply': {
          const chatId = String(args['chatId']);
          if (!shell.chats.some((c) => c.id === chatId)) throw notFound(chatId);
          refuseClosedWindow(chatId);
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
        case 'my_status':
          return status();
        case 'set_my_status': {
          const next = args['status'];
          if (next !== 'active' && next !== 'inactive') throw failure('invalid_input', 'Choose Active or Inactive.');
          shell.me.status = next;
          return status();
        }
        case 'accept_chat': {
          const found = shell.chats.find((c) => c.id === args['chatId']);
          if (!found || !found.offered_to_me) {
            throw failure('conflict', 'Another operator has already accepted this chat.');
          }
          if (shell.me.status !== 'active') throw failure('conflict', 'You are Inactive: become Active to accept chats.');
          if (activeCount() >= shell.me.capacity) {
            throw failure('conflict', 'You already have the maximum number of active chats.');
          }
          found.state = 'active';
          found.offered_to_me = false;
          found.operator_name = shell.me.name;
          systemLine(found.id, `${shell.me.name} accepted the chat`);
          return structuredClone(found);
        }
        case 'decline_chat': {
          const found = shell.chats.find((c) => c.id === args['chatId']);
          if (!found || !found.offered_to_me) throw failure('conflict', 'This chat is no longer offered to you.');
          removeChat(found.id);
          return null;
        }
        case 'complete_chat': {
          const found = myActiveChat(args['chatId']);
          systemLine(found.id, `${shell.me.name} completed the chat`);
          removeChat(found.id);
          return null;
        }
        case 'transfer_to_queue': {
          const found = myActiveChat(args['chatId']);
          const target = shell.queues.find((q) => q.id === args['queueId']);
          if (!target) throw failure('not_found', 'This queue no longer exists.');
          systemLine(found.id, `Transferred to queue ${target.name}`);
          removeChat(found.id);
          return null;
        }
        case 'transfer_to_operator': {
          const found = myActiveChat(args['chatId']);
          const target = shell.operators.find((o) => o.id === args['operatorId']);
          if (!target) throw failure('not_found', 'This operator no longer exists.');
          if (target.id === shell.me.operator_id) throw failure('invalid_input', 'The chat is already yours.');
          systemLine(found.id, `Transferred to ${target.name}`);
          removeChat(found.id);
          return null;
        }
        case 'list_queues':
          return structuredClone(shell.queues);
        case 'create_queue': {
          const input = args['queue'] as { name: string; rule: QueueView['rule']; completion_timeout_min: number | null };
          const name = input.name.trim();
          if (name === '') throw failure('invalid_input', 'Enter a name for the queue.');
          if (shell.queues.some((q) => q.name.toLowerCase() === name.toLowerCase())) {
            throw failure('invalid_input', `A queue named "${name}" already exists.`);
          }
          const minutes = input.completion_timeout_min;
          if (minutes !== null && (!Number.isInteger(minutes) || minutes < 1)) {
            throw failure('invalid_input', 'The completion timeout must be a whole number of minutes.');
          }
          const created = queue({
            id: `q${nextId++}`,
            name,
            rule: input.rule,
            completion_timeout_min: minutes,
            operator_names: [],
            members: [],
          });
          shell.queues.push(created);
          return structuredClone(created);
        }
        case 'update_queue': {
          const found = findQueue(args['queueId']);
          const input = args['queue'] as { name: string; rule: QueueView['rule']; completion_timeout_min: number | null };
          const name = input.name.trim();
          if (name === '') throw failure('invalid_input', 'Enter a name for the queue.');
          if (shell.queues.some((q) => q.id !== found.id && q.name.toLowerCase() === name.toLowerCase())) {
            throw failure('invalid_input', `A queue named "${name}" already exists.`);
          }
          if (input.rule !== 'to_all' && input.rule !== 'freest') throw failure('invalid_input', 'Unknown routing rule.');
          const minutes = input.completion_timeout_min;
          if (minutes !== null && (!Number.isInteger(minutes) || minutes < 1 || minutes > 10080)) {
            throw failure('invalid_input', 'The completion timeout must be a whole number of minutes from 1 to 10080.');
          }
          found.name = name;
          found.rule = input.rule;
          found.completion_timeout_min = minutes;
          return structuredClone(found);
        }
        case 'list_operators':
          return structuredClone(shell.operators);
        case 'add_queue_member': {
          const { q, kind, id } = memberArgs(args);
          const name =
            kind === 'user' ? shell.operators.find((o) => o.id === id)?.name : shell.roles.find((r) => r.id === id)?.name;
          if (name === undefined) throw failure('not_found', `This ${kind} no longer exists.`);
          if (q.members.some((m) => m.kind === kind && m.id === id)) {
            throw failure('conflict', `${name} already serves this queue.`);
          }
          q.members.push({ kind, id, name });
          recountOperators(q);
          return structuredClone(q);
        }
        case 'remove_queue_member': {
          const { q, kind, id } = memberArgs(args);
          q.members = q.members.filter((m) => !(m.kind === kind && m.id === id));
          recountOperators(q);
          return structuredClone(q);
        }
        case 'list_roles':
          return structuredClone(shell.roles);
        case 'create_role': {
          const name = String(args['name'] ?? '').trim();
          if (name === '') throw failure('invalid_input', 'Enter a name for the role.');
          if (shell.roles.some((r) => r.name.toLowerCase() === name.toLowerCase())) {
            throw failure('invalid_input', `A role named "${name}" already exists.`);
          }
          const created = role({ id: `r${nextId++}`, name });
          shell.roles.push(created);
          return structuredClone(created);
        }
        case 'set_role_member': {
          const found = findRole(args['roleId']);
          const user = shell.operators.find((o) => o.id === args['userId']);
          if (!user) throw failure('not_found', 'This user no longer exists.');
          const ids = new Set(found.user_ids);
          if (args['member'] === true) ids.add(user.id);
          else ids.delete(user.id);
          const holders = shell.operators.filter((o) => ids.has(o.id));
          found.user_ids = holders.map((o) => o.id);
          found.user_names = holders.map((o) => o.name);
          for (const q of shell.queues) if (q.members.some((m) => m.kind === 'role' && m.id === found.id)) recountOperators(q);
          return structuredClone(found);
        }
        case 'get_settings':
          return structuredClone(shell.settings);
        case 'update_settings': {
          const next = args['settings'] as WorkspaceSettings;
          const whole = (n: unknown, lo: number, hi: number) =>
            typeof n === 'number' && Number.isInteger(n) && n >= lo && n <= hi;
          if (!whole(next.simultaneous_chats, 1, 50)) {
            throw failure('invalid_input', 'Simultaneous chats must be a whole number from 1 to 50.');
          }
          if (!whole(next.accept_timeout_min, 1, 120)) {
            throw failure('invalid_input', 'The accept timeout must be a whole number of minutes from 1 to 120.');
          }
          shell.settings = { simultaneous_chats: next.simultaneous_chats, accept_timeout_min: next.accept_timeout_min };
          shell.me.capacity = next.simultaneous_chats;
          return structuredClone(shell.settings);
        }
        case 'add_telegram_channel': {
          const input = args['channel'] as NewTelegramChannel;
          const name = botName(input.token);
          const target = input.queue_id === null ? shell.queues[0] : findQueue(input.queue_id);
          if (!target) throw failure('invalid_input', 'Create a queue first.');
          const created = channel({
            id: `ch${nextId++}`,
            name,
            health: 'starting',
            queue_id: target.id,
            queue_name: target.name,
          });
          shell.channels.push(created);
          return structuredClone(created);
        }
        case 'update_channel': {
          const found = findChannel(args['channelId']);
          const changes = args['changes'] as ChannelChanges;
          if (changes.name !== null) found.name = changes.name;
          if (changes.active !== null) {
            found.active = changes.active;
            found.health = changes.active ? 'starting' : 'stopped';
          }
          if (changes.queue_id !== null) {
            const target = findQueue(changes.queue_id);
            found.queue_id = target.id;
            found.queue_name = target.name;
          }
          if (changes.human_agent !== null) {
            if (found.provider !== 'messenger') throw failure('invalid_input', 'Only Messenger channels use the Human Agent tag.');
            found.human_agent = changes.human_agent;
          }
          if (changes.language !== null) {
            if (changes.language !== 'en' && changes.language !== 'ru') throw failure('invalid_input', 'Unknown language.');
            found.language = changes.language;
          }
          return structuredClone(found);
        }
        case 'replace_channel_token': {
          const found = findChannel(args['channelId']);
          botName(args['token']);
          found.health = 'starting';
          found.problem = null;
          found.health_reason = null;
          return structuredClone(found);
        }
        case 'restart_channel': {
          const found = findChannel(args['channelId']);
          found.health = 'starting';
          found.problem = null;
          found.health_reason = null;
          return structuredClone(found);
        }
        case 'get_facebook_settings':
          return facebookView();
        case 'update_facebook_settings': {
          const next = args['settings'] as FacebookSettingsUpdate;
          if (!/^\d*$/.test(next.app_id.trim())) throw failure('invalid_input', 'The App ID is a number.');
          const redirect = (next.redirect_uri ?? '').trim();
          if (redirect !== '' && !/^https:\/\/\S+$/.test(redirect)) {
            throw failure('invalid_input', 'The redirect URI must be an https:// address.');
          }
          shell.facebook.app_id = next.app_id.trim();
          if (next.app_secret !== null) shell.facebook.app_secret = next.app_secret;
          shell.facebook.redirect_uri = redirect === DEFAULT_REDIRECT_URI ? '' : redirect;
          return facebookView();
        }
        case 'start_facebook_login': {
          if (shell.facebook.app_id === '' || shell.facebook.app_secret === null) {
            throw failure('invalid_input', 'Fill in the Facebook App ID and App secret first.');
          }
          if (pendingLogin !== null) throw failure('conflict', 'Facebook Login is already open.');
          if (!shell.holdFacebookLogin) return pagesOutcome();
          return new Promise((resolve, reject) => {
            pendingLogin = (outcome) => {
              if (typeof outcome === 'object' && outcome !== null && 'code' in outcome) reject(outcome);
              else resolve(outcome);
            };
          });
        }
        case 'cancel_facebook_login':
          shell.finishFacebookLogin({ status: 'cancelled' });
          return null;
        case 'connect_facebook_pages': {
          const request = args['request'] as ConnectPages;
          if (loginId === null || request.login_id !== loginId) {
            throw failure('conflict', 'This Facebook Login has expired: log in again.');
          }
          loginId = null;
          return request.page_ids.map(connectPage);
        }
        case 'send_file': {
          const file = args['file'] as SendFile;
          if (!shell.chats.some((c) => c.id === file.chat_id)) throw notFound(file.chat_id);
          refuseClosedWindow(file.chat_id);
          const id = `a${nextId++}`;
          const sent = message({
            id: `m${nextId++}`,
            chat_id: file.chat_id,
            kind: 'outbound',
            text: file.caption,
            author: 'Operator',
            created_at: Date.now(),
            delivery: 'pending',
            attachments: [
              attachment({
                id,
                kind: file.kind,
                file_name: file.file_name,
                mime_type: file.mime_type,
                size: Math.floor((file.base64.length * 3) / 4),
              }),
            ],
          });
          shell.files.set(id, { id, kind: file.kind, file_name: file.file_name, mime_type: file.mime_type ?? 'application/octet-stream', base64: file.base64 });
          shell.messages.set(file.chat_id, [...(shell.messages.get(file.chat_id) ?? []), sent]);
          return structuredClone(sent);
        }
        case 'read_attachment': {
          const found = shell.files.get(String(args['attachmentId']));
          if (!found) throw failure('not_found', 'This file is not stored on this desktop.');
          return structuredClone(found);
        }
        case 'retry_message': {
          const found = allMessages().find((m) => m.id === args['messageId']);
          if (!found) throw failure('not_found', 'This message no longer exists.');
          if (!found.can_retry) throw failure('conflict', 'This message cannot be sent again.');
          found.delivery = 'pending';
          found.failure_reason = null;
          found.can_retry = false;
          return null;
        }
        case 'retry_attachment': {
          const found = allMessages()
            .flatMap((m) => m.attachments)
            .find((a) => a.id === args['attachmentId']);
          if (!found) throw failure('not_found', 'This file no longer exists.');
          found.state = 'pending';
          found.failure_reason = null;
          return null;
        }
        case 'messenger_webhook':
          return structuredClone(shell.webhook);
        case 'take_thread': {
          const found = shell.chats.find((c) => c.id === args['chatId']);
          if (!found) throw notFound(args['chatId']);
          if (found.state !== 'bot') throw failure('conflict', 'No bot holds this conversation any more.');
          // It enters routing; here it comes straight back as an offer to this desk.
          found.state = 'offered';
          found.offered_to_me = true;
          systemLine(found.id, `${shell.me.name} took the conversation from the bot`);
          return null;
        }
        case 'pass_thread_back': {
          const found = myActiveChat(args['chatId']);
          if (found.provider !== 'messenger') throw failure('invalid_input', 'Only Messenger conversations go to the Page Inbox.');
          systemLine(found.id, 'Given back to the Page Inbox');
          removeChat(found.id);
          return null;
        }
        case 'explain_routing': {
          const chatId = String(args['chatId']);
          return structuredClone({
            chat_id: chatId,
            entries: shell.explanations.get(chatId) ?? [],
          } satisfies RoutingExplanation);
        }
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    },
    { shouldMockEvents: true },
  );
  return shell;
}
