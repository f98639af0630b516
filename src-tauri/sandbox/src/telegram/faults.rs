//! Injected faults and slow calls: armed per bot from the control API, taken one use at a time
//! by the Bot API before normal handling.

use std::collections::VecDeque;
use std::time::Duration;

use super::{ApiError, Fault, SlowCall};

/// The default text of a fault with an empty description: what Telegram says for that code.
/// The 401 and 409 texts are the ones clients match on (teloxide maps `Unauthorized` to
/// `InvalidToken`, the 409 to `TerminatedByOtherGetUpdates`).
fn default_description(code: u16, retry_after: u64) -> String {
    match code {
        429 => return format!("Too Many Requests: retry after {retry_after}"),
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => {
            "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
        }
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Internal Server Error",
    }
    .to_owned()
}

/// The error an injected fault answers with.
pub fn error(fault: &Fault) -> ApiError {
    // A real 429 always says when to retry.
    let retry_after = match (fault.error_code, fault.retry_after) {
        (429, None) => Some(1),
        (_, given) => given,
    };
    let description = if fault.description.is_empty() {
        default_description(fault.error_code, retry_after.unwrap_or(1))
    } else {
        fault.description.clone()
    };
    ApiError {
        code: fault.error_code,
        description,
        retry_after,
    }
}

/// What one armed entry does to a call.
#[derive(Debug, Clone)]
pub enum Effect {
    Fail(Fault),
    Delay(Duration),
}

#[derive(Debug)]
struct Armed {
    method: String,
    effect: Effect,
    remaining: u32,
}

/// The armed faults of one bot, oldest first.
#[derive(Debug, Default)]
pub struct Faults(VecDeque<Armed>);

impl Faults {
    pub fn add_fault(&mut self, fault: Fault) {
        self.0.push_back(Armed {
            method: fault.method.clone(),
            remaining: fault.times,
            effect: Effect::Fail(fault),
        });
    }

    pub fn add_slow(&mut self, slow: SlowCall) {
        self.0.push_back(Armed {
            method: slow.method,
            remaining: slow.times,
            effect: Effect::Delay(Duration::from_millis(slow.delay_ms)),
        });
    }

    /// Takes one use of the first entry armed for `method` (any case, or `*` for any method).
    pub fn take(&mut self, method: &str) -> Option<Effect> {
        let index = self
            .0
            .iter()
            .position(|a| a.method == "*" || a.method.eq_ignore_ascii_case(method))?;
        let armed = self.0.get_mut(index)?;
        armed.remaining = armed.remaining.saturating_sub(1);
        let effect = armed.effect.clone();
        if armed.remaining == 0 {
            self.0.remove(index);
        }
        Some(effect)
    }
}
