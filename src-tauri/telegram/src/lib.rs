//! The Telegram channel: a poller that stores customer messages together with
//! the update offset, a fetcher that downloads the files they sent, and a
//! sender that drains the outbox. All talk to the Bot API only through
//! [`BotApi`], whose base URL is the only thing that differs between Telegram
//! and the sandbox.

mod api;
mod convert;
mod fetcher;
mod health;
mod pacing;
mod poller;
mod retry;
mod sender;
mod split;

use std::sync::Arc;

use switchboard_engine::clock::Clock;
use switchboard_engine::domain::{Channel, ChannelHealth, Id};
use switchboard_engine::store::Store;
use tokio::sync::{Notify, broadcast, watch};
use tokio_util::sync::CancellationToken;

pub use api::{ApiError, BotApi, BotUser, MAX_DOWNLOAD_BYTES, TgFile, Upload, UploadKind};
pub use convert::{Converted, convert, update_id};
pub use fetcher::{FetchVerdict, download_file, fetch_verdict};
pub use pacing::RateLimiter;
pub use retry::backoff;
pub use sender::{TOKEN_REJECTED, forbidden_reason, refused_reason};
pub use split::split_for_telegram;

/// Everything a running Telegram channel needs from the outside.
#[derive(Clone)]
pub struct ChannelContext {
    pub store: Store,
    pub channel: Channel,
    pub api: BotApi,
    pub clock: Arc<dyn Clock>,
    /// Ids of chats changed by one write, for the UI's batched event.
    pub changes: broadcast::Sender<Vec<Id>>,
    /// The poller's and the sender's view combined (see `health.rs`): a
    /// problem of either shows until that part succeeds again.
    pub health: watch::Sender<ChannelHealth>,
    /// Poked when an operator queues a reply.
    pub outbox: Arc<Notify>,
    /// Poked when a customer's file should be downloaded: the poller does it
    /// after storing one; the runtime after `Store::retry_attachment`.
    pub files: Arc<Notify>,
    /// Stops every task of the channel promptly; resuming is a new context
    /// (the poller resumes from the stored offset).
    pub cancel: CancellationToken,
}

/// Starts the poller, the file fetcher and the sender; they stop when
/// `ctx.cancel` fires.
pub fn spawn(ctx: ChannelContext) -> Vec<tokio::task::JoinHandle<()>> {
    let health = health::HealthBoard::new(ctx.health.clone());
    vec![
        tokio::spawn(poller::run(ctx.clone(), health.clone())),
        tokio::spawn(fetcher::run(ctx.clone())),
        tokio::spawn(sender::run(ctx, health)),
    ]
}
