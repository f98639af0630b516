//! Routing scenarios with explicit times: what an operator would see.

use std::collections::BTreeSet;

use switchboard_engine::clock::Millis;
use switchboard_engine::domain::RoutingRule;
use switchboard_engine::routing::{
    Decision, Event, Operator, OperatorStatus, Queue, RoutedState, RoutingState, Settings,
    next_deadline, step,
};

const MIN: Millis = 60_000;
const T0: Millis = 1_700_000_000_000;

struct World {
    state: RoutingState,
}

impl World {
    /// Operators (all Active, never assigned) serving one queue as users.
    fn new(capacity: u32, rule: RoutingRule, operators: &[&str]) -> Self {
        let mut state = RoutingState::new(Settings {
            simultaneous_chats: capacity,
            accept_timeout: 5 * MIN,
        });
        for id in operators {
            state.operators.insert(
                id.to_string(),
                Operator {
                    status: OperatorStatus::Active,
                    roles: BTreeSet::new(),
                    last_assigned_at: None,
                    active_chats: 0,
                },
            );
        }
        state.queues.insert(
            "q".into(),
            Queue {
                rule,
                completion_timeout: None,
                users: operators.iter().map(|id| id.to_string()).collect(),
                roles: BTreeSet::new(),
            },
        );
        Self { state }
    }

    fn at(&mut self, now: Millis, event: Event) -> Vec<Decision> {
        step(&mut self.state, event, now)
    }

    fn arrive(&mut self, now: Millis, chat: &str) -> Vec<Decision> {
        self.at(now, arrived(chat, "q"))
    }

    fn active(&self, operator: &str) -> u32 {
        self.state.operators[operator].active_chats
    }

    fn chat_state(&self, chat: &str) -> RoutedState {
        self.state.chats[chat].state
    }
}

fn arrived(chat: &str, queue: &str) -> Event {
    Event::ChatArrived {
        chat_id: chat.into(),
        queue_id: queue.into(),
    }
}
fn accept(chat: &str, operator: &str) -> Event {
    Event::ChatAccepted {
        chat_id: chat.into(),
        operator_id: operator.into(),
    }
}
fn complete(chat: &str) -> Event {
    Event::ChatCompleted {
        chat_id: chat.into(),
        by: None,
    }
}
fn status(operator: &str, status: OperatorStatus) -> Event {
    Event::OperatorStatusChanged {
        operator_id: operator.into(),
        status,
    }
}
fn message(chat: &str, outbound: bool) -> Event {
    Event::MessageRecorded {
        chat_id: chat.into(),
        outbound,
    }
}

/// The operators the decisions offer `chat` to.
fn offered(decisions: &[Decision], chat: &str) -> Vec<String> {
    decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Offer {
                chat_id,
                operator_ids,
                ..
            } if chat_id == chat => Some(operator_ids.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn refusal(decisions: &[Decision]) -> &str {
    match decisions {
        [Decision::Refuse { why }] => why,
        other => panic!("expected a single refusal, got {other:?}"),
    }
}

#[test]
fn freest_ties_go_to_the_longest_idle_operator() {
    let mut w = World::new(2, RoutingRule::Freest, &["ann", "bob", "cat"]);
    w.state.operators.get_mut("ann").unwrap().last_assigned_at = Some(T0 - 10 * MIN);
    w.state.operators.get_mut("bob").unwrap().last_assigned_at = Some(T0 - 30 * MIN);
    w.state.operators.get_mut("cat").unwrap().last_assigned_at = Some(T0 - MIN);

    let d = w.arrive(T0, "c1");
    assert_eq!(offered(&d, "c1"), ["bob"]);
    let Decision::Offer { why, .. } = &d[0] else {
        panic!("{d:?}")
    };
    assert_eq!(why.rule, RoutingRule::Freest);
    assert_eq!(
        why.tie_break.as_deref(),
        Some("longest since last new chat")
    );
    assert_eq!(
        why.candidates
            .iter()
            .map(|c| c.operator_id.as_str())
            .collect::<Vec<_>>(),
        ["bob", "ann", "cat"]
    );
    assert!(why.summary.contains("longest ago"), "{}", why.summary);

    // Never having taken a chat counts as the longest idle of all.
    w.state.operators.insert(
        "dan".into(),
        Operator {
            status: OperatorStatus::Active,
            roles: BTreeSet::new(),
            last_assigned_at: None,
            active_chats: 0,
        },
    );
    w.state
        .queues
        .get_mut("q")
        .unwrap()
        .users
        .insert("dan".into());
    w.at(T0, Event::ConfigChanged);
    assert_eq!(offered(&w.arrive(T0 + 1, "c2"), "c2"), ["dan"]);

    // Fewer active chats beats being idle longer.
    w.at(T0 + 2, accept("c1", "bob"));
    w.at(T0 + 3, accept("c2", "dan"));
    assert_eq!(offered(&w.arrive(T0 + 4, "c3"), "c3"), ["ann"]);
}

#[test]
fn accept_timeout_at_exactly_5_minutes_reoffers_to_the_next_and_sets_the_first_inactive() {
    let mut w = World::new(2, RoutingRule::Freest, &["ann", "bob"]);
    assert_eq!(offered(&w.arrive(T0, "c1"), "c1"), ["ann"]);
    assert_eq!(next_deadline(&w.state), Some(T0 + 5 * MIN));

    assert_eq!(w.at(T0 + 5 * MIN - 1, Event::TimerFired), []);
    assert_eq!(w.state.operators["ann"].status, OperatorStatus::Active);

    let d = w.at(T0 + 5 * MIN, Event::TimerFired);
    assert!(
        matches!(&d[0], Decision::SetInactive { operator_id, chat_id, .. } if operator_id == "ann" && chat_id == "c1"),
        "{d:?}"
    );
    assert!(
        d.iter().any(
            |x| matches!(x, Decision::WithdrawOffer { operator_id, .. } if operator_id == "ann")
        )
    );
    assert_eq!(offered(&d, "c1"), ["bob"]);
    assert_eq!(w.state.operators["ann"].status, OperatorStatus::Inactive);
    assert_eq!(w.state.chats["c1"].offered_at, Some(T0 + 5 * MIN));
    assert_eq!(next_deadline(&w.state), Some(T0 + 10 * MIN));

    // Bob misses it too: nobody is left, the chat waits.
    let d = w.at(T0 + 10 * MIN, Event::TimerFired);
    assert!(
        matches!(d.last(), Some(Decision::Wait { chat_id, .. }) if chat_id == "c1"),
        "{d:?}"
    );
    assert_eq!(w.chat_state("c1"), RoutedState::Queued);
    assert_eq!(next_deadline(&w.state), None);

    // Ann sets Active again and gets it back.
    let d = w.at(T0 + 11 * MIN, status("ann", OperatorStatus::Active));
    assert_eq!(offered(&d, "c1"), ["ann"]);
}

#[test]
fn declining_a_freest_offer_passes_it_on_without_inactivity() {
    let mut w = World::new(2, RoutingRule::Freest, &["ann", "bob"]);
    w.arrive(T0, "c1");
    let d = w.at(
        T0 + 1,
        Event::ChatDeclined {
            chat_id: "c1".into(),
            operator_id: "ann".into(),
        },
    );
    assert_eq!(offered(&d, "c1"), ["bob"]);
    assert_eq!(w.state.operators["ann"].status, OperatorStatus::Active);
    assert!(w.state.chats["c1"].excluded.contains("ann"));
}

#[test]
fn completion_timeout_counts_from_the_last_outgoing_message() {
    let mut w = World::new(2, RoutingRule::ToAll, &["ann"]);
    w.state.queues.get_mut("q").unwrap().completion_timeout = Some(10 * MIN);
    w.arrive(T0, "c1");
    w.at(T0 + 1, accept("c1", "ann"));
    // Waiting for the operator's reply: no timeout.
    assert_eq!(next_deadline(&w.state), None);

    w.at(T0 + MIN, message("c1", true));
    assert_eq!(next_deadline(&w.state), Some(T0 + 11 * MIN));
    // The customer answers: the timeout stops.
    w.at(T0 + 3 * MIN, message("c1", false));
    assert_eq!(next_deadline(&w.state), None);
    assert_eq!(w.at(T0 + 11 * MIN, Event::TimerFired), []);

    w.at(T0 + 12 * MIN, message("c1", true));
    assert_eq!(w.at(T0 + 22 * MIN - 1, Event::TimerFired), []);
    let d = w.at(T0 + 22 * MIN, Event::TimerFired);
    assert_eq!(
        d,
        [Decision::Complete {
            chat_id: "c1".into(),
            why: "No message for 10 min after the operator's reply.".into()
        }]
    );
    assert_eq!(w.chat_state("c1"), RoutedState::Completed);
    assert_eq!(w.active("ann"), 0);
}

#[test]
fn operator_returning_to_active_receives_the_oldest_waiting_chat() {
    let mut w = World::new(1, RoutingRule::Freest, &["ann"]);
    w.at(T0, status("ann", OperatorStatus::Inactive));
    for (i, chat) in ["c1", "c2", "c3"].iter().enumerate() {
        let d = w.arrive(T0 + i as Millis, chat);
        assert!(matches!(&d[..], [Decision::Wait { .. }]), "{d:?}");
    }
    let d = w.at(T0 + MIN, status("ann", OperatorStatus::Active));
    assert_eq!(offered(&d, "c1"), ["ann"]);
    assert_eq!(d.len(), 1, "{d:?}");
    w.at(T0 + MIN + 1, accept("c1", "ann"));
    let d = w.at(T0 + 2 * MIN, complete("c1"));
    assert_eq!(offered(&d, "c2"), ["ann"]);
    assert_eq!(w.chat_state("c3"), RoutedState::Queued);
}

#[test]
fn operator_at_capacity_gets_no_offer_until_a_chat_completes() {
    let mut w = World::new(1, RoutingRule::ToAll, &["ann"]);
    w.arrive(T0, "c1");
    w.at(T0 + 1, accept("c1", "ann"));
    let d = w.arrive(T0 + 2, "c2");
    assert!(
        matches!(&d[..], [Decision::Wait { why, .. }] if why.contains("limit")),
        "{d:?}"
    );
    assert_eq!(w.chat_state("c2"), RoutedState::Queued);
    let d = w.at(T0 + 3, complete("c1"));
    assert!(matches!(&d[0], Decision::Complete { .. }), "{d:?}");
    assert_eq!(offered(&d, "c2"), ["ann"]);
    assert_eq!(w.active("ann"), 0);
}

#[test]
fn first_accept_wins_and_offers_disappear_from_others() {
    let mut w = World::new(2, RoutingRule::ToAll, &["ann", "bob", "cat"]);
    let d = w.arrive(T0, "c1");
    assert_eq!(offered(&d, "c1"), ["ann", "bob", "cat"]);
    let d = w.at(T0 + 1, accept("c1", "bob"));
    let withdrawn: Vec<&str> = d
        .iter()
        .filter_map(|x| match x {
            Decision::WithdrawOffer { operator_id, .. } => Some(operator_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(withdrawn, ["ann", "cat"]);
    assert!(
        d.iter()
            .any(|x| matches!(x, Decision::Assign { operator_id, .. } if operator_id == "bob"))
    );
    let chat = &w.state.chats["c1"];
    assert_eq!(chat.operator.as_deref(), Some("bob"));
    assert!(chat.offered_to.is_empty());
    assert_eq!(w.active("bob"), 1);
    assert_eq!(w.state.operators["bob"].last_assigned_at, Some(T0 + 1));
}

#[test]
fn to_all_offers_are_withdrawn_when_the_operator_reaches_capacity() {
    let mut w = World::new(1, RoutingRule::ToAll, &["ann", "bob"]);
    w.arrive(T0, "c1");
    w.arrive(T0 + 1, "c2");
    let d = w.at(T0 + 2, accept("c1", "ann"));
    assert!(d.iter().any(|x| matches!(x, Decision::WithdrawOffer { chat_id, operator_id, .. } if chat_id == "c2" && operator_id == "ann")), "{d:?}");
    assert_eq!(
        w.state.chats["c2"].offered_to,
        BTreeSet::from(["bob".to_string()])
    );
}

#[test]
fn accepting_a_chat_someone_took_is_refused() {
    let mut w = World::new(2, RoutingRule::ToAll, &["ann", "bob"]);
    w.arrive(T0, "c1");
    w.at(T0 + 1, accept("c1", "bob"));
    let before = w.state.clone();
    let d = w.at(T0 + 2, accept("c1", "ann"));
    assert_eq!(
        refusal(&d),
        "Another operator has already accepted this chat."
    );
    assert_eq!(w.state, before);

    // At capacity, or Inactive: refused, nothing changes.
    let mut w = World::new(1, RoutingRule::ToAll, &["ann"]);
    w.arrive(T0, "c1");
    w.at(T0 + 1, status("ann", OperatorStatus::Inactive));
    let before = w.state.clone();
    let d = w.at(T0 + 2, accept("c1", "ann"));
    assert_eq!(refusal(&d), "This chat is not offered to you.");
    assert_eq!(w.state, before);
}

#[test]
fn transfer_to_queue_and_to_operator_leave_the_right_counts() {
    let mut w = World::new(2, RoutingRule::ToAll, &["ann", "bob"]);
    w.state.queues.insert(
        "q2".into(),
        Queue {
            rule: RoutingRule::Freest,
            completion_timeout: None,
            users: BTreeSet::from(["ann".to_string(), "bob".to_string()]),
            roles: BTreeSet::new(),
        },
    );
    w.arrive(T0, "c1");
    w.at(T0 + 1, accept("c1", "ann"));

    let d = w.at(
        T0 + 2,
        Event::TransferredToOperator {
            chat_id: "c1".into(),
            from: "ann".into(),
            to: "bob".into(),
        },
    );
    assert!(
        matches!(&d[0], Decision::Assign { operator_id, why, .. } if operator_id == "bob" && why.summary.contains("ann")),
        "{d:?}"
    );
    assert_eq!((w.active("ann"), w.active("bob")), (0, 1));
    assert_eq!(w.state.operators["bob"].last_assigned_at, Some(T0 + 2));

    let arrival_before = w.state.chats["c1"].arrival;
    let d = w.at(
        T0 + 3,
        Event::TransferredToQueue {
            chat_id: "c1".into(),
            from: "bob".into(),
            queue_id: "q2".into(),
        },
    );
    // Not back to bob: the freest other operator of q2 gets it.
    assert_eq!(offered(&d, "c1"), ["ann"]);
    assert_eq!((w.active("ann"), w.active("bob")), (0, 0));
    let chat = &w.state.chats["c1"];
    assert_eq!(chat.queue_id, "q2");
    assert!(chat.arrival > arrival_before, "joins the back of the line");
    assert!(chat.excluded.contains("bob"));

    // Transferring a chat that is not yours is refused.
    let d = w.at(
        T0 + 4,
        Event::TransferredToOperator {
            chat_id: "c1".into(),
            from: "bob".into(),
            to: "ann".into(),
        },
    );
    refusal(&d);
}

#[test]
fn transfer_to_an_operator_at_capacity_is_refused() {
    let mut w = World::new(1, RoutingRule::ToAll, &["ann", "bob"]);
    w.arrive(T0, "c1");
    w.arrive(T0, "c2");
    w.at(T0 + 1, accept("c1", "ann"));
    w.at(T0 + 1, accept("c2", "bob"));
    let before = w.state.clone();
    let d = w.at(
        T0 + 2,
        Event::TransferredToOperator {
            chat_id: "c1".into(),
            from: "ann".into(),
            to: "bob".into(),
        },
    );
    assert!(refusal(&d).contains("limit of 1"), "{d:?}");
    assert_eq!(w.state, before);
}

#[test]
fn going_inactive_withdraws_offers_and_active_chats_stay() {
    let mut w = World::new(2, RoutingRule::ToAll, &["ann"]);
    w.arrive(T0, "c1");
    w.at(T0 + 1, accept("c1", "ann"));
    w.arrive(T0 + 2, "c2");
    let d = w.at(T0 + 3, status("ann", OperatorStatus::Offline));
    assert!(
        matches!(&d[0], Decision::WithdrawOffer { chat_id, .. } if chat_id == "c2"),
        "{d:?}"
    );
    assert!(
        matches!(d.last(), Some(Decision::Wait { chat_id, .. }) if chat_id == "c2"),
        "{d:?}"
    );
    assert_eq!(w.chat_state("c1"), RoutedState::Active);
    assert_eq!(w.active("ann"), 1);
}

#[test]
fn an_operator_added_by_role_receives_waiting_chats() {
    let mut w = World::new(2, RoutingRule::ToAll, &[]);
    w.state
        .queues
        .get_mut("q")
        .unwrap()
        .roles
        .insert("sales".into());
    let d = w.arrive(T0, "c1");
    assert!(
        matches!(&d[..], [Decision::Wait { why, .. }] if why.contains("No operator serves")),
        "{d:?}"
    );
    w.state.operators.insert(
        "eve".into(),
        Operator {
            status: OperatorStatus::Active,
            roles: BTreeSet::from(["sales".to_string()]),
            last_assigned_at: None,
            active_chats: 0,
        },
    );
    let d = w.at(T0 + 1, Event::ConfigChanged);
    assert_eq!(offered(&d, "c1"), ["eve"]);
}

#[test]
fn unknown_ids_are_refused_not_panics() {
    let mut w = World::new(2, RoutingRule::ToAll, &["ann"]);
    w.arrive(T0, "c1");
    w.at(T0, accept("c1", "ann"));
    w.arrive(T0, "c2");
    let events = [
        arrived("c9", "nope"),
        message("nope", true),
        status("nobody", OperatorStatus::Active),
        accept("nope", "ann"),
        accept("c1", "nobody"),
        Event::ChatDeclined {
            chat_id: "c2".into(),
            operator_id: "nobody".into(),
        },
        complete("nope"),
        Event::ChatCompleted {
            chat_id: "c1".into(),
            by: Some("nobody".into()),
        },
        Event::TransferredToOperator {
            chat_id: "c1".into(),
            from: "ann".into(),
            to: "nobody".into(),
        },
        Event::TransferredToQueue {
            chat_id: "c1".into(),
            from: "ann".into(),
            queue_id: "nope".into(),
        },
    ];
    for event in events {
        let before = w.state.clone();
        let d = w.at(T0 + 1, event.clone());
        let why = refusal(&d);
        assert!(why.starts_with("There is no"), "{event:?}: {why}");
        assert_eq!(w.state, before, "{event:?} changed the state");
    }
}
