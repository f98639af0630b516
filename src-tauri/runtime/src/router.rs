//! The routing service: the pure core's state in memory (this process owns
//! the standalone database), every event stepped under one lock, its result
//! persisted in one transaction before anyone is told. Timers come from
//! `next_deadline` and the injected clock.

use std::sync::Arc;
use std::time::Duration;

use switchboard_engine::clock::Clock;
use switchboard_engine::domain::Id;
use switchboard_engine::routing::{Decision, Event, Router as Core, RoutingState, touched};
use switchboard_engine::store::{RoutingChanges, Store};
use switchboard_ipc::{ErrorCode, IpcError};
use tokio::sync::{Mutex, Notify, broadcast};
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::errors::to_ipc;

pub(crate) struct Router {
    /// The pure core with its lookups kept between events.
    core: Mutex<Core>,
    store: Store,
    clock: Arc<dyn Clock>,
    changes: broadcast::Sender<Vec<Id>>,
    /// Poked whenever the state changed, so the timer re-reads its deadline.
    rescheduled: Notify,
}

impl Router {
    pub async fn load(
        store: Store,
        clock: Arc<dyn Clock>,
        changes: broadcast::Sender<Vec<Id>>,
    ) -> Result<Arc<Self>, IpcError> {
        let state = store.load_routing_state().await.map_err(to_ipc)?;
        let router = Arc::new(Self {
            core: Mutex::new(Core::new(state)),
            store,
            clock,
            changes,
            rescheduled: Notify::new(),
        });
        // Route whatever waited while the app was closed, and fire overdue timers.
        router.handle(Event::ConfigChanged, Vec::new()).await?;
        router.handle(Event::TimerFired, Vec::new()).await?;
        Ok(router)
    }

    /// Steps the core, persists the outcome, then tells the UI. A refused
    /// event changes nothing and comes back as a `conflict` error.
    pub async fn handle(
        &self,
        event: Event,
        system_lines: Vec<(Id, String)>,
    ) -> Result<Vec<Decision>, IpcError> {
        let mut core = self.core.lock().await;
        let now = self.clock.now();
        let decisions = core.step(event.clone(), now);
        if let Some(Decision::Refuse { why }) = decisions
            .iter()
            .find(|d| matches!(d, Decision::Refuse { .. }))
        {
            return Err(IpcError::new(ErrorCode::Conflict, why.clone()));
        }
        let (mut chats, operators) = touched(&event, &decisions);
        for (chat_id, _) in &system_lines {
            chats.insert(chat_id.clone());
        }
        let changes = RoutingChanges {
            chats: chats.clone(),
            operators,
            decisions: &decisions,
            system_lines,
        };
        if let Err(err) = self
            .store
            .persist_routing(core.state(), &changes, now)
            .await
        {
            // Memory ran ahead of the database: start again from what is stored.
            warn!(error = %err, "persisting a routing step failed; reloading");
            if let Ok(fresh) = self.store.load_routing_state().await {
                *core = Core::new(fresh);
            }
            return Err(to_ipc(err));
        }
        core.prune_completed();
        drop(core);
        self.rescheduled.notify_one();
        if !chats.is_empty() {
            let _ = self.changes.send(chats.into_iter().collect());
        }
        Ok(decisions)
    }

    /// Feeds the core what connectors stored: new chats arrive, new messages
    /// move the completion timer.
    pub async fn sync_chats(&self, chat_ids: &[Id]) {
        for chat_id in chat_ids {
            let facts = match self.store.chat_routing_facts(chat_id).await {
                Ok(Some(facts)) => facts,
                Ok(None) => continue,
                Err(err) => {
                    warn!(chat = %chat_id, error = %err, "reading a chat for routing failed");
                    continue;
                }
            };
            let known = self
                .with_state(|s| s.chats.get(chat_id).map(|c| c.last_message_at))
                .await;
            let event = match known {
                None if facts.state == "queued" => Event::ChatArrived {
                    chat_id: chat_id.clone(),
                    queue_id: facts.queue_id,
                },
                Some(seen) if facts.last_message_at > seen => Event::MessageRecorded {
                    chat_id: chat_id.clone(),
                    outbound: facts.last_message_outbound,
                },
                _ => continue,
            };
            if let Err(err) = self.handle(event, Vec::new()).await {
                warn!(chat = %chat_id, error = %err, "routing a chat failed");
            }
        }
    }

    pub async fn with_state<T>(&self, read: impl FnOnce(&RoutingState) -> T) -> T {
        read(self.core.lock().await.state())
    }

    /// Fires `TimerFired` at each deadline (accept and completion timeouts).
    pub async fn run_timers(self: Arc<Self>, cancel: CancellationToken) {
        loop {
            let deadline = self.core.lock().await.next_deadline();
            let wait = deadline
                .map(|at| Duration::from_millis(u64::try_from(at - self.clock.now()).unwrap_or(0)));
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = self.rescheduled.notified() => continue,
                _ = sleep_or_forever(wait) => {}
            }
            if let Err(err) = self.handle(Event::TimerFired, Vec::new()).await {
                warn!(error = %err, "timer step failed");
            }
        }
    }
}

async fn sleep_or_forever(wait: Option<Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}

impl Router {
    /// Rebuilds the core from the store and routes whatever waits.
    pub async fn reload(&self) -> Result<(), IpcError> {
        {
            // Load under the lock, so no step persists in between and is lost.
            let mut core = self.core.lock().await;
            *core = Core::new(self.store.load_routing_state().await.map_err(to_ipc)?);
        }
        self.handle(Event::ConfigChanged, Vec::new()).await?;
        Ok(())
    }
}
