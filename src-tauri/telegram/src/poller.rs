//! getUpdates long polling into the store.
//!
//! The offset lives in the store and moves in the same transaction as the
//! messages it confirms, so a crash anywhere leaves either both or neither:
//! Telegram redelivers what we had not committed and nothing is stored twice.

use std::time::Duration;

use switchboard_engine::StoreError;
use switchboard_engine::domain::{ChannelHealth, ChannelProblem, InboundMessage};
use tracing::{debug, info, warn};

use crate::ChannelContext;
use crate::api::ApiError;
use crate::convert::{Converted, convert, update_id};
use crate::health::HealthBoard;
use crate::retry::{jitter, millis_to_duration};
use crate::sender::TOKEN_REJECTED;

/// Long-poll window; below teloxide's 17 s client timeout and Telegram's 50 s cap.
const POLL_TIMEOUT_SECS: u64 = 10;
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Quick retries of a write that met a busy database (100, 200, 400 ms).
const BUSY_RETRIES: u32 = 3;

/// Stops at once on cancel, even mid long-poll: dropping the request (or an
/// uncommitted transaction) loses nothing, since the offset has not moved.
pub async fn run(ctx: ChannelContext, health: HealthBoard) {
    let mut backoff = Duration::from_secs(1);
    // The first poll after a start or a failure does not wait (timeout 0), so
    // the card shows Running (or the problem) at once, not after a long poll.
    let mut timeout = 0;
    loop {
        let result = tokio::select! {
            _ = ctx.cancel.cancelled() => return,
            result = poll_once(&ctx, &health, timeout) => result,
        };
        timeout = if result.is_ok() { POLL_TIMEOUT_SECS } else { 0 };
        let wait = match result {
            // `poll_once` marks the channel Running as soon as Telegram answers.
            Ok(()) => {
                backoff = Duration::from_secs(1);
                continue;
            }
            Err(PollError::Api(err)) => {
                let (problem, reason, mut wait) = explain(&err, backoff);
                if err.code() != Some(429) {
                    // Many bots failing together should not retry in lockstep;
                    // a 429's retry_after is honoured as given.
                    wait = jittered(wait);
                }
                warn!(channel = %ctx.channel.id, error = %err, "getUpdates failed");
                health.poller(ChannelHealth::problem(problem, reason));
                wait
            }
            Err(PollError::Store(err)) => {
                warn!(channel = %ctx.channel.id, error = %err, "storing updates failed");
                health.poller(ChannelHealth::problem(
                    ChannelProblem::Storage,
                    format!("Messages could not be saved on this computer ({err}); retrying."),
                ));
                jittered(backoff)
            }
        };
        backoff = (backoff * 2).min(MAX_BACKOFF);
        tokio::select! {
            _ = ctx.cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

enum PollError {
    Api(ApiError),
    Store(StoreError),
}

async fn poll_once(
    ctx: &ChannelContext,
    health: &HealthBoard,
    timeout_secs: u64,
) -> Result<(), PollError> {
    let offset = ctx
        .store
        .telegram_offset(&ctx.channel.id)
        .await
        .map_err(PollError::Store)?;
    let updates = ctx
        .api
        .get_updates(offset, timeout_secs)
        .await
        .map_err(PollError::Api)?;
    health.poller(ChannelHealth::Running);
    let Some(last_id) = updates.iter().filter_map(update_id).max() else {
        return Ok(());
    };
    debug!(channel = %ctx.channel.id, count = updates.len(), last_id, "received updates");
    let mut batch: Vec<InboundMessage> = Vec::with_capacity(updates.len());
    for raw in &updates {
        match convert(raw) {
            Converted::Message(message) => batch.push(*message),
            Converted::Skip(why) => info!(channel = %ctx.channel.id, why, "skipped an update"),
        }
    }
    let changed = ingest(ctx, &batch, last_id + 1)
        .await
        .map_err(PollError::Store)?;
    debug!(channel = %ctx.channel.id, next_offset = last_id + 1, "stored updates");
    if batch.iter().any(|m| m.attachment.is_some()) {
        ctx.files.notify_one();
    }
    if !changed.is_empty() {
        // No receiver (no window yet) is fine: the data is in the store.
        let _ = ctx.changes.send(changed);
    }
    Ok(())
}

fn jittered(wait: Duration) -> Duration {
    millis_to_duration(jitter(
        i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2),
    ))
}

/// Stores a batch with the offset that confirms it, trying again shortly if
/// the database is busy: the store's transactions read before they write, and
/// SQLite then answers "database is locked" at once, without waiting, when
/// another writer of this app holds the lock. The batch is still in hand, so
/// a short retry beats reporting a storage problem and polling it again.
async fn ingest(
    ctx: &ChannelContext,
    batch: &[InboundMessage],
    next_offset: i64,
) -> Result<Vec<String>, StoreError> {
    let mut attempt = 0;
    loop {
        let result = ctx
            .store
            .ingest_inbound(&ctx.channel.id, batch, Some(next_offset), ctx.clock.now())
            .await;
        match result {
            Err(StoreError::Database(err)) if attempt < BUSY_RETRIES => {
                debug!(channel = %ctx.channel.id, error = %err, "storing updates: retrying");
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// What kind of problem it is, what to tell the admin, and how long to wait
/// before polling again.
fn explain(err: &ApiError, backoff: Duration) -> (ChannelProblem, String, Duration) {
    match err {
        ApiError::Api { code: 401, .. } | ApiError::Api { code: 404, .. } => (
            ChannelProblem::TokenRejected,
            TOKEN_REJECTED.into(),
            MAX_BACKOFF,
        ),
        ApiError::Api {
            code: 409,
            description,
            ..
        } => (
            ChannelProblem::UsedElsewhere,
            format!(
                "This bot is used elsewhere (a webhook or another program): {description}. Stop the other program or delete the webhook, or give Switchboard its own bot."
            ),
            backoff,
        ),
        ApiError::Api {
            code: 429,
            retry_after,
            ..
        } => {
            let secs = retry_after.unwrap_or(5);
            (
                ChannelProblem::RateLimited,
                format!("Telegram asked Switchboard to slow down; polling again in {secs} s."),
                Duration::from_secs(secs),
            )
        }
        ApiError::Api {
            code, description, ..
        } => (
            if *code >= 500 {
                ChannelProblem::Unreachable
            } else {
                ChannelProblem::Other
            },
            format!("Telegram answered with error {code} ({description}); retrying."),
            backoff,
        ),
        ApiError::Network(detail) => (
            ChannelProblem::Unreachable,
            format!("Telegram cannot be reached ({detail}); retrying."),
            backoff,
        ),
        ApiError::FileTooBig { .. } => {
            (ChannelProblem::Other, format!("{err}; retrying."), backoff)
        }
        ApiError::Protocol(detail) => (
            ChannelProblem::Other,
            format!(
                "Telegram sent an answer Switchboard does not understand ({detail}); retrying."
            ),
            backoff,
        ),
    }
}
