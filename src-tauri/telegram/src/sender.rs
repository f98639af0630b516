//! Drains a channel's outbox: each pending reply is sent (text split at 4096,
//! or a photo/document upload with its caption), then marked sent or failed
//! with a reason.
//!
//! Failures of the whole channel — 429, 401, 5xx, network — keep the message
//! pending and pause every send of the channel until it may try again: the
//! operator's words are never dropped. Refusals of one message — 403 (blocked),
//! 400 — fail it with words for the operator. Sends are spaced by
//! [`RateLimiter`] so we stay within Telegram's limits in the first place.

use switchboard_engine::StoreError;
use switchboard_engine::clock::Millis;
use switchboard_engine::domain::{
    AttachmentKind, ChannelHealth, ChannelProblem, OutboxFile, OutboxItem,
};
use tracing::warn;

use crate::ChannelContext;
use crate::api::{ApiError, Upload, UploadKind};
use crate::health::HealthBoard;
use crate::pacing::RateLimiter;
use crate::retry::{backoff, finish_unless_stopped, millis_to_duration, sleep_unless_cancelled};
use crate::split::split_for_telegram;

/// When nothing is due, look again at least this often (a safety net; the
/// outbox `Notify` is the normal wake-up).
const IDLE_RECHECK: Millis = 30_000;
/// How long to wait before trying a rejected token again (a new token usually
/// arrives with a restart of the channel, which sends at once).
const TOKEN_RETRY: Millis = 30_000;

pub const TOKEN_REJECTED: &str = "Telegram rejected the bot token: it was revoked or is wrong. Paste the current token from @BotFather on the channel card.";

pub async fn run(ctx: ChannelContext, health: HealthBoard) {
    let mut sender = Sender {
        ctx,
        health,
        limiter: RateLimiter::telegram(),
        paused_until: None,
    };
    sender.run().await;
}

struct Sender {
    ctx: ChannelContext,
    health: HealthBoard,
    limiter: RateLimiter,
    /// Telegram asked us to wait (or cannot be reached): no send before this.
    paused_until: Option<Millis>,
}

#[derive(Debug, PartialEq)]
enum Outcome {
    /// Sent, or failed for good: on to the next message.
    Done,
    /// Nothing of this channel may be sent before then.
    Pause(Millis),
    /// The channel is stopping.
    Stopped,
}

impl Sender {
    async fn run(&mut self) {
        loop {
            if self.ctx.cancel.is_cancelled() {
                return;
            }
            let now = self.ctx.clock.now();
            let wait = match self.paused_until.filter(|&until| until > now) {
                Some(until) => until - now,
                None => {
                    self.paused_until = None;
                    match self.drain().await {
                        Ok(Outcome::Stopped) => return,
                        Ok(_) => {}
                        Err(err) => {
                            warn!(channel = %self.ctx.channel.id, error = %err, "outbox pass failed");
                        }
                    }
                    self.next_wait().await
                }
            };
            tokio::select! {
                _ = self.ctx.cancel.cancelled() => return,
                _ = self.ctx.outbox.notified() => {}
                _ = tokio::time::sleep(millis_to_duration(wait)) => {}
            }
        }
    }

    async fn next_wait(&self) -> Millis {
        if let Some(until) = self.paused_until {
            return (until - self.ctx.clock.now()).max(0);
        }
        match self.ctx.store.next_outbox_due(&self.ctx.channel.id).await {
            Ok(Some(due)) => (due - self.ctx.clock.now()).clamp(0, IDLE_RECHECK),
            Ok(None) => {
                // Nothing left to send: nothing for the sender to complain about.
                self.health.sender(None);
                IDLE_RECHECK
            }
            Err(_) => IDLE_RECHECK,
        }
    }

    async fn drain(&mut self) -> Result<Outcome, StoreError> {
        let due = self
            .ctx
            .store
            .due_outbox(&self.ctx.channel.id, self.ctx.clock.now())
            .await?;
        for item in due {
            let outcome = self.send(&item).await?;
            let _ = self.ctx.changes.send(vec![item.chat_id.clone()]);
            match outcome {
                Outcome::Done if self.ctx.cancel.is_cancelled() => return Ok(Outcome::Stopped),
                Outcome::Done => {}
                Outcome::Pause(until) => {
                    self.paused_until = Some(until);
                    return Ok(outcome);
                }
                Outcome::Stopped => return Ok(outcome),
            }
        }
        Ok(Outcome::Done)
    }

    async fn send(&mut self, item: &OutboxItem) -> Result<Outcome, StoreError> {
        if let Some(file) = &item.attachment {
            return self.send_file(item, file).await;
        }
        let parts = split_for_telegram(&item.text);
        let already = usize::try_from(item.parts_sent).unwrap_or(0);
        let mut last_key = None;
        for (index, part) in parts.iter().enumerate().skip(already) {
            if !self.pace(&item.provider_chat_id).await {
                return Ok(Outcome::Stopped);
            }
            let request = self.ctx.api.send_message(&item.provider_chat_id, part);
            let Some(result) = finish_unless_stopped(&self.ctx.cancel, request).await else {
                return Ok(Outcome::Stopped);
            };
            match result {
                Ok(message_id) => {
                    last_key = Some(format!("{}/{message_id}", item.provider_chat_id));
                    if index + 1 < parts.len() {
                        let done = u32::try_from(index + 1).unwrap_or(u32::MAX);
                        self.ctx
                            .store
                            .mark_parts_sent(&item.message_id, done)
                            .await?;
                    }
                }
                Err(err) => return self.failed(item, &err).await,
            }
        }
        let key = last_key.unwrap_or_else(|| format!("{}/resumed", item.message_id));
        self.sent(item, &key).await
    }

    async fn send_file(
        &mut self,
        item: &OutboxItem,
        file: &OutboxFile,
    ) -> Result<Outcome, StoreError> {
        let bytes = match self.ctx.store.attachment_content(&file.attachment_id).await {
            Ok((_, bytes)) => bytes,
            Err(err @ (StoreError::NotFound { .. } | StoreError::Conflict(_))) => {
                warn!(channel = %self.ctx.channel.id, message = %item.message_id, error = %err, "file to send is missing");
                let reason =
                    "The file of this message is no longer on this computer, so it cannot be sent.";
                self.ctx.store.mark_failed(&item.message_id, reason).await?;
                return Ok(Outcome::Done);
            }
            Err(err) => return Err(err),
        };
        let upload = Upload {
            kind: match file.kind {
                AttachmentKind::Photo => UploadKind::Photo,
                // The store queues only photos and documents; anything else
                // still reaches the customer as a file.
                _ => UploadKind::Document,
            },
            file_name: file.file_name.as_deref().unwrap_or("file"),
            mime_type: file.mime_type.as_deref(),
            bytes: &bytes,
            caption: &item.text,
        };
        if !self.pace(&item.provider_chat_id).await {
            return Ok(Outcome::Stopped);
        }
        let request = self.ctx.api.send_file(&item.provider_chat_id, upload);
        match finish_unless_stopped(&self.ctx.cancel, request).await {
            None => Ok(Outcome::Stopped),
            Some(Ok(message_id)) => {
                let key = format!("{}/{message_id}", item.provider_chat_id);
                self.sent(item, &key).await
            }
            Some(Err(err)) => self.failed(item, &err).await,
        }
    }

    /// Waits until Telegram's limits allow a message to this chat; `false`
    /// if the channel stopped meanwhile.
    async fn pace(&mut self, chat: &str) -> bool {
        let now = self.ctx.clock.now();
        let at = self.limiter.next_allowed(chat, now);
        if at > now && !sleep_unless_cancelled(&self.ctx.cancel, at - now).await {
            return false;
        }
        self.limiter.record(chat, self.ctx.clock.now());
        true
    }

    async fn sent(&self, item: &OutboxItem, provider_key: &str) -> Result<Outcome, StoreError> {
        self.ctx
            .store
            .mark_sent(&item.message_id, provider_key)
            .await?;
        self.health.sender(None);
        Ok(Outcome::Done)
    }

    async fn failed(&self, item: &OutboxItem, err: &ApiError) -> Result<Outcome, StoreError> {
        warn!(channel = %self.ctx.channel.id, message = %item.message_id, error = %err, "send failed");
        let store = &self.ctx.store;
        let now = self.ctx.clock.now();
        let channel_problem = |problem, reason: String| {
            self.health
                .sender(Some(ChannelHealth::problem(problem, reason)));
        };
        match err {
            ApiError::Api {
                code: 429,
                retry_after,
                ..
            } => {
                let secs = retry_after.unwrap_or(5);
                let until = now + i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
                let reason = format!("Telegram asked to slow down; retrying in {secs} s.");
                store.retry_later(&item.message_id, until, &reason).await?;
                channel_problem(
                    ChannelProblem::RateLimited,
                    format!(
                        "Telegram asked Switchboard to slow down; replies go out again in {secs} s."
                    ),
                );
                Ok(Outcome::Pause(until))
            }
            ApiError::Api {
                code: 401 | 404, ..
            } => {
                // Due at once, so a restart with a new token sends it straight
                // away; this sender waits on its own before trying again.
                let reason = "Telegram rejected the bot token; the reply will be sent once the channel's token is fixed.";
                store.retry_later(&item.message_id, now, reason).await?;
                channel_problem(ChannelProblem::TokenRejected, TOKEN_REJECTED.into());
                Ok(Outcome::Pause(now + TOKEN_RETRY))
            }
            ApiError::Api {
                code: 403,
                description,
                ..
            } => {
                store
                    .mark_failed(&item.message_id, &forbidden_reason(description))
                    .await?;
                self.health.sender(None);
                Ok(Outcome::Done)
            }
            ApiError::Api {
                code: code @ 400..=499,
                description,
                ..
            } => {
                store
                    .mark_failed(&item.message_id, &refused_reason(*code, description))
                    .await?;
                self.health.sender(None);
                Ok(Outcome::Done)
            }
            _ => {
                let until = now + backoff(item.attempts, 1000, 2, 60_000);
                let reason = "Telegram could not be reached; retrying automatically.";
                store.retry_later(&item.message_id, until, reason).await?;
                channel_problem(
                    ChannelProblem::Unreachable,
                    format!("Telegram cannot be reached ({err}); replies wait and are retried."),
                );
                Ok(Outcome::Pause(until))
            }
        }
    }
}

/// Why Telegram refused a message with 403, in words an operator understands.
pub fn forbidden_reason(description: &str) -> String {
    if description.contains("blocked by the user") {
        "The customer blocked the bot, so they cannot receive messages until they restart it."
            .into()
    } else if description.contains("user is deactivated") {
        "The customer's Telegram account is deleted.".into()
    } else {
        format!("Telegram does not allow this message: {description}.")
    }
}

/// Why Telegram refused a message with another 4xx, in words an operator understands.
pub fn refused_reason(code: u16, description: &str) -> String {
    let detail = description
        .strip_prefix("Bad Request: ")
        .unwrap_or(description);
    match detail {
        "chat not found" => "Telegram does not know this chat any more (chat not found).".into(),
        "message is too long" => {
            "The message is longer than Telegram allows (message is too long).".into()
        }
        "message caption is too long" => {
            "The caption is longer than Telegram allows for a file (1024 characters).".into()
        }
        _ if code == 413 => "The file is larger than Telegram accepts from bots.".into(),
        _ => format!("Telegram refused the message: {description}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_explained_in_words() {
        assert!(
            forbidden_reason("Forbidden: bot was blocked by the user")
                .starts_with("The customer blocked the bot")
        );
        assert_eq!(
            refused_reason(400, "Bad Request: chat not found"),
            "Telegram does not know this chat any more (chat not found)."
        );
        assert_eq!(
            refused_reason(400, "Bad Request: can't parse entities"),
            "Telegram refused the message: Bad Request: can't parse entities."
        );
    }
}
