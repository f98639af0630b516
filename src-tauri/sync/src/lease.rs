//! Connector ownership in shared mode: each Telegram bot is polled by exactly one process at a
//! time. The process holds the bot's lease in Postgres (migration `0008_connector_leases.sql`),
//! renews it as a heartbeat, and polls only while it holds it. When the holder disappears, its
//! lease expires and another desktop takes it over and continues from the stored offset.
//!
//! Two parts:
//! - [`LeaseKeeper`], a pure state machine with the clock injected: given `now` and the answers
//!   of the database, it says what to call next, when, and when the lease counts as lost.
//! - [`LeaseHolder`], the driver: calls `sb_acquire_lease` / `sb_renew_lease` /
//!   `sb_release_lease`, sleeps until the keeper's next decision, and reports
//!   [`LeaseEvent::Acquired`] / [`LeaseEvent::Lost`] so a connector starts and stops its poller.
//!
//! # Two guards
//!
//! 1. **Locally**, a holder stops polling *before* the database may give the lease to someone
//!    else. The database sets `expires_at = (its now when the call starts) + ttl`, which is after
//!    the moment we *sent* the call. So the keeper's deadline is `sent + ttl - safety_margin`,
//!    measured from the send time of the last successful renewal (never from the answer: a slow
//!    answer must not stretch the lease). A call that is not answered by that deadline counts as
//!    failed, and at the deadline the keeper reports [`LeaseEvent::Lost`]. The margin covers
//!    stopping the poller (aborting an in-flight long poll) and clock-rate drift.
//! 2. **In the database**, the fencing token: the poller stores its offset only through
//!    `sb_store_telegram_offset(channel, holder, fencing, offset)` in the same transaction as the
//!    batch, which raises `SB009` unless the lease is still held with that token. A holder that
//!    stalled past both guards (a paused process, a suspended laptop) cannot commit anything
//!    after a takeover.
//!
//! # Timing: takeover within 15 s
//!
//! With the default policy (ttl 10 s, renew every 3 s, contenders retry every 2 s): the dead
//! holder's last renewal set `expires_at` at most ttl = 10 s after its death; a contender tries
//! at least every 2 s, so it takes the lease at most ttl + retry_every = 12 s (plus one round
//! trip) after the holder died, within the 15 s the issue asks for. The holder renews every 3 s
//! against a local deadline of ttl − margin = 8 s, so two renewals may fail (or be slow) before it
//! gives up: a brief hiccup of the database does not move the bot.
//!
//! # Holder ids
//!
//! One per running process, never reused (e.g. host name, pid and a random part): calling
//! `sb_acquire_lease` again with the holder of a live lease is a renewal with the same token, so
//! two processes sharing an id would both think they hold the lease.

use std::time::Duration;

use sqlx::postgres::PgPool;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// A point on the keeper's clock, in milliseconds from an origin the caller chooses (the
/// driver: when it started). Only differences matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl std::ops::Add<Duration> for Millis {
    type Output = Millis;
    fn add(self, d: Duration) -> Millis {
        Millis(
            self.0
                .saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        )
    }
}

/// How long a lease lasts and how often it is renewed and sought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeasePolicy {
    /// What the database grants per acquisition or renewal (1 s to 300 s).
    pub ttl: Duration,
    /// How often the holder renews (after each successful renewal, from its send time).
    pub renew_every: Duration,
    /// How often a contender tries to acquire, and how soon a failed renewal is retried.
    pub retry_every: Duration,
    /// The holder stops at `sent + ttl - safety_margin`, before the database lets another take it.
    pub safety_margin: Duration,
}

impl Default for LeasePolicy {
    /// Takeover within ttl + retry_every = 12 s of the holder's death (see the module docs).
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(10),
            renew_every: Duration::from_secs(3),
            retry_every: Duration::from_secs(2),
            safety_margin: Duration::from_secs(2),
        }
    }
}

impl LeasePolicy {
    /// The longest time from a holder's death to a takeover (plus one round trip).
    pub fn worst_case_takeover(&self) -> Duration {
        self.ttl + self.retry_every
    }

    /// Why this policy cannot work, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        let ttl_ms = self.ttl.as_millis();
        if !(1000..=300_000).contains(&ttl_ms) {
            return Err(format!("a lease lasts 1000 to 300000 ms, not {ttl_ms}"));
        }
        if self.safety_margin >= self.ttl {
            return Err("the safety margin must be shorter than the lease".into());
        }
        if self.renew_every.is_zero() || self.retry_every.is_zero() {
            return Err("renewing and retrying need a period".into());
        }
        if self.renew_every >= self.ttl - self.safety_margin {
            return Err("the holder must renew before its local deadline (ttl - margin)".into());
        }
        Ok(())
    }

    fn ttl_ms(&self) -> i64 {
        i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX)
    }
}

/// What the driver does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Call `sb_acquire_lease` now; an answer after `answer_by` counts as a failure.
    Acquire { answer_by: Millis },
    /// Call `sb_renew_lease` with this token now; an answer after `answer_by` counts as a failure.
    Renew { fencing: i64, answer_by: Millis },
    /// Nothing to do before this time.
    Sleep { until: Millis },
    /// The local deadline passed without a successful renewal: stop polling now. (The keeper
    /// is seeking again; ask it what next.)
    Lost,
}

/// The database's answer to the call [`LeaseKeeper::next`] asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Acquired with this token, or renewed (the token it was renewed with).
    Granted(i64),
    /// Someone else holds a live lease, or (renewal) ours is gone: expired, released, taken.
    Refused,
    /// No answer: a database or network error, or too late.
    Failed,
}

/// What a connector needs to hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseEvent {
    /// Start polling; store offsets with this token.
    Acquired { fencing: i64 },
    /// Stop polling now (abort the long poll); the lease may be someone else's.
    Lost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Seeking {
        next_try: Millis,
    },
    Holding {
        fencing: i64,
        /// `sent + ttl - margin` of the last successful acquisition or renewal.
        deadline: Millis,
        next_renew: Millis,
    },
}

/// The pure lease state machine. It never reads a clock: every call gets `now`.
///
/// Protocol: call [`next`](Self::next); on `Acquire`/`Renew` note the send time, make the call
/// (abandon it at `answer_by`), and hand the result to [`answer`](Self::answer) with the send
/// and answer times; on `Sleep` wait until then (or until something else happens) and ask again.
#[derive(Debug, Clone)]
pub struct LeaseKeeper {
    policy: LeasePolicy,
    state: State,
}

impl LeaseKeeper {
    /// A keeper that seeks the lease at once.
    ///
    /// # Panics
    /// If the policy cannot work ([`LeasePolicy::check`]): policies are constants.
    pub fn new(policy: LeasePolicy, now: Millis) -> Self {
        if let Err(why) = policy.check() {
            panic!("unusable lease policy {policy:?}: {why}");
        }
        Self {
            policy,
            state: State::Seeking { next_try: now },
        }
    }

    pub fn policy(&self) -> &LeasePolicy {
        &self.policy
    }

    /// The token while we hold the lease.
    pub fn holding(&self) -> Option<i64> {
        match self.state {
            State::Holding { fencing, .. } => Some(fencing),
            State::Seeking { .. } => None,
        }
    }

    /// What to do at `now`.
    pub fn next(&mut self, now: Millis) -> Next {
        match self.state {
            State::Seeking { next_try } if now >= next_try => Next::Acquire {
                answer_by: self.deadline_for(now),
            },
            State::Seeking { next_try } => Next::Sleep { until: next_try },
            State::Holding { deadline, .. } if now >= deadline => {
                self.state = State::Seeking { next_try: now };
                Next::Lost
            }
            State::Holding {
                fencing,
                deadline,
                next_renew,
            } if now >= next_renew => Next::Renew {
                fencing,
                answer_by: deadline,
            },
            State::Holding {
                deadline,
                next_renew,
                ..
            } => Next::Sleep {
                until: next_renew.min(deadline),
            },
        }
    }

    /// The answer to the call last asked for, sent at `sent` and answered at `answered`.
    pub fn answer(&mut self, sent: Millis, answered: Millis, answer: Answer) -> Option<LeaseEvent> {
        let retry = answered + self.policy.retry_every;
        match self.state {
            State::Seeking { .. } => match answer {
                Answer::Granted(fencing) if answered < self.deadline_for(sent) => {
                    self.state = self.held(fencing, sent);
                    Some(LeaseEvent::Acquired { fencing })
                }
                // Granted too late to trust the time left: ask again at once. While the lease
                // is live and ours, that is a renewal with the same token.
                Answer::Granted(_) => {
                    self.state = State::Seeking { next_try: answered };
                    None
                }
                Answer::Refused | Answer::Failed => {
                    self.state = State::Seeking { next_try: retry };
                    None
                }
            },
            State::Holding {
                fencing, deadline, ..
            } => match answer {
                Answer::Granted(_) if answered < deadline => {
                    self.state = self.held(fencing, sent);
                    None
                }
                // Renewed, maybe, but we could not know in time: the poller had to stop at the
                // deadline. Seek again at once (same token if the lease is still ours).
                Answer::Granted(_) => {
                    self.state = State::Seeking { next_try: answered };
                    Some(LeaseEvent::Lost)
                }
                Answer::Refused => {
                    self.state = State::Seeking { next_try: retry };
                    Some(LeaseEvent::Lost)
                }
                Answer::Failed if answered >= deadline => {
                    self.state = State::Seeking { next_try: answered };
                    Some(LeaseEvent::Lost)
                }
                // Keep polling and try again soon; `next` reports Lost at the deadline.
                Answer::Failed => {
                    self.state = State::Holding {
                        fencing,
                        deadline,
                        next_renew: retry,
                    };
                    None
                }
            },
        }
    }

    /// Forgets the lease (after releasing it): seek again from `now + retry_every`.
    pub fn released(&mut self, now: Millis) {
        self.state = State::Seeking {
            next_try: now + self.policy.retry_every,
        };
    }

    fn deadline_for(&self, sent: Millis) -> Millis {
        Millis((sent + self.policy.ttl).0 - duration_ms(self.policy.safety_margin))
    }

    fn held(&self, fencing: i64, sent: Millis) -> State {
        State::Holding {
            fencing,
            deadline: self.deadline_for(sent),
            next_renew: sent + self.policy.renew_every,
        }
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The driver: keeps one channel's lease for one holder against Postgres.
pub struct LeaseHolder;

/// A running [`LeaseHolder`]. Events arrive in order on `events` (unbounded, so a slow consumer
/// never delays a renewal).
pub struct LeaseHandle {
    pub events: mpsc::UnboundedReceiver<LeaseEvent>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl LeaseHandle {
    /// Stops keeping the lease and releases it if held, so another desktop takes over at its
    /// next try. Stop the poller *first*: after the release another process may poll.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

impl LeaseHolder {
    /// Starts keeping `channel_id`'s lease as `holder_id` (see the module docs on holder ids).
    ///
    /// # Panics
    /// If the policy cannot work ([`LeasePolicy::check`]).
    pub fn start(
        pg: PgPool,
        channel_id: String,
        holder_id: String,
        policy: LeasePolicy,
    ) -> LeaseHandle {
        let (events_tx, events) = mpsc::unbounded_channel();
        let (stop, stop_rx) = watch::channel(false);
        let keeper = LeaseKeeper::new(policy, Millis(0));
        let task = tokio::spawn(async move {
            let driver = Driver {
                pg,
                channel_id,
                holder_id,
                origin: Instant::now(),
            };
            driver.run(keeper, events_tx, stop_rx).await;
        });
        LeaseHandle { events, stop, task }
    }
}

struct Driver {
    pg: PgPool,
    channel_id: String,
    holder_id: String,
    origin: Instant,
}

impl Driver {
    fn now(&self) -> Millis {
        Millis(u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    fn at(&self, t: Millis) -> Instant {
        self.origin + Duration::from_millis(t.0)
    }

    async fn run(
        &self,
        mut keeper: LeaseKeeper,
        events: mpsc::UnboundedSender<LeaseEvent>,
        mut stop: watch::Receiver<bool>,
    ) {
        let ttl_ms = keeper.policy().ttl_ms();
        loop {
            if *stop.borrow() || events.is_closed() {
                break;
            }
            let sent = self.now();
            // A call in flight is not interrupted by `stop` (it is bounded by `answer_by`): its
            // answer may be a lease we must release.
            let answer = match keeper.next(sent) {
                Next::Sleep { until } => {
                    tokio::select! {
                        () = tokio::time::sleep_until(self.at(until)) => {}
                        _ = stop.changed() => {}
                    }
                    continue;
                }
                Next::Lost => {
                    let channel = &self.channel_id;
                    tracing::warn!(channel, "connector lease not renewed in time: stop polling");
                    let _ = events.send(LeaseEvent::Lost);
                    continue;
                }
                Next::Acquire { answer_by } => self.acquire(ttl_ms, answer_by).await,
                Next::Renew { fencing, answer_by } => self.renew(fencing, ttl_ms, answer_by).await,
            };
            if let Some(event) = keeper.answer(sent, self.now(), answer) {
                if event == LeaseEvent::Lost {
                    let channel = &self.channel_id;
                    tracing::warn!(channel, "connector lease lost: stop polling");
                }
                let _ = events.send(event);
            }
        }
        if let Some(fencing) = keeper.holding() {
            self.release(fencing, keeper.policy().ttl).await;
            keeper.released(self.now());
        }
    }

    async fn acquire(&self, ttl_ms: i64, answer_by: Millis) -> Answer {
        let call = sqlx::query_scalar::<_, Option<i64>>("SELECT sb_acquire_lease($1, $2, $3)")
            .bind(&self.channel_id)
            .bind(&self.holder_id)
            .bind(ttl_ms)
            .fetch_one(&self.pg);
        match tokio::time::timeout_at(self.at(answer_by), call).await {
            Ok(Ok(Some(fencing))) => Answer::Granted(fencing),
            Ok(Ok(None)) => Answer::Refused,
            Ok(Err(error)) => self.failed("acquiring", &error),
            Err(_) => Answer::Failed,
        }
    }

    async fn renew(&self, fencing: i64, ttl_ms: i64, answer_by: Millis) -> Answer {
        let call = sqlx::query_scalar::<_, bool>("SELECT sb_renew_lease($1, $2, $3, $4)")
            .bind(&self.channel_id)
            .bind(&self.holder_id)
            .bind(fencing)
            .bind(ttl_ms)
            .fetch_one(&self.pg);
        match tokio::time::timeout_at(self.at(answer_by), call).await {
            Ok(Ok(true)) => Answer::Granted(fencing),
            Ok(Ok(false)) => Answer::Refused,
            Ok(Err(error)) => self.failed("renewing", &error),
            Err(_) => Answer::Failed,
        }
    }

    /// Bounded by `within`: if the database is away, the lease simply expires.
    async fn release(&self, fencing: i64, within: Duration) {
        let call = sqlx::query_scalar::<_, bool>("SELECT sb_release_lease($1, $2, $3)")
            .bind(&self.channel_id)
            .bind(&self.holder_id)
            .bind(fencing)
            .fetch_one(&self.pg);
        if let Ok(Err(error)) = tokio::time::timeout(within, call).await {
            self.failed("releasing", &error);
        }
    }

    fn failed(&self, doing: &str, error: &sqlx::Error) -> Answer {
        let channel = &self.channel_id;
        tracing::warn!(channel, %error, "{doing} the connector lease failed");
        Answer::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Millis {
        Millis(n)
    }

    /// The default policy: ttl 10 s, renew 3 s, retry 2 s, margin 2 s.
    fn keeper() -> LeaseKeeper {
        LeaseKeeper::new(LeasePolicy::default(), ms(0))
    }

    #[test]
    fn the_default_policy_takes_over_within_15_seconds_and_survives_two_missed_renewals() {
        let p = LeasePolicy::default();
        assert!(p.check().is_ok());
        assert!(p.worst_case_takeover() < Duration::from_secs(15));
        // Renewals at 3 s and 6 s may fail; the local deadline is at 8 s.
        assert!(p.renew_every * 2 < p.ttl - p.safety_margin);
    }

    #[test]
    fn unusable_policies_are_refused() {
        let ok = LeasePolicy::default();
        for bad in [
            LeasePolicy {
                ttl: Duration::from_millis(999),
                ..ok
            },
            LeasePolicy {
                safety_margin: ok.ttl,
                ..ok
            },
            LeasePolicy {
                renew_every: Duration::from_secs(8),
                ..ok
            },
            LeasePolicy {
                retry_every: Duration::ZERO,
                ..ok
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_contender_acquires_at_once_then_renews_from_the_send_time() {
        let mut k = keeper();
        assert_eq!(
            k.next(ms(0)),
            Next::Acquire {
                answer_by: ms(8000)
            }
        );
        assert_eq!(
            k.answer(ms(0), ms(40), Answer::Granted(7)),
            Some(LeaseEvent::Acquired { fencing: 7 })
        );
        assert_eq!(k.holding(), Some(7));
        assert_eq!(k.next(ms(40)), Next::Sleep { until: ms(3000) });
        assert_eq!(
            k.next(ms(3000)),
            Next::Renew {
                fencing: 7,
                answer_by: ms(8000)
            }
        );
        // Answered 2 s after it was sent: the new deadline counts from the send time.
        assert_eq!(k.answer(ms(3000), ms(5000), Answer::Granted(7)), None);
        assert_eq!(k.next(ms(5000)), Next::Sleep { until: ms(6000) });
        assert_eq!(
            k.next(ms(6000)),
            Next::Renew {
                fencing: 7,
                answer_by: ms(11_000)
            }
        );
    }

    #[test]
    fn failed_renewals_are_retried_and_the_lease_is_lost_at_the_local_deadline() {
        let mut k = keeper();
        k.next(ms(0));
        k.answer(ms(0), ms(10), Answer::Granted(1));
        // Renew at 3 s fails at once: retry 2 s later, still holding.
        assert!(matches!(k.next(ms(3000)), Next::Renew { .. }));
        assert_eq!(k.answer(ms(3000), ms(3010), Answer::Failed), None);
        assert_eq!(k.holding(), Some(1));
        assert_eq!(k.next(ms(3010)), Next::Sleep { until: ms(5010) });
        assert!(matches!(k.next(ms(5010)), Next::Renew { .. }));
        assert_eq!(k.answer(ms(5010), ms(5020), Answer::Failed), None);
        assert_eq!(k.next(ms(5020)), Next::Sleep { until: ms(7020) });
        assert!(matches!(k.next(ms(7020)), Next::Renew { .. }));
        assert_eq!(k.answer(ms(7020), ms(7030), Answer::Failed), None);
        // The next retry would be at 9030; the deadline (0 + 10 s - 2 s) comes first.
        assert_eq!(k.next(ms(7030)), Next::Sleep { until: ms(8000) });
        assert_eq!(k.next(ms(8000)), Next::Lost);
        assert_eq!(k.holding(), None);
        // Then it seeks again at once.
        assert!(matches!(k.next(ms(8000)), Next::Acquire { .. }));
    }

    #[test]
    fn a_renewal_answered_after_the_deadline_loses_the_lease_even_if_granted() {
        let mut k = keeper();
        k.next(ms(0));
        k.answer(ms(0), ms(10), Answer::Granted(3));
        assert_eq!(
            k.next(ms(3000)),
            Next::Renew {
                fencing: 3,
                answer_by: ms(8000)
            }
        );
        // The poller had to stop at 8 s, not knowing the answer.
        assert_eq!(
            k.answer(ms(3000), ms(8000), Answer::Granted(3)),
            Some(LeaseEvent::Lost)
        );
        assert!(matches!(k.next(ms(8000)), Next::Acquire { .. }));
        // Still ours in the database: the same token again.
        assert_eq!(
            k.answer(ms(8000), ms(8010), Answer::Granted(3)),
            Some(LeaseEvent::Acquired { fencing: 3 })
        );
    }

    #[test]
    fn a_refused_renewal_loses_the_lease_at_once() {
        let mut k = keeper();
        k.next(ms(0));
        k.answer(ms(0), ms(10), Answer::Granted(4));
        k.next(ms(3000));
        assert_eq!(
            k.answer(ms(3000), ms(3010), Answer::Refused),
            Some(LeaseEvent::Lost)
        );
        assert_eq!(k.holding(), None);
        assert_eq!(k.next(ms(3010)), Next::Sleep { until: ms(5010) });
    }

    #[test]
    fn a_contender_retries_until_the_lease_is_free() {
        let mut k = keeper();
        let mut now = ms(0);
        for _ in 0..3 {
            assert!(matches!(k.next(now), Next::Acquire { .. }));
            assert_eq!(
                k.answer(now, now + Duration::from_millis(5), Answer::Refused),
                None
            );
            let retry = now + Duration::from_millis(2005);
            assert_eq!(k.next(now), Next::Sleep { until: retry });
            now = retry;
        }
        // A database error is retried the same way.
        k.next(now);
        assert_eq!(k.answer(now, now, Answer::Failed), None);
        now = now + Duration::from_secs(2);
        k.next(now);
        assert_eq!(
            k.answer(now, now, Answer::Granted(9)),
            Some(LeaseEvent::Acquired { fencing: 9 })
        );
    }

    #[test]
    fn an_acquisition_answered_too_late_is_not_trusted_and_is_asked_again() {
        let mut k = keeper();
        assert_eq!(
            k.next(ms(0)),
            Next::Acquire {
                answer_by: ms(8000)
            }
        );
        assert_eq!(k.answer(ms(0), ms(8000), Answer::Granted(2)), None);
        assert_eq!(k.holding(), None);
        assert!(matches!(k.next(ms(8000)), Next::Acquire { .. }));
    }

    #[test]
    fn after_a_release_it_seeks_again_later() {
        let mut k = keeper();
        k.next(ms(0));
        k.answer(ms(0), ms(1), Answer::Granted(1));
        k.released(ms(100));
        assert_eq!(k.holding(), None);
        assert_eq!(k.next(ms(100)), Next::Sleep { until: ms(2100) });
    }
}
