//! The routing core: a pure, deterministic function of (state, event, now) →
//! decisions. No I/O, no wall clock, no randomness. The store loads the state,
//! the runtime feeds events, and both persist what comes out with its reason.

mod core;
pub mod model;
mod touched;

pub use core::{Router, next_deadline, step};
pub use model::*;
pub use touched::touched;
