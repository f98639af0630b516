//! The IPC contract between the Tauri shell and the web UI.
//!
//! These are edge DTOs: the engine's domain types stay free of UI concerns and
//! the shell converts. `ui/src/generated/ipc.ts` is generated from this file by
//! `cargo xtask codegen`; the test `generated_typescript_is_current` fails when
//! the committed file is stale, so the two can never drift apart.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

mod error;
mod shared;
pub use error::{ErrorCode, IpcError};
pub use shared::{
    DatabaseConnection, NewOperatorLogin, OperatorLogin, SharedDatabaseCheck, SharedDatabaseLogin,
    SharedDatabaseView, StandaloneData, WorkMode,
};

/// Name of the batched event the shell emits when chats or messages change.
pub const CHATS_CHANGED_EVENT: &str = "chats-changed";

/// Name of the event the shell emits when the shared database connection changes (payload:
/// `SharedDatabaseView`).
pub const DATABASE_CHANGED_EVENT: &str = "database-changed";

/// Name of the event the shell emits when a channel's health or settings change
/// (no payload: the UI reloads `list_channels`).
pub const CHANNELS_CHANGED_EVENT: &str = "channels-changed";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ChatState {
    Bot,
    Queued,
    Offered,
    Active,
    Completed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Telegram,
    Messenger,
}

/// One row of the operator's chat list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChatSummary {
    pub id: String,
    pub provider: Provider,
    pub channel_name: String,
    pub contact_name: String,
    pub state: ChatState,
    /// Text of the newest message, if any (customer text: render as text).
    pub last_message_text: Option<String>,
    /// Unix milliseconds of the newest message (or of the chat's creation).
    #[ts(type = "number")]
    pub last_activity_at: i64,
    /// Inbound messages the operator has not opened yet.
    pub unread_count: u32,
    /// Name of the operator who has the chat (state `active`).
    pub operator_name: Option<String>,
    /// The chat is offered to the operator at this desk: show Accept.
    pub offered_to_me: bool,
    /// Name of the chat's queue.
    pub queue_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// From the customer.
    Inbound,
    /// From an operator to the customer.
    Outbound,
    /// Internal note, never sent to the customer.
    Note,
    /// Assignment, transfer, timeout…
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Sent,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MessageView {
    pub id: String,
    pub chat_id: String,
    pub kind: MessageKind,
    pub text: String,
    /// Display name of the author (customer or operator); empty for system lines.
    pub author: String,
    #[ts(type = "number")]
    pub created_at: i64,
    /// Only for outbound messages.
    pub delivery: Option<DeliveryState>,
    /// Why delivery failed (or, while pending, why it is waiting), in words for a person.
    pub failure_reason: Option<String>,
    /// When the customer last edited the message (Unix ms); show "edited".
    #[ts(type = "number | null")]
    pub edited_at: Option<i64>,
    /// Files of the message (a photo, a document…); the text is then their caption.
    pub attachments: Vec<AttachmentView>,
    /// The operator may press "Send again" (a failed message of theirs).
    pub can_retry: bool,
    /// Messenger receipts of outbound messages (Unix ms).
    #[ts(type = "number | null")]
    pub delivered_at: Option<i64>,
    #[ts(type = "number | null")]
    pub read_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Photo,
    Document,
    Voice,
    Sticker,
}

/// Whether the file's bytes are on this computer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentState {
    /// Being downloaded from the provider.
    Pending,
    /// Ready: `read_attachment` returns it.
    Stored,
    /// The download failed for good; `failure_reason` says why (retry with `retry_attachment`).
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AttachmentView {
    pub id: String,
    pub kind: AttachmentKind,
    /// As the customer named it (customer data: render as text).
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    /// Bytes.
    #[ts(type = "number | null")]
    pub size: Option<u64>,
    pub state: AttachmentState,
    pub failure_reason: Option<String>,
}

/// A file's bytes for showing or saving.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AttachmentData {
    pub id: String,
    pub kind: AttachmentKind,
    pub file_name: Option<String>,
    /// Only image types the webview can show safely are labelled as images;
    /// anything else is `application/octet-stream`.
    pub mime_type: String,
    /// The bytes, base64 (standard alphabet, padded).
    pub base64: String,
}

/// Arguments of the `send_file` command: an operator sends a photo or a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SendFile {
    pub chat_id: String,
    /// `photo` (shown inline; PNG/JPEG/WebP up to 10 MB) or `document` (any file up to 50 MB).
    pub kind: AttachmentKind,
    pub file_name: String,
    pub mime_type: Option<String>,
    /// The bytes, base64.
    pub base64: String,
    /// Optional caption (at most 1024 characters).
    pub caption: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChatDetail {
    pub chat: ChatSummary,
    pub messages: Vec<MessageView>,
    /// Messenger chats: whether and how a reply can be sent now.
    pub window: Option<ReplyWindow>,
    /// The customer's profile picture as a `data:image/…` URL, when the provider gave one.
    pub contact_picture: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReplyWindowState {
    /// Within 24 h of the customer's last message.
    Open,
    /// Between 24 h and 7 days, replies go with the HUMAN_AGENT tag.
    HumanAgent,
    /// Replies cannot be sent; `reason` says why.
    Closed,
}

/// Messenger's 24-hour window as the composer shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ReplyWindow {
    pub state: ReplyWindowState,
    /// When the current state ends (Unix ms).
    #[ts(type = "number | null")]
    pub closes_at: Option<i64>,
    /// Words for the composer when replies are not possible (or tagged).
    pub reason: Option<String>,
}

/// Where Facebook must send a Messenger app's webhooks, for the designer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MessengerWebhook {
    /// Paste into the Facebook app's Messenger → Webhooks "Callback URL" (behind a tunnel).
    pub callback_url: String,
    /// Paste into "Verify token".
    pub verify_token: String,
    /// The local receiver runs.
    pub listening: bool,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ChannelHealthState {
    Starting,
    Running,
    /// Deactivated by an admin.
    Stopped,
    Error,
}

/// What kind of problem an unhealthy channel has; the card offers the matching action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ChannelProblem {
    /// Token revoked or wrong: offer "Replace token".
    TokenRejected,
    /// A webhook or another program uses the bot: offer "Try again" once it is stopped.
    UsedElsewhere,
    /// Telegram asked to slow down: resumes by itself.
    RateLimited,
    /// Network or server errors: retried with back-off; "Try again" retries now.
    Unreachable,
    /// The token is missing from the keychain or the keychain is locked.
    Keychain,
    Storage,
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChannelView {
    pub id: String,
    pub provider: Provider,
    pub name: String,
    pub active: bool,
    pub health: ChannelHealthState,
    pub problem: Option<ChannelProblem>,
    /// Why the channel is unhealthy, written for an admin.
    pub health_reason: Option<String>,
    /// Where new chats of this channel go.
    pub queue_id: String,
    pub queue_name: String,
    /// `en` or `ru`.
    pub language: String,
    /// The bot's (or page's) id at the provider.
    pub external_id: String,
    /// Messenger: reply with the HUMAN_AGENT tag between 24 h and 7 days.
    pub human_agent: bool,
}

/// Arguments of `add_telegram_channel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NewTelegramChannel {
    /// As @BotFather gave it. Goes to the keychain only.
    pub token: String,
    /// Queue for new chats; `null` = the first queue.
    pub queue_id: Option<String>,
    /// `null` = the default Bot API server of this installation.
    pub api_base: Option<String>,
}

/// Changes from a channel's mini-card; `null` keeps the value.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
pub struct ChannelChanges {
    pub name: Option<String>,
    pub active: Option<bool>,
    pub queue_id: Option<String>,
    pub language: Option<String>,
    pub human_agent: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OperatorStatus {
    Active,
    Inactive,
    Offline,
}

/// The operator at this desk, for the left rail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MyStatus {
    pub operator_id: String,
    pub name: String,
    pub status: OperatorStatus,
    pub active_chats: u32,
    /// `SimultaneousChats`.
    pub capacity: u32,
    /// Chats waiting in this operator's queues with no operator.
    pub waiting_in_my_queues: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RoutingRule {
    ToAll,
    Freest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct QueueView {
    pub id: String,
    pub name: String,
    pub rule: RoutingRule,
    /// Minutes; `null` = never.
    pub completion_timeout_min: Option<u32>,
    /// Operators serving the queue (directly or through a role).
    pub operator_names: Vec<String>,
    /// How the queue's operators are given: users and roles.
    pub members: Vec<QueueMember>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MemberKind {
    User,
    Role,
}

/// An operator of a queue, given as a user or as a role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct QueueMember {
    pub kind: MemberKind,
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RoleView {
    pub id: String,
    pub name: String,
    /// Users holding the role.
    pub user_names: Vec<String>,
    pub user_ids: Vec<String>,
}

/// Workspace settings an admin edits in Chat settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WorkspaceSettings {
    /// `SimultaneousChats`: max active chats per operator (1–50).
    pub simultaneous_chats: u32,
    /// `OperatorAcceptChatTimeout` in minutes (1–120).
    pub accept_timeout_min: u32,
}

/// Arguments of `create_queue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NewQueue {
    pub name: String,
    pub rule: RoutingRule,
    pub completion_timeout_min: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OperatorView {
    pub id: String,
    pub name: String,
    pub status: OperatorStatus,
    pub active_chats: u32,
}

/// One operator as the router saw them when deciding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CandidateRow {
    pub operator_name: String,
    pub active_chats: u32,
    /// Unix ms of the last chat they took; `null` = never.
    #[ts(type = "number | null")]
    pub last_assigned_at: Option<i64>,
}

/// One routing decision about a chat, with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RoutingEntry {
    #[ts(type = "number")]
    pub decided_at: i64,
    /// offer, assign, withdraw, wait, complete, set_inactive
    pub kind: String,
    pub rule: Option<RoutingRule>,
    pub summary: String,
    pub candidates: Vec<CandidateRow>,
    pub tie_break: Option<String>,
}

/// "Why did I get this chat": the chat's routing history, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RoutingExplanation {
    pub chat_id: String,
    pub entries: Vec<RoutingEntry>,
}

/// Payload of [`CHATS_CHANGED_EVENT`]: every chat touched by one batch of writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChatsChanged {
    pub chat_ids: Vec<String>,
}

/// Arguments of the `send_reply` command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SendReply {
    pub chat_id: String,
    pub text: String,
}

/// The Facebook app Switchboard logs in with, as the UI sees it: the secret
/// never crosses IPC, only whether it is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FacebookSettings {
    /// Empty until an admin fills it in.
    pub app_id: String,
    pub app_secret_set: bool,
    /// Where Facebook Login sends the answer; the app catches it and never loads it.
    pub redirect_uri: String,
    pub default_redirect_uri: String,
}

/// Arguments of `update_facebook_settings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FacebookSettingsUpdate {
    pub app_id: String,
    /// `null` keeps the stored secret; a value replaces it (goes to the keychain only).
    pub app_secret: Option<String>,
    /// `null` or empty: the default (`https://www.facebook.com/connect/login_success.html`).
    pub redirect_uri: Option<String>,
}

/// How a Facebook Login ended (failures are `IpcError` rejections instead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FacebookLogin {
    /// Logged in: choose the pages to connect.
    Pages(PagePicker),
    /// The admin closed the login window or pressed Cancel; nothing changed.
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PagePicker {
    /// Names this login for `connect_facebook_pages` (the tokens stay in Rust).
    pub login_id: String,
    pub pages: Vec<PageChoice>,
}

/// One page the admin manages, as the picker shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PageChoice {
    pub id: String,
    pub name: String,
    /// The page's picture as a `data:` URL (fetched by Rust), if there is one.
    pub picture: Option<String>,
    /// Already a channel of this workspace (connecting again refreshes its token).
    pub connected_channel_id: Option<String>,
    /// The admin has the page's MESSAGING task; without it Switchboard cannot answer.
    pub can_message: bool,
}

/// Arguments of `connect_facebook_pages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ConnectPages {
    pub login_id: String,
    pub page_ids: Vec<String>,
}

/// What happened to one chosen page: a channel, or why not (nothing half-created).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PageConnection {
    pub page_id: String,
    pub page_name: String,
    pub channel: Option<ChannelView>,
    /// True when the page was connected before and only its token was refreshed.
    pub refreshed: bool,
    pub error: Option<IpcError>,
}

/// The whole generated TypeScript file, in a stable order.
pub fn typescript_bindings() -> String {
    let cfg = ts_rs::Config::default();
    let decls = [
        ErrorCode::decl(&cfg),
        IpcError::decl(&cfg),
        ChatState::decl(&cfg),
        Provider::decl(&cfg),
        ChatSummary::decl(&cfg),
        MessageKind::decl(&cfg),
        DeliveryState::decl(&cfg),
        MessageView::decl(&cfg),
        ChatDetail::decl(&cfg),
        ChannelHealthState::decl(&cfg),
        ChannelProblem::decl(&cfg),
        ChannelView::decl(&cfg),
        NewTelegramChannel::decl(&cfg),
        ChannelChanges::decl(&cfg),
        AttachmentKind::decl(&cfg),
        AttachmentState::decl(&cfg),
        AttachmentView::decl(&cfg),
        AttachmentData::decl(&cfg),
        SendFile::decl(&cfg),
        ReplyWindowState::decl(&cfg),
        ReplyWindow::decl(&cfg),
        MessengerWebhook::decl(&cfg),
        FacebookSettings::decl(&cfg),
        FacebookSettingsUpdate::decl(&cfg),
        FacebookLogin::decl(&cfg),
        PagePicker::decl(&cfg),
        PageChoice::decl(&cfg),
        ConnectPages::decl(&cfg),
        PageConnection::decl(&cfg),
        ChatsChanged::decl(&cfg),
        SendReply::decl(&cfg),
        OperatorStatus::decl(&cfg),
        MyStatus::decl(&cfg),
        RoutingRule::decl(&cfg),
        QueueView::decl(&cfg),
        NewQueue::decl(&cfg),
        OperatorView::decl(&cfg),
        CandidateRow::decl(&cfg),
        RoutingEntry::decl(&cfg),
        RoutingExplanation::decl(&cfg),
        MemberKind::decl(&cfg),
        QueueMember::decl(&cfg),
        RoleView::decl(&cfg),
        WorkspaceSettings::decl(&cfg),
        WorkMode::decl(&cfg),
        DatabaseConnection::decl(&cfg),
        SharedDatabaseView::decl(&cfg),
        StandaloneData::decl(&cfg),
        SharedDatabaseLogin::decl(&cfg),
        SharedDatabaseCheck::decl(&cfg),
        OperatorLogin::decl(&cfg),
        NewOperatorLogin::decl(&cfg),
    ];
    let mut out =
        String::from("// Generated from src-tauri/ipc by `cargo xtask codegen`. Do not edit.\n\n");
    out.push_str(&format!(
        "export const CHATS_CHANGED_EVENT = \"{CHATS_CHANGED_EVENT}\";\n\n"
    ));
    out.push_str(&format!(
        "export const CHANNELS_CHANGED_EVENT = \"{CHANNELS_CHANGED_EVENT}\";\n\n"
    ));
    out.push_str(&format!(
        "export const DATABASE_CHANGED_EVENT = \"{DATABASE_CHANGED_EVENT}\";\n\n"
    ));
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// Where the generated file lives, relative to the workspace root.
pub const GENERATED_TS_PATH: &str = "ui/src/generated/ipc.ts";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_typescript_is_current() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let committed = std::fs::read_to_string(root.join(GENERATED_TS_PATH)).unwrap_or_else(|e| {
            panic!("{GENERATED_TS_PATH} is missing ({e}); run `cargo xtask codegen`")
        });
        assert!(
            committed == typescript_bindings(),
            "{GENERATED_TS_PATH} is stale: run `cargo xtask codegen` and commit the result"
        );
    }

    #[test]
    fn errors_serialize_to_the_shape_the_ui_expects() {
        let err = IpcError::new(ErrorCode::NotFound, "This chat no longer exists.");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "not_found", "message": "This chat no longer exists.", "details": null})
        );
    }
}
