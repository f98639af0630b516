//! Where events go before Meta hears 200: an `EventSink`. The SQLite sink
//! (a desktop's own store) and the Postgres sink (the relay next to the
//! shared database) are here; `GroupCommit` puts many concurrent POSTs into
//! one transaction.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use switchboard_engine::Store;
use switchboard_engine::StoreError;
use switchboard_engine::inbox::InboxEvent;
use thiserror::Error;
use tokio::sync::{Notify, mpsc, oneshot};

/// The events could not be stored; Meta gets a 500 and delivers them again.
#[derive(Debug, Clone, Error)]
#[error("{0}")]
pub struct SinkError(pub String);

impl From<StoreError> for SinkError {
    fn from(error: StoreError) -> Self {
        Self(error.to_string())
    }
}

/// Durable storage for webhook events. `store` returns only once the events
/// are committed; it returns how many were new (a redelivered event is
/// stored once and not counted again).
pub trait EventSink: Send + Sync + 'static {
    fn store(
        &self,
        events: Vec<InboxEvent>,
    ) -> impl Future<Output = Result<usize, SinkError>> + Send;

    /// Several batches at once (see `GroupCommit`): how many of each were
    /// new. The default stores them one after the other; sinks override it
    /// with one transaction.
    fn store_groups(
        &self,
        groups: Vec<Vec<InboxEvent>>,
    ) -> impl Future<Output = Result<Vec<usize>, SinkError>> + Send {
        async move {
            let mut counts = Vec::with_capacity(groups.len());
            for group in groups {
                counts.push(self.store(group).await?);
            }
            Ok(counts)
        }
    }
}

impl<S: EventSink> EventSink for Arc<S> {
    fn store(
        &self,
        events: Vec<InboxEvent>,
    ) -> impl Future<Output = Result<usize, SinkError>> + Send {
        S::store(self, events)
    }

    fn store_groups(
        &self,
        groups: Vec<Vec<InboxEvent>>,
    ) -> impl Future<Output = Result<Vec<usize>, SinkError>> + Send {
        S::store_groups(self, groups)
    }
}

/// The desktop's own SQLite store (standalone mode). Wakes `notify` when new
/// events arrive, so the processor never polls.
#[derive(Debug, Clone)]
pub struct SqliteSink {
    store: Store,
    notify: Arc<Notify>,
}

impl SqliteSink {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            notify: Arc::new(Notify::new()),
        }
    }

    /// Notified (`notify_one`, so a wake-up is never lost) after every commit
    /// that stored something new.
    pub fn notify(&self) -> Arc<Notify> {
        Arc::clone(&self.notify)
    }
}

impl EventSink for SqliteSink {
    async fn store(&self, events: Vec<InboxEvent>) -> Result<usize, SinkError> {
        let new = self.store.store_inbox_events(&events).await?;
        if new > 0 {
            self.notify.notify_one();
        }
        Ok(new)
    }

    async fn store_groups(&self, groups: Vec<Vec<InboxEvent>>) -> Result<Vec<usize>, SinkError> {
        let counts = self.store.store_inbox_event_groups(&groups).await?;
        if counts.iter().any(|&n| n > 0) {
            self.notify.notify_one();
        }
        Ok(counts)
    }
}

type Waiter = (Vec<InboxEvent>, oneshot::Sender<Result<usize, SinkError>>);

/// Group commit in front of another sink: one writer task takes every batch
/// waiting (up to `max_events`, and for at most `window` after the first),
/// stores them in one `store_groups` call, then answers each caller. Under
/// load many POSTs share one transaction; alone, a POST waits at most
/// `window` (zero: no wait, it only picks up what queued during the last
/// commit). Durability is unchanged: nobody is answered before the commit.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<Waiter>,
}

impl GroupCommit {
    /// Spawns the writer task on the current Tokio runtime.
    pub fn new<S: EventSink>(inner: S, window: Duration, max_events: usize) -> Self {
        let (queue, waiting) = mpsc::channel(4096);
        tokio::spawn(write_groups(inner, waiting, window, max_events.max(1)));
        Self { queue }
    }
}

async fn write_groups<S: EventSink>(
    inner: S,
    mut waiting: mpsc::Receiver<Waiter>,
    window: Duration,
    max_events: usize,
) {
    while let Some(first) = waiting.recv().await {
        let deadline = tokio::time::Instant::now() + window;
        let mut count = first.0.len();
        let mut taken = vec![first];
        while count < max_events {
            let next = match waiting.try_recv() {
                Ok(next) => next,
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) if window.is_zero() => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    match tokio::time::timeout_at(deadline, waiting.recv()).await {
                        Ok(Some(next)) => next,
                        Ok(None) | Err(_) => break,
                    }
                }
            };
            count += next.0.len();
            taken.push(next);
        }
        let (groups, answers): (Vec<_>, Vec<_>) = taken.into_iter().unzip();
        match inner.store_groups(groups).await {
            Ok(counts) => {
                for (answer, new) in answers.into_iter().zip(counts) {
                    let _ = answer.send(Ok(new));
                }
            }
            Err(error) => {
                for answer in answers {
                    let _ = answer.send(Err(error.clone()));
                }
            }
        }
    }
}

impl EventSink for GroupCommit {
    async fn store(&self, events: Vec<InboxEvent>) -> Result<usize, SinkError> {
        let stopped = || SinkError("the relay's writer task has stopped".into());
        let (answer, answered) = oneshot::channel();
        self.queue
            .send((events, answer))
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}
