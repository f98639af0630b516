//! Shared mode's reply sender: runs beside the poller on the desktop holding the bot's lease. It
//! takes the channel's due replies from Postgres (whoever wrote them), sends them under Telegram's
//! limits, and records each outcome through the fenced `sb_reply_*` functions: a desktop that lost
//! the lease can neither take nor mark a reply. Errors are handled as by the standalone sender:
//! 429 waits `retry_after`, 5xx and network errors back off with jitter, 401 keeps the reply
//! pending until the token is fixed, 403 and other 4xx fail the reply with a sentence.

use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};
use switchboard_engine::clock::{Clock, SystemClock};
use switchboard_telegram::{
    ApiError, BotApi, RateLimiter, TOKEN_REJECTED, backoff, forbidden_reason, refused_reason,
    split_for_telegram,
};

use super::Lease;

/// How often the sender looks for due replies when no change notification woke it.
const IDLE_CHECK: Duration = Duration::from_secs(2);
/// How long a rejected token keeps the sender from trying again.
const TOKEN_RETRY_MS: i64 = 30_000;

struct Due {
    id: String,
    chat: String,
    text: String,
    parts_sent: i32,
    attempts: i32,
}

/// Sends until the lease is lost (`Ok(())`) — then the next holder's sender goes on.
pub(super) async fn run(pg: PgPool, api: BotApi, lease: Lease) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(&pg).await?;
    listener.listen(crate::feed::CHANNEL).await?;
    let mut limiter = RateLimiter::telegram();
    let clock = SystemClock;
    loop {
        let due = match due_replies(&pg, &lease).await {
            Ok(due) => due,
            Err(e) if is_fenced_out(&e) => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut pause = None;
        for reply in &due {
            match send_one(&pg, &api, &lease, reply, &mut limiter, &clock).await {
                Ok(None) => {}
                Ok(Some(wait)) => {
                    pause = Some(wait);
                    break;
                }
                Err(e) if is_fenced_out(&e) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        if let Some(wait) = pause {
            tokio::time::sleep(wait).await;
        } else if due.is_empty() {
            // New replies arrive as changes; the idle check covers a missed notification and
            // replies whose retry time has come.
            let _ = tokio::time::timeout(IDLE_CHECK, listener.recv()).await;
            while listener.next_buffered().is_some() {}
        }
    }
}

fn is_fenced_out(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some("SB009"))
}

async fn due_replies(pg: &PgPool, lease: &Lease) -> Result<Vec<Due>, sqlx::Error> {
    let rows: Vec<(String, String, String, i32, i32)> =
        sqlx::query_as("SELECT * FROM sb_due_replies($1, $2, $3, 20)")
            .bind(&lease.channel_id)
            .bind(&lease.holder_id)
            .bind(lease.fencing)
            .fetch_all(pg)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, chat, text, parts_sent, attempts)| Due {
            id,
            chat,
            text,
            parts_sent,
            attempts,
        })
        .collect())
}

/// Sends what is left of one reply. `Some(wait)`: the bot must pause that long before the next.
async fn send_one(
    pg: &PgPool,
    api: &BotApi,
    lease: &Lease,
    reply: &Due,
    limiter: &mut RateLimiter,
    clock: &SystemClock,
) -> Result<Option<Duration>, sqlx::Error> {
    let parts = split_for_telegram(&reply.text);
    let first = usize::try_from(reply.parts_sent).unwrap_or(0);
    let mut last_key = None;
    for (index, part) in parts.iter().enumerate().skip(first) {
        let now = clock.now();
        let allowed = limiter.next_allowed(&reply.chat, now);
        if allowed > now {
            tokio::time::sleep(Duration::from_millis(
                u64::try_from(allowed - now).unwrap_or(0),
            ))
            .await;
        }
        match api.send_message(&reply.chat, part).await {
            Ok(message_id) => {
                limiter.record(&reply.chat, clock.now());
                last_key = Some(format!("{}/{message_id}", reply.chat));
                if index + 1 < parts.len() {
                    lease
                        .call("SELECT sb_reply_progress($1, $2, $3, $4, $5)", pg, |q| {
                            q.bind(&reply.id)
                                .bind(i32::try_from(index + 1).unwrap_or(i32::MAX))
                        })
                        .await?;
                }
            }
            Err(error) => return failed(pg, lease, reply, &error).await,
        }
    }
    let key = last_key.unwrap_or_default();
    lease
        .call("SELECT sb_reply_sent($1, $2, $3, $4, $5)", pg, |q| {
            q.bind(&reply.id).bind(&key)
        })
        .await?;
    Ok(None)
}

async fn failed(
    pg: &PgPool,
    lease: &Lease,
    reply: &Due,
    error: &ApiError,
) -> Result<Option<Duration>, sqlx::Error> {
    tracing::warn!(message = %reply.id, %error, "shared sender: send failed");
    let (retry_in_ms, reason): (Option<i64>, String) = match error {
        ApiError::Api {
            code: 429,
            retry_after,
            ..
        } => {
            let secs = retry_after.unwrap_or(5);
            (
                Some(i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX / 2)),
                format!("Telegram asked to slow down; retrying in {secs} s."),
            )
        }
        ApiError::Api {
            code: 401 | 404, ..
        } => (Some(TOKEN_RETRY_MS), TOKEN_REJECTED.to_owned()),
        ApiError::Api {
            code: 403,
            description,
            ..
        } => (None, forbidden_reason(description)),
        ApiError::Api {
            code: code @ 400..=499,
            description,
            ..
        } => (None, refused_reason(*code, description)),
        _ => (
            Some(backoff(
                u32::try_from(reply.attempts).unwrap_or(0),
                1000,
                2,
                60_000,
            )),
            "Telegram could not be reached; retrying automatically.".to_owned(),
        ),
    };
    match retry_in_ms {
        Some(delay) => {
            lease
                .call("SELECT sb_reply_retry($1, $2, $3, $4, $5, $6)", pg, |q| {
                    q.bind(&reply.id).bind(delay).bind(&reason)
                })
                .await?;
            Ok(Some(Duration::from_millis(
                u64::try_from(delay).unwrap_or(0),
            )))
        }
        None => {
            lease
                .call("SELECT sb_reply_failed($1, $2, $3, $4, $5)", pg, |q| {
                    q.bind(&reply.id).bind(&reason)
                })
                .await?;
            Ok(None)
        }
    }
}
