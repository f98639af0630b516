//! Messenger's messaging window, as a pure function of the clock.
//!
//! A page may answer with `messaging_type: RESPONSE` for 24 hours after the
//! person's last message. After that, until 7 days, only a person may answer
//! (`MESSAGE_TAG` with the `HUMAN_AGENT` tag), and only when the app is
//! approved for it, which the admin says per channel. Otherwise nothing may
//! be sent until the person writes again.
//!
//! Times are Unix milliseconds, like webhook timestamps. Each window is
//! half-open: at exactly 24 hours after the last message `RESPONSE` is over,
//! at exactly 7 days the Human Agent window is over. The clock is passed in.

const MINUTE_MS: i64 = 60 * 1000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;
/// `RESPONSE` is allowed this long after the person's last message.
pub const RESPONSE_WINDOW_MS: i64 = DAY_MS;
/// `HUMAN_AGENT` is allowed this long after the person's last message.
pub const HUMAN_AGENT_WINDOW_MS: i64 = 7 * DAY_MS;

/// How a message may be sent now, if at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendPolicy {
    /// `messaging_type: RESPONSE`, until `closes_at` (Unix ms, exclusive).
    Response { closes_at: i64 },
    /// `messaging_type: MESSAGE_TAG`, `tag: HUMAN_AGENT`, until `closes_at`.
    HumanAgent { closes_at: i64 },
    /// Nothing may be sent. `reason` is a sentence for the composer; `why`
    /// is for code.
    Closed { why: ClosedWhy, reason: String },
}

impl SendPolicy {
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed { .. })
    }
}

/// Why nothing may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedWhy {
    /// No message from the person yet: a page cannot write first.
    CustomerNeverWrote,
    /// Past 24 hours and the channel does not use the Human Agent tag.
    ResponseWindowOver,
    /// Past 24 hours: the Human Agent tag is only for what an operator wrote.
    HumanAgentOnlyForOperators,
    /// Past 7 days.
    HumanAgentWindowOver,
}

impl ClosedWhy {
    /// A stable code for the IPC edge.
    pub fn code(self) -> &'static str {
        match self {
            Self::CustomerNeverWrote => "messenger_customer_never_wrote",
            Self::ResponseWindowOver => "messenger_window_closed",
            Self::HumanAgentOnlyForOperators => "messenger_human_agent_only_for_operators",
            Self::HumanAgentWindowOver => "messenger_human_agent_window_closed",
        }
    }
}

/// How a message may be sent at `now`.
///
/// `human_agent_enabled`: the channel's setting (the app is approved for the
/// tag). `written_by_operator`: a person wrote this message, as opposed to an
/// automatic one (greeting, survey, timeout notice), which may never use the tag.
pub fn send_policy(
    now: i64,
    last_customer_message_at: Option<i64>,
    human_agent_enabled: bool,
    written_by_operator: bool,
) -> SendPolicy {
    let Some(last) = last_customer_message_at else {
        return closed(
            ClosedWhy::CustomerNeverWrote,
            "The customer has not written to this page yet; on Messenger a page may \
             answer only after the customer writes."
                .into(),
        );
    };
    // A last message "in the future" (clocks disagree) counts as just now.
    let age = now.saturating_sub(last).max(0);
    if age < RESPONSE_WINDOW_MS {
        return SendPolicy::Response {
            closes_at: last.saturating_add(RESPONSE_WINDOW_MS),
        };
    }
    let wrote = format!("The customer last wrote {}", ago(age));
    if !human_agent_enabled {
        let hint = if age < HUMAN_AGENT_WINDOW_MS {
            " The Human Agent tag, which allows operators 7 days, is off for this channel."
        } else {
            ""
        };
        return closed(
            ClosedWhy::ResponseWindowOver,
            format!("{wrote}; Messenger allows replies only within 24 hours.{hint}"),
        );
    }
    if age >= HUMAN_AGENT_WINDOW_MS {
        return closed(
            ClosedWhy::HumanAgentWindowOver,
            format!(
                "{wrote}; Messenger allows replies only within 7 days with the Human Agent tag."
            ),
        );
    }
    if !written_by_operator {
        return closed(
            ClosedWhy::HumanAgentOnlyForOperators,
            format!(
                "{wrote}; after 24 hours Messenger allows only replies an operator writes \
                 (Human Agent tag), not automatic messages."
            ),
        );
    }
    SendPolicy::HumanAgent {
        closes_at: last.saturating_add(HUMAN_AGENT_WINDOW_MS),
    }
}

fn closed(why: ClosedWhy, reason: String) -> SendPolicy {
    SendPolicy::Closed { why, reason }
}

/// What the window indicator shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowState {
    /// Within 24 hours: anything may be sent.
    Open,
    /// Within 7 days, Human Agent enabled: operators may still answer.
    HumanAgent,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowStatus {
    pub state: WindowState,
    /// When the current state ends (Unix ms); `None` when closed.
    pub closes_at: Option<i64>,
    /// `closes_at - now`, 0 when closed.
    pub remaining_ms: i64,
}

/// The window for an operator's composer at `now`.
pub fn window_status(
    now: i64,
    last_customer_message_at: Option<i64>,
    human_agent_enabled: bool,
) -> WindowStatus {
    let open = |state, closes_at: i64| WindowStatus {
        state,
        closes_at: Some(closes_at),
        remaining_ms: closes_at.saturating_sub(now).max(0),
    };
    match send_policy(now, last_customer_message_at, human_agent_enabled, true) {
        SendPolicy::Response { closes_at } => open(WindowState::Open, closes_at),
        SendPolicy::HumanAgent { closes_at } => open(WindowState::HumanAgent, closes_at),
        SendPolicy::Closed { .. } => WindowStatus {
            state: WindowState::Closed,
            closes_at: None,
            remaining_ms: 0,
        },
    }
}

/// "30 hours ago", "8 days ago": hours up to two days, then whole days
/// (rounded down, so a window never sounds shorter than it was).
fn ago(age_ms: i64) -> String {
    let (n, unit) = if age_ms < HOUR_MS {
        (age_ms / MINUTE_MS, "minute")
    } else if age_ms < 2 * DAY_MS {
        (age_ms / HOUR_MS, "hour")
    } else {
        (age_ms / DAY_MS, "day")
    };
    let s = if n == 1 { "" } else { "s" };
    format!("{n} {unit}{s} ago")
}

#[cfg(test)]
mod tests;
