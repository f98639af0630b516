//! The routing core: a pure function of (candidates, now) → decision.
//!
//! No I/O, no clock, no randomness: the store gathers the state, calls this,
//! and persists the decision together with its reason. The walking skeleton
//! assigns each new chat directly to the freest eligible operator; offers
//! (`to_all`), accept timeouts and transfers build on this in the routing issue.

use crate::clock::Millis;
use crate::domain::Id;

/// What the core needs to know about one operator of the chat's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub user_id: Id,
    pub active: bool,
    /// Active chats across all queues and channels.
    pub active_chats: u32,
    /// When this operator last received a new chat; `None` = never.
    pub last_assigned_at: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Assign { user_id: Id, reason: String },
    Wait { reason: String },
}

/// Chooses the operator for a new chat: Active, below `capacity`, fewest
/// active chats; on a tie the one who took a new chat longest ago (never =
/// longest); then the smallest id, so the result never depends on input order.
pub fn route_new_chat(candidates: &[Candidate], capacity: u32) -> Decision {
    let eligible = candidates
        .iter()
        .filter(|c| c.active && c.active_chats < capacity);
    let best = eligible.min_by(|a, b| {
        a.active_chats
            .cmp(&b.active_chats)
            // None (never) sorts first: Option's order puts None before Some.
            .then(a.last_assigned_at.cmp(&b.last_assigned_at))
            .then(a.user_id.cmp(&b.user_id))
    });
    match best {
        Some(chosen) => Decision::Assign {
            user_id: chosen.user_id.clone(),
            reason: format!(
                "freest of {} candidate(s): {} active chat(s), capacity {capacity}",
                candidates.len(),
                chosen.active_chats
            ),
        },
        None if candidates.is_empty() => Decision::Wait {
            reason: "the queue has no operators".into(),
        },
        None => Decision::Wait {
            reason: format!(
                "none of {} operator(s) is Active and below capacity {capacity}",
                candidates.len()
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn op(id: &str, active: bool, chats: u32, last: Option<Millis>) -> Candidate {
        Candidate {
            user_id: id.into(),
            active,
            active_chats: chats,
            last_assigned_at: last,
        }
    }

    fn chosen(d: &Decision) -> Option<&str> {
        match d {
            Decision::Assign { user_id, .. } => Some(user_id),
            Decision::Wait { .. } => None,
        }
    }

    #[test]
    fn the_operator_with_fewest_active_chats_gets_the_chat() {
        let d = route_new_chat(&[op("a", true, 1, None), op("b", true, 0, Some(5))], 2);
        assert_eq!(chosen(&d), Some("b"));
    }

    #[test]
    fn freest_ties_go_to_the_longest_idle_operator_and_never_counts_as_longest() {
        let d = route_new_chat(&[op("a", true, 0, Some(10)), op("b", true, 0, Some(5))], 2);
        assert_eq!(chosen(&d), Some("b"));
        let d = route_new_chat(&[op("a", true, 0, Some(10)), op("b", true, 0, None)], 2);
        assert_eq!(chosen(&d), Some("b"));
    }

    #[test]
    fn inactive_or_full_operators_leave_the_chat_waiting() {
        let d = route_new_chat(&[op("a", false, 0, None), op("b", true, 2, None)], 2);
        assert!(matches!(d, Decision::Wait { .. }), "{d:?}");
        let d = route_new_chat(&[], 2);
        assert_eq!(
            d,
            Decision::Wait {
                reason: "the queue has no operators".into()
            }
        );
    }

    fn candidate() -> impl Strategy<Value = Candidate> {
        (
            "[a-e]",
            any::<bool>(),
            0u32..4,
            proptest::option::of(0i64..5),
        )
            .prop_map(|(id, active, chats, last)| Candidate {
                user_id: id,
                active,
                active_chats: chats,
                last_assigned_at: last,
            })
    }

    proptest! {
        #[test]
        fn decision_is_eligible_minimal_and_order_independent(
            raw in proptest::collection::vec(candidate(), 0..8),
            capacity in 0u32..4,
        ) {
            // Operator ids are unique in a queue.
            let mut cands: Vec<Candidate> = raw
                .into_iter()
                .enumerate()
                .map(|(i, c)| Candidate { user_id: format!("{}{i}", c.user_id), ..c })
                .collect();
            let d = route_new_chat(&cands, capacity);
            match chosen(&d) {
                Some(id) => {
                    let c = cands.iter().find(|c| c.user_id == id).unwrap();
                    prop_assert!(c.active && c.active_chats < capacity);
                    for other in cands.iter().filter(|o| o.active && o.active_chats < capacity) {
                        prop_assert!(other.active_chats >= c.active_chats);
                    }
                }
                None => prop_assert!(cands.iter().all(|c| !c.active || c.active_chats >= capacity)),
            }
            cands.reverse();
            let reversed = route_new_chat(&cands, capacity);
            prop_assert_eq!(chosen(&reversed), chosen(&d));
        }
    }
}
