//! One channel health from two reporters: the poller and the sender.
//!
//! Each keeps its own last report; the channel shows the more serious one.
//! So a send that is rate limited stays visible while the poller keeps
//! succeeding, and vice versa, instead of the two overwriting each other.
//! The rule each reporter follows:
//! - the poller reports Running after every answer from getUpdates and a
//!   problem after every failure;
//! - the sender reports a problem when a send fails for the whole channel
//!   (429, 401, 5xx, network) and clears it (no opinion) once Telegram
//!   answers a send again, even with a per-message refusal (403, 400), or
//!   when it has nothing left to send.
//!
//! The fetcher does not report: a file that cannot be downloaded is shown on
//! its message, and the poller already reports a channel-wide outage.

use std::sync::{Arc, Mutex, PoisonError};

use switchboard_engine::domain::{ChannelHealth, ChannelProblem};
use tokio::sync::watch;

#[derive(Clone)]
pub(crate) struct HealthBoard {
    reports: Arc<Mutex<Reports>>,
    out: watch::Sender<ChannelHealth>,
}

#[derive(Default)]
struct Reports {
    poller: Option<ChannelHealth>,
    sender: Option<ChannelHealth>,
}

impl HealthBoard {
    pub fn new(out: watch::Sender<ChannelHealth>) -> Self {
        Self {
            reports: Arc::default(),
            out,
        }
    }

    pub fn poller(&self, health: ChannelHealth) {
        self.update(|r| r.poller = Some(health));
    }

    /// `None`: the sender has nothing to complain about.
    pub fn sender(&self, health: Option<ChannelHealth>) {
        self.update(|r| r.sender = health);
    }

    fn update(&self, change: impl FnOnce(&mut Reports)) {
        let mut reports = self.reports.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut reports);
        let Some(shown) = combine(reports.poller.as_ref(), reports.sender.as_ref()) else {
            return;
        };
        // Under the lock, so two reporters cannot publish out of order.
        self.out.send_if_modified(|current| {
            let changed = *current != shown;
            *current = shown;
            changed
        });
    }
}

/// The health to show: a problem beats Running; of two problems the more
/// serious one (see `severity`), the poller's on a tie. `None` leaves the
/// current value (e.g. `Starting`) alone.
fn combine(
    poller: Option<&ChannelHealth>,
    sender: Option<&ChannelHealth>,
) -> Option<ChannelHealth> {
    match (poller, sender) {
        (Some(p), Some(s)) if severity(s) > severity(p) => Some(s.clone()),
        (Some(p), _) => Some(p.clone()),
        (None, Some(s)) => Some(s.clone()),
        (None, None) => None,
    }
}

/// Problems an admin must act on first, then outages, then slow-downs.
fn severity(health: &ChannelHealth) -> u8 {
    match health {
        ChannelHealth::Starting | ChannelHealth::Stopped | ChannelHealth::Running => 0,
        ChannelHealth::Problem { problem, .. } => match problem {
            ChannelProblem::RateLimited => 1,
            ChannelProblem::Other => 2,
            ChannelProblem::Unreachable => 3,
            ChannelProblem::Storage => 4,
            ChannelProblem::UsedElsewhere => 5,
            ChannelProblem::Keychain => 6,
            ChannelProblem::TokenRejected => 7,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(p: ChannelProblem) -> ChannelHealth {
        ChannelHealth::problem(p, format!("{p:?}"))
    }

    #[test]
    fn a_sender_problem_shows_while_the_poller_keeps_running() {
        let (tx, rx) = watch::channel(ChannelHealth::Starting);
        let board = HealthBoard::new(tx);
        board.sender(None);
        assert_eq!(*rx.borrow(), ChannelHealth::Starting);
        board.poller(ChannelHealth::Running);
        board.sender(Some(problem(ChannelProblem::RateLimited)));
        board.poller(ChannelHealth::Running);
        assert_eq!(*rx.borrow(), problem(ChannelProblem::RateLimited));
        board.sender(None);
        assert_eq!(*rx.borrow(), ChannelHealth::Running);
    }

    #[test]
    fn the_more_serious_problem_wins() {
        let (tx, rx) = watch::channel(ChannelHealth::Starting);
        let board = HealthBoard::new(tx);
        board.poller(problem(ChannelProblem::TokenRejected));
        board.sender(Some(problem(ChannelProblem::Unreachable)));
        assert_eq!(*rx.borrow(), problem(ChannelProblem::TokenRejected));
        board.poller(problem(ChannelProblem::RateLimited));
        assert_eq!(*rx.borrow(), problem(ChannelProblem::Unreachable));
    }
}
