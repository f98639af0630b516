//! Errors of the sandbox library (startup and in-process control).

use thiserror::Error;

/// What can go wrong when starting or controlling the sandbox.
#[derive(Debug, Error)]
pub enum SandboxError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// A bot token is not of the shape `<bot_id>:<secret>`.
    #[error("invalid bot token {token:?}: {reason}")]
    InvalidToken { token: String, reason: &'static str },
    /// The token names no bot configured in this sandbox.
    #[error("no bot with token {0:?} is configured in the sandbox")]
    UnknownBot(String),
    /// No Facebook app, person, page or token with that id or email in the sandbox.
    #[error("{0}")]
    UnknownFacebookObject(String),
    /// A control request that makes no sense (empty text, bad fault, ...).
    #[error("{0}")]
    InvalidInput(String),
}
