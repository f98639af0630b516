//! The Facebook side of Switchboard's Messenger channel, as a library with no
//! Tauri, no store and no clock of its own: the runtime orchestrates it.
//!
//! - [`graph`]: a Graph API v25.0 client for Facebook Login for pages (code
//!   exchange, long-lived tokens, the user's pages, subscribing the app,
//!   `debug_token`, page pictures).
//! - [`login`]: the pure part of the OAuth dialog: a random `state`, knowing the
//!   redirect when the webview reaches it, and reading its answer.
//! - [`error`] and [`mod@explain`]: Meta's error envelope, sentences for people,
//!   and [`SendFailure`]: retry, token dead, or refused, for the outbox.
//! - [`events`]: one webhook event (or a whole POST body) read into a
//!   [`MessengerEvent`], malformed input refused with the field named.
//! - [`window`]: the 24-hour window and the 7-day Human Agent tag, pure
//!   functions of the clock: how a message may be sent, what the UI shows.
//! - [`send`]: the Send API, attachments, thread control, profiles and
//!   downloads on [`GraphApi`]; [`split`] cuts long texts into 2000-character parts.
//! - [`health`]: a page token's health from `debug_token`.
//!
//! Tokens and the app secret travel in query strings (Meta's convention), so
//! no URL ever reaches an error, and every token is a [`Secret`] whose `Debug`
//! is redacted.

pub mod error;
pub mod events;
pub mod explain;
pub mod graph;
pub mod health;
pub mod login;
mod secret;
pub mod send;
pub mod split;
mod types;
pub mod window;

pub use window::{ClosedWhy, SendPolicy, WindowState, WindowStatus, send_policy, window_status};

pub use error::GraphError;
pub use events::{
    AttachmentKind, Channel, EventError, IncomingAttachment, MessengerEvent, WebhookItem,
    parse_body, parse_event,
};
pub use explain::{
    Problem, SendFailure, TokenEnd, classify, details, explain, explain_send, send_failure,
};
pub use graph::{GRAPH_VERSION, GraphApi, LOGIN_SCOPES, SUBSCRIBED_FIELDS};
pub use health::{EXPIRES_SOON_MS, TokenHealth, token_health};
pub use login::{BadRedirectUri, LoginAttempt, LoginError};
pub use secret::Secret;
pub use send::{
    AttachmentType, Downloaded, MAX_ATTACHMENT_BYTES, Profile, SendError, SentMessage, TextNotSent,
};
pub use split::{MESSENGER_TEXT_LIMIT, split_for_messenger};
pub use types::{PageAccount, TokenInfo, TokenProblem, UserToken};
