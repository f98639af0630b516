//! The simulated Telegram Bot API: the HTTP side (`http`, `methods`, `updates`, `files`) and
//! the customer's side ([`TelegramControl`]).

mod api_error;
mod customers;
mod edits;
mod faults;
mod files;
mod http;
mod media;
mod methods;
mod objects;
mod state;
mod token;
mod types;
mod updates;
mod webhook;

use std::sync::Arc;

use serde_json::Value;

use crate::SandboxError;
pub(crate) use api_error::ApiError;
pub(crate) use http::bot_api;
pub(crate) use state::Registry;
pub use types::{
    CustomerEdit, CustomerMedia, CustomerMessage, CustomerPhoto, Fault, MediaKind, SandboxFile,
    SentMessage, SlowCall,
};

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

    /// A customer sends a photo, document, voice note or sticker; returns the Update. The file
    /// is then downloadable with `getFile` and `/file/bot<token>/<file_path>`.
    pub fn customer_sends_media(
        &self,
        token: &str,
        media: CustomerMedia,
    ) -> Result<Value, SandboxError> {
        customers::sends_media(&*self.bot(token)?, media)
    }

    /// A customer edits one of their messages (the text, or a media message's caption);
    /// returns the `edited_message` Update. Fails if that user sent no such message.
    pub fn customer_edits(&self, token: &str, edit: CustomerEdit) -> Result<Value, SandboxError> {
        edits::edits(&*self.bot(token)?, edit)
    }

    /// Everything the bot sent successfully, oldest first (empty for an unknown token).
    pub fn sent_messages(&self, token: &str) -> Vec<SentMessage> {
        self.registry
            .get(token)
            .map(|bot| bot.lock().sent.clone())
            .unwrap_or_default()
    }

    /// A file the bot sent (or received), by `file_id` (see [`SentMessage::file_id`]).
    pub fn sent_file(&self, token: &str, file_id: &str) -> Option<SandboxFile> {
        let bot = self.registry.get(token)?;
        let state = bot.lock();
        state.files.get(file_id).map(files::StoredFile::public)
    }

    /// The bytes of a file the bot sent (or received), by `file_id`.
    pub fn sent_file_bytes(&self, token: &str, file_id: &str) -> Option<Vec<u8>> {
        self.sent_file(token, file_id).map(|file| file.bytes)
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
        self.bot(token)?.lock().faults.add_fault(fault);
        Ok(())
    }

    /// Slows the next `slow.times` calls of `slow.method` down by `slow.delay_ms`; they are
    /// then answered normally (for `getUpdates`, the long poll starts after the delay).
    pub fn slow_down(&self, token: &str, slow: SlowCall) -> Result<(), SandboxError> {
        if slow.method.trim().is_empty() {
            return Err(SandboxError::InvalidInput("method is empty".to_owned()));
        }
        if slow.times == 0 {
            return Err(SandboxError::InvalidInput(
                "times must be at least 1".to_owned(),
            ));
        }
        self.bot(token)?.lock().faults.add_slow(slow);
        Ok(())
    }

    /// The token is revoked (as by @BotFather): every Bot API call with it answers 401
    /// `Unauthorized` until [`TelegramControl::restore_token`]. Queued updates are kept.
    pub fn revoke_token(&self, token: &str) -> Result<(), SandboxError> {
        self.bot(token)?.set_revoked(true);
        Ok(())
    }

    pub fn restore_token(&self, token: &str) -> Result<(), SandboxError> {
        self.bot(token)?.set_revoked(false);
        Ok(())
    }

    pub fn is_revoked(&self, token: &str) -> Result<bool, SandboxError> {
        Ok(self.bot(token)?.is_revoked())
    }

    /// Sets a webhook as the bot's `setWebhook` would (no URL checks, nothing is delivered);
    /// `getUpdates` then answers 409 until `deleteWebhook`. `None` removes it.
    pub fn set_webhook(&self, token: &str, url: Option<&str>) -> Result<(), SandboxError> {
        let bot = self.bot(token)?;
        bot.lock().webhook_url = url.map(str::to_owned);
        bot.wake();
        Ok(())
    }

    /// The webhook URL the bot set, if any.
    pub fn webhook_url(&self, token: &str) -> Result<Option<String>, SandboxError> {
        Ok(self.bot(token)?.lock().webhook_url.clone())
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
