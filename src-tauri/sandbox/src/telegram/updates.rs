//! `getUpdates`: confirmation by offset, negative offsets, real long polling, and the 409 when a
//! second poll for the same bot starts while one is waiting.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::state::{Bot, BotState};
use super::{ApiError, webhook};
use crate::params::Params;

/// The real server caps `timeout` at 50 seconds.
const MAX_TIMEOUT_SECS: i64 = 50;

const TERMINATED: &str =
    "terminated by other getUpdates request; make sure that only one bot instance is running";

struct Request {
    offset: i64,
    limit: usize,
    timeout: Duration,
    allowed_updates: Option<Vec<String>>,
}

/// Like the real server, out-of-range `limit` and `timeout` are clamped (limit to 1..=100,
/// timeout to 0..=50); values that are not integers are rejected with 400.
fn parse(params: &Params) -> Result<Request, ApiError> {
    let offset = params.int("offset")?.unwrap_or(0);
    let limit = params.int("limit")?.unwrap_or(100).clamp(1, 100);
    let timeout = params
        .int("timeout")?
        .unwrap_or(0)
        .clamp(0, MAX_TIMEOUT_SECS);
    let allowed_updates = match params.json("allowed_updates")? {
        None => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|item| {
                    item.as_str().map(str::to_owned).ok_or_else(|| {
                        ApiError::bad_request("allowed_updates must be an Array of String")
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => {
            return Err(ApiError::bad_request(
                "allowed_updates must be an Array of String",
            ));
        }
    };
    Ok(Request {
        offset,
        limit: usize::try_from(limit).unwrap_or(100),
        timeout: Duration::from_secs(u64::try_from(timeout).unwrap_or(0)),
        allowed_updates,
    })
}

pub async fn get_updates(
    bot: &Bot,
    params: &Params,
    closing: impl Fn() -> bool,
) -> Result<Value, ApiError> {
    let request = parse(params)?;
    let deadline = Instant::now() + request.timeout;
    // Subscribe before touching the queue so no update can slip between check and wait.
    let mut changes = bot.subscribe();
    let generation = {
        let mut state = bot.lock();
        refuse_under_webhook(&state)?;
        if let Some(allowed) = request.allowed_updates {
            state.set_allowed_updates(allowed);
        }
        if request.offset < 0 {
            state.keep_last(usize::try_from(request.offset.unsigned_abs()).unwrap_or(usize::MAX));
        } else if request.offset > 0 {
            state.confirm_below(request.offset);
        }
        state.poll_generation += 1;
        state.poll_generation
    };
    // Wake an earlier poll of this bot so it answers 409; our own bump is already "seen".
    bot.wake();
    changes.mark_unchanged();

    // Counted as "waiting" (see TelegramControl::wait_for_long_poll) only once it really waits.
    let mut waiting = None;
    loop {
        {
            let state = bot.lock();
            if state.poll_generation != generation {
                return Err(ApiError::conflict(TERMINATED));
            }
            refuse_under_webhook(&state)?;
            let batch: Vec<Value> = state
                .updates
                .iter()
                .take(request.limit)
                .map(|u| u.value.clone())
                .collect();
            if !batch.is_empty() || closing() || Instant::now() >= deadline {
                return Ok(Value::Array(batch));
            }
        }
        waiting.get_or_insert_with(|| bot.poll_waiting());
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => continue,
            // Timed out (or the bot went away): answer with whatever is there, normally nothing.
            Ok(Err(_)) | Err(_) => {
                let state = bot.lock();
                if state.poll_generation != generation {
                    return Err(ApiError::conflict(TERMINATED));
                }
                let batch = state
                    .updates
                    .iter()
                    .take(request.limit)
                    .map(|u| u.value.clone());
                return Ok(Value::Array(batch.collect()));
            }
        }
    }
}

/// While a webhook is set Telegram refuses `getUpdates` with a 409. A poll that is already
/// waiting when `setWebhook` is called answers the same way here (what the real server does
/// to it is not documented).
fn refuse_under_webhook(state: &BotState) -> Result<(), ApiError> {
    match state.webhook_url {
        Some(_) => Err(ApiError::conflict(webhook::WEBHOOK_ACTIVE)),
        None => Ok(()),
    }
}
