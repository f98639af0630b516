//! Switchboard's relay: receives Facebook Messenger webhooks, which need a
//! public HTTPS URL a desktop does not have. Each POST's signature is checked
//! over its raw bytes, then its events are stored durably through an
//! [`EventSink`] — the shared Postgres ([`PostgresSink`]) or a desktop's own
//! SQLite store ([`SqliteSink`]) — and only then does Meta get its 200.
//! Processing happens later, woken by the sink's `Notify` (or Postgres
//! `NOTIFY messenger_inbox`): by the desktop's processor in standalone mode,
//! by [`InboxProcessor`] in shared mode, both applying the decisions of
//! [`conversation`].
//!
//! The library takes its secrets from the caller ([`RelaySecrets`]); the
//! `switchboard-relay` binary reads them from the keychain or from files.
//! No GUI library is linked here (an architecture invariant: the relay runs
//! on servers).

pub mod conversation;
mod events;
mod http;
mod postgres;
mod processor;
mod secrets;
pub mod signature;
mod sink;

pub use events::{BodyError, Parsed, parse};
pub use http::{EVENT_RECEIVED, MAX_BODY_BYTES, WEBHOOK_PATH, router, router_with_clock};
pub use postgres::{NOTIFY_CHANNEL, PostgresSink};
pub use processor::{INBOX_LOCK, InboxPass, InboxProcessor};
pub use secrets::{RelaySecrets, SecretsError};
pub use sink::{EventSink, GroupCommit, SinkError, SqliteSink};
pub use switchboard_engine::inbox::{InboxChannel, InboxEvent, InboxEventKind};
