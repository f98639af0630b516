//! The routing core: `step(state, event, now) → decisions`, pure and
//! deterministic (no I/O, no clock, no randomness; only ordered maps are
//! iterated). `step` leaves the state as it is after the decisions; the
//! decisions are what to persist and log. Resolved semantics:
//!
//! - **Membership**: operator O serves queue Q if O is one of Q's users or holds
//!   one of Q's roles.
//! - **Load and eligibility**: an operator's load is their Active chats plus the
//!   *freest* offers they hold (a freest offer reserves a slot; `to_all` offers
//!   do not). O is eligible for a new offer of chat C when O serves C's queue,
//!   is Active, is not in `C.excluded` (declined it, or transferred it away) and
//!   load < `simultaneous_chats`.
//! - **First come, first served**: chats needing an operator are routed in
//!   ascending `arrival` order across all queues. A new chat gets the next
//!   arrival number; a chat transferred to a queue gets a new one too (it joins
//!   the back of the line); a waiting chat re-announced by `ChatArrived` keeps
//!   its place unless it changes queue; a completed one re-announced is a new
//!   arrival. `ChatArrived` for an Active chat is refused (a replayed event).
//! - **`to_all`**: the chat is offered to every eligible member at once (state
//!   Offered, no accept timeout). Whoever becomes eligible later (status back to
//!   Active, a chat completed or transferred away, a freest offer gone, capacity
//!   raised, added to the queue) is offered the waiting and offered `to_all`
//!   chats of their queues too. The first `ChatAccepted` wins; everyone else's
//!   offer is withdrawn. Declining excludes the decliner. When nobody holds the
//!   offer any more the chat goes back to Queued (`Wait`).
//! - **`freest`**: offered to ONE eligible member: fewest Active chats (across
//!   all queues and channels), then the longest since their last new chat
//!   (never = longest), then the smallest operator id; `Why::tie_break` names
//!   the tie-break used. At `offered_at + accept_timeout` (exactly then counts
//!   as expired) the operator is set Inactive (`SetInactive`) and the chat goes
//!   to the next freest or waits. Declining excludes the decliner and
//!   re-routes, with no status change.
//! - **Capacity**: accepting needs the offer, status Active and Active chats <
//!   capacity, else `Refuse` with no state change. An operator who reaches
//!   capacity (accept or transfer to them) loses every offer they still hold:
//!   `to_all` ones are withdrawn, freest ones go to the next freest.
//! - **Inactive/Offline**: the operator's offers are withdrawn (freest ones
//!   re-routed); their Active chats stay theirs.
//! - **Completion**: `ChatCompleted` works on Queued, Offered and Active chats
//!   (offers withdrawn, the operator's count drops). An Active chat whose queue
//!   has a completion timeout and whose last message was outgoing completes at
//!   `last_message_at + timeout` on `TimerFired`; any message resets the clock
//!   and an inbound one stops it. Completed chats stay in the map (the owner
//!   may prune them) with no operator.
//! - **Transfers**: only the chat's operator transfers it. To an operator: they
//!   must be Active and below capacity; it counts as a new chat for them
//!   (`last_assigned_at`). To a queue: the chat waits there, excluding the
//!   sender, and is routed afresh.
//! - **ConfigChanged**: membership is recomputed, offers held by operators who
//!   no longer serve the queue, are not Active, or are at capacity are
//!   withdrawn; offers of a queue whose rule changed are redone; freest offers
//!   beyond a lowered capacity are given up (newest first); then every waiting
//!   chat is re-evaluated. Feed one `ConfigChanged` after loading a state.
//! - Unknown chat, operator or queue ids, and events not allowed now, give a
//!   single `Refuse` with a sentence, and change nothing.
//! - Every `Offer` and `Assign` carries a [`Why`](super::model::Why): rule,
//!   eligible candidates in freest order, tie-break, one sentence.
//!
//! [`step`] rebuilds its lookups from the state on every call (fine for a
//! contact centre's event rate). [`Router`] owns the state and keeps those
//! lookups between events: same decisions, much faster on large states.

mod engine;
mod events;
mod index;
mod why;

use index::{Index, deadline_of};

use super::model::{Decision, Event, RoutedState, RoutingState};
use crate::clock::Millis;

/// Applies `event` at `now`: mutates `state` into the post-decision state and
/// returns the decisions, in the order they were taken.
pub fn step(state: &mut RoutingState, event: Event, now: Millis) -> Vec<Decision> {
    let mut index = Index::build(state);
    engine::run(state, &mut index, event, now)
}

/// The earliest moment a `TimerFired` would do something: a freest offer's
/// accept timeout, or an Active chat's completion timeout.
pub fn next_deadline(state: &RoutingState) -> Option<Millis> {
    state
        .chats
        .values()
        .filter_map(|chat| deadline_of(&state.settings, &state.queues, chat))
        .min()
}

/// A [`RoutingState`] with its lookups kept between events. Behaves exactly
/// like [`step`] on the same state (a property test checks it).
#[derive(Debug, Clone)]
pub struct Router {
    state: RoutingState,
    index: Index,
}

impl Router {
    /// Takes a state as loaded. Feed `ConfigChanged` once to route what waits.
    pub fn new(state: RoutingState) -> Self {
        let index = Index::build(&state);
        Self { state, index }
    }

    pub fn state(&self) -> &RoutingState {
        &self.state
    }

    pub fn into_state(self) -> RoutingState {
        self.state
    }

    pub fn step(&mut self, event: Event, now: Millis) -> Vec<Decision> {
        engine::run(&mut self.state, &mut self.index, event, now)
    }

    pub fn next_deadline(&self) -> Option<Millis> {
        self.index.deadlines.first().map(|(deadline, _)| *deadline)
    }

    /// Edits settings, queues, operators (or anything else) and re-evaluates
    /// everything, as `ConfigChanged`.
    pub fn configure(
        &mut self,
        edit: impl FnOnce(&mut RoutingState),
        now: Millis,
    ) -> Vec<Decision> {
        edit(&mut self.state);
        self.step(Event::ConfigChanged, now)
    }

    /// Drops completed chats (they are not indexed); returns how many.
    pub fn prune_completed(&mut self) -> usize {
        let before = self.state.chats.len();
        self.state
            .chats
            .retain(|_, chat| chat.state != RoutedState::Completed);
        before - self.state.chats.len()
    }

    /// Whether the kept lookups equal ones rebuilt from the state (for tests).
    #[doc(hidden)]
    pub fn index_is_exact(&self) -> bool {
        self.index == Index::build(&self.state)
    }
}
