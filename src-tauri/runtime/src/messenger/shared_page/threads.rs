//! Thread control: operators' requests to take a conversation from a bot or give it back.

use super::*;

type ThreadRow = (String, String, String, String, String, i32);

pub(super) fn move_threads(
    work: Arc<PageWork>,
    lease: Lease,
    _state: Arc<watch::Sender<PageState>>,
) -> JobFuture {
    Box::pin(async move {
        loop {
            let Some(due) = lease
                .next_due::<ThreadRow>(
                    &work.pg,
                    "SELECT * FROM sb_messenger_thread_requests($1, $2, $3, 10)",
                )
                .await?
            else {
                return Ok(());
            };
            for (request, _chat, psid, kind, chat_state, attempts) in due {
                let page = &work.channel.external_id;
                let called = match kind.as_str() {
                    // The bot passed it meanwhile: nothing to take.
                    "take" if chat_state != "bot" => Ok(()),
                    "take" => {
                        work.graph
                            .take_thread_control(
                                page,
                                &work.token,
                                &psid,
                                Some("taken by an operator in Switchboard"),
                            )
                            .await
                    }
                    _ => {
                        work.graph
                            .pass_thread_control(
                                page,
                                &work.token,
                                &psid,
                                PAGE_INBOX_APP_ID,
                                Some("given back by Switchboard"),
                            )
                            .await
                    }
                };
                let result = match called {
                    Ok(()) => lease
                        .query("SELECT sb_messenger_thread_done($1, $2, $3, $4)")
                        .bind(&request)
                        .execute(&work.pg)
                        .await
                        .map(drop),
                    Err(error) => thread_failed(&work, &lease, &request, attempts, &error).await,
                };
                if unless_fenced(result)?.is_none() {
                    return Ok(());
                }
            }
        }
    })
}

/// Facebook did not move the thread: again later (a rate limit, Facebook or the network down, a
/// dead token until it is reconnected), a few times, or never (a refusal), with the sentence in
/// the chat.
async fn thread_failed(
    work: &PageWork,
    lease: &Lease,
    request: &str,
    attempts: i32,
    error: &GraphError,
) -> Result<(), sqlx::Error> {
    tracing::warn!(channel = %lease.channel_id, %error, "shared Messenger page: thread control failed");
    let (retry, reason) = match send_failure(error) {
        SendFailure::Retry { after } => (Some(after), switchboard_messenger::explain(error)),
        SendFailure::TokenDead { reason } => {
            work.recheck.notify_one();
            (Some(TOKEN_RETRY), reason)
        }
        SendFailure::Refused { .. } => (None, switchboard_messenger::explain(error)),
    };
    match retry {
        Some(after) if attempts + 1 < THREAD_ATTEMPTS => lease
            .query("SELECT sb_messenger_thread_retry($1, $2, $3, $4, $5)")
            .bind(request)
            .bind(i64::try_from(after.as_millis()).unwrap_or(i64::MAX / 2))
            .execute(&work.pg)
            .await
            .map(drop),
        _ => lease
            .query("SELECT sb_messenger_thread_failed($1, $2, $3, $4, $5)")
            .bind(request)
            .bind(reason)
            .execute(&work.pg)
            .await
            .map(drop),
    }
}
