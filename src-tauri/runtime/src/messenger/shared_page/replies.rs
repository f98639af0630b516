//! Replies: the page's due replies and files, sent under the window rules.

use super::*;

struct Due {
    id: String,
    psid: String,
    text: String,
    parts_sent: i32,
    last_customer_at: Option<i64>,
    human_agent: bool,
    file: Option<DueFile>,
}

struct DueFile {
    attachment_id: String,
    kind: String,
    name: Option<String>,
    mime: Option<String>,
}

type DueRow = (
    String,
    String,
    String,
    String,
    i32,
    i32,
    Option<i64>,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

pub(super) fn send_replies(
    work: Arc<PageWork>,
    lease: Lease,
    state: Arc<watch::Sender<PageState>>,
) -> JobFuture {
    Box::pin(async move {
        let mut listener = PgListener::connect_with(&work.pg).await?;
        listener.listen(switchboard_sync::feed::CHANNEL).await?;
        loop {
            let rows = sqlx::query_as::<_, DueRow>(
                "SELECT * FROM sb_due_messenger_replies($1, $2, $3, 20)",
            )
            .bind(&lease.channel_id)
            .bind(&lease.holder_id)
            .bind(lease.fencing)
            .fetch_all(&work.pg)
            .await;
            let Some(rows) = unless_fenced(rows)? else {
                return Ok(());
            };
            let mut pause = None;
            let empty = rows.is_empty();
            for row in rows {
                let due = Due {
                    id: row.0,
                    psid: row.2,
                    text: row.3,
                    parts_sent: row.4,
                    last_customer_at: row.6,
                    human_agent: row.7,
                    file: match (row.8, row.9) {
                        (Some(attachment_id), Some(kind)) => Some(DueFile {
                            attachment_id,
                            kind,
                            name: row.10,
                            mime: row.11,
                        }),
                        _ => None,
                    },
                };
                match unless_fenced(send_one(&work, &lease, &state, &due).await)? {
                    None => return Ok(()),
                    Some(None) => {}
                    Some(Some(wait)) => {
                        pause = Some(wait);
                        break;
                    }
                }
            }
            if let Some(wait) = pause {
                tokio::time::sleep(wait).await;
            } else if empty {
                // New replies arrive as changes; the idle check covers a missed notification and
                // replies whose retry time has come.
                let _ = tokio::time::timeout(IDLE_CHECK, listener.recv()).await;
                while listener.next_buffered().is_some() {}
            }
        }
    })
}

/// Sends what is left of one reply: its file (part 1), then its text in parts Messenger accepts.
/// `Some(wait)`: the page must pause that long before the next.
async fn send_one(
    work: &PageWork,
    lease: &Lease,
    state: &watch::Sender<PageState>,
    due: &Due,
) -> Result<Option<Duration>, sqlx::Error> {
    // The composer refused it when the window was closed; it may have closed since (a reply
    // queued offline, a retry): then Messenger would refuse it, and so do we, in words.
    let policy = send_policy(
        work.clock.now(),
        due.last_customer_at,
        due.human_agent,
        true,
    );
    let done = usize::try_from(due.parts_sent).unwrap_or(0);
    let mut index = 0;
    let mut last_mid = None;
    if let Some(file) = &due.file {
        if done == 0 {
            match send_file(work, lease, due, file, &policy).await? {
                Ok(mid) => {
                    last_mid = Some(mid);
                    progress(work, lease, due, 1).await?;
                }
                Err(error) => return failed(work, lease, state, due, &error).await,
            }
        }
        index = 1;
    }
    let parts: Vec<&str> = split_for_messenger(&due.text)
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .collect();
    for part in parts {
        if index >= done {
            let sent = work
                .graph
                .send_text(
                    &work.channel.external_id,
                    &work.token,
                    &due.psid,
                    part,
                    &policy,
                )
                .await;
            match sent {
                Ok(sent) => {
                    last_mid = sent.last().map(|m| m.message_id.clone()).or(last_mid);
                    progress(work, lease, due, index + 1).await?;
                }
                Err(not_sent) => return failed(work, lease, state, due, &not_sent.error).await,
            }
        }
        index += 1;
    }
    let mid = last_mid.unwrap_or_else(|| format!("{}/sent", due.id));
    lease
        .query("SELECT sb_messenger_reply_sent($1, $2, $3, $4, $5)")
        .bind(&due.id)
        .bind(&mid)
        .execute(&work.pg)
        .await?;
    state.send_if_modified(|s| {
        let changed = *s != PageState::Holding;
        *s = PageState::Holding;
        changed
    });
    Ok(None)
}

async fn progress(
    work: &PageWork,
    lease: &Lease,
    due: &Due,
    parts: usize,
) -> Result<(), sqlx::Error> {
    lease
        .query("SELECT sb_reply_progress($1, $2, $3, $4, $5)")
        .bind(&due.id)
        .bind(i32::try_from(parts).unwrap_or(i32::MAX))
        .execute(&work.pg)
        .await?;
    Ok(())
}

/// Uploads the reply's file and sends it; its `mid`.
async fn send_file(
    work: &PageWork,
    lease: &Lease,
    due: &Due,
    file: &DueFile,
    policy: &SendPolicy,
) -> Result<Result<String, SendError>, sqlx::Error> {
    if let SendPolicy::Closed { why, reason } = policy {
        return Ok(Err(SendError::WindowClosed {
            why: *why,
            reason: reason.clone(),
        }));
    }
    let bytes: Option<Vec<u8>> = sqlx::query_scalar("SELECT sb_reply_file($1, $2, $3, $4)")
        .bind(&lease.channel_id)
        .bind(&lease.holder_id)
        .bind(lease.fencing)
        .bind(&file.attachment_id)
        .fetch_one(&work.pg)
        .await?;
    let Some(bytes) = bytes else {
        return Ok(Err(SendError::Invalid(
            "The file of this message is no longer stored.".into(),
        )));
    };
    let mime = file
        .mime
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    let kind = if file.kind == "photo" {
        AttachmentType::Image
    } else {
        AttachmentType::for_mime(&mime)
    };
    let name = file.name.clone().unwrap_or_else(|| "file".into());
    let page = &work.channel.external_id;
    let uploaded = work
        .graph
        .upload_attachment(page, &work.token, kind, &name, &mime, bytes)
        .await;
    let id = match uploaded {
        Ok(id) => id,
        Err(error) => return Ok(Err(error)),
    };
    Ok(work
        .graph
        .send_attachment(page, &work.token, &due.psid, kind, &id, policy)
        .await
        .map(|sent| sent.message_id))
}

/// Records why a reply did not go: later (rate limits, Facebook or the network down, a dead
/// token: `Some(pause)` for the whole page), or never (a refusal, with the sentence).
async fn failed(
    work: &PageWork,
    lease: &Lease,
    state: &watch::Sender<PageState>,
    due: &Due,
    error: &SendError,
) -> Result<Option<Duration>, sqlx::Error> {
    tracing::warn!(message = %due.id, %error, "shared Messenger page: a reply was not sent");
    let (retry, reason) = match error.failure() {
        SendFailure::Retry { after } => {
            state.send_replace(PageState::Problem {
                problem: ChannelProblem::RateLimited,
                reason: error.explain(),
            });
            (Some(after), error.explain())
        }
        SendFailure::TokenDead { reason } => {
            // Ask Facebook (debug_token): a dead token lets go of the page's lease.
            work.recheck.notify_one();
            state.send_replace(PageState::Problem {
                problem: ChannelProblem::TokenRejected,
                reason: format!("{reason} Replies to this page wait until it is reconnected."),
            });
            (Some(TOKEN_RETRY), reason)
        }
        SendFailure::Refused { reason } => (None, reason),
    };
    match retry {
        Some(after) => {
            lease
                .query("SELECT sb_reply_retry($1, $2, $3, $4, $5, $6)")
                .bind(&due.id)
                .bind(i64::try_from(after.as_millis()).unwrap_or(i64::MAX / 2))
                .bind(&reason)
                .execute(&work.pg)
                .await?;
            Ok(Some(after))
        }
        None => {
            lease
                .query("SELECT sb_reply_failed($1, $2, $3, $4, $5)")
                .bind(&due.id)
                .bind(&reason)
                .execute(&work.pg)
                .await?;
            Ok(None)
        }
    }
}
