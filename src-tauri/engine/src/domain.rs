//! Domain vocabulary shared by the store, the routing core and the connectors.

use crate::clock::Millis;
use crate::error::StoreError;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Result<Self, StoreError> {
                match text {
                    $($text => Ok(Self::$variant),)+
                    other => Err(StoreError::Corrupt(format!(
                        "unknown {} {other:?}", stringify!($name)
                    ))),
                }
            }
        }
    };
}

string_enum!(
    /// Who a channel talks to.
    Provider { Telegram => "telegram", Messenger => "messenger" }
);
string_enum!(
    /// Lifecycle of one conversation episode (see SPEC "Chat").
    ChatState {
        Bot => "bot",
        Queued => "queued",
        Offered => "offered",
        Active => "active",
        Completed => "completed",
    }
);
string_enum!(
    MessageKind { Inbound => "inbound", Outbound => "outbound", Note => "note", System => "system" }
);
string_enum!(
    /// Delivery of an outbound message: pending (in the outbox) → sent | failed.
    Delivery { Pending => "pending", Sent => "sent", Failed => "failed" }
);
string_enum!(
    RoutingRule { ToAll => "to_all", Freest => "freest" }
);
string_enum!(
    /// What a file attached to a message is (the provider's categories).
    AttachmentKind { Photo => "photo", Document => "document", Voice => "voice", Sticker => "sticker" }
);
string_enum!(
    /// Whether a file's bytes are on this computer: inbound files are fetched
    /// after their message is stored (pending → stored | failed).
    AttachmentState { Pending => "pending", Stored => "stored", Failed => "failed" }
);

pub type Id = String;

pub fn new_id() -> Id {
    uuid::Uuid::new_v4().to_string()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub id: Id,
    pub provider: Provider,
    pub name: String,
    pub active: bool,
    pub queue_id: Id,
    pub api_base: String,
    pub external_id: String,
    /// Language of the channel's customers (quick replies, defaults): `en`, `ru`…
    pub language: String,
    /// Messenger: reply with the HUMAN_AGENT tag between 24 h and 7 days.
    pub human_agent: bool,
}

/// What an admin may change on a channel's mini-card; `None` keeps the value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelUpdate {
    pub name: Option<String>,
    pub active: Option<bool>,
    pub queue_id: Option<Id>,
    pub language: Option<String>,
    pub human_agent: Option<bool>,
}

/// Languages a channel can be set to (the interface languages, SPEC "Operator chat panel").
pub const CHANNEL_LANGUAGES: &[&str] = &["en", "ru"];

/// A customer message as a connector hands it to the store.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    /// Provider identity of the message, unique within the channel.
    pub provider_key: String,
    /// Where replies go (Telegram chat id).
    pub provider_chat_id: String,
    pub provider_user_id: String,
    pub contact_name: String,
    pub contact_username: Option<String>,
    pub text: String,
    pub sent_at: Millis,
    /// Set when the customer edited an earlier message (same `provider_key`):
    /// the stored message's text is replaced and it shows as edited.
    pub edited_at: Option<Millis>,
    /// A file the customer sent with the message, to fetch later.
    pub attachment: Option<InboundAttachment>,
}

/// A customer's file as the provider describes it, before its bytes are fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundAttachment {
    pub kind: AttachmentKind,
    /// The provider's download handle (Telegram `file_id`).
    pub provider_file_id: String,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub size: Option<u64>,
}

/// A file attached to a stored message (metadata; the bytes are read separately).
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub id: Id,
    pub message_id: Id,
    pub kind: AttachmentKind,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub size: Option<u64>,
    pub state: AttachmentState,
    pub failure_reason: Option<String>,
}

/// An inbound file whose bytes still have to be fetched from the provider.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentFetch {
    pub attachment_id: Id,
    pub chat_id: Id,
    pub provider_file_id: String,
    pub attempts: u32,
}

/// A file an operator sends, as it reaches the store.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingFile {
    pub kind: AttachmentKind,
    pub file_name: String,
    pub mime_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// Largest file an operator may send: Telegram's limit for bots' uploads
/// (50 MB for documents; photos are further limited to 10 MB).
pub const MAX_OUTGOING_FILE_BYTES: usize = 50 * 1024 * 1024;
pub const MAX_OUTGOING_PHOTO_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct Chat {
    pub id: Id,
    pub channel_id: Id,
    pub provider: Provider,
    pub channel_name: String,
    pub contact_name: String,
    pub state: ChatState,
    pub operator_id: Option<Id>,
    pub last_message_text: Option<String>,
    pub last_activity_at: Millis,
    pub unread_count: u32,
    pub queue_name: String,
    pub operator_name: Option<String>,
    /// Offered to the operator at this desk.
    pub offered_to_me: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: Id,
    pub chat_id: Id,
    pub kind: MessageKind,
    pub text: String,
    pub author: String,
    pub created_at: Millis,
    pub delivery: Option<Delivery>,
    pub failure_reason: Option<String>,
    /// When the customer last edited it.
    pub edited_at: Option<Millis>,
    /// Messenger receipts of an outbound message.
    pub delivered_at: Option<Millis>,
    pub read_at: Option<Millis>,
    pub attachments: Vec<Attachment>,
}

/// An outbound message waiting in the outbox, with where it must go.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub message_id: Id,
    pub chat_id: Id,
    pub provider_chat_id: String,
    pub text: String,
    pub attempts: u32,
    /// Parts of a split text already accepted by the provider.
    pub parts_sent: u32,
    /// The file to send (with `text` as its caption), if the message has one.
    pub attachment: Option<OutboxFile>,
}

/// The file of an outbox item; its bytes are read with `Store::attachment_content`
/// just before sending, so a queue of large files is not all held in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxFile {
    pub attachment_id: Id,
    pub kind: AttachmentKind,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LocalUser {
    pub id: Id,
    pub name: String,
}

/// Longest text an operator may send in one reply; connectors split it further
/// to the provider's own limit (4096 on Telegram).
pub const MAX_REPLY_CHARS: usize = 20_000;

/// A connector's health as an admin sees it on the channel card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelHealth {
    Starting,
    Running,
    /// Deactivated by an admin: not polling, not sending.
    Stopped,
    /// Not working, with what kind of problem and a reason written for an admin.
    Problem {
        problem: ChannelProblem,
        reason: String,
    },
}

/// Kinds of channel problems; each gets its own words and action on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelProblem {
    /// 401: the token was revoked or is wrong — the admin must paste a new one.
    TokenRejected,
    /// 409: a webhook or another program takes this bot's updates.
    UsedElsewhere,
    /// 429: Telegram asked us to slow down (resumes by itself).
    RateLimited,
    /// Network errors and 5xx (retried with back-off).
    Unreachable,
    /// The token is not in this computer's keychain, or the keychain is locked.
    Keychain,
    /// Messages could not be written to the local database.
    Storage,
    /// Anything else.
    Other,
}

impl ChannelHealth {
    pub fn problem(problem: ChannelProblem, reason: impl Into<String>) -> Self {
        Self::Problem {
            problem,
            reason: reason.into(),
        }
    }
}
