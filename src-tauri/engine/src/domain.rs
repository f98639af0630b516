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
}

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
}

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
}

#[derive(Debug, Clone, PartialEq)]
pub struct LocalUser {
    pub id: Id,
    pub name: String,
}

/// Longest text an operator may send in one reply; connectors split it further
/// to the provider's own limit (4096 on Telegram).
pub const MAX_REPLY_CHARS: usize = 20_000;

/// A connector's health as an admin sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelHealth {
    Starting,
    Running,
    /// With a reason written for an admin.
    Error(String),
}
