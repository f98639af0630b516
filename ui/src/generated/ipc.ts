// Generated from src-tauri/ipc by `cargo xtask codegen`. Do not edit.

export const CHATS_CHANGED_EVENT = "chats-changed";

export const CHANNELS_CHANGED_EVENT = "channels-changed";

export const DATABASE_CHANGED_EVENT = "database-changed";

export type ErrorCode = "invalid_input" | "not_found" | "conflict" | "storage" | "forbidden" | "keychain" | "internal";

export type IpcError = { code: ErrorCode, message: string, details: string | null, };

export type ChatState = "bot" | "queued" | "offered" | "active" | "completed";

export type Provider = "telegram" | "messenger";

export type ChatSummary = { id: string, provider: Provider, channel_name: string, contact_name: string, state: ChatState, 
/**
 * Text of the newest message, if any (customer text: render as text).
 */
last_message_text: string | null, 
/**
 * Unix milliseconds of the newest message (or of the chat's creation).
 */
last_activity_at: number, 
/**
 * Inbound messages the operator has not opened yet.
 */
unread_count: number, 
/**
 * Name of the operator who has the chat (state `active`).
 */
operator_name: string | null, 
/**
 * The chat is offered to the operator at this desk: show Accept.
 */
offered_to_me: boolean, 
/**
 * Name of the chat's queue.
 */
queue_name: string, };

export type MessageKind = "inbound" | "outbound" | "note" | "system";

export type DeliveryState = "pending" | "sent" | "failed";

export type MessageView = { id: string, chat_id: string, kind: MessageKind, text: string, 
/**
 * Display name of the author (customer or operator); empty for system lines.
 */
author: string, created_at: number, 
/**
 * Only for outbound messages.
 */
delivery: DeliveryState | null, 
/**
 * Why delivery failed (or, while pending, why it is waiting), in words for a person.
 */
failure_reason: string | null, 
/**
 * When the customer last edited the message (Unix ms); show "edited".
 */
edited_at: number | null, 
/**
 * Files of the message (a photo, a document…); the text is then their caption.
 */
attachments: Array<AttachmentView>, 
/**
 * The operator may press "Send again" (a failed message of theirs).
 */
can_retry: boolean, 
/**
 * Messenger receipts of outbound messages (Unix ms).
 */
delivered_at: number | null, read_at: number | null, };

export type ChatDetail = { chat: ChatSummary, messages: Array<MessageView>, 
/**
 * Messenger chats: whether and how a reply can be sent now.
 */
window: ReplyWindow | null, 
/**
 * The customer's profile picture as a `data:image/…` URL, when the provider gave one.
 */
contact_picture: string | null, };

export type ChannelHealthState = "starting" | "running" | "stopped" | "error";

export type ChannelProblem = "token_rejected" | "used_elsewhere" | "rate_limited" | "unreachable" | "keychain" | "storage" | "other";

export type ChannelView = { id: string, provider: Provider, name: string, active: boolean, health: ChannelHealthState, problem: ChannelProblem | null, 
/**
 * Why the channel is unhealthy, written for an admin.
 */
health_reason: string | null, 
/**
 * Where new chats of this channel go.
 */
queue_id: string, queue_name: string, 
/**
 * `en` or `ru`.
 */
language: string, 
/**
 * The bot's (or page's) id at the provider.
 */
external_id: string, 
/**
 * Messenger: reply with the HUMAN_AGENT tag between 24 h and 7 days.
 */
human_agent: boolean, };

export type NewTelegramChannel = { 
/**
 * As @BotFather gave it. Goes to the keychain only.
 */
token: string, 
/**
 * Queue for new chats; `null` = the first queue.
 */
queue_id: string | null, 
/**
 * `null` = the default Bot API server of this installation.
 */
api_base: string | null, };

export type ChannelChanges = { name: string | null, active: boolean | null, queue_id: string | null, language: string | null, human_agent: boolean | null, };

export type AttachmentKind = "photo" | "document" | "voice" | "sticker";

export type AttachmentState = "pending" | "stored" | "failed";

export type AttachmentView = { id: string, kind: AttachmentKind, 
/**
 * As the customer named it (customer data: render as text).
 */
file_name: string | null, mime_type: string | null, 
/**
 * Bytes.
 */
size: number | null, state: AttachmentState, failure_reason: string | null, };

export type AttachmentData = { id: string, kind: AttachmentKind, file_name: string | null, 
/**
 * Only image types the webview can show safely are labelled as images;
 * anything else is `application/octet-stream`.
 */
mime_type: string, 
/**
 * The bytes, base64 (standard alphabet, padded).
 */
base64: string, };

export type SendFile = { chat_id: string, 
/**
 * `photo` (shown inline; PNG/JPEG/WebP up to 10 MB) or `document` (any file up to 50 MB).
 */
kind: AttachmentKind, file_name: string, mime_type: string | null, 
/**
 * The bytes, base64.
 */
base64: string, 
/**
 * Optional caption (at most 1024 characters).
 */
caption: string, };

export type ReplyWindowState = "open" | "human_agent" | "closed";

export type ReplyWindow = { state: ReplyWindowState, 
/**
 * When the current state ends (Unix ms).
 */
closes_at: number | null, 
/**
 * Words for the composer when replies are not possible (or tagged).
 */
reason: string | null, };

export type MessengerWebhook = { 
/**
 * Paste into the Facebook app's Messenger → Webhooks "Callback URL" (behind a tunnel).
 */
callback_url: string, 
/**
 * Paste into "Verify token".
 */
verify_token: string, 
/**
 * The local receiver runs.
 */
listening: boolean, problem: string | null, };

export type FacebookSettings = { 
/**
 * Empty until an admin fills it in.
 */
app_id: string, app_secret_set: boolean, 
/**
 * Where Facebook Login sends the answer; the app catches it and never loads it.
 */
redirect_uri: string, default_redirect_uri: string, };

export type FacebookSettingsUpdate = { app_id: string, 
/**
 * `null` keeps the stored secret; a value replaces it (goes to the keychain only).
 */
app_secret: string | null, 
/**
 * `null` or empty: the default (`https://www.facebook.com/connect/login_success.html`).
 */
redirect_uri: string | null, };

export type FacebookLogin = { "status": "pages" } & PagePicker | { "status": "cancelled" };

export type PagePicker = { 
/**
 * Names this login for `connect_facebook_pages` (the tokens stay in Rust).
 */
login_id: string, pages: Array<PageChoice>, };

export type PageChoice = { id: string, name: string, 
/**
 * The page's picture as a `data:` URL (fetched by Rust), if there is one.
 */
picture: string | null, 
/**
 * Already a channel of this workspace (connecting again refreshes its token).
 */
connected_channel_id: string | null, 
/**
 * The admin has the page's MESSAGING task; without it Switchboard cannot answer.
 */
can_message: boolean, };

export type ConnectPages = { login_id: string, page_ids: Array<string>, };

export type PageConnection = { page_id: string, page_name: string, channel: ChannelView | null, 
/**
 * True when the page was connected before and only its token was refreshed.
 */
refreshed: boolean, error: IpcError | null, };

export type ChatsChanged = { chat_ids: Array<string>, };

export type SendReply = { chat_id: string, text: string, };

export type OperatorStatus = "active" | "inactive" | "offline";

export type MyStatus = { operator_id: string, name: string, status: OperatorStatus, active_chats: number, 
/**
 * `SimultaneousChats`.
 */
capacity: number, 
/**
 * Chats waiting in this operator's queues with no operator.
 */
waiting_in_my_queues: number, };

export type RoutingRule = "to_all" | "freest";

export type QueueView = { id: string, name: string, rule: RoutingRule, 
/**
 * Minutes; `null` = never.
 */
completion_timeout_min: number | null, 
/**
 * Operators serving the queue (directly or through a role).
 */
operator_names: Array<string>, 
/**
 * How the queue's operators are given: users and roles.
 */
members: Array<QueueMember>, };

export type NewQueue = { name: string, rule: RoutingRule, completion_timeout_min: number | null, };

export type OperatorView = { id: string, name: string, status: OperatorStatus, active_chats: number, };

export type CandidateRow = { operator_name: string, active_chats: number, 
/**
 * Unix ms of the last chat they took; `null` = never.
 */
last_assigned_at: number | null, };

export type RoutingEntry = { decided_at: number, 
/**
 * offer, assign, withdraw, wait, complete, set_inactive
 */
kind: string, rule: RoutingRule | null, summary: string, candidates: Array<CandidateRow>, tie_break: string | null, };

export type RoutingExplanation = { chat_id: string, entries: Array<RoutingEntry>, };

export type MemberKind = "user" | "role";

export type QueueMember = { kind: MemberKind, id: string, name: string, };

export type RoleView = { id: string, name: string, 
/**
 * Users holding the role.
 */
user_names: Array<string>, user_ids: Array<string>, };

export type WorkspaceSettings = { 
/**
 * `SimultaneousChats`: max active chats per operator (1–50).
 */
simultaneous_chats: number, 
/**
 * `OperatorAcceptChatTimeout` in minutes (1–120).
 */
accept_timeout_min: number, };

export type WorkMode = "standalone" | "shared";

export type DatabaseConnection = { "state": "standalone" } | { "state": "connecting" } | { "state": "online" } | { "state": "offline", reason: string, };

export type SharedDatabaseView = { 
/**
 * The mode this desktop runs in now.
 */
mode: WorkMode, 
/**
 * `host:port/database` of the configured shared database (`None` in standalone).
 */
address: string | null, 
/**
 * The Postgres login of this operator.
 */
user: string | null, 
/**
 * The operator that login is (known after the first connection).
 */
operator_name: string | null, connection: DatabaseConnection, 
/**
 * Changes made here that have not reached the shared database yet.
 */
pending_changes: number, 
/**
 * The configured mode differs from the running one: restart Switchboard to switch.
 */
restart_required: boolean, 
/**
 * Why shared mode could not start (e.g. the password is no longer in the keychain).
 */
problem: string | null, 
/**
 * Standalone, not connected yet: what this desktop could upload when it connects (absent
 * when it holds nothing beyond a fresh install's defaults).
 */
standalone_data?: StandaloneData, 
/**
 * What connecting uploaded, in words (until the restart), e.g. "Uploaded 2 channels, 3
 * queues, 140 chats and 2,311 messages."
 */
upload_result?: string, };

export type StandaloneData = { channels: number, queues: number, 
/**
 * People other than the one at this desk.
 */
operators: number, roles: number, chats: number, messages: number, };

export type SharedDatabaseLogin = { 
/**
 * `host[:port]/database`, or a `postgres://host:port/database` URL without credentials.
 */
address: string, user: string, password: string, 
/**
 * Connect only: upload this standalone desktop's data (configuration and history) to the
 * shared database first. Admins only; nothing is deleted on this desktop.
 */
upload?: boolean, };

export type SharedDatabaseCheck = { 
/**
 * The Switchboard operator this login is.
 */
operator_name: string, is_admin: boolean, 
/**
 * e.g. "PostgreSQL 15.8".
 */
server_version: string, 
/**
 * Whether the connection is encrypted (TLS).
 */
encrypted: boolean, };

export type OperatorLogin = { user_id: string, name: string, 
/**
 * The Postgres login, `None` for a user without one.
 */
login: string | null, is_admin: boolean, 
/**
 * False once an admin disabled the login.
 */
enabled: boolean, };

export type NewOperatorLogin = { name: string, 
/**
 * Lower-case letters, digits and `_`, starting with a letter.
 */
login: string, password: string, is_admin: boolean, 
/**
 * Queues the operator serves from the start.
 */
queue_ids: Array<string>, };
