//! Shared mode's reply sender: runs beside the poller on the desktop holding the bot's lease. It
//! takes the channel's due replies from Postgres (whoever wrote them; `sb_due_outbound`), sends
//! them under Telegram's limits — a text split at 4096, a photo or document as the standalone
//! sender uploads it (`BotApi::send_file`: multipart `sendPhoto` / `sendDocument`, the text as its
//! caption, the bytes read with `sb_reply_file`) — and records each outcome through the fenced
//! `sb_reply_*` functions: a desktop that lost
//! the lease can neither take nor mark a reply. Errors are handled as by the standalone sender:
//! 429 waits `retry_after`, 5xx and network errors back off with jitter, 401 keeps the reply
//! pending until the token is fixed, 403 and other 4xx fail the reply with a sentence.

use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};
use switchboard_engine::clock::{Clock, SystemClock};
use switchboard_telegram::{
    ApiError, BotApi, RateLimiter, TOKEN_REJECTED, Upload, UploadKind, backoff, forbidden_reason,
    refused_reason, split_for_telegram,
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
    file: Option<DueFile>,
}

/// The file of a reply (its bytes are read only when it is sent).
struct DueFile {
    attachment_id: String,
    kind: String,
    file_name: Option<String>,
    mime_type: Option<String>,
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

pub(super) fn is_fenced_out(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some("SB009"))
}

type DueRow = (
    String,
    String,
    String,
    i32,
    i32,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

async fn due_replies(pg: &PgPool, lease: &Lease) -> Result<Vec<Due>, sqlx::Error> {
    let rows: Vec<DueRow> = sqlx::query_as("SELECT * FROM sb_due_outbound($1, $2, $3, 20)")
        .bind(&lease.channel_id)
        .bind(&lease.holder_id)
        .bind(lease.fencing)
        .fetch_all(pg)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, chat, text, parts_sent, attempts, attachment, kind, file_name, mime_type)| Due {
                id,
                chat,
                text,
                parts_sent,
                attempts,
                file: attachment.map(|attachment_id| DueFile {
                    attachment_id,
                    kind: kind.unwrap_or_default(),
                    file_name,
                    mime_type,
                }),
            },
        )
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
    if let Some(file) = &reply.file {
        return send_file(pg, api, lease, reply, file, limiter, clock).await;
    }
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

/// Uploads a reply's file with its caption, as the standalone sender does.
async fn send_file(
    pg: &PgPool,
    api: &BotApi,
    lease: &Lease,
    reply: &Due,
    file: &DueFile,
    limiter: &mut RateLimiter,
    clock: &SystemClock,
) -> Result<Option<Duration>, sqlx::Error> {
    let bytes: Option<Vec<u8>> = sqlx::query_scalar("SELECT sb_reply_file($1, $2, $3, $4)")
        .bind(&lease.channel_id)
        .bind(&lease.holder_id)
        .bind(lease.fencing)
        .bind(&file.attachment_id)
        .fetch_one(pg)
        .await?;
    let Some(bytes) = bytes else {
        // Sent or failed meanwhile (this list is a moment old): nothing to do.
        return Ok(None);
    };
    let upload = Upload {
        kind: match file.kind.as_str() {
            "photo" => UploadKind::Photo,
            // sb_apply queues only photos and documents; anything else still reaches the
            // customer as a file.
            _ => UploadKind::Document,
        },
        file_name: file.file_name.as_deref().unwrap_or("file"),
        mime_type: file.mime_type.as_deref(),
        bytes: &bytes,
        caption: &reply.text,
    };
    let now = clock.now();
    let allowed = limiter.next_allowed(&reply.chat, now);
    if allowed > now {
        tokio::time::sleep(Duration::from_millis(
            u64::try_from(allowed - now).unwrap_or(0),
        ))
        .await;
    }
    match api.send_file(&reply.chat, upload).await {
        Ok(message_id) => {
            limiter.record(&reply.chat, clock.now());
            let key = format!("{}/{message_id}", reply.chat);
            lease
                .call("SELECT sb_reply_sent($1, $2, $3, $4, $5)", pg, |q| {
                    q.bind(&reply.id).bind(key)
                })
                .await?;
            Ok(None)
        }
        Err(error) => failed(pg, lease, reply, &error).await,
    }
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
