//! Public types of the Messenger Platform simulation (arguments and results of the Messenger
//! methods of [`super::FacebookControl`]).

use serde::{Deserialize, Serialize};

/// The app id of Meta's Page Inbox (the human side of a page in Conversation Routing).
pub const PAGE_INBOX_APP_ID: &str = "263902037430900";

/// A person who writes to a page. Their PSID is page-scoped, as on Messenger.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct MessengerCustomer {
    /// Random 16-digit PSID when absent.
    #[serde(default)]
    pub psid: Option<String>,
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
}

/// Attachment types a person can send (`sticker` also carries a `sticker_id`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Image,
    Video,
    Audio,
    File,
    Sticker,
}

impl AttachmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Image => "image",
            AttachmentKind::Video => "video",
            AttachmentKind::Audio => "audio",
            AttachmentKind::File => "file",
            AttachmentKind::Sticker => "sticker",
        }
    }

    pub fn parse(text: &str) -> Option<AttachmentKind> {
        match text {
            "image" => Some(AttachmentKind::Image),
            "video" => Some(AttachmentKind::Video),
            "audio" => Some(AttachmentKind::Audio),
            "file" => Some(AttachmentKind::File),
            "sticker" => Some(AttachmentKind::Sticker),
            _ => None,
        }
    }
}

/// One attachment of a customer's message; its bytes are served at `payload.url`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CustomerAttachment {
    #[serde(rename = "type")]
    pub kind: AttachmentKind,
    /// Empty: a built-in 2×2 PNG for images and stickers, a few bytes otherwise.
    #[serde(default, skip_serializing)]
    pub bytes: Vec<u8>,
    #[serde(default)]
    pub file_name: Option<String>,
    #[serde(default)]
    pub mime_type: Option<String>,
    /// Stickers only; defaults to 369239263222822 (the thumbs-up).
    #[serde(default)]
    pub sticker_id: Option<u64>,
}

/// What a customer writes: text and/or attachments, optionally as a reply to an earlier `mid`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct CustomerMessengerMessage {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub reply_to: Option<String>,
    #[serde(default)]
    pub attachments: Vec<CustomerAttachment>,
    /// A tapped quick reply's payload (`message.quick_reply.payload`).
    #[serde(default)]
    pub quick_reply_payload: Option<String>,
}

/// A message the page sent from somewhere else (Page Inbox, another app): an `is_echo` event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct PageEcho {
    pub psid: String,
    pub text: String,
    /// The sending app; defaults to Page Inbox (263902037430900).
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub metadata: Option<String>,
}

/// A message the page sent through the Send API, for assertions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SentMessengerMessage {
    pub page_id: String,
    /// The app whose page token sent it.
    pub app_id: String,
    pub recipient_id: String,
    pub message_id: String,
    pub messaging_type: String,
    pub tag: Option<String>,
    pub text: Option<String>,
    pub metadata: Option<String>,
    pub attachment_type: Option<String>,
    /// The attachment as sent: its reusable id, if any, and the URL it was fetched from.
    pub attachment_id: Option<String>,
    pub attachment_url: Option<String>,
    #[serde(skip)]
    pub attachment_bytes: Option<Vec<u8>>,
    pub attachment_size: Option<usize>,
    /// Unix seconds on the sandbox's Facebook clock.
    pub sent_at: i64,
}

/// One HTTP attempt to deliver a webhook event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub app_id: String,
    pub page_id: String,
    /// Sequence number of the event for that app (1, 2, …), the same on every retry.
    pub event: u64,
    /// 1 for the first try, 2 for the first retry, …
    pub attempt: u32,
    pub url: String,
    /// The exact body sent (Meta's encoding: non-ASCII as `\uXXXX`, `/` as `\/`).
    pub body: String,
    /// `sha256=<hex>`
    pub signature_256: String,
    /// `sha1=<hex>`
    pub signature_sha1: String,
    /// The callback's HTTP status, `None` when the connection failed or timed out.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub delivered: bool,
}

/// How failed deliveries are retried: `first_delay_ms`, then doubling up to `max_delay_ms`,
/// for at most `max_attempts` tries in all; each try waits `timeout_ms` for an answer.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct WebhookRetry {
    pub first_delay_ms: u64,
    pub max_delay_ms: u64,
    pub max_attempts: u32,
    pub timeout_ms: u64,
}

impl Default for WebhookRetry {
    fn default() -> WebhookRetry {
        WebhookRetry {
            first_delay_ms: 100,
            max_delay_ms: 5_000,
            max_attempts: 8,
            timeout_ms: 10_000,
        }
    }
}
