use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Stable codes the UI branches on; never match on `message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// An argument from the UI failed validation.
    InvalidInput,
    /// The thing asked for does not exist (any more).
    NotFound,
    /// The action is not allowed in the current state (e.g. chat completed).
    Conflict,
    /// The local database failed.
    Storage,
    /// The person lacks the permission (e.g. `CanManageChats`).
    Forbidden,
    /// The OS keychain is unavailable or refused access.
    Keychain,
    /// Anything else; `message` still says what happened.
    Internal,
}

/// The one error shape that crosses IPC: `message` is written for a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Option<String>,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }
}

impl std::fmt::Display for IpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for IpcError {}
