//! The Telegram channel: a poller that stores customer messages together with
//! the update offset, and a sender that drains the outbox. Both talk to the
//! Bot API only through [`BotApi`], whose base URL is the only thing that
//! differs between Telegram and the sandbox.

mod api;
mod convert;
mod poller;
mod sender;
mod split;

use std::sync::Arc;

use switchboard_engine::clock::Clock;
use switchboard_engine::domain::{Channel, ChannelHealth, Id};
use switchboard_engine::store::Store;
use tokio::sync::{Notify, broadcast, watch};
use tokio_util::sync::CancellationToken;

pub use api::{ApiError, BotApi, BotUser};
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
    pub health: watch::Sender<ChannelHealth>,
    /// Poked when an operator queues a reply.
    pub outbox: Arc<Notify>,
    pub cancel: CancellationToken,
}

/// Starts the poller and the sender; they stop when `ctx.cancel` fires.
pub fn spawn(ctx: ChannelContext) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        tokio::spawn(poller::run(ctx.clone())),
        tokio::spawn(sender::run(ctx)),
    ]
}
