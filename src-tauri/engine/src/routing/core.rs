//! Placeholder being replaced by the full core (see model.rs for the contract).

use super::model::{Decision, Event, RoutingState};
use crate::clock::Millis;

pub fn step(_state: &mut RoutingState, _event: Event, _now: Millis) -> Vec<Decision> {
    Vec::new()
}

pub fn next_deadline(_state: &RoutingState) -> Option<Millis> {
    None
}
