//! Issue 7's benchmark, `cargo xtask bench sync`: cold sync of a message backlog into an empty
//! desktop cache, change-to-screen lag between two desktops, and assignments per second with 8
//! racing engines — each against a baseline measured in the same run on the same Postgres.
//! Printed as a table with ratios; nothing here asserts a timing.
//!
//! Needs `SWITCHBOARD_TEST_PG_URL` (a superuser on a throwaway cluster; `cargo xtask bench sync`
//! starts one). Every database it makes is dropped at the end, with its operators' roles.
//!
//! Knobs (defaults are the figures):
//! - `SYNC_BENCH_MESSAGES` (100,000), `SYNC_BENCH_CHATS` (1,000): the cold-sync backlog;
//!   `SYNC_BENCH_BATCHES` (`2000,5000,10000`): follower batch sizes tried with the bench's cache
//!   (multi-row upserts); `SYNC_BENCH_MIRROR_BATCHES` (`500,5000,10000`): the same with the desktop's
//!   `cache::CacheMirror` (the engine's schema, multi-row upserts per table); empty to skip.
//!   `SYNC_BENCH_ROW_BY_ROW_BATCH` (5,000; 0 to skip): one more run of the bench's cache writing a
//!   statement per row, to see what that costs.
//! - `SYNC_BENCH_LAG_RATE` (50 messages/s), `SYNC_BENCH_LAG_SECONDS` (10), `SYNC_BENCH_SAFETY_NET_MS`
//!   (1,000): desktop A's writing and desktop B's follower.
//! - `SYNC_BENCH_ASSIGN_CHATS` (2,000 queued chats), `SYNC_BENCH_RULES` (`freest,to_all`),
//!   `SYNC_BENCH_OPERATORS` (16), `SYNC_BENCH_CAPACITY` (4), `SYNC_BENCH_ASSIGN_TIMEOUT` (300 s).
//! - `SYNC_BENCH_BURST_CHATS` (10,000; 0 to skip): the routing-only burst.

#[path = "sync/assign.rs"]
mod assign;
#[path = "sync/burst.rs"]
mod burst;
#[path = "sync/cache.rs"]
mod cache;
#[path = "sync/cold.rs"]
mod cold;
#[path = "sync/lag.rs"]
mod lag;
#[path = "../tests/shared_db/mod.rs"]
mod shared_db;

use assign::*;
use burst::*;
use cache::*;
use cold::*;
use lag::*;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use rand::Rng;
use shared_db::SharedDb;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};
use sqlx::{Connection, PgConnection, QueryBuilder, Row, Sqlite};
use switchboard_sync::cache::CacheMirror;
use switchboard_sync::feed::{Batch, Cursor};
use switchboard_sync::follower::{ApplyChanges, ApplyFuture, Follower, FollowerConfig};
use switchboard_sync::router::{RouterClock, SharedRouter};
use tokio::sync::{Notify, watch};

/// Engines racing on one database (tasks in this process, each with connections of its own).
const ENGINES: usize = 8;
/// The relay's router safety net.
const ROUTER_SAFETY_NET: Duration = Duration::from_secs(2);

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn main() {
    if std::env::var("SWITCHBOARD_TEST_PG_URL").is_err() {
        eprintln!(
            "sync bench: SWITCHBOARD_TEST_PG_URL is not set; run `cargo xtask bench sync`, which starts a throwaway Postgres"
        );
        std::process::exit(2);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench());
}

async fn bench() {
    let mut made = Made::default();
    let mut lines = Vec::new();
    let mut notes = Vec::new();
    let mut targets = Vec::new();
    let mut verdicts = Vec::new();

    // 1. Cold sync.
    let messages: i64 = env_or("SYNC_BENCH_MESSAGES", 100_000);
    let chats: i64 = env_or("SYNC_BENCH_CHATS", 1_000);
    let batches: Vec<i64> = env_list("SYNC_BENCH_BATCHES", "2000,5000,10000")
        .iter()
        .filter_map(|b| b.parse().ok())
        .collect();
    let mirror_batches: Vec<i64> = env_list("SYNC_BENCH_MIRROR_BATCHES", "500,5000,10000")
        .iter()
        .filter_map(|b| b.parse().ok())
        .collect();
    eprintln!("sync bench: cold sync, {messages} messages in {chats} chats");
    let row_by_row_batch: i64 = env_or("SYNC_BENCH_ROW_BY_ROW_BATCH", 5_000);
    let cold = cold_sync(
        &mut made,
        messages,
        chats,
        &batches,
        row_by_row_batch,
        &mirror_batches,
    )
    .await;
    let best = cold
        .runs
        .iter()
        .filter(|r| r.1 == 0)
        .map(|r| (r.0, r.2))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    for (batch, rows_per_statement, seconds) in &cold.runs {
        lines.push(format!(
            "| cold sync: {} messages ({} chats) into an empty SQLite cache, follower batch {}{}, s (msg/s) | {:.2} ({}) | bare `SELECT` streamed into the same schema, one transaction: {:.2} ({}) | {:.2} |",
            thousands(messages as f64),
            thousands(chats as f64),
            thousands(*batch as f64),
            if *rows_per_statement == 1 {
                ", a statement per row"
            } else {
                ", multi-row upserts"
            },
            seconds,
            thousands(messages as f64 / seconds),
            cold.baseline,
            thousands(messages as f64 / cold.baseline),
            cold.baseline / seconds,
        ));
    }
    for (batch, seconds) in &cold.mirror_runs {
        lines.push(format!(
            "| the same through the desktop's `cache::CacheMirror` (engine's SQLite schema, every synced table), follower batch {}, s (msg/s) | {:.2} ({}) | the same bare copy: {:.2} ({}) | {:.2} |",
            thousands(*batch as f64),
            seconds,
            thousands(messages as f64 / seconds),
            cold.baseline,
            thousands(messages as f64 / cold.baseline),
            cold.baseline / seconds,
        ));
    }
    if let Some((batch, seconds)) = best {
        targets.push(format!(
            "cold sync ≤ 3 s: {} with the bench's cache ({seconds:.2} s at batch {batch})",
            met(seconds <= 3.0)
        ));
    }
    let best_mirror = cold
        .mirror_runs
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .copied();
    if let Some((batch, seconds)) = best_mirror {
        targets.push(format!(
            "{} with `CacheMirror` ({seconds:.2} s at batch {batch})",
            met(seconds <= 3.0)
        ));
        let row_by_row = cold.runs.iter().find(|r| r.1 == 1);
        let multi = row_by_row.and_then(|r| cold.runs.iter().find(|m| m.1 == 0 && m.0 == r.0));
        if let (true, Some(one), Some(multi)) = (seconds > 3.0, row_by_row, multi) {
            verdicts.push(format!(
                "Cold sync through `CacheMirror` misses the target. For comparison, the bench's cache at batch {} takes {:.2} s with a statement per row and {:.2} s with multi-row upserts, the same fetches from Postgres in both.",
                thousands(one.0 as f64),
                one.2,
                multi.2
            ));
        }
    }
    notes.push(format!(
        "cold sync: {} change entries pulled; each batch fetches the changed contacts, chats and messages by id (`= ANY($1)`) and upserts them with the cursor in one SQLite transaction (WAL, synchronous=NORMAL)",
        thousands(cold.changes as f64)
    ));

    // 2. Change-to-screen lag.
    let rate: f64 = env_or("SYNC_BENCH_LAG_RATE", 50.0);
    let seconds: f64 = env_or("SYNC_BENCH_LAG_SECONDS", 10.0);
    let safety_net = Duration::from_millis(env_or("SYNC_BENCH_SAFETY_NET_MS", 1_000));
    eprintln!("sync bench: lag, {rate} messages/s for {seconds} s");
    let lag = lag(&mut made, rate, seconds, safety_net).await;
    lines.push(format!(
        "| change-to-screen lag, desktop A commits {rate:.0} msg/s for {seconds:.0} s, desktop B's follower (safety net {} ms) fetches + stores them, p50 / p99 / max ms | {:.2} / {:.2} / {:.2} ({} of {} seen) | `LISTEN`/`NOTIFY` round trip with the id: {:.2} / {:.2} / {:.2} | p99 {:.1}× |",
        safety_net.as_millis(),
        lag.switchboard.p50,
        lag.switchboard.p99,
        lag.switchboard.max,
        lag.switchboard.seen,
        lag.switchboard.sent,
        lag.baseline.p50,
        lag.baseline.p99,
        lag.baseline.max,
        lag.switchboard.p99 / lag.baseline.p99.max(0.001),
    ));
    targets.push(format!(
        "lag p99 ≤ 100 ms: {} ({:.1} ms)",
        met(lag.switchboard.p99 <= 100.0 && lag.switchboard.seen == lag.switchboard.sent),
        lag.switchboard.p99
    ));

    // 3. Assignments per second.
    let n: i64 = env_or("SYNC_BENCH_ASSIGN_CHATS", 2_000);
    let operators: usize = env_or("SYNC_BENCH_OPERATORS", 16);
    let capacity: i64 = env_or("SYNC_BENCH_CAPACITY", 4);
    let timeout = Duration::from_secs(env_or("SYNC_BENCH_ASSIGN_TIMEOUT", 300));
    eprintln!("sync bench: bare claim loop, {n} rows, {ENGINES} connections");
    let claims = claim_loop(&mut made, n).await;
    let claims_per_s = n as f64 / claims;
    for rule in env_list("SYNC_BENCH_RULES", "freest,to_all") {
        eprintln!("sync bench: {ENGINES} engines, {operators} operators, {n} queued chats, {rule}");
        let run = assignments(&mut made, &rule, n, operators, capacity, timeout).await;
        let per_s = run.completed as f64 / run.seconds;
        let ratio = per_s / claims_per_s;
        lines.push(format!(
            "| assignments/s, {ENGINES} engines (router each) + {operators} operators (own roles, accept then complete at once, capacity {capacity}), {} queued chats, `{rule}`{} | {} ({:.1} s) | bare `FOR UPDATE SKIP LOCKED` claim loop, {ENGINES} connections: {} ({:.2} s) | {:.3} |",
            thousands(n as f64),
            if run.completed < n as usize {
                format!(", only {} completed before the {} s timeout", run.completed, timeout.as_secs())
            } else {
                String::new()
            },
            thousands(per_s),
            run.seconds,
            thousands(claims_per_s),
            claims,
            ratio,
        ));
        notes.push(format!(
            "`{rule}`: {} router passes in all ({:.1}/s); accepts won {}, lost {} (taken or withdrawn); `sb_accept_chat` p50 / p99 {:.1} / {:.1} ms, `sb_complete_chat` p50 / p99 {:.1} / {:.1} ms; {} `assign` decisions logged",
            run.passes,
            run.passes as f64 / run.seconds,
            run.accepted,
            run.lost,
            run.accept.p50,
            run.accept.p99,
            run.complete.p50,
            run.complete.p99,
            run.assign_decisions,
        ));
        notes.push(format!(
            "`{rule}`, after the race, one at a time: a router pass over {} fresh queued chats {:.1} ms, the next (idle: decides nothing, still loads the state and locks every operator and active chat) {:.1} ms; `sb_accept_chat` / `sb_complete_chat` with no router running (warm session), p50 {:.1} / {:.1} ms",
            thousands(n as f64),
            run.diagnosis.first_pass,
            run.diagnosis.idle_pass,
            run.diagnosis.accept,
            run.diagnosis.complete,
        ));
        targets.push(format!(
            "assignments ≥ 50 % of the claim loop (`{rule}`): {} ({:.1} %)",
            met(ratio >= 0.5 && run.completed == n as usize),
            ratio * 100.0
        ));
        if ratio < 0.5 {
            let d = &run.diagnosis;
            verdicts.push(format!(
                "`{rule}`: assignments run at {:.1} % of the bare claim loop, far below the 50 % target. A claim is one `UPDATE` ({:.2} ms per connection here); an assignment is an offer written by a router pass, then `sb_accept_chat` and `sb_complete_chat`, each writing the chat, the decision log, a system line, their `change_log` rows and a `NOTIFY`: {:.1} + {:.1} ms with nothing else running. In the race those calls took {:.1} / {:.1} ms (p50): every router pass locks every operator row (and every active chat) for its whole transaction, so the operators' functions wait for it ({:.1} passes/s; an idle pass over {} open chats {:.1} ms, the first over them {:.0} ms), and each commit's `NOTIFY` wakes all {ENGINES} routers and {operators} operators, on {} cores shared with Postgres.",
                ratio * 100.0,
                ENGINES as f64 / claims_per_s * 1000.0,
                d.accept,
                d.complete,
                run.accept.p50,
                run.complete.p50,
                run.passes as f64 / run.seconds,
                thousands(n as f64),
                d.idle_pass,
                d.first_pass,
                std::thread::available_parallelism().map_or(0, |n| n.get()),
            ));
        }
    }

    // 4. The routing side alone: a burst, operators with room for all.
    let burst_n: i64 = env_or("SYNC_BENCH_BURST_CHATS", 10_000);
    if burst_n > 0 {
        eprintln!("sync bench: bare claim loop, {burst_n} rows, {ENGINES} connections");
        let claims = claim_loop(&mut made, burst_n).await;
        let claims_per_s = burst_n as f64 / claims;
        eprintln!(
            "sync bench: {ENGINES} racing routers, a burst of {burst_n} queued chats, freest"
        );
        let burst = routing_burst(&mut made, burst_n, operators).await;
        let per_s = burst.assigned as f64 / burst.seconds;
        let ratio = per_s / claims_per_s;
        lines.push(format!(
            "| routing assignments/s: {ENGINES} racing routers give a burst of {} queued chats to {operators} operators with room for all (`freest`, each chat to one operator with its decision row, system line and feed rows; nobody accepts; `SimultaneousChats` {} for this measure) | {} ({:.2} s, {} passes) | bare `FOR UPDATE SKIP LOCKED` claim loop over {} rows, {ENGINES} connections: {} ({:.2} s) | {:.2} |",
            thousands(burst_n as f64),
            burst.capacity,
            thousands(per_s),
            burst.seconds,
            burst.passes,
            thousands(burst_n as f64),
            thousands(claims_per_s),
            claims,
            ratio,
        ));
        targets.push(format!(
            "routing assignments ≥ 50 % of the claim loop: {} ({:.0} %)",
            met(ratio >= 0.5 && burst.assigned == burst_n),
            ratio * 100.0
        ));
    }

    made.drop_all().await;

    println!(
        "\nshared mode (issue 7), one Postgres (`SWITCHBOARD_TEST_PG_URL`), {} cores, everything in this process (engines are tasks with connections of their own)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| measure | Switchboard | baseline | ratio |");
    println!("|---|---:|---:|---:|");
    for line in lines {
        println!("{line}");
    }
    println!();
    for note in notes {
        println!("- {note}");
    }
    println!("\nTargets: {}", targets.join("; "));
    for verdict in verdicts {
        println!("\n{verdict}");
    }
}

fn met(yes: bool) -> &'static str {
    if yes { "met" } else { "NOT MET" }
}

fn thousands(x: f64) -> String {
    let n = x.round() as i64;
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Databases and roles made on the cluster, dropped at the end.
#[derive(Default)]
struct Made {
    databases: Vec<(String, PgPool)>,
    roles: Vec<String>,
}

impl Made {
    async fn database(&mut self, rule: &str) -> SharedDb {
        let db = SharedDb::create(rule).await;
        self.databases.push((db.name.clone(), db.owner.clone()));
        db
    }

    async fn drop_all(self) {
        let cluster = PgPool::connect(&std::env::var("SWITCHBOARD_TEST_PG_URL").unwrap())
            .await
            .unwrap();
        for (name, pool) in self.databases {
            pool.close().await;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&cluster)
            .await
            .unwrap();
        }
        for role in self.roles {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP ROLE IF EXISTS {role}")))
                .execute(&cluster)
                .await
                .unwrap();
        }
        cluster.close().await;
    }
}

/// A pool of the database's own, as the schema owner (a desktop's or an engine's connections).
async fn pool_of(db: &SharedDb, connections: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(connections)
        .connect_with(db.server.clone().database(&db.name))
        .await
        .unwrap()
}
