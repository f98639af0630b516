//! A desktop's SQLite cache (the engine's own schema) following Postgres through the change feed:
//! after a busy stretch of a contact centre it equals Postgres row for row, it resumes from its
//! position after a stop, and a week's backlog arrives in batches the panel can read between.

mod shared_db;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shared_db::SharedDb;
use shared_db::mirror::assert_mirrored;
use sqlx::SqlitePool;
use switchboard_engine::clock::ManualClock;
use switchboard_sync::cache::CacheMirror;
use switchboard_sync::feed::ChangeFeed;
use switchboard_sync::follower::{Follower, FollowerConfig, FollowerHandle};
use switchboard_sync::router::{RouterClock, SharedRouter};

/// The feed's horizon is cluster-wide: these tests wait for catch-up, so they run one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Desktop {
    mirror: Arc<CacheMirror>,
    follower: FollowerHandle,
    /// What the panel reads through (the engine's pool on the same file).
    panel: SqlitePool,
}

async fn start_desktop(db: &SharedDb, file: &Path, batch_size: i64) -> Desktop {
    let panel = switchboard_engine::store::open_schema(file).await.unwrap();
    let mirror = Arc::new(CacheMirror::open(file, db.owner.clone()).await.unwrap());
    let from = mirror.position().await.unwrap();
    let config = FollowerConfig {
        batch_size,
        safety_net: Duration::from_secs(1),
        held_back_retry: Duration::from_millis(20),
    };
    let follower = Follower::start(db.owner.clone(), mirror.clone(), from, config)
        .await
        .unwrap();
    Desktop {
        mirror,
        follower,
        panel,
    }
}

impl Desktop {
    /// Waits until the cache has every change committed so far.
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
}

async fn apply(db: &SharedDb, who: &str, kind: &str, args: Value) -> Value {
    let mut desktop = db.desktop_of(who).await;
    let text: String = sqlx::query_scalar("SELECT sb_apply($1, $2, $3::JSONB)::TEXT")
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(kind)
        .bind(args.to_string())
        .fetch_one(&mut desktop)
        .await
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Customers write, the router offers, operators accept, answer and complete, an admin edits the
/// queue's members: every kind of insert, update and delete, composite keys included.
async fn busy_stretch(db: &SharedDb, customers: usize, first: usize) {
    let router = SharedRouter::new(
        db.owner.clone(),
        RouterClock::Fixed(Arc::new(ManualClock::at(1_000_000))),
    );
    let operators = ["ann", "bob", "cat"];
    for i in first..first + customers {
        let chat = db.customer_writes(&format!("c{i}"), 1_000 + i as i64).await;
        router.route_once().await.unwrap();
        let who = operators[i % operators.len()];
        if apply(db, who, "accept", json!({"chat": chat})).await["applied"] == json!(true) {
            apply(
                db,
                who,
                "send",
                json!({"chat": chat, "text": format!("Hello c{i}")}),
            )
            .await;
            if i % 2 == 0 {
                apply(db, who, "complete", json!({"chat": chat})).await;
            }
        }
    }
    // A few wait, offered to everyone, when Cat leaves the queue.
    for i in first + customers..first + customers + 3 {
        db.customer_writes(&format!("c{i}"), 1_000 + i as i64).await;
    }
    router.route_once().await.unwrap();
    sqlx::query("UPDATE queues SET name = $1 WHERE id = 'q'")
        .bind(format!("Support {first}"))
        .execute(&db.owner)
        .await
        .unwrap();
    sqlx::query("DELETE FROM queue_operators WHERE user_id = 'u-cat'")
        .execute(&db.owner)
        .await
        .unwrap();
    router.route_once().await.unwrap();
}

#[tokio::test]
async fn the_cache_equals_postgres_row_for_row_after_a_busy_stretch() {
    let _serial = SERIAL.lock().await;
    let db = SharedDb::create("to_all").await;
    // Room for everyone's chats, so the last customers are offered to all three.
    db.set("SimultaneousChats", "50").await;
    for name in ["ann", "bob", "cat"] {
        db.operator(name).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut desktop = start_desktop(&db, &dir.path().join("cache.sqlite"), 50).await;
    busy_stretch(&db, 40, 0).await;
    desktop.caught_up(&db).await;
    assert_mirrored(&db, &desktop.panel).await;
    let offers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chat_offers")
        .fetch_one(&desktop.panel)
        .await
        .unwrap();
    let cat_offers: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM chat_offers WHERE user_id = 'u-cat'")
            .fetch_one(&desktop.panel)
            .await
            .unwrap();
    assert!(offers > 0, "some chats still wait, offered");
    assert_eq!(
        cat_offers, 0,
        "Cat left the queue: her offers were deleted here too"
    );
    desktop.follower.stop().await;
}

#[tokio::test]
async fn a_stopped_cache_resumes_from_its_position() {
    let _serial = SERIAL.lock().await;
    let db = SharedDb::create("to_all").await;
    for name in ["ann", "bob", "cat"] {
        db.operator(name).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cache.sqlite");
    let mut desktop = start_desktop(&db, &file, 25).await;
    busy_stretch(&db, 10, 0).await;
    desktop.caught_up(&db).await;
    let stopped_at = desktop.mirror.position().await.unwrap();
    desktop.follower.stop().await;

    // The desktop is off while the contact centre goes on.
    busy_stretch(&db, 15, 20).await;
    let mut desktop = start_desktop(&db, &file, 25).await;
    assert_eq!(desktop.mirror.position().await.unwrap(), stopped_at);
    desktop.caught_up(&db).await;
    assert!(desktop.mirror.position().await.unwrap() > stopped_at);
    assert_mirrored(&db, &desktop.panel).await;
    desktop.follower.stop().await;
}

#[tokio::test]
async fn a_week_of_backlog_arrives_in_batches_the_panel_reads_between() {
    let _serial = SERIAL.lock().await;
    let db = SharedDb::create("to_all").await;
    db.customer_writes("c0", 1_000).await;
    let total = 10_000;
    sqlx::query(
        "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at, provider_key)
         SELECT 'm' || n, 'chat-c0', 'tg', 'inbound', 'Message ' || n, 'c0', 2000 + n, 'k' || n
         FROM generate_series(1, $1) AS n",
    )
    .bind(total)
    .execute(&db.owner)
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut desktop = start_desktop(&db, &dir.path().join("cache.sqlite"), 500).await;

    // The panel keeps reading while the backlog arrives: it sees it grow batch by batch, never
    // waits for one long transaction.
    let panel = desktop.panel.clone();
    let watcher = tokio::spawn(async move {
        let mut seen = Vec::new();
        loop {
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
                .fetch_one(&panel)
                .await
                .unwrap();
            if seen.last() != Some(&count) {
                seen.push(count);
            }
            if count > total as i64 {
                return seen;
            }
            tokio::task::yield_now().await;
        }
    });
    desktop.caught_up(&db).await;
    let seen = watcher.await.unwrap();
    assert!(
        seen.len() > 3,
        "the panel saw the backlog arrive in steps: {seen:?}"
    );
    assert!(*desktop.follower.rounds.borrow() >= 1);
    assert_mirrored(&db, &desktop.panel).await;
    desktop.follower.stop().await;
}

/// Postgres's unique rules hold for its current rows, but the cache applies changes in the feed's
/// order, in which a row may arrive before the change that made room for it. A unique rule of the
/// cache's schema must not stop the cache there (it would retry the same batch forever).
#[tokio::test]
async fn rows_that_swap_a_unique_value_never_stall_the_cache() {
    let _serial = SERIAL.lock().await;
    let db = SharedDb::create("to_all").await;
    sqlx::query("INSERT INTO queues (id, name, rule) VALUES ('q2', 'Sales', 'to_all')")
        .execute(&db.owner)
        .await
        .unwrap();
    let customer_chat = db.customer_writes("c1", 1).await;
    let dir = tempfile::tempdir().unwrap();
    let mut desktop = start_desktop(&db, &dir.path().join("cache.sqlite"), 50).await;
    desktop.caught_up(&db).await;

    // Two queues swap their names in one transaction.
    let mut tx = db.owner.begin().await.unwrap();
    for sql in [
        "UPDATE queues SET name = 'swapping' WHERE id = 'q'",
        "UPDATE queues SET name = 'Support' WHERE id = 'q2'",
        "UPDATE queues SET name = 'Sales' WHERE id = 'q'",
    ] {
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();

    // A customer's chat is completed and their next message opens a new one, but the
    // transaction that opens it took its place in the feed first (it wrote something before).
    let mut opener = db.owner.begin().await.unwrap();
    sqlx::query("UPDATE settings SET value = value WHERE key = 'SimultaneousChats'")
        .execute(&mut *opener)
        .await
        .unwrap();
    sqlx::query("INSERT INTO settings (key, value) VALUES ('x-opened', '1')")
        .execute(&mut *opener)
        .await
        .unwrap();
    sqlx::query("UPDATE chats SET state = 'completed', completed_at = 2 WHERE id = $1")
        .bind(&customer_chat)
        .execute(&db.owner)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id,
                            created_at, last_activity_at, last_message_at)
         VALUES ('chat-c1-again', 'tg', 'c1', 'q', 'queued', 'c1', 3, 3, 3)",
    )
    .execute(&mut *opener)
    .await
    .unwrap();
    opener.commit().await.unwrap();

    desktop.caught_up(&db).await;
    assert_mirrored(&db, &desktop.panel).await;
    let names: Vec<(String, String)> = sqlx::query_as("SELECT id, name FROM queues ORDER BY id")
        .fetch_all(&desktop.panel)
        .await
        .unwrap();
    assert_eq!(
        names,
        [
            ("q".to_owned(), "Sales".to_owned()),
            ("q2".to_owned(), "Support".to_owned())
        ]
    );
    desktop.follower.stop().await;
}

/// The panel lists a chat's messages in the order the cache got them (rowid): a message changed
/// later (marked read, sent, edited) keeps its place.
#[tokio::test]
async fn a_changed_message_keeps_its_place_in_the_conversation() {
    let _serial = SERIAL.lock().await;
    let db = SharedDb::create("to_all").await;
    let chat = db.customer_writes("c1", 1).await;
    for (id, at) in [("m-2", 2), ("m-3", 3)] {
        sqlx::query(
            "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at, provider_key)
             VALUES ($1, $2, 'tg', 'inbound', 'more', 'c1', $3, $1)",
        )
        .bind(id)
        .bind(&chat)
        .bind(at)
        .execute(&db.owner)
        .await
        .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let mut desktop = start_desktop(&db, &dir.path().join("cache.sqlite"), 50).await;
    desktop.caught_up(&db).await;
    let order = |panel: SqlitePool| async move {
        sqlx::query_scalar::<_, String>("SELECT id FROM messages ORDER BY rowid")
            .fetch_all(&panel)
            .await
            .unwrap()
    };
    let before = order(desktop.panel.clone()).await;
    assert_eq!(before, ["m-c1", "m-2", "m-3"]);

    sqlx::query("UPDATE messages SET text = 'Hello (edited)', edited_at = 9 WHERE id = 'm-c1'")
        .execute(&db.owner)
        .await
        .unwrap();
    desktop.caught_up(&db).await;
    assert_mirrored(&db, &desktop.panel).await;
    assert_eq!(order(desktop.panel.clone()).await, before);
    desktop.follower.stop().await;
}

/// A cache whose schema is ahead of the shared database (a newer desktop on an older server)
/// still follows it: a column Postgres lacks reads as empty.
#[tokio::test]
async fn a_column_postgres_lacks_is_mirrored_as_empty() {
    let _serial = SERIAL.lock().await;
    let db = SharedDb::create("to_all").await;
    sqlx::query("ALTER TABLE messages DROP COLUMN edited_at")
        .execute(&db.owner)
        .await
        .unwrap();
    let chat = db.customer_writes("c1", 1).await;
    let dir = tempfile::tempdir().unwrap();
    let mut desktop = start_desktop(&db, &dir.path().join("cache.sqlite"), 50).await;
    desktop.caught_up(&db).await;
    let (text, edited_at): (String, Option<i64>) =
        sqlx::query_as("SELECT text, edited_at FROM messages WHERE chat_id = ?")
            .bind(&chat)
            .fetch_one(&desktop.panel)
            .await
            .unwrap();
    assert_eq!((text.as_str(), edited_at), ("Hello", None));
    desktop.follower.stop().await;
}
