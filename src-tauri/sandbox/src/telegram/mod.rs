//! The simulated Telegram Bot API: the HTTP side (`http`, `methods`, `updates`, `files`) and
//! the customer's side ([`TelegramControl`]).

mod api_error;
mod customers;
mod files;
mod http;
mod methods;
mod objects;
mod state;
mod updates;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::SandboxError;
pub(crate) use api_error::ApiError;
pub(crate) use http::bot_api;
pub(crate) use state::Registry;

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
}

/// A failure to answer the next `times` calls of `method` with, before normal handling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Bot API method name (case-insensitive), or `*` for any method.
    pub method: String,
    pub error_code: u16,
    /// Empty: a default for the code (`Too Many Requests: retry after N`, `Internal Server
    /// Error`, `Bad Gateway`, ...).
    #[serde(default)]
    pub description: String,
    /// Sent as `parameters.retry_after`.
    #[serde(default)]
    pub retry_after: Option<u64>,
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

/// In-process control of the simulated Telegram: the same operations as the HTTP control API.
/// Cheap to clone; every operation is immediate (no I/O), so only waiting is `async`.
#[derive(Clone, Default)]
pub struct TelegramControl {
    registry: Arc<Registry>,
}

impl TelegramControl {
    pub(crate) fn new() -> TelegramControl {
        TelegramControl::default()
    }

    pub(crate) fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    fn bot(&self, token: &str) -> Result<Arc<state::Bot>, SandboxError> {
        self.registry
            .get(token)
            .ok_or_else(|| SandboxError::UnknownBot(token.to_owned()))
    }

    /// Adds a bot (`<bot_id>:<secret>`). Adding an existing token is a no-op.
    pub fn add_bot(&self, token: &str) -> Result<(), SandboxError> {
        self.registry.add(token).map(|_| ())
    }

    /// Tokens of all configured bots.
    pub fn bot_tokens(&self) -> Vec<String> {
        let mut tokens: Vec<String> = self
            .registry
            .all()
            .iter()
            .map(|b| b.token.clone())
            .collect();
        tokens.sort();
        tokens
    }

    /// A customer writes to the bot; returns the Update the bot will receive.
    pub fn customer_writes(
        &self,
        token: &str,
        message: CustomerMessage,
    ) -> Result<Value, SandboxError> {
        customers::writes(&*self.bot(token)?, message)
    }

    /// A customer sends a photo; returns the Update (its `photo` file is then downloadable
    /// with `getFile`).
    pub fn customer_sends_photo(
        &self,
        token: &str,
        photo: CustomerPhoto,
    ) -> Result<Value, SandboxError> {
        customers::sends_photo(&*self.bot(token)?, photo)
    }

    /// Everything the bot sent successfully, oldest first (empty for an unknown token).
    pub fn sent_messages(&self, token: &str) -> Vec<SentMessage> {
        self.registry
            .get(token)
            .map(|bot| bot.lock().sent.clone())
            .unwrap_or_default()
    }

    /// Arms a fault for the next `fault.times` calls of `fault.method`.
    pub fn inject_fault(&self, token: &str, fault: Fault) -> Result<(), SandboxError> {
        if fault.method.trim().is_empty() {
            return Err(SandboxError::InvalidInput(
                "fault method is empty".to_owned(),
            ));
        }
        if !(400..=599).contains(&fault.error_code) {
            return Err(SandboxError::InvalidInput(format!(
                "fault error_code {} is not an HTTP error status (400..=599)",
                fault.error_code
            )));
        }
        if fault.times == 0 {
            return Err(SandboxError::InvalidInput(
                "fault times must be at least 1".to_owned(),
            ));
        }
        self.bot(token)?.lock().add_fault(fault);
        Ok(())
    }

    /// The user blocks the bot: sends to them fail with 403 and, if the bot knew the chat, it
    /// receives a `my_chat_member` update (status `kicked`), as on Telegram.
    pub fn block_bot(&self, token: &str, user_id: i64) -> Result<(), SandboxError> {
        customers::set_blocked(&*self.bot(token)?, user_id, true);
        Ok(())
    }

    /// The user unblocks the bot (restarts it).
    pub fn unblock_bot(&self, token: &str, user_id: i64) -> Result<(), SandboxError> {
        customers::set_blocked(&*self.bot(token)?, user_id, false);
        Ok(())
    }

    /// Updates queued and not yet confirmed by the bot.
    pub fn pending_update_count(&self, token: &str) -> Result<usize, SandboxError> {
        Ok(self.bot(token)?.lock().updates.len())
    }

    /// Whether a `getUpdates` long poll of this bot is waiting right now.
    pub fn long_poll_waiting(&self, token: &str) -> Result<bool, SandboxError> {
        Ok(*self.bot(token)?.waiting_polls().borrow() > 0)
    }

    /// Resolves once a `getUpdates` long poll of this bot is waiting, so a test can write
    /// "while the bot is polling" without sleeping.
    pub async fn wait_for_long_poll(&self, token: &str) -> Result<(), SandboxError> {
        let bot = self.bot(token)?;
        let mut waiting = bot.waiting_polls();
        // `wait_for` fails only if the bot is dropped, which cannot happen while we hold it.
        let _ = waiting.wait_for(|count| *count > 0).await;
        Ok(())
    }
}
