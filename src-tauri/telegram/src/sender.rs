//! Drains a channel's outbox: each pending reply is sent, then marked sent or
//! failed with a reason. Transient failures (429, 5xx, network) wait and
//! retry; permanent ones (403 blocked, 400) fail with words for the operator.

use std::time::Duration;

use switchboard_engine::clock::Millis;
use switchboard_engine::domain::OutboxItem;
use tracing::warn;

use crate::ChannelContext;
use crate::api::ApiError;
use crate::split::split_for_telegram;

/// When nothing is due, look again at least this often (a safety net; the
/// outbox `Notify` is the normal wake-up).
const IDLE_RECHECK: Duration = Duration::from_secs(30);

pub async fn run(ctx: ChannelContext) {
    loop {
        if let Err(err) = drain(&ctx).await {
            warn!(channel = %ctx.channel.id, error = %err, "outbox pass failed");
        }
        let wait = match ctx.store.next_outbox_due(&ctx.channel.id).await {
            Ok(Some(due)) => {
                Duration::from_millis(u64::try_from(due - ctx.clock.now()).unwrap_or(0))
                    .min(IDLE_RECHECK)
            }
            _ => IDLE_RECHECK,
        };
        tokio::select! {
            _ = ctx.cancel.cancelled() => return,
            _ = ctx.outbox.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

async fn drain(ctx: &ChannelContext) -> Result<(), switchboard_engine::StoreError> {
    for item in ctx
        .store
        .due_outbox(&ctx.channel.id, ctx.clock.now())
        .await?
    {
        let outcome = send(ctx, &item).await?;
        let _ = ctx.changes.send(vec![item.chat_id.clone()]);
        if outcome == Outcome::PauseChannel {
            break;
        }
    }
    Ok(())
}

#[derive(PartialEq)]
enum Outcome {
    Done,
    /// The bot is rate limited or Telegram is unreachable: stop this pass.
    PauseChannel,
}

async fn send(
    ctx: &ChannelContext,
    item: &OutboxItem,
) -> Result<Outcome, switchboard_engine::StoreError> {
    let parts = split_for_telegram(&item.text);
    let already = usize::try_from(item.parts_sent).unwrap_or(0);
    let mut last_key = None;
    for (index, part) in parts.iter().enumerate().skip(already) {
        match ctx.api.send_message(&item.provider_chat_id, part).await {
            Ok(message_id) => {
                last_key = Some(format!("{}/{message_id}", item.provider_chat_id));
                if index + 1 < parts.len() {
                    let done = u32::try_from(index + 1).unwrap_or(u32::MAX);
                    ctx.store.mark_parts_sent(&item.message_id, done).await?;
                }
            }
            Err(err) => return handle_failure(ctx, item, &err).await,
        }
    }
    let key = last_key.unwrap_or_else(|| format!("{}/resumed", item.message_id));
    ctx.store.mark_sent(&item.message_id, &key).await?;
    Ok(Outcome::Done)
}

async fn handle_failure(
    ctx: &ChannelContext,
    item: &OutboxItem,
    err: &ApiError,
) -> Result<Outcome, switchboard_engine::StoreError> {
    warn!(channel = %ctx.channel.id, message = %item.message_id, error = %err, "sendMessage failed");
    let now = ctx.clock.now();
    match err {
        ApiError::Api {
            code: 429,
            retry_after,
            ..
        } => {
            let secs = retry_after.unwrap_or(5);
            let reason = format!("Telegram asked to slow down; retrying in {secs} s.");
            ctx.store
                .retry_later(&item.message_id, now + secs_to_millis(secs), &reason)
                .await?;
            Ok(Outcome::PauseChannel)
        }
        ApiError::Api {
            code: 403,
            description,
            ..
        } => {
            ctx.store
                .mark_failed(&item.message_id, &forbidden_reason(description))
                .await?;
            Ok(Outcome::Done)
        }
        ApiError::Api {
            code: 400,
            description,
            ..
        } => {
            let reason = format!("Telegram refused the message: {description}.");
            ctx.store.mark_failed(&item.message_id, &reason).await?;
            Ok(Outcome::Done)
        }
        ApiError::Api { code: 401, .. } => {
            let reason = "Telegram rejected the bot token; the reply will be sent once the channel's token is fixed.";
            ctx.store
                .retry_later(
                    &item.message_id,
                    now + backoff_millis(item.attempts),
                    reason,
                )
                .await?;
            Ok(Outcome::PauseChannel)
        }
        _ => {
            let reason = "Telegram could not be reached; retrying automatically.";
            ctx.store
                .retry_later(
                    &item.message_id,
                    now + backoff_millis(item.attempts),
                    reason,
                )
                .await?;
            Ok(Outcome::PauseChannel)
        }
    }
}

fn forbidden_reason(description: &str) -> String {
    if description.contains("blocked by the user") {
        "The customer has blocked the bot, so they cannot receive messages.".into()
    } else if description.contains("user is deactivated") {
        "The customer's Telegram account is deleted.".into()
    } else {
        format!("Telegram does not allow this message: {description}.")
    }
}

fn secs_to_millis(secs: u64) -> Millis {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// 1 s, 2 s, 4 s … capped at 60 s.
fn backoff_millis(attempts: u32) -> Millis {
    1000 * (1i64 << attempts.min(6)).min(60)
}
