//! Customers' files (Meta's URLs expire soon after they arrive).

use super::*;

pub(super) fn fetch_files(
    work: Arc<PageWork>,
    lease: Lease,
    _state: Arc<watch::Sender<PageState>>,
) -> JobFuture {
    Box::pin(async move {
        loop {
            let Some(due) = lease
                .next_due::<(String, String, String, i32)>(
                    &work.pg,
                    "SELECT * FROM sb_files_to_fetch($1, $2, $3, 10)",
                )
                .await?
            else {
                return Ok(());
            };
            for (attachment, _chat, url, attempts) in due {
                let downloaded = work.graph.download(&url).await;
                let result = match downloaded {
                    Ok(file) if file.bytes.len() <= MAX_SHARED_FILE => lease
                        .query("SELECT sb_file_fetched($1, $2, $3, $4, $5, $6)")
                        .bind(&attachment)
                        .bind(file.bytes)
                        .bind(file.content_type)
                        .execute(&work.pg)
                        .await
                        .map(drop),
                    Ok(_) => lease
                        .query("SELECT sb_file_fetch_failed($1, $2, $3, $4, $5, $6)")
                        .bind(&attachment)
                        .bind("The file is larger than 20 MB, more than shared mode keeps.")
                        .bind(None::<i64>)
                        .execute(&work.pg)
                        .await
                        .map(drop),
                    Err(error) => {
                        let tries = u32::try_from(attempts).unwrap_or(0);
                        let retry = (tries + 1 < MAX_FETCH_ATTEMPTS)
                            .then(|| 5_000 * 3_i64.pow(tries.min(6)));
                        let reason = format!(
                            "The file could not be downloaded from Messenger: {}",
                            switchboard_messenger::explain(&error)
                        );
                        lease
                            .query("SELECT sb_file_fetch_failed($1, $2, $3, $4, $5, $6)")
                            .bind(&attachment)
                            .bind(reason)
                            .bind(retry)
                            .execute(&work.pg)
                            .await
                            .map(drop)
                    }
                };
                if unless_fenced(result)?.is_none() {
                    return Ok(());
                }
            }
        }
    })
}
