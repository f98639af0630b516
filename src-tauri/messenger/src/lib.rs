//! The Facebook side of Switchboard's Messenger channel, as a library with no
//! Tauri and no store: the runtime orchestrates it.
//!
//! - [`graph`]: a Graph API v25.0 client for Facebook Login for pages (code
//!   exchange, long-lived tokens, the user's pages, subscribing the app,
//!   `debug_token`, page pictures).
//! - [`login`]: the pure part of the OAuth dialog: a random `state`, knowing the
//!   redirect when the webview reaches it, and reading its answer.
//! - [`error`] and [`explain`]: Meta's error envelope, and sentences for people.
//!
//! Tokens and the app secret travel in query strings (Meta's convention), so
//! no URL ever reaches an error, and every token is a [`Secret`] whose `Debug`
//! is redacted.

pub mod error;
pub mod events;
pub mod explain;
pub mod graph;
pub mod login;
mod secret;
mod types;
pub mod window;

pub use error::GraphError;
pub use explain::{Problem, TokenEnd, classify, details, explain};
pub use graph::{GRAPH_VERSION, GraphApi, LOGIN_SCOPES, SUBSCRIBED_FIELDS};
pub use login::{BadRedirectUri, LoginAttempt, LoginError};
pub use secret::Secret;
pub use types::{PageAccount, TokenInfo, TokenProblem, UserToken};
