//! Interop checks: a real third-party Telegram client (teloxide) driven against the sandbox, so
//! "the sandbox speaks the Bot API" is tested by someone else's code, not by our own reading of
//! the documentation. The tests live in `tests/`; this library holds what a benchmark reuses.
//!
//! [`teloxide_polling_baseline`] is the reference point for `cargo xtask bench telegram`: how
//! fast an off-the-shelf long-polling client receives the same customer messages as our
//! connector does.

use std::time::{Duration, Instant};

use futures::StreamExt;
use teloxide::Bot;
use teloxide::RequestError;
use teloxide::types::{AllowedUpdate, UpdateKind};
use teloxide::update_listeners::{AsUpdateStream, Polling, UpdateListener};

/// Long-poll timeout used by the baseline: teloxide's own default (10 s), which stays under
/// its HTTP client's 17 s timeout.
pub const POLL_TIMEOUT: Duration = Duration::from_secs(10);

/// A teloxide bot whose API URL is `api_url`, the sandbox's root (`http://127.0.0.1:PORT/`).
/// A missing trailing slash is added: teloxide joins file paths relative to the base.
pub fn bot(api_url: &str, token: &str) -> Result<Bot, url::ParseError> {
    let mut base = api_url.to_owned();
    if !base.ends_with('/') {
        base.push('/');
    }
    Ok(Bot::new(token).set_api_url(url::Url::parse(&base)?))
}

/// One customer message as teloxide's polling listener handed it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// When the listener yielded it (compare with when the customer wrote).
    pub at: Instant,
    pub chat_id: i64,
    pub message_id: i32,
    pub text: Option<String>,
}

/// What [`teloxide_polling_baseline`] measured.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// From the start of polling until the `expected`-th message arrived.
    pub elapsed: Duration,
    /// Every message received, in order.
    pub received: Vec<Received>,
}

/// Why the baseline stopped early.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("invalid API URL: {0}")]
    Url(#[from] url::ParseError),
    #[error("teloxide's polling failed: {0}")]
    Request(#[from] RequestError),
    #[error("teloxide's polling ended after {0} messages")]
    Ended(usize),
}

/// Runs teloxide's long-polling update listener (`Polling`, as its `Dispatcher` and `repl` do,
/// with `allowed_updates = [message]`) until it has received `expected` messages, then stops it
/// gracefully, which confirms the offsets (the sandbox then holds no pending update).
///
/// Start it before or while customers write; wrap it in `tokio::time::timeout` if the messages
/// might never come. Any request error ends the run: a baseline does not measure retries.
pub async fn teloxide_polling_baseline(
    api_url: &str,
    token: &str,
    expected: usize,
) -> Result<Baseline, BaselineError> {
    teloxide_polling_each(api_url, token, expected, async |_| {}).await
}

/// [`teloxide_polling_baseline`] with work per message, as a teloxide bot's
/// handler would do it (updates are handed over one at a time): `handle` runs
/// for each message before the next one is taken.
pub async fn teloxide_polling_each(
    api_url: &str,
    token: &str,
    expected: usize,
    mut handle: impl AsyncFnMut(&Received),
) -> Result<Baseline, BaselineError> {
    let bot = bot(api_url, token)?;
    let mut polling = Polling::builder(bot)
        .timeout(POLL_TIMEOUT)
        .allowed_updates(vec![AllowedUpdate::Message])
        .build();
    // The stop token must be taken before `as_stream` (teloxide panics otherwise).
    let stop = polling.stop_token();
    let started = Instant::now();
    let mut received = Vec::with_capacity(expected);
    let mut stream = std::pin::pin!(polling.as_stream());
    while received.len() < expected {
        let Some(update) = stream.next().await else {
            return Err(BaselineError::Ended(received.len()));
        };
        if let UpdateKind::Message(message) = update?.kind {
            let message = Received {
                at: Instant::now(),
                chat_id: message.chat.id.0,
                message_id: message.id.0,
                text: message.text().map(str::to_owned),
            };
            handle(&message).await;
            received.push(message);
        }
    }
    let elapsed = started.elapsed();
    // Graceful stop: teloxide sends one last getUpdates with the next offset, confirming what
    // it handed over, and then ends the stream.
    stop.stop();
    while stream.next().await.is_some() {}
    Ok(Baseline { elapsed, received })
}
