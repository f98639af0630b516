//! Downloads the files customers send (`getFile`, then the file URL) into the
//! store. Messages are stored first with their files pending, so a slow or
//! failing download never holds back the update offset.
//!
//! A failed download is retried with growing, jittered waits and given up
//! after `MAX_FETCH_ATTEMPTS` with a reason shown on the message (an operator
//! can ask again). Files Telegram will never serve (over 20 MB, unknown id)
//! are given up at once. A rejected token or a 429 pauses all downloads of
//! the channel without counting against any file.

use switchboard_engine::StoreError;
use switchboard_engine::clock::Millis;
use switchboard_engine::store::MAX_FETCH_ATTEMPTS;
use tracing::{debug, warn};

use crate::ChannelContext;
use crate::api::{ApiError, BotApi, MAX_DOWNLOAD_BYTES};
use crate::retry::{backoff, millis_to_duration};

/// Look for due files at least this often (a safety net: the poller's
/// `files` Notify and the due time of the next retry are the wake-ups).
const IDLE_RECHECK: Millis = 60_000;
const TOKEN_RETRY: Millis = 30_000;

pub async fn run(ctx: ChannelContext) {
    let mut paused_until: Option<Millis> = None;
    loop {
        let now = ctx.clock.now();
        if paused_until.is_none_or(|until| until <= now) {
            paused_until = None;
            let pass = tokio::select! {
                _ = ctx.cancel.cancelled() => return,
                pass = fetch_due(&ctx) => pass,
            };
            match pass {
                Ok(pause) => paused_until = pause,
                Err(err) => {
                    warn!(channel = %ctx.channel.id, error = %err, "file download pass failed")
                }
            }
        }
        let wait = match paused_until {
            Some(until) => until - ctx.clock.now(),
            None => match ctx.store.next_fetch_due(&ctx.channel.id).await {
                Ok(Some(due)) => (due - ctx.clock.now()).min(IDLE_RECHECK),
                _ => IDLE_RECHECK,
            },
        };
        tokio::select! {
            _ = ctx.cancel.cancelled() => return,
            _ = ctx.files.notified() => {}
            _ = tokio::time::sleep(millis_to_duration(wait)) => {}
        }
    }
}

/// Fetches every due file; `Some(until)` when the channel must pause.
async fn fetch_due(ctx: &ChannelContext) -> Result<Option<Millis>, StoreError> {
    let due = ctx
        .store
        .attachments_to_fetch(&ctx.channel.id, ctx.clock.now())
        .await?;
    for file in due {
        let result = download_file(&ctx.api, &file.provider_file_id).await;
        let store = &ctx.store;
        match result {
            Ok((bytes, mime)) => {
                debug!(channel = %ctx.channel.id, attachment = %file.attachment_id, size = bytes.len(), "file downloaded");
                store
                    .store_attachment_content(&file.attachment_id, &bytes, mime)
                    .await?;
            }
            Err(err) => {
                warn!(channel = %ctx.channel.id, attachment = %file.attachment_id, error = %err, "file download failed");
                let now = ctx.clock.now();
                match fetch_verdict(&err, file.attempts) {
                    FetchVerdict::PauseChannel(wait) => return Ok(Some(now + wait)),
                    FetchVerdict::GiveUp(reason) => {
                        store
                            .attachment_fetch_failed(&file.attachment_id, &reason, None)
                            .await?;
                    }
                    FetchVerdict::RetryLater { reason, wait } => {
                        store
                            .attachment_fetch_failed(&file.attachment_id, &reason, Some(now + wait))
                            .await?;
                    }
                }
            }
        }
        let _ = ctx.changes.send(vec![file.chat_id.clone()]);
    }
    Ok(None)
}

/// Downloads a customer's file: `getFile`, then the file itself, refusing more than
/// [`MAX_DOWNLOAD_BYTES`]. Returns the bytes and their type (the server's, or read from the first
/// bytes), if known. Shared mode's fetcher downloads with this too.
pub async fn download_file(
    api: &BotApi,
    file_id: &str,
) -> Result<(Vec<u8>, Option<&'static str>), ApiError> {
    let described = api.get_file(file_id).await?;
    let too_big = ApiError::FileTooBig {
        limit_mb: MAX_DOWNLOAD_BYTES / (1024 * 1024),
    };
    if described
        .file_size
        .is_some_and(|size| size > MAX_DOWNLOAD_BYTES)
    {
        return Err(too_big);
    }
    let Some(path) = described.file_path else {
        return Err(ApiError::Protocol("getFile gave no file_path".into()));
    };
    let (bytes, content_type) = api.download(&path).await?;
    let mime = content_type
        .as_deref()
        .and_then(known_mime)
        .or_else(|| sniff_mime(&bytes));
    Ok((bytes, mime))
}

/// What to do after a failed download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchVerdict {
    /// No download of the channel before this many ms (429, a rejected token); the file's
    /// attempts are not counted.
    PauseChannel(Millis),
    /// Never: the reason is shown on the message (an operator can ask again).
    GiveUp(String),
    /// Try again after `wait` ms (growing, jittered), the reason shown meanwhile.
    RetryLater { reason: String, wait: Millis },
}

/// Judges a failed download of a file tried `attempts` times before: files Telegram will never
/// serve are given up at once, transient failures are retried until [`MAX_FETCH_ATTEMPTS`].
pub fn fetch_verdict(err: &ApiError, attempts: u32) -> FetchVerdict {
    match err {
        ApiError::Api { code: 401, .. } => FetchVerdict::PauseChannel(TOKEN_RETRY),
        ApiError::Api {
            code: 429,
            retry_after,
            ..
        } => FetchVerdict::PauseChannel(
            i64::try_from(retry_after.unwrap_or(5).saturating_mul(1000)).unwrap_or(TOKEN_RETRY),
        ),
        ApiError::FileTooBig { limit_mb } => FetchVerdict::GiveUp(format!(
            "The file is larger than {limit_mb} MB, the most Telegram lets bots download. Ask the customer to send it another way."
        )),
        ApiError::Api {
            code: 400,
            description,
            ..
        } if description.contains("file is too big") => FetchVerdict::GiveUp(format!(
            "The file is larger than {} MB, the most Telegram lets bots download. Ask the customer to send it another way.",
            MAX_DOWNLOAD_BYTES / (1024 * 1024)
        )),
        ApiError::Api {
            code: 400,
            description,
            ..
        } => FetchVerdict::GiveUp(format!(
            "Telegram cannot provide this file ({description})."
        )),
        _ if attempts + 1 >= MAX_FETCH_ATTEMPTS => FetchVerdict::GiveUp(format!(
            "The file could not be downloaded from Telegram after {MAX_FETCH_ATTEMPTS} tries ({err})."
        )),
        _ => FetchVerdict::RetryLater {
            reason: format!("Downloading the file failed ({err}); retrying."),
            wait: backoff(attempts, 5_000, 3, 30 * 60_000),
        },
    }
}

/// The server's content type, unless it only says "some bytes" (Telegram's
/// file server often does).
fn known_mime(content_type: &str) -> Option<&'static str> {
    const KNOWN: &[&str] = &[
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "audio/ogg",
        "audio/mpeg",
        "video/mp4",
        "video/webm",
        "application/pdf",
    ];
    KNOWN
        .iter()
        .copied()
        .find(|&k| k.eq_ignore_ascii_case(content_type))
}

/// The type of common files by their first bytes, for files Telegram did not
/// describe (photos carry no MIME type in the Bot API).
fn sniff_mime(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"OggS") {
        Some("audio/ogg")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_are_retried_until_the_last_attempt() {
        let err = ApiError::Network("connection refused".into());
        assert!(matches!(
            fetch_verdict(&err, 0),
            FetchVerdict::RetryLater { .. }
        ));
        let FetchVerdict::GiveUp(reason) = fetch_verdict(&err, MAX_FETCH_ATTEMPTS - 1) else {
            panic!("not given up")
        };
        assert!(
            reason.starts_with("The file could not be downloaded from Telegram after"),
            "{reason}"
        );
    }

    #[test]
    fn files_telegram_will_never_serve_are_given_up_at_once() {
        let too_big = ApiError::Api {
            code: 400,
            description: "Bad Request: file is too big".into(),
            retry_after: None,
        };
        assert!(
            matches!(fetch_verdict(&too_big, 0), FetchVerdict::GiveUp(r) if r.contains("20 MB"))
        );
        let unauthorized = ApiError::Api {
            code: 401,
            description: "Unauthorized".into(),
            retry_after: None,
        };
        assert!(matches!(
            fetch_verdict(&unauthorized, 7),
            FetchVerdict::PauseChannel(_)
        ));
    }

    #[test]
    fn the_type_of_an_undescribed_file_is_read_from_its_first_bytes() {
        assert_eq!(sniff_mime(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_mime(b"hello"), None);
        assert_eq!(known_mime("application/octet-stream"), None);
        assert_eq!(known_mime("image/PNG"), Some("image/png"));
    }
}
