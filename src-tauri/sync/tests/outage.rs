//! Outages: a desktop whose network is cut for 30 s, and Postgres restarted mid-run. The operator
//! keeps reading and composing; what they did waits in the outbox, goes out in order when the
//! database is back, and the cache ends equal to Postgres row for row.

mod shared_db;

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use shared_db::SharedDb;
use shared_db::mirror::assert_mirrored;
use shared_db::netcut::NetCut;
use sqlx::SqlitePool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use switchboard_engine::clock::{ManualClock, SystemClock};
use switchboard_sync::cache::CacheMirror;
use switchboard_sync::feed::ChangeFeed;
use switchboard_sync::follower::{Follower, FollowerConfig, FollowerHandle};
use switchboard_sync::outbox::{Change, Connection, Drainer, DrainerHandle, Me, Outbox};
use switchboard_sync::router::{RouterClock, SharedRouter};

/// Restarting the cluster or waiting for catch-up must not overlap with another test here.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Desktop {
    mirror: Arc<CacheMirror>,
    follower: FollowerHandle,
    outbox: Arc<Outbox>,
    drainer: DrainerHandle,
    panel: SqlitePool,
}

/// Ann's desktop, reaching Postgres at `host:port` with her own role.
async fn ann_desktop(db: &SharedDb, dir: &std::path::Path, host: &str, port: u16) -> Desktop {
    let options = db
        .server
        .clone()
        .host(host)
        .port(port)
        .database(&db.name)
        .username(&db.role_of("ann"))
        .password(shared_db::PASSWORD);
    let pg = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options.clone())
        .await
        .unwrap();
    let file = dir.join("cache.sqlite");
    let panel = switchboard_engine::store::open_schema(&file).await.unwrap();
    let mirror = Arc::new(CacheMirror::open(&file, pg.clone()).await.unwrap());
    let config = FollowerConfig {
        batch_size: 200,
        safety_net: Duration::from_millis(500),
        held_back_retry: Duration::from_millis(20),
    };
    let from = mirror.position().await.unwrap();
    let follower = Follower::start(pg, mirror.clone(), from, config)
        .await
        .unwrap();
    let me = Me {
        user_id: "u-ann".into(),
        name: "ann".into(),
    };
    let outbox = Arc::new(Outbox::new(panel.clone(), me, Arc::new(SystemClock)));
    let drainer = Drainer::start(outbox.clone(), options, Duration::from_millis(200));
    Desktop {
        mirror,
        follower,
        outbox,
        drainer,
        panel,
    }
}

impl Desktop {
    async fn settled(&mut self, entries: u64) {
        tokio::time::timeout(
            Duration::from_secs(60),
            self.drainer.settled.wait_for(|n| *n >= entries),
        )
        .await
        .expect("the outbox drains")
        .unwrap();
    }

    async fn caught_up(&mut self, db: &SharedDb) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let rounds = *self.follower.rounds.borrow();
            let at = self.mirror.position().await.unwrap();
            let next = ChangeFeed::pull(&db.owner, at, 1).await.unwrap();
            if next.changes.is_empty() && !next.held_back {
                return;
            }
            assert!(Instant::now() < deadline, "the cache did not catch up");
            let _ = tokio::time::timeout(
                Duration::from_secs(2),
                self.follower.rounds.wait_for(|n| *n > rounds),
            )
            .await;
        }
    }

    async fn shown(&self, sql: &'static str) -> Vec<String> {
        sqlx::query_scalar(sql)
            .fetch_all(&self.panel)
            .await
            .unwrap()
    }

    async fn stop(self) {
        self.drainer.stop().await;
        self.follower.stop().await;
    }
}

/// Ann's active chat with customer c1.
async fn ann_has_a_chat(db: &SharedDb) -> String {
    db.operator("ann").await;
    let chat = db.customer_writes("c1", 1_000).await;
    SharedRouter::new(
        db.owner.clone(),
        RouterClock::Fixed(Arc::new(ManualClock::at(2_000))),
    )
    .route_once()
    .await
    .unwrap();
    let mut ann = db.desktop_of("ann").await;
    sqlx::query("SELECT sb_apply($1, 'accept', $2::JSONB)")
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(json!({"chat": chat}).to_string())
        .execute(&mut ann)
        .await
        .unwrap();
    chat
}

/// The chat's outbound texts in Postgres, in the order they were stored.
async fn stored_replies(db: &SharedDb, chat: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT m.text FROM messages m
         JOIN change_log l ON l.table_name = 'messages' AND l.row_id = m.id AND l.op = 'insert'
         WHERE m.chat_id = $1 AND m.kind = 'outbound' ORDER BY l.position",
    )
    .bind(chat)
    .fetch_all(&db.owner)
    .await
    .unwrap()
}

fn upstream() -> (String, u16) {
    let url = std::env::var("SWITCHBOARD_TEST_PG_URL").unwrap();
    let options = PgConnectOptions::from_str(&url).unwrap();
    (options.get_host().to_owned(), options.get_port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_cut_off_for_30_seconds_composes_on_and_catches_up_in_order() {
    let _serial = SERIAL.lock().await;
    let db = SharedDb::create("to_all").await;
    let chat = ann_has_a_chat(&db).await;
    let (host, port) = upstream();
    let cable = NetCut::start(format!("{host}:{port}").parse().unwrap()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut desktop = ann_desktop(&db, dir.path(), "127.0.0.1", cable.addr.port()).await;
    desktop.caught_up(&db).await;

    cable.cut();
    let first = desktop
        .outbox
        .push(Change::Send {
            chat: chat.clone(),
            text: "r1".into(),
        })
        .await
        .unwrap();
    let offline = tokio::time::timeout(
        Duration::from_secs(30),
        desktop
            .drainer
            .connection
            .wait_for(|c| matches!(c, Connection::Offline { .. })),
    )
    .await
    .expect("the desktop notices it is offline")
    .unwrap()
    .clone();
    println!("while cut off the desktop shows: {offline:?}");
    for text in ["r2", "r3", "r4", "r5"] {
        let reply = Change::Send {
            chat: chat.clone(),
            text: text.into(),
        };
        desktop.outbox.push(reply).await.unwrap();
    }
    let note = Change::Note {
        chat: chat.clone(),
        text: "wrote while offline".into(),
    };
    desktop.outbox.push(note).await.unwrap();
    // Composed offline: in the panel at once, pending.
    let pending = desktop
        .shown(
            "SELECT text FROM messages WHERE kind = 'outbound' AND delivery = 'pending'
             ORDER BY created_at, text",
        )
        .await;
    assert_eq!(pending, ["r1", "r2", "r3", "r4", "r5"]);
    assert_eq!(desktop.outbox.pending().await.unwrap(), 6);
    // Meanwhile the customer writes again (through the bot's desktop, not this one).
    sqlx::query(
        "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at, provider_key)
         VALUES ('m-late', $1, 'tg', 'inbound', 'Hello?', 'c1', 3000, 'm-late')",
    )
    .bind(&chat)
    .execute(&db.owner)
    .await
    .unwrap();

    let cut_for: u64 = std::env::var("SWITCHBOARD_NETCUT_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    tokio::time::sleep(Duration::from_secs(cut_for)).await;
    assert_eq!(
        desktop.outbox.pending().await.unwrap(),
        6,
        "nothing went out while cut off"
    );
    cable.restore();

    desktop.settled(6).await;
    desktop
        .drainer
        .connection
        .wait_for(|c| *c == Connection::Online)
        .await
        .unwrap();
    desktop.caught_up(&db).await;
    assert_eq!(
        stored_replies(&db, &chat).await,
        ["r1", "r2", "r3", "r4", "r5"]
    );
    let (state, _) = desktop.outbox.entry(&first).await.unwrap().unwrap();
    assert_eq!(state, "applied");
    assert_mirrored(&db, &desktop.panel).await;
    let late = desktop
        .shown("SELECT text FROM messages WHERE id = 'm-late'")
        .await;
    assert_eq!(late, ["Hello?"], "the customer's message reached the cache");
    desktop.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_mid_run_loses_and_repeats_nothing() {
    let Ok(restart) = std::env::var("SWITCHBOARD_TEST_PG_RESTART") else {
        panic!(
            "SWITCHBOARD_TEST_PG_RESTART is not set: run the tests with `cargo xtask test`, which says how to restart its throwaway Postgres"
        );
    };
    let _serial = SERIAL.lock().await;
    let db = SharedDb::create("to_all").await;
    let chat = ann_has_a_chat(&db).await;
    let (host, port) = upstream();
    let dir = tempfile::tempdir().unwrap();
    let mut desktop = ann_desktop(&db, dir.path(), &host, port).await;
    desktop.caught_up(&db).await;

    let texts: Vec<String> = (1..=30).map(|i| format!("r{i}")).collect();
    for text in &texts[..10] {
        let reply = Change::Send {
            chat: chat.clone(),
            text: text.clone(),
        };
        desktop.outbox.push(reply).await.unwrap();
    }
    desktop.settled(3).await;
    let restarting = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh")
            .args(["-c", &restart])
            .status()
            .unwrap()
    });
    // The operator goes on writing while the server restarts.
    for text in &texts[10..] {
        let reply = Change::Send {
            chat: chat.clone(),
            text: text.clone(),
        };
        desktop.outbox.push(reply).await.unwrap();
    }
    assert!(restarting.await.unwrap().success(), "Postgres restarted");

    desktop.settled(30).await;
    desktop.caught_up(&db).await;
    assert_eq!(stored_replies(&db, &chat).await, texts);
    assert_mirrored(&db, &desktop.panel).await;
    desktop.stop().await;
}
