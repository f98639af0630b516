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

#[path = "../tests/shared_db/mod.rs"]
mod shared_db;

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

// ------------------------------------------------------------------------------------------------
// The desktop cache: the synced tables' content in SQLite.

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int8,
    Int4,
    Bool,
}

#[derive(Clone)]
enum Val {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
}

struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
}

const CONTACTS: Table = Table {
    name: "contacts",
    columns: &[
        ("id", Kind::Text),
        ("channel_id", Kind::Text),
        ("provider_user_id", Kind::Text),
        ("name", Kind::Text),
        ("username", Kind::Text),
        ("created_at", Kind::Int8),
    ],
};

const CHATS: Table = Table {
    name: "chats",
    columns: &[
        ("id", Kind::Text),
        ("channel_id", Kind::Text),
        ("contact_id", Kind::Text),
        ("queue_id", Kind::Text),
        ("state", Kind::Text),
        ("operator_id", Kind::Text),
        ("provider_chat_id", Kind::Text),
        ("created_at", Kind::Int8),
        ("last_activity_at", Kind::Int8),
        ("completed_at", Kind::Int8),
        ("arrival", Kind::Int8),
        ("offered_at", Kind::Int8),
        ("last_message_at", Kind::Int8),
        ("last_message_outbound", Kind::Bool),
        ("excluded", Kind::Text),
    ],
};

const MESSAGES: Table = Table {
    name: "messages",
    columns: &[
        ("id", Kind::Text),
        ("chat_id", Kind::Text),
        ("channel_id", Kind::Text),
        ("kind", Kind::Text),
        ("text", Kind::Text),
        ("author", Kind::Text),
        ("author_user_id", Kind::Text),
        ("created_at", Kind::Int8),
        ("provider_key", Kind::Text),
        ("delivery", Kind::Text),
        ("failure_reason", Kind::Text),
        ("attempts", Kind::Int4),
        ("parts_sent", Kind::Int4),
        ("next_attempt_at", Kind::Int8),
        ("is_read", Kind::Bool),
    ],
};

const TABLES: [&Table; 3] = [&CONTACTS, &CHATS, &MESSAGES];

impl Table {
    fn column_list(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|(c, _)| *c).collect();
        names.join(", ")
    }

    fn decode(&self, row: &PgRow) -> Vec<Val> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| match kind {
                Kind::Text => Val::Text(row.get(i)),
                Kind::Int8 => Val::Int(row.get(i)),
                Kind::Int4 => Val::Int(row.get::<Option<i32>, _>(i).map(i64::from)),
                Kind::Bool => Val::Bool(row.get(i)),
            })
            .collect()
    }

    fn sqlite_ddl(&self) -> String {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|(name, kind)| {
                let ty = match kind {
                    Kind::Text => "TEXT",
                    Kind::Int8 | Kind::Int4 | Kind::Bool => "INTEGER",
                };
                if *name == "id" {
                    format!("{name} TEXT PRIMARY KEY NOT NULL")
                } else {
                    format!("{name} {ty}")
                }
            })
            .collect();
        format!("CREATE TABLE {} ({})", self.name, columns.join(", "))
    }

    /// Multi-row upserts: `rows_per_statement` rows per `INSERT` (0: as many as SQLite's
    /// variable limit allows).
    async fn upsert(
        &self,
        tx: &mut sqlx::SqliteConnection,
        rows: &[Vec<Val>],
        rows_per_statement: usize,
    ) -> Result<(), sqlx::Error> {
        let most = 30_000 / self.columns.len();
        let per_statement = match rows_per_statement {
            0 => most,
            n => n.min(most),
        };
        let updates: Vec<String> = self
            .columns
            .iter()
            .skip(1)
            .map(|(c, _)| format!("{c} = excluded.{c}"))
            .collect();
        for chunk in rows.chunks(per_statement) {
            let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
                "INSERT INTO {} ({}) ",
                self.name,
                self.column_list()
            ));
            query.push_values(chunk, |mut b, row| {
                for value in row {
                    match value {
                        Val::Text(v) => b.push_bind(v.clone()),
                        Val::Int(v) => b.push_bind(*v),
                        Val::Bool(v) => b.push_bind(*v),
                    };
                }
            });
            query.push(format!(
                " ON CONFLICT (id) DO UPDATE SET {}",
                updates.join(", ")
            ));
            query.build().execute(&mut *tx).await?;
        }
        Ok(())
    }
}

/// A fresh SQLite cache file with the synced tables and the feed position.
async fn open_cache(path: &std::path::Path) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let db = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    for table in TABLES {
        sqlx::query(sqlx::AssertSqlSafe(table.sqlite_ddl()))
            .execute(&db)
            .await
            .unwrap();
    }
    for sql in [
        "CREATE INDEX messages_by_chat ON messages (chat_id, created_at)",
        "CREATE TABLE sync_position (id INTEGER PRIMARY KEY CHECK (id = 1), txid INTEGER NOT NULL, position INTEGER NOT NULL)",
        "INSERT INTO sync_position (id, txid, position) VALUES (1, 0, 0)",
    ] {
        sqlx::query(sql).execute(&db).await.unwrap();
    }
    db
}

/// What a desktop cache does with a batch: fetch the changed rows by id from Postgres, then
/// upsert them (and delete the ones gone) with the cursor in one local transaction.
struct Cache {
    pg: PgPool,
    sqlite: SqlitePool,
    /// When each message id was applied (the lag measurement), if recording.
    applied: Option<Arc<Mutex<HashMap<String, Instant>>>>,
    /// Rows per `INSERT` (0: as many as fit; 1: a statement per row).
    rows_per_statement: usize,
}

impl Cache {
    /// The rows of `ids` that exist, and the ids that are gone.
    async fn fetch(&self, table: &Table, ids: Vec<String>) -> Result<Fetched, sqlx::Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM {} WHERE id = ANY($1)",
            table.column_list(),
            table.name
        )))
        .bind(&ids)
        .fetch_all(&self.pg)
        .await?;
        let rows: Vec<Vec<Val>> = rows.iter().map(|r| table.decode(r)).collect();
        let found: BTreeSet<&str> = rows
            .iter()
            .filter_map(|r| match &r[0] {
                Val::Text(Some(id)) => Some(id.as_str()),
                _ => None,
            })
            .collect();
        let gone = ids
            .iter()
            .filter(|id| !found.contains(id.as_str()))
            .cloned()
            .collect();
        Ok((rows, gone))
    }

    async fn apply_batch(&self, batch: &Batch) -> Result<(), sqlx::Error> {
        let mut ids: [BTreeSet<&str>; 3] = Default::default();
        for change in &batch.changes {
            if let Some(i) = TABLES.iter().position(|t| t.name == change.table) {
                ids[i].insert(&change.row_id);
            }
        }
        let ids = ids.map(|set| set.into_iter().map(str::to_owned).collect::<Vec<_>>());
        let [contacts, chats, messages] = ids;
        let (contacts, chats, messages) = tokio::try_join!(
            self.fetch(&CONTACTS, contacts),
            self.fetch(&CHATS, chats),
            self.fetch(&MESSAGES, messages),
        )?;
        let mut tx = self.sqlite.begin().await?;
        for (table, (rows, gone)) in TABLES.iter().zip([&contacts, &chats, &messages]) {
            table.upsert(&mut tx, rows, self.rows_per_statement).await?;
            for id in gone {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {} WHERE id = ?",
                    table.name
                )))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query("UPDATE sync_position SET txid = ?, position = ? WHERE id = 1")
            .bind(batch.next_after.txid)
            .bind(batch.next_after.position)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if let Some(applied) = &self.applied {
            let now = Instant::now();
            let mut applied = applied.lock().unwrap();
            for row in &messages.0 {
                if let Val::Text(Some(id)) = &row[0] {
                    applied.entry(id.clone()).or_insert(now);
                }
            }
        }
        Ok(())
    }
}

/// Rows found, ids gone.
type Fetched = (Vec<Vec<Val>>, Vec<String>);

impl ApplyChanges for Cache {
    fn apply<'a>(&'a self, batch: &'a Batch) -> ApplyFuture<'a> {
        Box::pin(async move { self.apply_batch(batch).await.map_err(Into::into) })
    }
}

// ------------------------------------------------------------------------------------------------
// 1. Cold sync.

struct Cold {
    /// (batch size, rows per statement, seconds) per follower run with the bench's cache.
    runs: Vec<(i64, usize, f64)>,
    /// The same with the desktop's `CacheMirror` into the engine's schema.
    mirror_runs: Vec<(i64, f64)>,
    baseline: f64,
    changes: i64,
}

async fn cold_sync(
    made: &mut Made,
    messages: i64,
    chats: i64,
    batches: &[i64],
    row_by_row_batch: i64,
    mirror_batches: &[i64],
) -> Cold {
    let db = made.database("to_all").await;
    for sql in [
        "INSERT INTO contacts (id, channel_id, provider_user_id, name, username, created_at)
         SELECT 'ct' || g, 'tg', 'u' || g, 'Customer ' || g, 'user' || g, g
         FROM generate_series(1, $1) g",
        "INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id,
                            created_at, last_activity_at, last_message_at, completed_at, arrival)
         SELECT 'chat' || g, 'tg', 'ct' || g, 'q', 'completed', 'u' || g, g, g, g, g, g
         FROM generate_series(1, $1) g",
    ] {
        sqlx::query(sql)
            .bind(chats)
            .execute(&db.owner)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at, provider_key)
         SELECT 'm' || g, 'chat' || (1 + g % $2), 'tg', 'inbound',
                'Hello, I have a question about my order number ' || g || ', can you help?',
                'Customer', 1700000000000 + g, 'k' || g
         FROM generate_series(1, $1) g",
    )
    .bind(messages)
    .bind(chats)
    .execute(&db.owner)
    .await
    .unwrap();
    let changes: i64 = sqlx::query_scalar("SELECT count(*) FROM change_log")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    sqlx::query("VACUUM ANALYZE")
        .execute(&db.owner)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Baseline: just copying the rows, one streamed SELECT per table, one local transaction.
    let baseline = {
        let sqlite = open_cache(&dir.path().join("baseline.sqlite")).await;
        let pg = pool_of(&db, 4).await;
        let started = Instant::now();
        let mut tx = sqlite.begin().await.unwrap();
        for table in TABLES {
            let sql = format!("SELECT {} FROM {}", table.column_list(), table.name);
            let mut stream = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&pg);
            let mut buffer = Vec::with_capacity(2_000);
            while let Some(row) = stream.try_next().await.unwrap() {
                buffer.push(table.decode(&row));
                if buffer.len() == 2_000 {
                    table.upsert(&mut tx, &buffer, 0).await.unwrap();
                    buffer.clear();
                }
            }
            table.upsert(&mut tx, &buffer, 0).await.unwrap();
        }
        tx.commit().await.unwrap();
        let seconds = started.elapsed().as_secs_f64();
        check_copied(&sqlite, messages).await;
        pg.close().await;
        sqlite.close().await;
        seconds
    };

    let mut runs = Vec::new();
    let row_by_row = (row_by_row_batch > 0).then_some((row_by_row_batch, 1));
    for (batch_size, rows_per_statement) in batches.iter().map(|b| (*b, 0)).chain(row_by_row) {
        let sqlite = open_cache(
            &dir.path()
                .join(format!("cache-{batch_size}-{rows_per_statement}.sqlite")),
        )
        .await;
        let pg = pool_of(&db, 4).await;
        let cache = Arc::new(Cache {
            pg: pg.clone(),
            sqlite: sqlite.clone(),
            applied: None,
            rows_per_statement,
        });
        let config = FollowerConfig {
            batch_size,
            safety_net: Duration::from_secs(1),
            held_back_retry: Duration::from_millis(20),
        };
        let started = Instant::now();
        let follower = Follower::start(pg.clone(), cache, Cursor::START, config)
            .await
            .unwrap();
        let mut rounds = follower.rounds.clone();
        rounds.wait_for(|n| *n >= 1).await.unwrap();
        let seconds = started.elapsed().as_secs_f64();
        follower.stop().await;
        check_copied(&sqlite, messages).await;
        runs.push((batch_size, rows_per_statement, seconds));
        pg.close().await;
        sqlite.close().await;
    }

    // The desktop's own mirror (`cache::CacheMirror`) into the engine's schema, same feed.
    let mut mirror_runs = Vec::new();
    for &batch_size in mirror_batches {
        let file = dir.path().join(format!("mirror-{batch_size}.sqlite"));
        let panel = switchboard_engine::store::open_schema(&file).await.unwrap();
        let pg = pool_of(&db, 4).await;
        let mirror = Arc::new(CacheMirror::open(&file, pg.clone()).await.unwrap());
        let config = FollowerConfig {
            batch_size,
            safety_net: Duration::from_secs(1),
            held_back_retry: Duration::from_millis(20),
        };
        let started = Instant::now();
        let follower = Follower::start(pg.clone(), mirror, Cursor::START, config)
            .await
            .unwrap();
        let mut rounds = follower.rounds.clone();
        rounds.wait_for(|n| *n >= 1).await.unwrap();
        let seconds = started.elapsed().as_secs_f64();
        follower.stop().await;
        check_copied(&panel, messages).await;
        mirror_runs.push((batch_size, seconds));
        pg.close().await;
        panel.close().await;
    }
    Cold {
        runs,
        mirror_runs,
        baseline,
        changes,
    }
}

async fn check_copied(sqlite: &SqlitePool, messages: i64) {
    let copied: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(sqlite)
        .await
        .unwrap();
    assert_eq!(copied, messages, "every message reached the cache");
}

// ------------------------------------------------------------------------------------------------
// 2. Change-to-screen lag.

#[derive(Default, Clone, Copy)]
struct Latency {
    p50: f64,
    p99: f64,
    max: f64,
    sent: usize,
    seen: usize,
}

fn latency(sent: &HashMap<String, Instant>, seen: &HashMap<String, Instant>) -> Latency {
    let mut lags: Vec<f64> = sent
        .iter()
        .filter_map(|(id, at)| {
            let got = seen.get(id)?;
            // Desktop A's task may record its commit a moment after B saw it: 0, not negative.
            Some(got.saturating_duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect();
    lags.sort_by(f64::total_cmp);
    Latency {
        p50: percentile(&lags, 0.50),
        p99: percentile(&lags, 0.99),
        max: lags.last().copied().unwrap_or(f64::NAN),
        sent: sent.len(),
        seen: lags.len(),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

struct Lag {
    switchboard: Latency,
    baseline: Latency,
}

async fn lag(made: &mut Made, rate: f64, seconds: f64, safety_net: Duration) -> Lag {
    let db = made.database("to_all").await;
    db.customer_writes("lag", 0).await;
    let count = (rate * seconds).round() as usize;
    let period = Duration::from_secs_f64(1.0 / rate);
    let desktop_a = pool_of(&db, 2).await;
    let dir = tempfile::tempdir().unwrap();

    // Baseline: A notifies with the id as payload, B's listener receives it.
    let baseline = {
        let mut listener = PgListener::connect_with(&db.owner).await.unwrap();
        listener.listen("bench_lag").await.unwrap();
        let seen = Arc::new(Mutex::new(HashMap::new()));
        let receiver = {
            let seen = seen.clone();
            tokio::spawn(async move {
                loop {
                    let notification = listener.recv().await.unwrap();
                    let now = Instant::now();
                    let mut seen = seen.lock().unwrap();
                    seen.insert(notification.payload().to_owned(), now);
                    if seen.len() == count {
                        return;
                    }
                }
            })
        };
        let sent = write_paced(count, period, |id| {
            let pg = desktop_a.clone();
            async move {
                sqlx::query("SELECT pg_notify('bench_lag', $1)")
                    .bind(id)
                    .execute(&pg)
                    .await
                    .unwrap();
            }
        })
        .await;
        let _ = tokio::time::timeout(Duration::from_secs(10), receiver).await;
        let seen = seen.lock().unwrap().clone();
        latency(&sent, &seen)
    };

    // Switchboard: A commits a message per transaction, B's follower stores it in its cache.
    let switchboard = {
        let sqlite = open_cache(&dir.path().join("desktop-b.sqlite")).await;
        let desktop_b = pool_of(&db, 4).await;
        let applied = Arc::new(Mutex::new(HashMap::new()));
        let cache = Arc::new(Cache {
            pg: desktop_b.clone(),
            sqlite,
            applied: Some(applied.clone()),
            rows_per_statement: 0,
        });
        let config = FollowerConfig {
            batch_size: 500,
            safety_net,
            held_back_retry: Duration::from_millis(20),
        };
        let follower = Follower::start(desktop_b.clone(), cache, Cursor::START, config)
            .await
            .unwrap();
        let mut rounds = follower.rounds.clone();
        rounds.wait_for(|n| *n >= 1).await.unwrap();
        let sent = write_paced(count, period, |id| {
            let pg = desktop_a.clone();
            async move {
                sqlx::query(
                    "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at, provider_key)
                     VALUES ($1, 'chat-lag', 'tg', 'inbound', 'Are you there?', 'lag', sb_now_ms(), $1)",
                )
                .bind(id)
                .execute(&pg)
                .await
                .unwrap();
            }
        })
        .await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let done = {
                let applied = applied.lock().unwrap();
                sent.keys().all(|id| applied.contains_key(id))
            };
            if done {
                break;
            }
            // Waiting for the last stragglers after the measurement, not part of it.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        follower.stop().await;
        desktop_b.close().await;
        let applied = applied.lock().unwrap().clone();
        latency(&sent, &applied)
    };
    desktop_a.close().await;
    Lag {
        switchboard,
        baseline,
    }
}

/// Runs `write(id)` `count` times, one every `period`, each awaited; returns when each returned.
async fn write_paced<F, Fut>(count: usize, period: Duration, write: F) -> HashMap<String, Instant>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sent = HashMap::with_capacity(count);
    for i in 0..count {
        ticks.tick().await;
        let id = format!("lag-{i}");
        write(id.clone()).await;
        sent.insert(id, Instant::now());
    }
    sent
}

// ------------------------------------------------------------------------------------------------
// 3. Assignments per second.

/// The bare claim loop: `n` queued rows, 8 connections claiming one at a time until none is left.
async fn claim_loop(made: &mut Made, n: i64) -> f64 {
    let db = made.database("to_all").await;
    for sql in [
        "CREATE TABLE bench_claims (id BIGINT PRIMARY KEY, state TEXT NOT NULL, claimed_by INTEGER)",
        "CREATE INDEX bench_claims_queued ON bench_claims (id) WHERE state = 'queued'",
    ] {
        sqlx::query(sql).execute(&db.owner).await.unwrap();
    }
    sqlx::query(
        "INSERT INTO bench_claims (id, state) SELECT g, 'queued' FROM generate_series(1, $1) g",
    )
    .bind(n)
    .execute(&db.owner)
    .await
    .unwrap();
    sqlx::query("VACUUM ANALYZE bench_claims")
        .execute(&db.owner)
        .await
        .unwrap();
    let mut connections = Vec::new();
    for _ in 0..ENGINES {
        connections.push(
            PgConnection::connect_with(&db.server.clone().database(&db.name))
                .await
                .unwrap(),
        );
    }
    let started = Instant::now();
    let workers: Vec<_> = connections
        .into_iter()
        .enumerate()
        .map(|(worker, mut conn)| {
            tokio::spawn(async move {
                loop {
                    let claimed: Option<i64> = sqlx::query_scalar(
                        "UPDATE bench_claims SET state = 'claimed', claimed_by = $1
                         WHERE id = (SELECT id FROM bench_claims WHERE state = 'queued'
                                     ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
                         RETURNING id",
                    )
                    .bind(worker as i32)
                    .fetch_optional(&mut conn)
                    .await
                    .unwrap();
                    if claimed.is_none() {
                        return;
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    let claimed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM bench_claims WHERE state = 'claimed'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(claimed, n, "the claim loop claimed every row");
    seconds
}

struct Assignments {
    seconds: f64,
    completed: usize,
    passes: u64,
    accepted: u64,
    lost: u64,
    accept: Latency,
    complete: Latency,
    assign_decisions: i64,
    diagnosis: Diagnosis,
}

/// Where the time goes, measured after the race (not timed with it), one thing at a time.
struct Diagnosis {
    /// One pass over `n` fresh queued chats (offers written), ms.
    first_pass: f64,
    /// The next pass, deciding nothing with the same open chats loaded and locked, ms.
    idle_pass: f64,
    /// `sb_accept_chat` then `sb_complete_chat` with no router running, one call at a time, on a
    /// warm session, ms (p50 over the operators).
    accept: f64,
    complete: f64,
}

async fn diagnose(db: &SharedDb, n: i64, names: &[String]) -> Diagnosis {
    for sql in [
        "INSERT INTO contacts (id, channel_id, provider_user_id, name, created_at)
         SELECT 'late-ct' || g, 'tg', 'late-u' || g, 'Customer ' || g, g FROM generate_series(1, $1) g",
        "INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id,
                            created_at, last_activity_at, last_message_at)
         SELECT 'late' || lpad(g::text, 6, '0'), 'tg', 'late-ct' || g, 'q', 'queued', 'late-u' || g,
                sb_now_ms(), sb_now_ms(), sb_now_ms()
         FROM generate_series(1, $1) g",
    ] {
        sqlx::query(sql).bind(n).execute(&db.owner).await.unwrap();
    }
    let router = SharedRouter::new(db.owner.clone(), RouterClock::Database);
    let timed = Instant::now();
    router.route_once().await.unwrap();
    let first_pass = timed.elapsed().as_secs_f64() * 1000.0;
    let timed = Instant::now();
    router.route_once().await.unwrap();
    let idle_pass = timed.elapsed().as_secs_f64() * 1000.0;
    let (mut accept, mut complete) = (Vec::new(), Vec::new());
    for name in names {
        let mut desktop = db.desktop_of(name).await;
        let offered: Vec<String> = sqlx::query_scalar(
            "SELECT chat_id FROM chat_offers WHERE user_id = $1 ORDER BY chat_id LIMIT 2",
        )
        .bind(format!("u-{name}"))
        .fetch_all(&mut desktop)
        .await
        .unwrap();
        // The first chat warms the session (plpgsql compiles and plans on first call); the
        // second is measured.
        for (round, chat) in offered.iter().enumerate() {
            for (sql, into) in [
                ("SELECT sb_accept_chat($1)", &mut accept),
                ("SELECT sb_complete_chat($1)", &mut complete),
            ] {
                let timed = Instant::now();
                sqlx::query(sql)
                    .bind(chat)
                    .execute(&mut desktop)
                    .await
                    .unwrap();
                if round == 1 {
                    into.push(timed.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }
        desktop.close().await.unwrap();
    }
    for v in [&mut accept, &mut complete] {
        v.sort_by(f64::total_cmp);
    }
    Diagnosis {
        first_pass,
        idle_pass,
        accept: percentile(&accept, 0.5),
        complete: percentile(&complete, 0.5),
    }
}

#[derive(Default)]
struct Tally {
    completed: AtomicUsize,
    accepted: AtomicU64,
    lost: AtomicU64,
    accept_ms: Mutex<Vec<f64>>,
    complete_ms: Mutex<Vec<f64>>,
    all_done: Notify,
}

async fn assignments(
    made: &mut Made,
    rule: &str,
    n: i64,
    operators: usize,
    capacity: i64,
    timeout: Duration,
) -> Assignments {
    let db = made.database(rule).await;
    db.set("SimultaneousChats", &capacity.to_string()).await;
    let names: Vec<String> = (0..operators).map(|i| format!("op{i}")).collect();
    for name in &names {
        db.operator(name).await;
        made.roles.push(db.role_of(name));
    }
    for sql in [
        "INSERT INTO contacts (id, channel_id, provider_user_id, name, created_at)
         SELECT 'ct' || g, 'tg', 'u' || g, 'Customer ' || g, g FROM generate_series(1, $1) g",
        "INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id,
                            created_at, last_activity_at, last_message_at)
         SELECT 'chat' || lpad(g::text, 6, '0'), 'tg', 'ct' || g, 'q', 'queued', 'u' || g, g, g, g
         FROM generate_series(1, $1) g",
        "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at, provider_key)
         SELECT 'm' || g, 'chat' || lpad(g::text, 6, '0'), 'tg', 'inbound', 'Hello', 'Customer', g, 'k' || g
         FROM generate_series(1, $1) g",
    ] {
        sqlx::query(sql).bind(n).execute(&db.owner).await.unwrap();
    }
    sqlx::query("VACUUM ANALYZE")
        .execute(&db.owner)
        .await
        .unwrap();

    let tally = Arc::new(Tally::default());
    let (stop_tx, stop) = watch::channel(false);
    let mut desks = Vec::new();
    for name in &names {
        let desktop = db.desktop_of(name).await;
        let listen_pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(
                db.server
                    .clone()
                    .database(&db.name)
                    .username(&db.role_of(name))
                    .password(shared_db::PASSWORD),
            )
            .await
            .unwrap();
        let mut listener = PgListener::connect_with(&listen_pool).await.unwrap();
        listener
            .listen(switchboard_sync::feed::CHANNEL)
            .await
            .unwrap();
        desks.push(tokio::spawn(operate(
            desktop,
            listener,
            format!("u-{name}"),
            n as usize,
            tally.clone(),
            stop.clone(),
        )));
    }

    let started = Instant::now();
    let mut routers = Vec::new();
    let mut pass_counts = Vec::new();
    for _ in 0..ENGINES {
        let pool = pool_of(&db, 2).await;
        let (passes, counted) = watch::channel(0);
        pass_counts.push(counted);
        routers.push(tokio::spawn(
            SharedRouter::new(pool, RouterClock::Database).run(
                ROUTER_SAFETY_NET,
                stop.clone(),
                passes,
            ),
        ));
    }
    let finished = tokio::time::timeout(timeout, async {
        while tally.completed.load(Ordering::SeqCst) < n as usize {
            tally.all_done.notified().await;
        }
    })
    .await;
    let seconds = started.elapsed().as_secs_f64();
    let _ = finished;
    stop_tx.send_replace(true);
    for router in routers {
        let _ = router.await;
    }
    for desk in desks {
        let _ = desk.await;
    }
    let assign_decisions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM routing_decisions WHERE kind = 'assign'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    let ms = |v: &Mutex<Vec<f64>>| {
        let mut v = v.lock().unwrap().clone();
        v.sort_by(f64::total_cmp);
        Latency {
            p50: percentile(&v, 0.5),
            p99: percentile(&v, 0.99),
            max: v.last().copied().unwrap_or(f64::NAN),
            sent: v.len(),
            seen: v.len(),
        }
    };
    let diagnosis = diagnose(&db, n, &names).await;
    Assignments {
        seconds,
        diagnosis,
        completed: tally.completed.load(Ordering::SeqCst),
        passes: pass_counts.iter().map(|p| *p.borrow()).sum(),
        accepted: tally.accepted.load(Ordering::SeqCst),
        lost: tally.lost.load(Ordering::SeqCst),
        accept: ms(&tally.accept_ms),
        complete: ms(&tally.complete_ms),
        assign_decisions,
    }
}

/// An operator at their desktop: accepts one of their offers (picked at random, as people do),
/// completes it at once, and when nothing is offered waits for the next change notification
/// (what their desktop's follower is woken by).
async fn operate(
    mut desktop: PgConnection,
    mut listener: PgListener,
    me: String,
    total: usize,
    tally: Arc<Tally>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let offered: Vec<String> =
            sqlx::query_scalar("SELECT chat_id FROM chat_offers WHERE user_id = $1")
                .bind(&me)
                .fetch_all(&mut desktop)
                .await
                .unwrap();
        if offered.is_empty() {
            tokio::select! {
                _ = stop.changed() => return,
                _ = listener.recv() => {}
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            while listener.next_buffered().is_some() {}
            continue;
        }
        let chat = offered[rand::rng().random_range(0..offered.len())].clone();
        let asked = Instant::now();
        match sqlx::query("SELECT sb_accept_chat($1)")
            .bind(&chat)
            .execute(&mut desktop)
            .await
        {
            Ok(_) => {
                tally
                    .accept_ms
                    .lock()
                    .unwrap()
                    .push(asked.elapsed().as_secs_f64() * 1000.0);
                tally.accepted.fetch_add(1, Ordering::SeqCst);
            }
            Err(error) => {
                expected_refusal(&error);
                tally.lost.fetch_add(1, Ordering::SeqCst);
                continue;
            }
        }
        let asked = Instant::now();
        sqlx::query("SELECT sb_complete_chat($1)")
            .bind(&chat)
            .execute(&mut desktop)
            .await
            .unwrap();
        tally
            .complete_ms
            .lock()
            .unwrap()
            .push(asked.elapsed().as_secs_f64() * 1000.0);
        if tally.completed.fetch_add(1, Ordering::SeqCst) + 1 >= total {
            tally.all_done.notify_one();
        }
    }
}

/// Refusals a race gives (taken by another, offer withdrawn, at capacity, already completed by
/// whoever took it); anything else is a bug.
fn expected_refusal(error: &sqlx::Error) {
    let code = error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    assert!(
        matches!(
            code.as_deref(),
            Some("SB002" | "SB003" | "SB004" | "SB006" | "SB007")
        ),
        "unexpected error from sb_accept_chat: {error}"
    );
}
