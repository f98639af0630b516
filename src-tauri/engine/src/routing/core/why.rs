//! The reasons attached to decisions: short sentences a person can read in
//! answer to "why did I get this chat" (or "why not").

use crate::clock::Millis;
use crate::domain::{Id, RoutingRule};
use crate::routing::model::{CandidateView, Why};

pub(crate) const TIE_LONGEST_IDLE: &str = "longest since last new chat";
pub(crate) const TIE_OPERATOR_ID: &str = "smallest operator id";

/// "5 min", "90 s", "1500 ms".
pub(crate) fn duration(ms: Millis) -> String {
    if ms % 60_000 == 0 {
        format!("{} min", ms / 60_000)
    } else if ms % 1_000 == 0 {
        format!("{} s", ms / 1_000)
    } else {
        format!("{ms} ms")
    }
}

pub(crate) fn chats(n: u32) -> String {
    if n == 1 {
        "1 active chat".into()
    } else {
        format!("{n} active chats")
    }
}

/// "a", "a and b", "a, b and c", "a, b and 3 others".
fn names(ids: &[&Id]) -> String {
    match ids {
        [] => String::new(),
        [one] => (*one).clone(),
        [first, second] => format!("{first} and {second}"),
        [first, second, third] => format!("{first}, {second} and {third}"),
        [first, second, rest @ ..] => format!("{first}, {second} and {} others", rest.len()),
    }
}

/// The freest order: fewest active chats, then longest since the last new
/// chat (never = longest), then smallest id.
pub(crate) fn rank(a: &CandidateView, b: &CandidateView) -> std::cmp::Ordering {
    a.active_chats
        .cmp(&b.active_chats)
        .then(a.last_assigned_at.cmp(&b.last_assigned_at))
        .then(a.operator_id.cmp(&b.operator_id))
}

/// Why the first of `ranked` (sorted with [`rank`], non-empty) got a freest offer.
pub(crate) fn freest_offer(ranked: Vec<CandidateView>) -> Why {
    let best = &ranked[0];
    let tied: Vec<&CandidateView> = ranked[1..]
        .iter()
        .filter(|other| other.active_chats == best.active_chats)
        .collect();
    let load = chats(best.active_chats);
    let (tie_break, summary) = if tied.is_empty() {
        let summary = if ranked.len() == 1 {
            format!("Offered to you as the only eligible operator: {load}.")
        } else {
            format!(
                "Offered to you as the freest of {} operators: {load}.",
                ranked.len()
            )
        };
        (None, summary)
    } else {
        let tied_names = names(&tied.iter().map(|c| &c.operator_id).collect::<Vec<_>>());
        if tied
            .iter()
            .any(|other| other.last_assigned_at == best.last_assigned_at)
        {
            (
                Some(TIE_OPERATOR_ID.to_string()),
                format!(
                    "Offered to you as the freest operator: {load}; tie with {tied_names} broken by operator id."
                ),
            )
        } else {
            (
                Some(TIE_LONGEST_IDLE.to_string()),
                format!(
                    "Offered to you as the freest operator: {load}; tie with {tied_names} broken by who took a chat longest ago."
                ),
            )
        }
    };
    Why {
        rule: RoutingRule::Freest,
        candidates: ranked,
        tie_break,
        summary,
    }
}

/// Why these operators got a `to_all` offer; `extending` = the chat was
/// already offered to others.
pub(crate) fn to_all_offer(ranked: Vec<CandidateView>, extending: bool) -> Why {
    let summary = if extending {
        "Offered to you as well: you now have room for it; the first to accept gets it.".to_string()
    } else if ranked.len() == 1 {
        "Offered to you, the only eligible operator of the queue.".to_string()
    } else {
        format!(
            "Offered to all {} eligible operators of the queue; the first to accept gets it.",
            ranked.len()
        )
    };
    Why {
        rule: RoutingRule::ToAll,
        candidates: ranked,
        tie_break: None,
        summary,
    }
}

pub(crate) fn accepted(rule: RoutingRule, holders: Vec<CandidateView>) -> Why {
    let summary = match rule {
        RoutingRule::Freest => {
            "You accepted the chat offered to you as the freest operator.".to_string()
        }
        RoutingRule::ToAll if holders.len() > 1 => format!(
            "You accepted first of the {} operators it was offered to.",
            holders.len()
        ),
        RoutingRule::ToAll => "You accepted the chat offered to you.".to_string(),
    };
    Why {
        rule,
        candidates: holders,
        tie_break: None,
        summary,
    }
}

pub(crate) fn transferred(rule: RoutingRule, from: &Id, to: CandidateView) -> Why {
    Why {
        rule,
        candidates: vec![to],
        tie_break: None,
        summary: format!("Transferred to you by {from}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: &str, active_chats: u32, last: Option<Millis>) -> CandidateView {
        CandidateView {
            operator_id: id.into(),
            active_chats,
            last_assigned_at: last,
        }
    }

    fn ranked(mut views: Vec<CandidateView>) -> Vec<CandidateView> {
        views.sort_by(rank);
        views
    }

    #[test]
    fn never_having_taken_a_chat_ranks_before_any_time() {
        let r = ranked(vec![
            view("a", 0, Some(1)),
            view("b", 0, None),
            view("c", 1, None),
        ]);
        let ids: Vec<&str> = r.iter().map(|c| c.operator_id.as_str()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
    }

    #[test]
    fn the_tie_break_named_is_the_one_that_decided() {
        let why = freest_offer(ranked(vec![view("a", 0, Some(5)), view("b", 0, Some(9))]));
        assert_eq!(why.tie_break.as_deref(), Some(TIE_LONGEST_IDLE));
        assert!(why.summary.contains("tie with b"), "{}", why.summary);

        let why = freest_offer(ranked(vec![view("b", 0, None), view("a", 0, None)]));
        assert_eq!(why.candidates[0].operator_id, "a");
        assert_eq!(why.tie_break.as_deref(), Some(TIE_OPERATOR_ID));

        let why = freest_offer(ranked(vec![view("a", 0, None), view("b", 1, None)]));
        assert_eq!(why.tie_break, None);
        assert_eq!(
            why.summary,
            "Offered to you as the freest of 2 operators: 0 active chats."
        );
    }

    #[test]
    fn durations_and_lists_read_naturally() {
        assert_eq!(duration(5 * 60_000), "5 min");
        assert_eq!(duration(90_000), "90 s");
        assert_eq!(duration(1_500), "1500 ms");
        let ids: Vec<Id> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        let refs: Vec<&Id> = ids.iter().collect();
        assert_eq!(names(&refs[..2]), "a and b");
        assert_eq!(names(&refs), "a, b and 3 others");
    }
}
