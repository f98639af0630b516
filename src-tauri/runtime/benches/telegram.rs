//! `cargo xtask bench telegram`: inbound Telegram messages through the whole
//! desktop path (long poll → SQLite with the offset → routing → the UI's change
//! event), against teloxide's own polling loop on the same sandbox in the same
//! run. Two figures:
//! - throughput: a backlog of customer messages drained, messages per second;
//! - latency at 100 messages/s: from the moment an update is available in the
//!   sandbox to the change event the UI would receive (p50/p99), against the
//!   moment teloxide's listener yields it.
//!
//! Plain `std::time::Instant`; release build via `cargo bench`. No asserts: the
//! table is the output (targets: ≥ 3,000 msg/s, p99 ≤ 50 ms, ≥ teloxide).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_engine::clock::SystemClock;
use switchboard_engine::domain::{InboundMessage, Provider};
use switchboard_engine::secrets::MemorySecrets;
use switchboard_engine::store::Store;
use switchboard_runtime::{DATABASE_FILE, Runtime, RuntimeConfig, SeedTelegramBot};
use switchboard_sandbox::{CustomerMessage, Sandbox, SandboxConfig};
use switchboard_telegram_interop::{Received, teloxide_polling_baseline, teloxide_polling_each};

const BACKLOG: usize = 20_000;
const BACKLOG_CUSTOMERS: i64 = 2_000;
const RATE_PER_SEC: u64 = 100;
const PACED_MESSAGES: usize = 1_000;
const TOKEN: &str = "7100001:bench-token";

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        telegram_bots: vec![TOKEN.into()],
        simulate_customers: false,
    })
    .await
    .expect("sandbox starts")
}

fn message(user_id: i64, text: String) -> CustomerMessage {
    CustomerMessage {
        user_id,
        first_name: format!("Customer {user_id}"),
        last_name: None,
        username: None,
        text,
    }
}

fn preload(sandbox: &Sandbox) {
    for i in 0..BACKLOG {
        let user = 1 + (i as i64 % BACKLOG_CUSTOMERS);
        sandbox
            .telegram()
            .customer_writes(TOKEN, message(user, format!("message {i}")))
            .expect("customer writes");
    }
}

async fn start_runtime(sandbox: &Sandbox, dir: &tempfile::TempDir) -> Arc<Runtime> {
    Runtime::start(
        RuntimeConfig {
            data_dir: dir.path().to_owned(),
            seed_telegram: Some(SeedTelegramBot {
                api_base: sandbox.base_url(),
                token: TOKEN.into(),
            }),
            telegram_api_base: sandbox.base_url(),
            facebook: Default::default(),
            messenger_listen: None,
        },
        Arc::new(MemorySecrets::default()),
        Arc::new(SystemClock),
    )
    .await
    .expect("runtime starts")
}

/// A second, read-only connection to the app's database, as an observer.
async fn observer(dir: &tempfile::TempDir) -> sqlx::SqlitePool {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join(DATABASE_FILE))
        .read_only(true);
    sqlx::SqlitePool::connect_with(options)
        .await
        .expect("observer")
}

async fn inbound_count(db: &sqlx::SqlitePool) -> usize {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE kind = 'inbound'")
        .fetch_one(db)
        .await
        .expect("count");
    usize::try_from(n).unwrap_or(0)
}

/// Drains the backlog through the runtime: until every message is stored and
/// every chat has been through routing (its change event was sent).
async fn switchboard_backlog() -> Duration {
    let sandbox = sandbox().await;
    preload(&sandbox);
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let runtime = start_runtime(&sandbox, &dir).await;
    let mut changes = runtime.subscribe();
    let db = observer(&dir).await;
    let mut routed: HashSet<String> = HashSet::new();
    loop {
        match tokio::time::timeout(Duration::from_millis(5), changes.recv()).await {
            Ok(Ok(ids)) => routed.extend(ids),
            Ok(Err(err)) => panic!("change events lost: {err}"),
            Err(_) => {}
        }
        if routed.len() == BACKLOG_CUSTOMERS as usize && inbound_count(&db).await == BACKLOG {
            break;
        }
    }
    let elapsed = started.elapsed();
    runtime.shutdown().await;
    sandbox.shutdown().await;
    elapsed
}

async fn teloxide_backlog() -> Duration {
    let sandbox = sandbox().await;
    preload(&sandbox);
    let baseline = teloxide_polling_baseline(&sandbox.base_url(), TOKEN, BACKLOG)
        .await
        .expect("teloxide drains the backlog");
    sandbox.shutdown().await;
    baseline.elapsed
}

/// The fairer baseline: teloxide's loop doing the same storing as our
/// connector (one SQLite transaction per update, as a teloxide handler gets
/// them one at a time), without routing.
async fn teloxide_storing(
    sandbox: &Sandbox,
    expected: usize,
) -> switchboard_telegram_interop::Baseline {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join(DATABASE_FILE), 0)
        .await
        .expect("store");
    let channel = store
        .add_channel(
            Provider::Telegram,
            "teloxide",
            &sandbox.base_url(),
            "7100001",
            0,
        )
        .await
        .expect("channel");
    teloxide_polling_each(
        &sandbox.base_url(),
        TOKEN,
        expected,
        async |m: &Received| {
            let inbound = InboundMessage {
                provider_key: format!("{}/{}", m.chat_id, m.message_id),
                provider_chat_id: m.chat_id.to_string(),
                provider_user_id: m.chat_id.to_string(),
                contact_name: format!("Customer {}", m.chat_id),
                contact_username: None,
                text: m.text.clone().unwrap_or_default(),
                sent_at: 0,
                edited_at: None,
                attachment: None,
            };
            store
                .ingest_inbound(&channel.id, &[inbound], None, 0)
                .await
                .expect("stored");
        },
    )
    .await
    .expect("teloxide drains the backlog")
}

async fn teloxide_storing_backlog() -> Duration {
    let sandbox = sandbox().await;
    preload(&sandbox);
    let elapsed = teloxide_storing(&sandbox, BACKLOG).await.elapsed;
    sandbox.shutdown().await;
    elapsed
}

/// Writes PACED_MESSAGES from distinct customers at RATE_PER_SEC; returns when
/// each customer's update became available.
async fn feed(sandbox: &Sandbox) -> HashMap<i64, Instant> {
    let mut written = HashMap::with_capacity(PACED_MESSAGES);
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / RATE_PER_SEC));
    for i in 0..PACED_MESSAGES {
        tick.tick().await;
        let user = 100_000 + i as i64;
        let at = Instant::now();
        sandbox
            .telegram()
            .customer_writes(TOKEN, message(user, format!("paced {i}")))
            .expect("customer writes");
        written.insert(user, at);
    }
    written
}

async fn switchboard_latencies() -> Vec<Duration> {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start_runtime(&sandbox, &dir).await;
    sandbox
        .telegram()
        .wait_for_long_poll(TOKEN)
        .await
        .expect("the connector polls");
    let mut changes = runtime.subscribe();
    let listener = tokio::spawn(async move {
        let mut seen: HashMap<String, Instant> = HashMap::new();
        while seen.len() < PACED_MESSAGES {
            let ids = changes.recv().await.expect("change events");
            let at = Instant::now();
            for id in ids {
                seen.entry(id).or_insert(at);
            }
        }
        seen
    });
    let written = feed(&sandbox).await;
    let seen = listener.await.expect("listener");
    let db = observer(&dir).await;
    let mut latencies = Vec::with_capacity(PACED_MESSAGES);
    for (chat_id, at) in seen {
        let user: String = sqlx::query_scalar(
            "SELECT ct.provider_user_id FROM chats c JOIN contacts ct ON ct.id = c.contact_id
             WHERE c.id = ?",
        )
        .bind(&chat_id)
        .fetch_one(&db)
        .await
        .expect("chat's customer");
        let user: i64 = user.parse().expect("numeric user id");
        latencies.push(at.saturating_duration_since(written[&user]));
    }
    runtime.shutdown().await;
    sandbox.shutdown().await;
    latencies
}

async fn teloxide_latencies() -> Vec<Duration> {
    let sandbox = sandbox().await;
    let base = sandbox.base_url();
    let listener =
        tokio::spawn(async move { teloxide_polling_baseline(&base, TOKEN, PACED_MESSAGES).await });
    sandbox
        .telegram()
        .wait_for_long_poll(TOKEN)
        .await
        .expect("teloxide polls");
    let written = feed(&sandbox).await;
    let baseline = listener
        .await
        .expect("listener")
        .expect("teloxide receives");
    sandbox.shutdown().await;
    baseline
        .received
        .iter()
        .map(|r| r.at.saturating_duration_since(written[&r.chat_id]))
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let ours_backlog = switchboard_backlog().await;
    let their_backlog = teloxide_backlog().await;
    let stored_backlog = teloxide_storing_backlog().await;
    let mut ours = switchboard_latencies().await;
    let mut theirs = teloxide_latencies().await;
    ours.sort();
    theirs.sort();

    let ours_rate = BACKLOG as f64 / ours_backlog.as_secs_f64();
    let their_rate = BACKLOG as f64 / their_backlog.as_secs_f64();
    let stored_rate = BACKLOG as f64 / stored_backlog.as_secs_f64();
    println!(
        "\n### Telegram inbound: {BACKLOG} backlogged messages from {BACKLOG_CUSTOMERS} customers; \
         {PACED_MESSAGES} messages at {RATE_PER_SEC}/s\n"
    );
    println!(
        "| measure | Switchboard (stored + routed + UI event) | teloxide polling loop (baseline) | Switchboard / baseline |"
    );
    println!("|---|---:|---:|---:|");
    println!(
        "| backlog drained, messages/s (higher is better) | {ours_rate:.0} | {their_rate:.0} | {:.2} |",
        ours_rate / their_rate
    );
    println!(
        "| backlog drained, messages/s, vs teloxide + the same SQLite ingest per update (no routing) | {ours_rate:.0} | {stored_rate:.0} | {:.2} |",
        ours_rate / stored_rate
    );
    for (name, p) in [("p50", 0.50), ("p99", 0.99)] {
        let (a, b) = (percentile(&ours, p), percentile(&theirs, p));
        println!(
            "| latency {name} at {RATE_PER_SEC}/s, ms (lower is better) | {:.2} | {:.2} | {:.2} |",
            ms(a),
            ms(b),
            ms(a) / ms(b).max(0.001)
        );
    }
    println!(
        "\nTargets: ≥ 3,000 messages/s, p99 ≤ 50 ms at {RATE_PER_SEC}/s, and at least as fast as the baseline."
    );
}
