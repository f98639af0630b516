//! Cost of one routing decision including persistence in SQLite: each event
//! is stepped by the pure core and its outcome written in one transaction,
//! as the runtime does. Baseline in the same run: the same events stepped
//! without persisting. Run with `cargo xtask bench routing`.

use std::time::Instant;

use switchboard_engine::domain::{InboundMessage, Provider, RoutingRule};
use switchboard_engine::routing::{Event, Router, RoutingState, touched};
use switchboard_engine::store::{RoutingChanges, Store};

const OPERATORS: usize = 1_000;
const QUEUES: usize = 100;
const CHATS: usize = 2_000;
const NOW: i64 = 1_790_000_000_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench());
}

async fn bench() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.sqlite"), NOW)
        .await
        .unwrap();
    let channel = store
        .add_channel(Provider::Telegram, "Bench", "http://127.0.0.1:1/", "1", NOW)
        .await
        .unwrap();
    let mut queue_ids = Vec::new();
    for q in 0..QUEUES {
        let rule = if q % 2 == 0 {
            RoutingRule::Freest
        } else {
            RoutingRule::ToAll
        };
        queue_ids.push(
            store
                .create_queue(&format!("Queue {q}"), rule, None)
                .await
                .unwrap()
                .id,
        );
    }
    for o in 0..OPERATORS {
        store
            .add_operator(&format!("Operator {o}"), Some(&queue_ids[o % QUEUES]), NOW)
            .await
            .unwrap();
    }
    let batch: Vec<InboundMessage> = (0..CHATS)
        .map(|i| InboundMessage {
            provider_key: format!("{i}/1"),
            provider_chat_id: i.to_string(),
            provider_user_id: i.to_string(),
            contact_name: format!("Customer {i}"),
            contact_username: None,
            text: "hello".into(),
            sent_at: NOW,
            edited_at: None,
            attachment: None,
        })
        .collect();
    let chat_ids = store
        .ingest_inbound(&channel.id, &batch, None, NOW)
        .await
        .unwrap();
    let state = store.load_routing_state().await.unwrap();
    let events = workload(&state, &chat_ids, &queue_ids);

    // Baseline: the pure core alone (as the runtime holds it, with its
    // lookups kept), same events, same starting state.
    let mut pure_core = Router::new(state.clone());
    let started = Instant::now();
    let mut pure_decisions = 0;
    for (i, event) in events.iter().enumerate() {
        pure_decisions += pure_core.step(event.clone(), NOW + i as i64).len();
    }
    let pure = started.elapsed().as_secs_f64();

    let mut live = Router::new(state);
    let started = Instant::now();
    let mut persisted_decisions = 0;
    for (i, event) in events.iter().enumerate() {
        let now = NOW + i as i64;
        let decisions = live.step(event.clone(), now);
        let (chats, operators) = touched(event, &decisions);
        persisted_decisions += decisions.len();
        let changes = RoutingChanges {
            chats,
            operators,
            decisions: &decisions,
            system_lines: Vec::new(),
        };
        store
            .persist_routing(live.state(), &changes, now)
            .await
            .unwrap();
    }
    let persisted = started.elapsed().as_secs_f64();

    println!(
        "\nrouting with persistence: {OPERATORS} operators, {QUEUES} queues, {} events\n",
        events.len()
    );
    println!("| case | events | decisions | seconds | decisions/s | ratio vs pure |");
    println!("|---|---:|---:|---:|---:|---:|");
    let rate = |d: usize, s: f64| d as f64 / s;
    println!(
        "| pure core (baseline) | {} | {pure_decisions} | {pure:.3} | {:.0} | 1.00 |",
        events.len(),
        rate(pure_decisions, pure)
    );
    println!(
        "| core + SQLite transaction per event | {} | {persisted_decisions} | {persisted:.3} | {:.0} | {:.3} |",
        events.len(),
        rate(persisted_decisions, persisted),
        rate(persisted_decisions, persisted) / rate(pure_decisions, pure)
    );
}

/// Chats arrive in queues round-robin; every offered chat is then accepted by
/// an operator holding its offer, and every second accepted chat completed.
fn workload(state: &RoutingState, chat_ids: &[String], queue_ids: &[String]) -> Vec<Event> {
    let mut sim = Router::new(state.clone());
    let mut events = Vec::new();
    for (i, chat_id) in chat_ids.iter().enumerate() {
        let arrive = Event::ChatArrived {
            chat_id: chat_id.clone(),
            queue_id: queue_ids[i % queue_ids.len()].clone(),
        };
        sim.step(arrive.clone(), NOW);
        events.push(arrive);
        let holder = sim
            .state()
            .chats
            .get(chat_id)
            .and_then(|c| c.offered_to.iter().next().cloned());
        if let Some(op) = holder {
            let accept = Event::ChatAccepted {
                chat_id: chat_id.clone(),
                operator_id: op,
            };
            sim.step(accept.clone(), NOW);
            events.push(accept);
            if i % 2 == 0 {
                let complete = Event::ChatCompleted {
                    chat_id: chat_id.clone(),
                    by: None,
                };
                sim.step(complete.clone(), NOW);
                events.push(complete);
            }
        }
    }
    events
}
