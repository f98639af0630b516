// The only module that talks to the Rust shell. Every failure leaves here as an IpcFailure,
// which is an IpcError (code, message for a person, details) and an Error at the same time.

import { invoke, type InvokeArgs } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import {
  CHANNELS_CHANGED_EVENT,
  CHATS_CHANGED_EVENT,
  DATABASE_CHANGED_EVENT,
  type AttachmentData,
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
  type IpcError,
  type MemberKind,
  type MessengerWebhook,
  type MessageView,
  type MyStatus,
  type NewOperatorLogin,
  type NewQueue,
  type NewTelegramChannel,
  type OperatorLogin,
  type OperatorStatus,
  type OperatorView,
  type PageConnection,
  type QueueView,
  type RoleView,
  type RoutingExplanation,
  type SendFile,
  type SharedDatabaseCheck,
  type SharedDatabaseLogin,
  type SharedDatabaseView,
  type WorkspaceSettings,
} from './generated/ipc';
import { t } from './i18n';

export class IpcFailure extends Error implements IpcError {
  readonly code: ErrorCode;
  readonly details: string | null;

  constructor(error: IpcError) {
    super(error.message);
    this.name = 'IpcFailure';
    this.code = error.code;
    this.details = error.details;
  }
}

function hasStringField(value: object, field: string): boolean {
  return typeof (value as Record<string, unknown>)[field] === 'string';
}

/** True for the error shape the shell rejects with: `{ code, message, details }`. */
export function isIpcError(value: unknown): value is IpcError {
  if (typeof value !== 'object' || value === null) return false;
  if (!hasStringField(value, 'code') || !hasStringField(value, 'message')) return false;
  const details = (value as Record<string, unknown>)['details'];
  return details === undefined || details === null || typeof details === 'string';
}

/**
 * Turns anything an invoke may reject with into an IpcError whose `message` can be shown to a
 * person. Strings and other shapes are not written for people, so they get a generic sentence and
 * keep the original in `details` for the console.
 */
export function toIpcError(error: unknown): IpcFailure {
  if (error instanceof IpcFailure) return error;
  if (isIpcError(error) && error.message.trim() !== '') {
    return new IpcFailure({ code: error.code, message: error.message, details: error.details ?? null });
  }
  let details: string;
  if (error instanceof Error) details = error.message;
  else if (typeof error === 'string') details = error;
  else {
    try {
      details = JSON.stringify(error) ?? String(error);
    } catch {
      details = String(error);
    }
  }
  return new IpcFailure({ code: 'internal', message: t('error.generic'), details });
}

/** Words for a person, whatever was thrown. */
export function errorMessage(error: unknown): string {
  return toIpcError(error).message;
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    const failure = toIpcError(error);
    console.error(`[ipc] ${command} failed`, failure.code, failure.message, failure.details ?? '');
    throw failure;
  }
}

export function listChats(): Promise<ChatSummary[]> {
  return call<ChatSummary[]>('list_chats');
}

/** Opens a conversation; the shell also marks it read. */
export function readChat(chatId: string): Promise<ChatDetail> {
  return call<ChatDetail>('read_chat', { chatId });
}

/** Queues an outbound message; it comes back with delivery `pending`. */
export function sendReply(chatId: string, text: string): Promise<MessageView> {
  return call<MessageView>('send_reply', { chatId, text });
}

export function listChannels(): Promise<ChannelView[]> {
  return call<ChannelView[]>('list_channels');
}

/** Connects a Telegram bot: the shell checks the token with `getMe` and answers with the new
 * channel, named after the bot. Rejects with a sentence for the admin (bad token, the bot is used
 * elsewhere, Telegram unreachable…). The token goes to the keychain only. */
export function addTelegramChannel(channel: NewTelegramChannel): Promise<ChannelView> {
  return call<ChannelView>('add_telegram_channel', { channel });
}

/** Changes a channel's name, active flag, queue, language or HUMAN_AGENT tag (`null` = keep); answers with the channel. */
export function updateChannel(channelId: string, changes: ChannelChanges): Promise<ChannelView> {
  return call<ChannelView>('update_channel', { channelId, changes });
}

/** Gives a channel a new bot token (checked like a new one) and restarts it. */
export function replaceChannelToken(channelId: string, token: string): Promise<ChannelView> {
  return call<ChannelView>('replace_channel_token', { channelId, token });
}

/** Starts a stopped or failing channel again. */
export function restartChannel(channelId: string): Promise<ChannelView> {
  return call<ChannelView>('restart_channel', { channelId });
}

/** Queues a photo or a document (bytes as base64) with an optional caption; it comes back pending. */
export function sendFile(file: SendFile): Promise<MessageView> {
  return call<MessageView>('send_file', { file });
}

/** The bytes of a stored attachment. */
export function readAttachment(attachmentId: string): Promise<AttachmentData> {
  return call<AttachmentData>('read_attachment', { attachmentId });
}

/** Sends a failed outbound message again. */
export function retryMessage(messageId: string): Promise<null> {
  return call<null>('retry_message', { messageId });
}

/** Downloads a customer's file again after it failed. */
export function retryAttachment(attachmentId: string): Promise<null> {
  return call<null>('retry_attachment', { attachmentId });
}

/** Takes an offered chat; rejects with code `conflict` when someone else took it first, the
 * operator is at capacity or Inactive. */
export function acceptChat(chatId: string): Promise<ChatSummary> {
  return call<ChatSummary>('accept_chat', { chatId });
}

/** Refuses an offer; it goes back to routing. */
export function declineChat(chatId: string): Promise<null> {
  return call<null>('decline_chat', { chatId });
}

/** Completes an active chat by hand (the shell adds a system line). */
export function completeChat(chatId: string): Promise<null> {
  return call<null>('complete_chat', { chatId });
}

export function transferToQueue(chatId: string, queueId: string): Promise<null> {
  return call<null>('transfer_to_queue', { chatId, queueId });
}

export function transferToOperator(chatId: string, operatorId: string): Promise<null> {
  return call<null>('transfer_to_operator', { chatId, operatorId });
}

/** The operator at this desk: status, load and what waits for them. */
export function myStatus(): Promise<MyStatus> {
  return call<MyStatus>('my_status');
}

export function setMyStatus(status: OperatorStatus): Promise<MyStatus> {
  return call<MyStatus>('set_my_status', { status });
}

export function listQueues(): Promise<QueueView[]> {
  return call<QueueView[]>('list_queues');
}

/** Rejects with code `invalid_input` (and a sentence for the admin) for a bad name or timeout. */
export function createQueue(queue: NewQueue): Promise<QueueView> {
  return call<QueueView>('create_queue', { queue });
}

/** Renames a queue or changes its rule or completion timeout; answers with the queue as it is now.
 * Rejects with `invalid_input` (empty or taken name, timeout outside 1–10080 min) or `not_found`. */
export function updateQueue(queueId: string, queue: NewQueue): Promise<QueueView> {
  return call<QueueView>('update_queue', { queueId, queue });
}

export function listOperators(): Promise<OperatorView[]> {
  return call<OperatorView[]>('list_operators');
}

/** Adds a user or a role to a queue's operators; answers with the queue as it is now. */
export function addQueueMember(queueId: string, kind: MemberKind, memberId: string): Promise<QueueView> {
  return call<QueueView>('add_queue_member', { queueId, kind, memberId });
}

export function removeQueueMember(queueId: string, kind: MemberKind, memberId: string): Promise<QueueView> {
  return call<QueueView>('remove_queue_member', { queueId, kind, memberId });
}

export function listRoles(): Promise<RoleView[]> {
  return call<RoleView[]>('list_roles');
}

/** Rejects with code `invalid_input` for an empty or taken name. */
export function createRole(name: string): Promise<RoleView> {
  return call<RoleView>('create_role', { name });
}

/** Gives the role to a user (`member: true`) or takes it away; answers with the role as it is now. */
export function setRoleMember(roleId: string, userId: string, member: boolean): Promise<RoleView> {
  return call<RoleView>('set_role_member', { roleId, userId, member });
}

/** `SimultaneousChats` and `OperatorAcceptChatTimeout`. */
export function getSettings(): Promise<WorkspaceSettings> {
  return call<WorkspaceSettings>('get_settings');
}

/** Rejects with code `invalid_input` when a value is out of range (1–50 chats, 1–120 minutes). */
export function updateSettings(settings: WorkspaceSettings): Promise<WorkspaceSettings> {
  return call<WorkspaceSettings>('update_settings', { settings });
}

/** The Facebook app this workspace logs in with; the secret only as "set or not". */
export function getFacebookSettings(): Promise<FacebookSettings> {
  return call<FacebookSettings>('get_facebook_settings');
}

/** Saves the app id, the secret (`null` keeps the stored one; it goes to the keychain only) and the
 * redirect address (`null` = the default); answers with the settings as stored. */
export function updateFacebookSettings(settings: FacebookSettingsUpdate): Promise<FacebookSettings> {
  return call<FacebookSettings>('update_facebook_settings', { settings });
}

/** Opens Facebook Login in its own window and resolves when the login ends: the admin's pages, or
 * `cancelled` (window closed, `cancelFacebookLogin`). Rejects with a sentence for the admin (settings
 * missing, permission refused in Facebook's dialog, expired code, network…). */
export function startFacebookLogin(): Promise<FacebookLogin> {
  return call<FacebookLogin>('start_facebook_login');
}

/** Closes the login window; the pending `startFacebookLogin` then resolves `cancelled`. */
export function cancelFacebookLogin(): Promise<null> {
  return call<null>('cancel_facebook_login');
}

/** Connects the chosen pages of a login; one result per page (a new inactive channel, a refreshed
 * token, or why that page failed). */
export function connectFacebookPages(request: ConnectPages): Promise<PageConnection[]> {
  return call<PageConnection[]>('connect_facebook_pages', { request });
}

/** The recorded routing decisions for a chat, with their reasons ("why did I get this chat"). */
export function explainRouting(chatId: string): Promise<RoutingExplanation> {
  return call<RoutingExplanation>('explain_routing', { chatId });
}

/** Where Meta must send this workspace's Messenger webhooks, the verify token to paste next to it,
 * and whether the local receiver runs (and if not, why). */
export function messengerWebhook(): Promise<MessengerWebhook> {
  return call<MessengerWebhook>('messenger_webhook');
}

/** Takes a Messenger conversation from the bot that holds it (state `bot`): the chat enters routing
 * and is then offered like any other. */
export function takeThread(chatId: string): Promise<null> {
  return call<null>('take_thread', { chatId });
}

/** Gives my active Messenger chat back to the Page Inbox: the thread leaves Switchboard and the chat
 * completes. */
export function passThreadBack(chatId: string): Promise<null> {
  return call<null>('pass_thread_back', { chatId });
}

/** The mode this desktop runs in, the shared database it uses (never the password), the connection
 * state and how many changes wait to be sent. */
export function sharedDatabase(): Promise<SharedDatabaseView> {
  return call<SharedDatabaseView>('shared_database');
}

/** Tries a login without saving anything: who it is, the server and whether the link is encrypted.
 * Rejects with a sentence for a person (refused password, not a Switchboard operator, password in
 * the address, server unreachable…). */
export function testSharedDatabase(login: SharedDatabaseLogin): Promise<SharedDatabaseCheck> {
  return call<SharedDatabaseCheck>('test_shared_database', { login });
}

/** Tests the login, puts the password in the keychain and records the setting; shared mode starts
 * after a restart (the answer has `restart_required`). */
export function connectSharedDatabase(login: SharedDatabaseLogin): Promise<SharedDatabaseView> {
  return call<SharedDatabaseView>('connect_shared_database', { login });
}

/** Goes back to standalone after a restart; nothing is deleted from the shared database. */
export function leaveSharedDatabase(): Promise<SharedDatabaseView> {
  return call<SharedDatabaseView>('leave_shared_database');
}

/** Every operator of the shared database with their login (admins in shared mode; otherwise
 * rejects with `forbidden`). */
export function listOperatorLogins(): Promise<OperatorLogin[]> {
  return call<OperatorLogin[]>('list_operator_logins');
}

/** Creates an operator and their database login; the password goes to the database only. Rejects
 * with `invalid_input` and a sentence (bad or taken login, short password…) or `forbidden`. */
export function createOperatorLogin(login: NewOperatorLogin): Promise<OperatorLogin> {
  return call<OperatorLogin>('create_operator_login', { login });
}

/** Disables a login (the operator can no longer connect); answers with the updated list. */
export function disableOperatorLogin(login: string): Promise<OperatorLogin[]> {
  return call<OperatorLogin[]>('disable_operator_login', { login });
}

/** Restarts Switchboard. Resolves only if the shell could not restart (it normally never answers). */
export function restartApp(): Promise<null> {
  return call<null>('restart_app');
}

/** Subscribes to the shell's batched change notifications. */
export function onChatsChanged(handler: (changed: ChatsChanged) => void): Promise<UnlistenFn> {
  return listen<ChatsChanged>(CHATS_CHANGED_EVENT, (event) => {
    const payload = event.payload as Partial<ChatsChanged> | null | undefined;
    handler({ chat_ids: Array.isArray(payload?.chat_ids) ? payload.chat_ids : [] });
  });
}

/** Subscribes to "a channel's health or settings changed" (no payload: reload `list_channels`). */
export function onChannelsChanged(handler: () => void): Promise<UnlistenFn> {
  return listen(CHANNELS_CHANGED_EVENT, () => handler());
}

function isSharedDatabaseView(value: unknown): value is SharedDatabaseView {
  if (typeof value !== 'object' || value === null) return false;
  const view = value as Record<string, unknown>;
  const connection = view['connection'];
  return (
    (view['mode'] === 'standalone' || view['mode'] === 'shared') &&
    typeof connection === 'object' &&
    connection !== null &&
    typeof (connection as Record<string, unknown>)['state'] === 'string' &&
    typeof view['pending_changes'] === 'number' &&
    typeof view['restart_required'] === 'boolean'
  );
}

/** Subscribes to "the shared database's connection or pending count changed". The handler gets the
 * new view, or `null` when the payload was not one (then ask `sharedDatabase` again). */
export function onDatabaseChanged(handler: (view: SharedDatabaseView | null) => void): Promise<UnlistenFn> {
  return listen<unknown>(DATABASE_CHANGED_EVENT, (event) => {
    handler(isSharedDatabaseView(event.payload) ? event.payload : null);
  });
}
