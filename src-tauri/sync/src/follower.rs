//! A task that keeps a cache following the feed: woken by `NOTIFY switchboard_changes`, with a
//! periodic pull as a safety net (notifications are lost across reconnects, and a change held
//! back behind an older transaction may never be notified again).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::SyncError;
use crate::feed::{Batch, CHANNEL, ChangeFeed, Cursor};

pub type ApplyError = Box<dyn std::error::Error + Send + Sync>;
pub type ApplyFuture<'a> = Pin<Box<dyn Future<Output = Result<(), ApplyError>> + Send + 'a>>;

/// The cache's side. `apply` must write the batch's changes *and* `batch.next_after` in one local
/// transaction: the position is remembered exactly when the changes are, never before.
pub trait ApplyChanges: Send + Sync {
    fn apply<'a>(&'a self, batch: &'a Batch) -> ApplyFuture<'a>;
}

#[derive(Debug, Clone, Copy)]
pub struct FollowerConfig {
    /// Changes per pull (and per `apply`): a week's backlog arrives in many small steps.
    pub batch_size: i64,
    /// The periodic pull when no notification comes.
    pub safety_net: Duration,
    /// How soon to pull again while committed changes wait behind an older transaction.
    pub held_back_retry: Duration,
}

impl Default for FollowerConfig {
    fn default() -> Self {
        Self {
            batch_size: 500,
            safety_net: Duration::from_secs(5),
            held_back_retry: Duration::from_millis(20),
        }
    }
}

pub struct Follower;

/// A running follower. `rounds` counts completed catch-ups (pull until nothing is left), so a
/// test or the UI can wait for "caught up" without sleeping.
pub struct FollowerHandle {
    pub rounds: watch::Receiver<u64>,
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    main: JoinHandle<()>,
    listener: JoinHandle<()>,
}

impl FollowerHandle {
    /// Pulls now instead of waiting for a notification (e.g. after this desktop's own write). A
    /// pull already running is followed by another one, so nothing committed before this call
    /// is missed.
    pub fn pull_now(&self) {
        self.wake.notify_one();
    }

    /// Stops between batches (or abandons an `apply`, whose local transaction then rolls back).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.main.await;
        self.listener.abort();
        let _ = self.listener.await;
    }
}

impl Follower {
    /// Listens first, then spawns the loop: a change committed after this returns is either
    /// notified or found by the first catch-up.
    pub async fn start(
        pg: PgPool,
        apply: Arc<dyn ApplyChanges>,
        from: Cursor,
        config: FollowerConfig,
    ) -> Result<FollowerHandle, SyncError> {
        let mut listener = PgListener::connect_with(&pg).await?;
        listener.listen(CHANNEL).await?;
        Ok(Self::spawn(pg, apply, from, config, Some(listener)))
    }

    /// Like [`start`](Self::start), but never waits for the database: a desktop opened while
    /// the database is unreachable shows its cache at once and follows as soon as it can.
    pub fn start_offline_capable(
        pg: PgPool,
        apply: Arc<dyn ApplyChanges>,
        from: Cursor,
        config: FollowerConfig,
    ) -> FollowerHandle {
        Self::spawn(pg, apply, from, config, None)
    }

    fn spawn(
        pg: PgPool,
        apply: Arc<dyn ApplyChanges>,
        from: Cursor,
        config: FollowerConfig,
        listener: Option<PgListener>,
    ) -> FollowerHandle {
        let wake = Arc::new(Notify::new());
        let listener = tokio::spawn(forward_notifications(
            pg.clone(),
            listener,
            wake.clone(),
            config.safety_net,
        ));
        let (rounds_tx, rounds) = watch::channel(0);
        let (stop, stop_rx) = watch::channel(false);
        let main = tokio::spawn(follow(
            pg,
            apply,
            from,
            config,
            wake.clone(),
            rounds_tx,
            stop_rx,
        ));
        FollowerHandle {
            rounds,
            wake,
            stop,
            main,
            listener,
        }
    }
}

/// Turns notifications into wake-ups. `Notify` keeps one permit, so a burst is one catch-up.
async fn forward_notifications(
    pg: PgPool,
    listener: Option<PgListener>,
    wake: Arc<Notify>,
    retry: Duration,
) {
    let mut listener = match listener {
        Some(listener) => listener,
        None => loop {
            match listen(&pg).await {
                Ok(listener) => {
                    // Changes made while it was connecting are found by this catch-up.
                    wake.notify_one();
                    break listener;
                }
                Err(error) => {
                    tracing::debug!(%error, "sync: cannot listen for changes yet");
                    tokio::time::sleep(retry).await;
                }
            }
        },
    };
    loop {
        match listener.try_recv().await {
            Ok(Some(_)) => {}
            // The connection was lost and is re-established: notifications in between are gone.
            Ok(None) => tracing::debug!("sync: listener reconnected"),
            Err(error) => {
                tracing::warn!(%error, "sync: cannot listen for changes");
                // Back-off before reconnecting; the periodic pull keeps the cache moving.
                tokio::time::sleep(retry).await;
            }
        }
        wake.notify_one();
    }
}

async fn listen(pg: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pg).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

async fn follow(
    pg: PgPool,
    apply: Arc<dyn ApplyChanges>,
    mut cursor: Cursor,
    config: FollowerConfig,
    wake: Arc<Notify>,
    rounds: watch::Sender<u64>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let wait = match catch_up(&pg, apply.as_ref(), &mut cursor, config.batch_size).await {
            Ok(true) => config.held_back_retry,
            Ok(false) => config.safety_net,
            Err(error) => {
                tracing::warn!(%error, "sync: catching up failed; retrying");
                config.safety_net
            }
        };
        rounds.send_modify(|n| *n += 1);
        tokio::select! {
            _ = stop.changed() => return,
            () = wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Pulls and applies until nothing is left below the horizon; says whether changes are held back.
async fn catch_up(
    pg: &PgPool,
    apply: &dyn ApplyChanges,
    cursor: &mut Cursor,
    batch_size: i64,
) -> Result<bool, SyncError> {
    loop {
        let batch = ChangeFeed::pull(pg, *cursor, batch_size).await?;
        if !batch.changes.is_empty() {
            apply.apply(&batch).await.map_err(SyncError::Apply)?;
            *cursor = batch.next_after;
        }
        if (batch.changes.len() as i64) < batch_size {
            return Ok(batch.held_back);
        }
    }
}
