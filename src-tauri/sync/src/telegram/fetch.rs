//! Shared mode's file downloads: on the desktop holding the bot's lease, beside the poller, the
//! files customers sent are downloaded (`getFile`, then the file, at most 20 MB) with the
//! standalone fetcher's own code ([`download_file`], [`fetch_verdict`]) and their bytes stored in
//! Postgres through the fenced `sb_file_fetched`; a failed try is recorded with
//! `sb_file_fetch_failed` (due again after a growing wait, or given up with a reason the operator
//! sees). A desktop that lost the lease can neither list nor store files (`SB009`) and stops.
//! Every desktop's cache then gets the bytes through the change feed.

use std::time::Duration;

use sqlx::postgres::PgPool;
use switchboard_telegram::{BotApi, FetchVerdict, download_file, fetch_verdict};
use tokio::sync::Notify;

use super::Lease;
use super::send::is_fenced_out;

/// How often the fetcher looks for due files when nothing woke it: a retry's time has come, or
/// an operator on another desktop asked to download a file again.
const IDLE_CHECK: Duration = Duration::from_secs(2);

/// Downloads until the lease is lost (`Ok(())`).
pub(super) async fn run(
    pg: &PgPool,
    api: &BotApi,
    lease: &Lease,
    wake: &Notify,
) -> Result<(), sqlx::Error> {
    loop {
        let pause = match fetch_due(pg, api, lease).await {
            Ok(pause) => pause,
            Err(e) if is_fenced_out(&e) => return Ok(()),
            Err(e) => return Err(e),
        };
        let wait = pause.unwrap_or(IDLE_CHECK);
        tokio::select! {
            () = wake.notified(), if pause.is_none() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Downloads every due file of the channel; `Some(wait)` when the channel must pause (429, a
/// rejected token) before the next download.
async fn fetch_due(
    pg: &PgPool,
    api: &BotApi,
    lease: &Lease,
) -> Result<Option<Duration>, sqlx::Error> {
    let due: Vec<(String, String, String, i32)> =
        sqlx::query_as("SELECT * FROM sb_files_to_fetch($1, $2, $3, 20)")
            .bind(&lease.channel_id)
            .bind(&lease.holder_id)
            .bind(lease.fencing)
            .fetch_all(pg)
            .await?;
    for (attachment, _chat, file_id, attempts) in due {
        match download_file(api, &file_id).await {
            Ok((bytes, mime)) => {
                tracing::debug!(channel = %lease.channel_id, %attachment, size = bytes.len(), "shared: file downloaded");
                lease
                    .call("SELECT sb_file_fetched($1, $2, $3, $4, $5, $6)", pg, |q| {
                        q.bind(attachment.clone()).bind(bytes).bind(mime)
                    })
                    .await?;
            }
            Err(error) => {
                tracing::warn!(channel = %lease.channel_id, %attachment, %error, "shared: file download failed");
                let attempts = u32::try_from(attempts).unwrap_or(0);
                let (reason, delay) = match fetch_verdict(&error, attempts) {
                    FetchVerdict::PauseChannel(wait) => {
                        return Ok(Some(Duration::from_millis(
                            u64::try_from(wait).unwrap_or(0),
                        )));
                    }
                    FetchVerdict::GiveUp(reason) => (reason, None),
                    FetchVerdict::RetryLater { reason, wait } => (reason, Some(wait)),
                };
                lease
                    .call(
                        "SELECT sb_file_fetch_failed($1, $2, $3, $4, $5, $6)",
                        pg,
                        |q| q.bind(attachment.clone()).bind(reason).bind(delay),
                    )
                    .await?;
            }
        }
    }
    Ok(None)
}
