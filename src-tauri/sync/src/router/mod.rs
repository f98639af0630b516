//! Routing in shared mode: the standalone routing core, run against Postgres in one transaction.
//!
//! Desktops never write offers or routing state: operators change chats only through the
//! `sb_*` functions of migration 0007, which check the rules (an operator accepts only a chat
//! offered to them, below capacity; the first accept wins). Offers, timeouts and re-routing are
//! decided here, by the same pure core as in standalone mode ([`switchboard_engine::routing`]),
//! in a trusted process that connects as the schema owner — the relay, which already runs next to
//! Postgres. Any number of such processes may run (for availability); one pass of one of them at a
//! time decides.
//!
//! # One pass
//!
//! ```text
//! BEGIN
//!   pg_advisory_xact_lock(ROUTER_LOCK)           -- one router pass at a time, cluster-wide per database
//!   SELECT … FROM users ORDER BY id FOR UPDATE    -- lock order step 1: every operator's row
//!   SELECT … FROM chats WHERE state = active ORDER BY id FOR UPDATE  -- step 2 (timers)
//!   load the open chats and the rest of the state; now = the database clock (or an injected one)
//!   core: ConfigChanged, ChatArrived for each chat never routed (oldest first, at most
//!         load::ARRIVALS_PER_PASS; the next pass follows at once), TimerFired
//!   write what differs (chats, offers, statuses: a statement per kind), the decisions and
//!   their system lines
//! COMMIT
//! ```
//!
//! Why this gives the shared-mode guarantees:
//!
//! - **At most one assignment per chat, capacity never exceeded**: assignment happens only in
//!   `sb_accept_chat`, which locks the operator's row then the chat's. A router pass holds every
//!   operator row for its whole transaction, so no accept runs while it decides, and it sees every
//!   accept that committed before it. It follows the same lock order (users, then chats), so it
//!   cannot deadlock with the functions. Waiting and offered chats are not locked: with every
//!   operator row held, nothing but the router changes their routing state (a customer's new
//!   message changes only its message columns); active chats are, because a completion timer
//!   must not fire past an inbound message stored at the same moment.
//! - **Timers fire once**: an expired offer or an idle chat is acted on inside a pass, and the
//!   pass writes the new state (operator Inactive, offer gone, chat completed) before it commits.
//!   The next pass, by whichever router, loads that state and finds nothing due.
//! - **`to_all` offers vanish** when one operator accepts: `sb_accept_chat` deletes all offers of
//!   the chat in its own transaction; the next pass re-offers nothing because the chat is active.
//! - **A pass that decides nothing writes nothing**, so a router woken by its own changes' `NOTIFY`
//!   settles after one idle pass instead of waking itself forever.

mod load;
mod persist;

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};
use switchboard_engine::clock::{Clock, Millis};
use switchboard_engine::routing::{Decision, Event, Router};
use tokio::sync::watch;

use crate::SyncError;

/// The advisory lock key that serializes router passes (an arbitrary constant: "SWBROUTE").
pub const ROUTER_LOCK: i64 = 0x5357_4252_4f55_5445;

/// How long a woken router waits for more changes before it passes.
const COALESCE: Duration = Duration::from_millis(10);

/// Where a pass gets "now" from.
#[derive(Clone)]
pub enum RouterClock {
    /// `sb_now_ms()`: one clock for every router, whichever machine it runs on.
    Database,
    /// An injected clock (tests move it by hand to make timeouts expire).
    Fixed(Arc<dyn Clock>),
}

/// What one pass did.
#[derive(Debug, Clone, Default)]
pub struct Pass {
    /// The decisions written (no-op `Wait`s of chats that were already waiting are left out).
    pub decisions: Vec<Decision>,
    /// When the next timer is due (`None`: nothing waits on a timeout).
    pub next_deadline: Option<Millis>,
    /// The pass's "now".
    pub now: Millis,
    /// Chats still wait for their first routing (the pass took its maximum): pass again at once.
    pub more: bool,
}

/// Runs routing passes against one shared database.
#[derive(Clone)]
pub struct SharedRouter {
    pg: PgPool,
    clock: RouterClock,
}

impl SharedRouter {
    /// `pg` must connect as the schema owner (or a role that may write the routing tables).
    pub fn new(pg: PgPool, clock: RouterClock) -> Self {
        Self { pg, clock }
    }

    /// Routes everything that waits and fires every due timer: one pass, or several when more
    /// chats wait for their first routing than one pass takes. Waits for a pass running
    /// elsewhere to finish first, then sees what it wrote. Returns the last pass, with the
    /// decisions of all of them.
    pub async fn route_once(&self) -> Result<Pass, SyncError> {
        let mut decisions = Vec::new();
        loop {
            let mut pass = self.pass(true).await?.unwrap_or_default();
            decisions.append(&mut pass.decisions);
            if !pass.more {
                pass.decisions = decisions;
                return Ok(pass);
            }
        }
    }

    /// A pass, unless another router is in one right now (`None`). Skipping is safe for a router
    /// woken by a change notification: the busy router was listening too, so it passes again
    /// after the one it is in, and sees the change. Eight routers woken by one change therefore
    /// make one or two passes between them, not eight.
    pub async fn try_route_once(&self) -> Result<Option<Pass>, SyncError> {
        self.pass(false).await
    }

    async fn pass(&self, wait_for_lock: bool) -> Result<Option<Pass>, SyncError> {
        let mut tx = self.pg.begin().await?;
        if wait_for_lock {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(ROUTER_LOCK)
                .execute(&mut *tx)
                .await?;
        } else {
            let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
                .bind(ROUTER_LOCK)
                .fetch_one(&mut *tx)
                .await?;
            if !locked {
                return Ok(None);
            }
        }
        let loaded = load::routing_state(&mut tx).await?;
        let now = match &self.clock {
            RouterClock::Database => {
                sqlx::query_scalar::<_, i64>("SELECT sb_now_ms()")
                    .fetch_one(&mut *tx)
                    .await?
            }
            RouterClock::Fixed(clock) => clock.now(),
        };
        let mut router = Router::new(loaded.state.clone());
        let mut decisions = router.step(Event::ConfigChanged, now);
        for (chat_id, queue_id) in &loaded.arrivals {
            let arrived = Event::ChatArrived {
                chat_id: chat_id.clone(),
                queue_id: queue_id.clone(),
            };
            decisions.extend(router.step(arrived, now));
        }
        decisions.extend(router.step(Event::TimerFired, now));
        let next_deadline = router.next_deadline();
        let after = router.into_state();
        let decisions = persist::meaningful(&loaded, decisions);
        persist::write(&mut tx, &loaded, &after, &decisions, now).await?;
        tx.commit().await?;
        Ok(Some(Pass {
            decisions,
            next_deadline,
            now,
            more: loaded.more_arrivals,
        }))
    }

    /// Routes until `stop` turns true: a pass on every change notification, when the next timer
    /// is due, and every `safety_net` in case a notification was missed. `passes` counts
    /// finished passes (tests wait on it). A failed pass is logged and retried after
    /// `safety_net`; nothing it decided was committed.
    pub async fn run(
        self,
        safety_net: Duration,
        mut stop: watch::Receiver<bool>,
        passes: watch::Sender<u64>,
    ) -> Result<(), SyncError> {
        let mut listener = PgListener::connect_with(&self.pg).await?;
        listener.listen(crate::feed::CHANNEL).await?;
        loop {
            let wait = match self.try_route_once().await {
                Ok(None) => safety_net,
                Ok(Some(pass)) if pass.more && !*stop.borrow() => {
                    passes.send_modify(|n| *n += 1);
                    continue;
                }
                Ok(Some(pass)) => {
                    passes.send_modify(|n| *n += 1);
                    pass.next_deadline
                        .map(|due| {
                            Duration::from_millis(u64::try_from(due - pass.now).unwrap_or(0))
                        })
                        .map_or(safety_net, |until_due| until_due.min(safety_net))
                }
                Err(error) => {
                    tracing::warn!(%error, "a routing pass failed; retrying");
                    safety_net
                }
            };
            let notified = tokio::select! {
                _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
                notification = listener.recv() => {
                    // A lost connection is re-established by the listener on the next recv.
                    if let Err(error) = notification {
                        tracing::warn!(%error, "router lost its change notifications");
                    }
                    true
                }
                _ = tokio::time::sleep(wait) => false,
            };
            if notified {
                // One pass covers every change committed so far, and those of the next few
                // milliseconds: under load, one pass per burst instead of one per change.
                tokio::time::sleep(COALESCE).await;
                while listener.next_buffered().is_some() {}
            }
        }
    }
}
