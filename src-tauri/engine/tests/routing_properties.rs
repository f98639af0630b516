//! Property tests of the routing core: random configurations and random event
//! sequences at random times; the invariants are checked after every step.

use std::collections::BTreeSet;

use proptest::prelude::*;
use switchboard_engine::clock::Millis;
use switchboard_engine::domain::RoutingRule;
use switchboard_engine::routing::{
    Decision, Event, Operator, OperatorStatus, Queue, RoutedState, Router, RoutingState, Settings,
    next_deadline, step,
};

const MIN: Millis = 60_000;
const ROLES: [&str; 3] = ["r0", "r1", "r2"];
const CHATS: u8 = 24;

#[derive(Debug, Clone)]
struct OpSpec {
    status: OperatorStatus,
    roles: Vec<bool>,
    last: Option<Millis>,
}

#[derive(Debug, Clone)]
struct QueueSpec {
    rule: RoutingRule,
    timeout: Option<Millis>,
    users: Vec<bool>,
    roles: Vec<bool>,
}

#[derive(Debug, Clone)]
enum Edit {
    ToggleUser(u8, u8),
    ToggleRole(u8, u8),
    Capacity(u32),
    Rule(u8, RoutingRule),
    CompletionTimeout(u8, Option<Millis>),
}

#[derive(Debug, Clone)]
enum Ev {
    Arrive(u8, u8),
    Message(u8, bool),
    Status(u8, OperatorStatus),
    /// (chat, operator, pick an offered chat and one of its holders)
    Accept(u8, u8, bool),
    Decline(u8, u8, bool),
    Complete(u8, Option<u8>),
    ToOperator(u8, u8),
    ToQueue(u8, u8),
    Config(Edit),
    Timer,
}

#[derive(Debug, Clone)]
enum Dt {
    Plus(Millis),
    AtDeadline,
    JustBeforeDeadline,
}

fn status() -> impl Strategy<Value = OperatorStatus> {
    prop_oneof![
        3 => Just(OperatorStatus::Active),
        1 => Just(OperatorStatus::Inactive),
        1 => Just(OperatorStatus::Offline),
    ]
}

fn rule() -> impl Strategy<Value = RoutingRule> {
    prop_oneof![Just(RoutingRule::ToAll), Just(RoutingRule::Freest)]
}

fn timeout() -> impl Strategy<Value = Option<Millis>> {
    proptest::option::of((1i64..=10).prop_map(|m| m * MIN))
}

fn op_spec() -> impl Strategy<Value = OpSpec> {
    (
        status(),
        proptest::collection::vec(any::<bool>(), 3),
        proptest::option::of(0i64..5),
    )
        .prop_map(|(status, roles, last)| OpSpec {
            status,
            roles,
            last: last.map(|m| m * MIN),
        })
}

fn queue_spec() -> impl Strategy<Value = QueueSpec> {
    (
        rule(),
        timeout(),
        proptest::collection::vec(proptest::bool::weighted(0.4), 6),
        proptest::collection::vec(proptest::bool::weighted(0.3), 3),
    )
        .prop_map(|(rule, timeout, users, roles)| QueueSpec {
            rule,
            timeout,
            users,
            roles,
        })
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0u8..4, 0u8..7).prop_map(|(q, o)| Edit::ToggleUser(q, o)),
        (0u8..7, 0u8..3).prop_map(|(o, r)| Edit::ToggleRole(o, r)),
        (1u32..=3).prop_map(Edit::Capacity),
        (0u8..4, rule()).prop_map(|(q, r)| Edit::Rule(q, r)),
        (0u8..4, timeout()).prop_map(|(q, t)| Edit::CompletionTimeout(q, t)),
    ]
}

fn ev() -> impl Strategy<Value = Ev> {
    prop_oneof![
        4 => (0..CHATS, 0u8..4).prop_map(|(c, q)| Ev::Arrive(c, q)),
        2 => (0..CHATS, any::<bool>()).prop_map(|(c, o)| Ev::Message(c, o)),
        2 => (0u8..7, status()).prop_map(|(o, s)| Ev::Status(o, s)),
        5 => (0..CHATS, 0u8..7, proptest::bool::weighted(0.85)).prop_map(|(c, o, s)| Ev::Accept(c, o, s)),
        1 => (0..CHATS, 0u8..7, proptest::bool::weighted(0.85)).prop_map(|(c, o, s)| Ev::Decline(c, o, s)),
        2 => (0..CHATS, proptest::option::of(0u8..7)).prop_map(|(c, b)| Ev::Complete(c, b)),
        1 => (0..CHATS, 0u8..7).prop_map(|(c, o)| Ev::ToOperator(c, o)),
        1 => (0..CHATS, 0u8..4).prop_map(|(c, q)| Ev::ToQueue(c, q)),
        1 => edit().prop_map(Ev::Config),
        2 => Just(Ev::Timer),
    ]
}

fn dt() -> impl Strategy<Value = Dt> {
    prop_oneof![
        6 => (0i64..7 * MIN).prop_map(Dt::Plus),
        2 => (0i64..3).prop_map(Dt::Plus),
        1 => Just(Dt::AtDeadline),
        1 => Just(Dt::JustBeforeDeadline),
    ]
}

fn op_id(i: u8) -> String {
    format!("o{i}")
}
fn queue_id(i: u8) -> String {
    format!("q{i}")
}
fn chat_id(i: u8) -> String {
    format!("c{i}")
}

fn build(capacity: u32, accept: Millis, ops: &[OpSpec], queues: &[QueueSpec]) -> RoutingState {
    let mut state = RoutingState::new(Settings {
        simultaneous_chats: capacity,
        accept_timeout: accept,
    });
    for (i, spec) in ops.iter().enumerate() {
        state.operators.insert(
            op_id(i as u8),
            Operator {
                status: spec.status,
                roles: pick(&ROLES.map(String::from), &spec.roles),
                last_assigned_at: spec.last,
                active_chats: 0,
            },
        );
    }
    let op_ids: Vec<String> = (0..ops.len() as u8).map(op_id).collect();
    for (i, spec) in queues.iter().enumerate() {
        state.queues.insert(
            queue_id(i as u8),
            Queue {
                rule: spec.rule,
                completion_timeout: spec.timeout,
                users: pick(&op_ids, &spec.users),
                roles: pick(&ROLES.map(String::from), &spec.roles),
            },
        );
    }
    state
}

fn pick(ids: &[String], chosen: &[bool]) -> BTreeSet<String> {
    ids.iter()
        .zip(chosen)
        .filter(|(_, on)| **on)
        .map(|(id, _)| id.clone())
        .collect()
}

fn apply_edit(state: &mut RoutingState, edit: &Edit) {
    match edit {
        Edit::ToggleUser(q, o) => {
            if let Some(queue) = state.queues.get_mut(&queue_id(*q)) {
                let o = op_id(*o);
                if !queue.users.remove(&o) {
                    queue.users.insert(o);
                }
            }
        }
        Edit::ToggleRole(o, r) => {
            if let Some(op) = state.operators.get_mut(&op_id(*o)) {
                let r = ROLES[*r as usize].to_string();
                if !op.roles.remove(&r) {
                    op.roles.insert(r);
                }
            }
        }
        Edit::Capacity(c) => state.settings.simultaneous_chats = *c,
        Edit::Rule(q, rule) => {
            if let Some(queue) = state.queues.get_mut(&queue_id(*q)) {
                queue.rule = *rule;
            }
        }
        Edit::CompletionTimeout(q, t) => {
            if let Some(queue) = state.queues.get_mut(&queue_id(*q)) {
                queue.completion_timeout = *t;
            }
        }
    }
}

/// Turns a generated event into a concrete one, aiming at live chats and
/// real offer holders most of the time so sequences go somewhere.
fn resolve(state: &RoutingState, ev: &Ev) -> Event {
    // Mostly ids that exist; now and then one that does not.
    let op_id = |i: u8| match i {
        6 => "o-missing".to_string(),
        i => op_id(i % state.operators.len() as u8),
    };
    let queue_id = |i: u8| match i {
        3 => "q-missing".to_string(),
        i => queue_id(i % state.queues.len() as u8),
    };
    let live: Vec<&String> = state
        .chats
        .iter()
        .filter(|(_, c)| c.state != RoutedState::Completed)
        .map(|(id, _)| id)
        .collect();
    let some_chat = |i: u8| match live.is_empty() || i % 4 == 3 {
        true => chat_id(i),
        false => live[i as usize % live.len()].clone(),
    };
    let offered: Vec<(&String, Vec<&String>)> = state
        .chats
        .iter()
        .filter(|(_, c)| c.state == RoutedState::Offered)
        .map(|(id, c)| (id, c.offered_to.iter().collect()))
        .collect();
    let active: Vec<(&String, &String)> = state
        .chats
        .iter()
        .filter_map(|(id, c)| c.operator.as_ref().map(|o| (id, o)))
        .collect();
    let offer_pick = |c: u8, o: u8, smart: bool| -> (String, String) {
        if smart && !offered.is_empty() {
            let (chat, holders) = &offered[c as usize % offered.len()];
            ((*chat).clone(), holders[o as usize % holders.len()].clone())
        } else {
            (chat_id(c), op_id(o))
        }
    };
    match ev {
        Ev::Arrive(c, q) => Event::ChatArrived {
            chat_id: chat_id(*c),
            queue_id: queue_id(*q),
        },
        Ev::Message(c, outbound) => Event::MessageRecorded {
            chat_id: some_chat(*c),
            outbound: *outbound,
        },
        Ev::Status(o, status) => Event::OperatorStatusChanged {
            operator_id: op_id(*o),
            status: *status,
        },
        Ev::Accept(c, o, smart) => {
            let (chat_id, operator_id) = offer_pick(*c, *o, *smart);
            Event::ChatAccepted {
                chat_id,
                operator_id,
            }
        }
        Ev::Decline(c, o, smart) => {
            let (chat_id, operator_id) = offer_pick(*c, *o, *smart);
            Event::ChatDeclined {
                chat_id,
                operator_id,
            }
        }
        Ev::Complete(c, by) => {
            let chat_id = match active.is_empty() {
                false if c % 2 == 0 => active[*c as usize % active.len()].0.clone(),
                _ => some_chat(*c),
            };
            Event::ChatCompleted {
                chat_id,
                by: by.map(op_id),
            }
        }
        Ev::ToOperator(c, to) => {
            let (chat_id, from) = if active.is_empty() {
                (chat_id(*c), op_id(0))
            } else {
                let (chat, from) = active[*c as usize % active.len()];
                (chat.clone(), from.clone())
            };
            Event::TransferredToOperator {
                chat_id,
                from,
                to: op_id(*to),
            }
        }
        Ev::ToQueue(c, q) => {
            let (chat_id, from) = if active.is_empty() {
                (chat_id(*c), op_id(0))
            } else {
                let (chat, from) = active[*c as usize % active.len()];
                (chat.clone(), from.clone())
            };
            Event::TransferredToQueue {
                chat_id,
                from,
                queue_id: queue_id(*q),
            }
        }
        Ev::Config(_) => Event::ConfigChanged,
        Ev::Timer => Event::TimerFired,
    }
}

fn load(state: &RoutingState, operator_id: &str) -> u32 {
    let reserved = state
        .chats
        .values()
        .filter(|c| c.offered_at.is_some() && c.offered_to.contains(operator_id))
        .count() as u32;
    state.operators[operator_id].active_chats + reserved
}

fn has_room(state: &RoutingState, operator_id: &str) -> bool {
    state.operators[operator_id].status == OperatorStatus::Active
        && load(state, operator_id) < state.settings.simultaneous_chats
}

fn rank_key(state: &RoutingState, operator_id: &str) -> (u32, Option<Millis>, String) {
    let op = &state.operators[operator_id];
    (
        op.active_chats,
        op.last_assigned_at,
        operator_id.to_string(),
    )
}

fn check(
    pre: &RoutingState,
    event: &Event,
    now: Millis,
    decisions: &[Decision],
    post: &RoutingState,
) -> Result<(), TestCaseError> {
    let cap = post.settings.simultaneous_chats;

    // Refusals change nothing.
    if let [Decision::Refuse { .. }] = decisions {
        prop_assert_eq!(pre, post);
    }
    let refusals = decisions
        .iter()
        .filter(|d| matches!(d, Decision::Refuse { .. }))
        .count();
    prop_assert!(
        refusals == 0 || decisions.len() == 1,
        "a refusal comes alone"
    );

    // (a) capacity and exact counts.
    for (id, op) in &post.operators {
        let real = post
            .chats
            .values()
            .filter(|c| c.state == RoutedState::Active && c.operator.as_ref() == Some(id))
            .count() as u32;
        prop_assert_eq!(op.active_chats, real, "count of {}", id);
        // A lowered capacity takes no chat away, but nobody gains one past it.
        let before = pre.operators.get(id).map_or(0, |o| o.active_chats);
        prop_assert!(
            op.active_chats <= cap || op.active_chats <= before,
            "{} over capacity",
            id
        );
    }

    // (b) chat shape.
    let mut arrivals = BTreeSet::new();
    for (id, chat) in &post.chats {
        prop_assert_eq!(
            chat.operator.is_some(),
            chat.state == RoutedState::Active,
            "operator iff Active: {}",
            id
        );
        prop_assert_eq!(
            !chat.offered_to.is_empty(),
            chat.state == RoutedState::Offered,
            "offers iff Offered: {}",
            id
        );
        if chat.offered_at.is_some() {
            prop_assert_eq!(chat.offered_to.len(), 1, "a freest offer has one holder");
        }
        if chat.state != RoutedState::Completed {
            prop_assert!(arrivals.insert(chat.arrival), "arrival numbers are unique");
            prop_assert!(chat.arrival < post.next_arrival);
        }
        // (f) holders may hold offers: Active, members, below capacity, not excluded.
        for holder in &chat.offered_to {
            let op = &post.operators[holder];
            prop_assert_eq!(op.status, OperatorStatus::Active);
            prop_assert!(
                op.active_chats < cap,
                "{} holds an offer at capacity",
                holder
            );
            prop_assert!(post.is_member(&chat.queue_id, holder));
            prop_assert!(!chat.excluded.contains(holder));
            let rule = post.queues[&chat.queue_id].rule;
            prop_assert_eq!(chat.offered_at.is_some(), rule == RoutingRule::Freest);
        }
    }

    // (c) accepts go to a holder; freest offers go to the freest.
    for decision in decisions {
        match decision {
            Decision::Assign {
                chat_id,
                operator_id,
                ..
            } => {
                if let Event::ChatAccepted {
                    operator_id: by, ..
                } = event
                {
                    prop_assert_eq!(by, operator_id);
                    prop_assert!(pre.chats[chat_id].offered_to.contains(operator_id));
                }
                prop_assert_eq!(post.chats[chat_id].operator.as_ref(), Some(operator_id));
            }
            Decision::Offer {
                chat_id,
                operator_ids,
                why,
            } => {
                let chat = &post.chats[chat_id];
                prop_assert!(!operator_ids.is_empty());
                if why.rule == RoutingRule::Freest {
                    prop_assert_eq!(operator_ids.len(), 1);
                    prop_assert_eq!(chat.offered_at, Some(now));
                    let chosen = &operator_ids[0];
                    let best = rank_key(post, chosen);
                    prop_assert!(load(post, chosen) <= cap);
                    for other in post.operators.keys() {
                        if other != chosen
                            && post.is_member(&chat.queue_id, other)
                            && !chat.excluded.contains(other)
                            && has_room(post, other)
                        {
                            prop_assert!(
                                best < rank_key(post, other),
                                "{} offered {} though {} is freer",
                                chosen,
                                chat_id,
                                other
                            );
                        }
                    }
                    prop_assert_eq!(&why.candidates[0].operator_id, chosen);
                    let tied = why.candidates[1..]
                        .iter()
                        .any(|c| c.active_chats == why.candidates[0].active_chats);
                    prop_assert_eq!(why.tie_break.is_some(), tied);
                }
                prop_assert!(!why.summary.is_empty());
            }
            _ => {}
        }
    }

    // (d) first come, first served within a queue.
    for (id, chat) in &post.chats {
        let was_queued = pre
            .chats
            .get(id)
            .is_some_and(|c| c.state == RoutedState::Queued && c.queue_id == chat.queue_id);
        if was_queued && chat.state == RoutedState::Offered {
            for (other_id, other) in &post.chats {
                if other.queue_id == chat.queue_id
                    && other.state == RoutedState::Queued
                    && other.arrival < chat.arrival
                {
                    prop_assert!(
                        chat.offered_to.is_subset(&other.excluded),
                        "{} left the line before the older {}",
                        id,
                        other_id
                    );
                }
            }
        }
    }

    // (e) nobody with room misses a chat waiting (or offered to all) in their queue.
    for (id, chat) in &post.chats {
        let open = chat.state == RoutedState::Queued
            || (chat.state == RoutedState::Offered && chat.offered_at.is_none());
        if !open {
            continue;
        }
        for op in post.operators.keys() {
            if post.is_member(&chat.queue_id, op)
                && !chat.excluded.contains(op)
                && has_room(post, op)
            {
                prop_assert!(
                    chat.offered_to.contains(op),
                    "{} has room but no offer of {}",
                    op,
                    id
                );
            }
        }
    }

    // Timers: nothing due is left behind.
    if matches!(event, Event::TimerFired) {
        prop_assert!(next_deadline(post).is_none_or(|d| d > now));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn routing_keeps_its_invariants_through_random_event_sequences(
        capacity in 1u32..=3,
        accept in prop_oneof![Just(MIN), Just(5 * MIN)],
        ops in proptest::collection::vec(op_spec(), 1..=6),
        queues in proptest::collection::vec(queue_spec(), 1..=3),
        events in proptest::collection::vec((ev(), dt()), 1..=60),
    ) {
        let mut state = build(capacity, accept, &ops, &queues);
        let mut router = Router::new(state.clone());
        let mut now: Millis = 1_000_000;
        for (ev, dt) in &events {
            now = match dt {
                Dt::Plus(ms) => now + ms,
                Dt::AtDeadline => next_deadline(&state).map_or(now, |d| d.max(now)),
                Dt::JustBeforeDeadline => next_deadline(&state).map_or(now, |d| (d - 1).max(now)),
            };
            if let Ev::Config(edit) = ev {
                apply_edit(&mut state, edit);
            }
            let event = resolve(&state, ev);
            let pre = state.clone();

            let decisions = step(&mut state, event.clone(), now);
            check(&pre, &event, now, &decisions, &state)?;

            // (g) deterministic: the same state, event and time give the same result.
            let mut again = pre.clone();
            prop_assert_eq!(&step(&mut again, event.clone(), now), &decisions);
            prop_assert_eq!(&again, &state);

            // The Router (kept lookups) decides exactly as `step`.
            let routed = match ev {
                Ev::Config(edit) => router.configure(|s| apply_edit(s, edit), now),
                _ => router.step(event.clone(), now),
            };
            prop_assert_eq!(&routed, &decisions);
            prop_assert_eq!(router.state(), &state);
            prop_assert!(router.index_is_exact());
            prop_assert_eq!(router.next_deadline(), next_deadline(&state));
        }
    }
}
