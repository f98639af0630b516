//! Decisions per second of the routing core on a large contact centre:
//! 1,000 operators, 100 queues (each operator in about 3, by user and by
//! role), capacity 3. `cargo bench -p switchboard-engine --bench routing_core`
//! prints a markdown table. Plain `std::time::Instant`, a seeded LCG, no crates.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

use switchboard_engine::clock::Millis;
use switchboard_engine::domain::RoutingRule;
use switchboard_engine::routing::{
    Decision, Event, Operator, OperatorStatus, Queue, RoutedState, Router, RoutingState, Settings,
    step,
};

const OPERATORS: usize = 1_000;
const QUEUES: usize = 100;
const MIN: Millis = 60_000;
const T0: Millis = 1_700_000_000_000;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn op(i: usize) -> String {
    format!("op{i:04}")
}
fn queue(i: usize) -> String {
    format!("q{i:03}")
}

fn contact_centre() -> RoutingState {
    let mut state = RoutingState::new(Settings {
        simultaneous_chats: 3,
        accept_timeout: 5 * MIN,
    });
    for q in 0..QUEUES {
        state.queues.insert(
            queue(q),
            Queue {
                rule: if q % 2 == 0 {
                    RoutingRule::ToAll
                } else {
                    RoutingRule::Freest
                },
                completion_timeout: (q % 3 == 0).then_some(10 * MIN),
                users: BTreeSet::new(),
                roles: BTreeSet::from([format!("role{q:03}")]),
            },
        );
    }
    for i in 0..OPERATORS {
        // Two queues by role, one by user.
        let roles = BTreeSet::from([
            format!("role{:03}", i % QUEUES),
            format!("role{:03}", (i * 7 + 3) % QUEUES),
        ]);
        state.operators.insert(
            op(i),
            Operator {
                status: OperatorStatus::Active,
                roles,
                last_assigned_at: None,
                active_chats: 0,
            },
        );
        let by_user = queue((i * 13 + 5) % QUEUES);
        state.queues.get_mut(&by_user).unwrap().users.insert(op(i));
    }
    state
}

struct Run {
    events: u64,
    decisions: u64,
    elapsed: Duration,
}

fn kind(event: &Event) -> &'static str {
    match event {
        Event::ChatArrived { .. } => "ChatArrived",
        Event::MessageRecorded { .. } => "MessageRecorded",
        Event::OperatorStatusChanged { .. } => "OperatorStatusChanged",
        Event::ChatAccepted { .. } => "ChatAccepted",
        Event::ChatDeclined { .. } => "ChatDeclined",
        Event::ChatCompleted { .. } => "ChatCompleted",
        Event::TransferredToOperator { .. } => "TransferredToOperator",
        Event::TransferredToQueue { .. } => "TransferredToQueue",
        Event::ConfigChanged => "ConfigChanged",
        Event::TimerFired => "TimerFired",
    }
}

type Breakdown = std::collections::BTreeMap<&'static str, Run>;

/// Drives a realistic event mix: chats arrive in random queues, operators
/// accept offers, complete chats, reply, change status; timers fire.
struct Driver {
    rng: Lcg,
    prefix: &'static str,
    now: Millis,
    next_chat: u64,
    offered: Vec<String>,
    active: Vec<String>,
}

impl Driver {
    fn new(prefix: &'static str, now: Millis) -> Self {
        Self {
            rng: Lcg(42),
            prefix,
            now,
            next_chat: 0,
            offered: Vec::new(),
            active: Vec::new(),
        }
    }

    fn next_event(&mut self, state: &RoutingState) -> Event {
        self.now += 50;
        let roll = self.rng.below(100);
        if roll < 30 {
            self.next_chat += 1;
            return Event::ChatArrived {
                chat_id: format!("{}{:08}", self.prefix, self.next_chat),
                queue_id: queue(self.rng.below(QUEUES)),
            };
        }
        if roll < 60 {
            while !self.offered.is_empty() {
                let i = self.rng.below(self.offered.len());
                let chat = match state.chats.get(&self.offered[i]) {
                    Some(chat) if chat.state == RoutedState::Offered => chat,
                    _ => {
                        self.offered.swap_remove(i);
                        continue;
                    }
                };
                let holder = self.rng.below(chat.offered_to.len());
                let operator_id = chat.offered_to.iter().nth(holder).unwrap().clone();
                return Event::ChatAccepted {
                    chat_id: self.offered[i].clone(),
                    operator_id,
                };
            }
        }
        if roll < 95 {
            while !self.active.is_empty() {
                let i = self.rng.below(self.active.len());
                if state.chats.get(&self.active[i]).map(|c| c.state) != Some(RoutedState::Active) {
                    self.active.swap_remove(i);
                    continue;
                }
                if roll < 90 {
                    let chat_id = self.active.swap_remove(i);
                    return Event::ChatCompleted { chat_id, by: None };
                }
                return Event::MessageRecorded {
                    chat_id: self.active[i].clone(),
                    outbound: roll.is_multiple_of(2),
                };
            }
        }
        if roll < 97 {
            // Mostly people coming back (from a missed offer or a break),
            // sometimes someone taking a break.
            let operator_id = op(self.rng.below(OPERATORS));
            let status = match state.operators[&operator_id].status {
                OperatorStatus::Active if roll == 96 => OperatorStatus::Inactive,
                _ => OperatorStatus::Active,
            };
            return Event::OperatorStatusChanged {
                operator_id,
                status,
            };
        }
        Event::TimerFired
    }

    fn observe(&mut self, decisions: &[Decision]) {
        for decision in decisions {
            match decision {
                Decision::Offer { chat_id, .. } => self.offered.push(chat_id.clone()),
                Decision::Assign { chat_id, .. } => self.active.push(chat_id.clone()),
                _ => {}
            }
        }
    }
}

fn run_router(
    router: &mut Router,
    driver: &mut Driver,
    events: u64,
    breakdown: &mut Breakdown,
) -> Run {
    let mut run = Run {
        events: 0,
        decisions: 0,
        elapsed: Duration::ZERO,
    };
    for n in 0..events {
        let event = driver.next_event(router.state());
        let name = kind(&event);
        let start = Instant::now();
        let decisions = router.step(event, driver.now);
        let took = start.elapsed();
        run.elapsed += took;
        let part = breakdown.entry(name).or_insert(Run {
            events: 0,
            decisions: 0,
            elapsed: Duration::ZERO,
        });
        part.events += 1;
        part.decisions += decisions.len() as u64;
        part.elapsed += took;
        run.events += 1;
        run.decisions += decisions.len() as u64;
        driver.observe(&decisions);
        if n % 1_000 == 999 {
            router.prune_completed();
        }
    }
    run
}

fn run_step(state: &mut RoutingState, driver: &mut Driver, events: u64) -> Run {
    let mut run = Run {
        events: 0,
        decisions: 0,
        elapsed: Duration::ZERO,
    };
    for _ in 0..events {
        let event = driver.next_event(state);
        let start = Instant::now();
        let decisions = step(state, event, driver.now);
        run.elapsed += start.elapsed();
        run.events += 1;
        run.decisions += decisions.len() as u64;
        driver.observe(&decisions);
    }
    run
}

fn main() {
    let events: u64 = std::env::var("ROUTING_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);

    // Warm the steady state (chats in flight) before measuring.
    let mut router = Router::new(contact_centre());
    router.step(Event::ConfigChanged, 0);
    let mut warm_driver = Driver::new("warm", T0);
    let warm = run_router(&mut router, &mut warm_driver, 20_000, &mut Breakdown::new());
    black_box(&warm);
    router.prune_completed();
    let in_flight = router.state().chats.len();
    let waiting = router
        .state()
        .chats
        .values()
        .filter(|c| c.state != RoutedState::Active)
        .count();
    let snapshot = router.state().clone();

    // Baseline 1: cloning one chat, the smallest unit of work a step does.
    let chat = snapshot.chats.values().next().cloned().unwrap();
    let n = events * 10;
    let start = Instant::now();
    for _ in 0..n {
        black_box(black_box(&chat).clone());
    }
    let clone_run = Run {
        events: n,
        decisions: 0,
        elapsed: start.elapsed(),
    };

    // Baseline 2: the cheapest event, TimerFired with nothing due.
    let mut idle = Router::new(snapshot.clone());
    let quiet = idle.next_deadline().unwrap_or(Millis::MAX) - 1;
    let start = Instant::now();
    let mut timer_decisions = 0;
    for _ in 0..events {
        timer_decisions += idle.step(Event::TimerFired, quiet).len() as u64;
    }
    let timer_run = Run {
        events,
        decisions: timer_decisions,
        elapsed: start.elapsed(),
    };

    let later = warm_driver.now;
    let mut breakdown = Breakdown::new();
    let mix = run_router(
        &mut router,
        &mut Driver::new("mix", later),
        events,
        &mut breakdown,
    );

    let mut state = snapshot.clone();
    let rebuild = run_step(
        &mut state,
        &mut Driver::new("step", later),
        (events / 100).max(200),
    );

    let per_event = |r: &Run| r.elapsed.as_secs_f64() / r.events as f64;
    let base = per_event(&timer_run);
    println!(
        "\nRouting core: {OPERATORS} operators, {QUEUES} queues, capacity 3; after warm-up {in_flight} chats in flight, {waiting} of them waiting or offered.\n"
    );
    println!(
        "| case | events | decisions | seconds | events/s | decisions/s | ratio vs baseline |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let row = |name: &str, r: &Run| {
        let secs = r.elapsed.as_secs_f64();
        println!(
            "| {name} | {} | {} | {secs:.3} | {:.0} | {:.0} | {:.2}x |",
            r.events,
            r.decisions,
            r.events as f64 / secs,
            r.decisions as f64 / secs,
            per_event(r) / base,
        );
    };
    row("baseline: clone one RoutedChat", &clone_run);
    row("baseline: Router TimerFired, nothing due", &timer_run);
    row("Router::step, realistic mix", &mix);
    row("step() rebuilding lookups each call, same mix", &rebuild);
    for (name, part) in &breakdown {
        row(&format!("  of which {name}"), part);
    }
    println!(
        "\nratio = time per event / time per baseline TimerFired. Mix: 30% arrivals (half to_all, half freest queues), 30% accepts, 30% completions, 5% replies, 2% status changes (mostly back to Active), 3% timers; each falls through to the next kind when it has nothing to act on."
    );
}
