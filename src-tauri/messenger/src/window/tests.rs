use super::*;
use proptest::prelude::*;

const LAST: i64 = 1_760_000_000_000;
const H: i64 = HOUR_MS;
const D: i64 = DAY_MS;

fn reason(policy: SendPolicy) -> (ClosedWhy, String) {
    match policy {
        SendPolicy::Closed { why, reason } => (why, reason),
        other => panic!("expected closed, got {other:?}"),
    }
}

#[test]
fn response_is_allowed_up_to_the_last_millisecond_of_24_hours() {
    for now in [LAST, LAST + 1, LAST + 23 * H, LAST + D - 1] {
        assert_eq!(
            send_policy(now, Some(LAST), false, false),
            SendPolicy::Response {
                closes_at: LAST + D
            }
        );
    }
    assert!(send_policy(LAST + D, Some(LAST), false, true).is_closed());
}

#[test]
fn human_agent_takes_over_at_exactly_24_hours_and_ends_at_exactly_7_days() {
    for now in [LAST + D, LAST + 3 * D, LAST + 7 * D - 1] {
        assert_eq!(
            send_policy(now, Some(LAST), true, true),
            SendPolicy::HumanAgent {
                closes_at: LAST + 7 * D
            }
        );
    }
    let (why, reason) = reason(send_policy(LAST + 7 * D, Some(LAST), true, true));
    assert_eq!(why, ClosedWhy::HumanAgentWindowOver);
    assert_eq!(
        reason,
        "The customer last wrote 7 days ago; Messenger allows replies only within 7 days with the Human Agent tag."
    );
}

#[test]
fn the_composer_reads_why_it_cannot_send() {
    let (why, text) = reason(send_policy(LAST + 8 * D + 5 * H, Some(LAST), true, true));
    assert_eq!(why, ClosedWhy::HumanAgentWindowOver);
    assert_eq!(
        text,
        "The customer last wrote 8 days ago; Messenger allows replies only within 7 days with the Human Agent tag."
    );

    let (why, text) = reason(send_policy(LAST + 30 * H, Some(LAST), false, true));
    assert_eq!(why, ClosedWhy::ResponseWindowOver);
    assert_eq!(
        text,
        "The customer last wrote 30 hours ago; Messenger allows replies only within 24 hours. \
         The Human Agent tag, which allows operators 7 days, is off for this channel."
    );

    // Past 7 days turning the tag on would not help, so it is not suggested.
    let (_, text) = reason(send_policy(LAST + 10 * D, Some(LAST), false, true));
    assert_eq!(
        text,
        "The customer last wrote 10 days ago; Messenger allows replies only within 24 hours."
    );

    let (why, text) = reason(send_policy(LAST + 2 * D, Some(LAST), true, false));
    assert_eq!(why, ClosedWhy::HumanAgentOnlyForOperators);
    assert!(
        text.starts_with("The customer last wrote 2 days ago; after 24 hours"),
        "{text}"
    );

    let (why, text) = reason(send_policy(LAST, None, true, true));
    assert_eq!(why, ClosedWhy::CustomerNeverWrote);
    assert!(text.contains("has not written"), "{text}");
}

#[test]
fn a_last_message_from_the_future_counts_as_just_now() {
    assert_eq!(
        send_policy(LAST - 5 * H, Some(LAST), false, false),
        SendPolicy::Response {
            closes_at: LAST + D
        }
    );
}

#[test]
fn ages_read_in_minutes_hours_then_days() {
    assert_eq!(ago(0), "0 minutes ago");
    assert_eq!(ago(MINUTE_MS), "1 minute ago");
    assert_eq!(ago(H), "1 hour ago");
    assert_eq!(ago(2 * D - 1), "47 hours ago");
    assert_eq!(ago(2 * D), "2 days ago");
}

#[test]
fn the_indicator_counts_down_each_window() {
    assert_eq!(
        window_status(LAST + 20 * H, Some(LAST), true),
        WindowStatus {
            state: WindowState::Open,
            closes_at: Some(LAST + D),
            remaining_ms: 4 * H
        }
    );
    assert_eq!(
        window_status(LAST + D, Some(LAST), true),
        WindowStatus {
            state: WindowState::HumanAgent,
            closes_at: Some(LAST + 7 * D),
            remaining_ms: 6 * D
        }
    );
    let closed = WindowStatus {
        state: WindowState::Closed,
        closes_at: None,
        remaining_ms: 0,
    };
    assert_eq!(window_status(LAST + D, Some(LAST), false), closed);
    assert_eq!(window_status(LAST + 7 * D, Some(LAST), true), closed);
    assert_eq!(window_status(LAST, None, true), closed);
}

#[test]
fn closed_codes_are_distinct() {
    let mut codes = [
        ClosedWhy::CustomerNeverWrote,
        ClosedWhy::ResponseWindowOver,
        ClosedWhy::HumanAgentOnlyForOperators,
        ClosedWhy::HumanAgentWindowOver,
    ]
    .map(ClosedWhy::code);
    codes.sort_unstable();
    assert!(codes.windows(2).all(|w| w[0] != w[1]));
}

proptest! {
    #[test]
    fn the_policy_follows_the_rules(
        last in 0i64..4_000_000_000_000,
        age in -D..30 * D,
        enabled: bool,
        operator: bool,
    ) {
        let now = last + age;
        let policy = send_policy(now, Some(last), enabled, operator);
        let expected = if age < D {
            "response"
        } else if enabled && operator && age < 7 * D {
            "human_agent"
        } else {
            "closed"
        };
        let got = match &policy {
            SendPolicy::Response { closes_at } => {
                prop_assert!(*closes_at > now);
                "response"
            }
            SendPolicy::HumanAgent { closes_at } => {
                prop_assert!(*closes_at > now);
                "human_agent"
            }
            SendPolicy::Closed { reason, .. } => {
                prop_assert!(reason.starts_with("The customer last wrote "));
                "closed"
            }
        };
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn the_indicator_agrees_with_what_an_operator_may_send(
        last in 0i64..4_000_000_000_000,
        age in -D..30 * D,
        enabled: bool,
    ) {
        let now = last + age;
        let status = window_status(now, Some(last), enabled);
        match send_policy(now, Some(last), enabled, true) {
            SendPolicy::Response { closes_at } => {
                prop_assert_eq!(status.state, WindowState::Open);
                prop_assert_eq!(status.closes_at, Some(closes_at));
                prop_assert_eq!(status.remaining_ms, closes_at - now);
            }
            SendPolicy::HumanAgent { closes_at } => {
                prop_assert_eq!(status.state, WindowState::HumanAgent);
                prop_assert_eq!(status.remaining_ms, closes_at - now);
            }
            SendPolicy::Closed { .. } => {
                prop_assert_eq!(status.state, WindowState::Closed);
                prop_assert_eq!(status.remaining_ms, 0);
            }
        }
    }

    #[test]
    fn a_window_never_reopens_as_time_passes(
        last in 0i64..4_000_000_000_000,
        a in 0i64..30 * D,
        b in 0i64..30 * D,
        enabled: bool,
    ) {
        let rank = |s: WindowState| match s {
            WindowState::Open => 0,
            WindowState::HumanAgent => 1,
            WindowState::Closed => 2,
        };
        let (early, late) = (a.min(b), a.max(b));
        let early = window_status(last + early, Some(last), enabled).state;
        let late = window_status(last + late, Some(last), enabled).state;
        prop_assert!(rank(early) <= rank(late));
    }
}
