//! The Messenger inbox: webhook events as they arrived, before any processing.
//!
//! The relay (or the desktop's own webhook endpoint) stores each event here
//! durably before answering Meta 200; a processor reads the pending ones later
//! and marks each done. The types are plain data: the engine knows nothing of
//! HTTP, signatures or the relay.

use crate::clock::Millis;
use crate::error::StoreError;

/// Where an event arrived: the thread owner's feed or the standby feed (a bot
/// holds the thread and Switchboard only watches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InboxChannel {
    Messaging,
    Standby,
}

impl InboxChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Messaging => "messaging",
            Self::Standby => "standby",
        }
    }

    pub fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "messaging" => Ok(Self::Messaging),
            "standby" => Ok(Self::Standby),
            other => Err(StoreError::Corrupt(format!(
                "unknown inbox channel {other:?}"
            ))),
        }
    }
}

/// What kind of event it is, as far as the receiver could tell. `Unknown`
/// events are kept too: a new Messenger feature must never be lost or become
/// an error to Meta.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InboxEventKind {
    Message,
    Echo,
    Postback,
    Read,
    Delivery,
    Handover,
    Unknown,
}

impl InboxEventKind {
    pub const ALL: [Self; 7] = [
        Self::Message,
        Self::Echo,
        Self::Postback,
        Self::Read,
        Self::Delivery,
        Self::Handover,
        Self::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Echo => "echo",
            Self::Postback => "postback",
            Self::Read => "read",
            Self::Delivery => "delivery",
            Self::Handover => "handover",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> Result<Self, StoreError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown inbox event kind {text:?}")))
    }
}

/// One webhook event to store. `dedupe_key` identifies the event across
/// redeliveries (Meta retries whole batches): the same key for the same page
/// is stored once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEvent {
    pub page_id: String,
    pub channel: InboxChannel,
    pub dedupe_key: String,
    pub kind: InboxEventKind,
    /// The event's JSON exactly as Meta sent it (not re-encoded).
    pub event_json: String,
    pub received_at: Millis,
}

/// An event waiting in the inbox (or already handled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInboxEvent {
    pub id: i64,
    pub page_id: String,
    pub channel: InboxChannel,
    pub kind: InboxEventKind,
    pub event_json: String,
    pub received_at: Millis,
}

/// How the processor finished with an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxOutcome {
    /// It became (or changed) a message, a chat, a delivery mark…
    Processed,
    /// Nothing to do with it (an unknown kind, a page with no channel…); the
    /// reason stays with the row for whoever investigates.
    Ignored { reason: String },
}
