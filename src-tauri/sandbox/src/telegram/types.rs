//! The public value types of the in-process control API ([`super::TelegramControl`]); the HTTP
//! control API takes and returns the same shapes as JSON.

use serde::{Deserialize, Serialize};

/// A customer writing a text message to a bot in a private chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerMessage {
    /// Telegram user id; also the private chat id.
    pub user_id: i64,
    pub first_name: String,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    pub text: String,
}

/// A customer sending a photo (with an optional caption) to a bot.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerPhoto {
    pub user_id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub caption: Option<String>,
    /// PNG or JPEG bytes; `None` sends a small built-in PNG.
    pub image: Option<Vec<u8>>,
}

/// What kind of file a customer sends; each arrives as its own Bot API object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// `photo: [PhotoSize]`; the bytes must be PNG or JPEG.
    Photo,
    /// `document: Document`.
    #[default]
    Document,
    /// `voice: Voice` (an OGG/Opus voice note).
    Voice,
    /// `sticker: Sticker` (a regular static sticker).
    Sticker,
}

/// A customer sending a file of any [`MediaKind`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerMedia {
    pub user_id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub kind: MediaKind,
    /// The file. Empty is allowed only for a photo (a small built-in PNG is sent instead).
    pub bytes: Vec<u8>,
    /// Documents only (Telegram drops the name of photos, voice notes and stickers).
    pub file_name: Option<String>,
    /// Documents and voice notes; a document's type is guessed from `file_name` when absent,
    /// a voice note's defaults to `audio/ogg`.
    pub mime_type: Option<String>,
    /// Not allowed on stickers.
    pub caption: Option<String>,
    /// Voice notes: length in seconds (default 1; the sandbox does not decode audio).
    pub duration: Option<u32>,
    /// Stickers: the emoji the sticker stands for (default 🙂).
    pub emoji: Option<String>,
}

/// A customer editing one of their own messages: the text of a text message, or the caption of
/// a media message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerEdit {
    pub user_id: i64,
    pub message_id: i64,
    pub text: String,
}

/// A message the bot sent successfully (recorded for assertions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    pub chat_id: i64,
    /// The message text, or the caption for media (empty when none).
    pub text: String,
    pub message_id: i64,
    pub date: i64,
    /// The Bot API method as the bot called it, in canonical case (`sendMessage`, `sendPhoto`).
    pub method: String,
    /// Unix time in milliseconds when the sandbox accepted the send, for checking pacing
    /// (`date` has only whole seconds, as on Telegram).
    #[serde(default)]
    pub sent_at_ms: u64,
    /// Media sends: the file sent; its bytes are at `TelegramControl::sent_file_bytes`.
    #[serde(default)]
    pub file_id: Option<String>,
    #[serde(default)]
    pub file_name: Option<String>,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub file_size: Option<u64>,
}

/// A failure to answer the next `times` calls of `method` with, before normal handling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Bot API method name (case-insensitive), or `*` for any method.
    pub method: String,
    pub error_code: u16,
    /// Empty: Telegram's text for the code (`Too Many Requests: retry after N`,
    /// `Unauthorized`, the 409 of a second poller, `Internal Server Error`, `Bad Gateway`, ...).
    #[serde(default)]
    pub description: String,
    /// Sent as `parameters.retry_after`.
    #[serde(default)]
    pub retry_after: Option<u64>,
    #[serde(default = "one")]
    pub times: u32,
}

/// A slow server: the next `times` calls of `method` are answered normally, but only after
/// `delay_ms`. A separate type from [`Fault`] so existing `Fault { .. }` literals stay valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlowCall {
    /// Bot API method name (case-insensitive), or `*` for any method.
    pub method: String,
    pub delay_ms: u64,
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

/// A file the simulated Telegram holds, as `TelegramControl::sent_file` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxFile {
    pub file_id: String,
    pub file_unique_id: String,
    /// Where `/file/bot<token>/<file_path>` serves it.
    pub file_path: String,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub bytes: Vec<u8>,
}
