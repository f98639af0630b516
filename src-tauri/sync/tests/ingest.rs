//! Shared mode's Telegram ingest: the desktop that holds a bot's lease stores each polled batch
//! with its offset through `sb_ingest_telegram`, exactly once, and nobody else can.

mod shared_db;

use std::sync::Arc;

use serde_json::{Value, json};
use shared_db::SharedDb;
use sqlx::PgConnection;
use switchboard_engine::clock::ManualClock;
use switchboard_sync::router::{RouterClock, SharedRouter};

const TTL_MS: i64 = 10_000;

fn update(key: &str, user: &str, text: &str, at: i64) -> Value {
    json!({"key": key, "user": user, "name": format!("Customer {user}"), "username": null,
           "chat": user, "text": text, "at": at})
}

async fn acquire(desktop: &mut PgConnection, holder: &str) -> i64 {
    sqlx::query_scalar("SELECT sb_acquire_lease('tg', $1, $2)")
        .bind(holder)
        .bind(TTL_MS)
        .fetch_one(desktop)
        .await
        .unwrap()
}

async fn ingest(
    desktop: &mut PgConnection,
    holder: &str,
    fencing: i64,
    offset: i64,
    batch: &[Value],
) -> Result<i32, String> {
    sqlx::query_scalar("SELECT sb_ingest_telegram('tg', $1, $2, $3, $4::JSONB)")
        .bind(holder)
        .bind(fencing)
        .bind(offset)
        .bind(Value::from(batch.to_vec()).to_string())
        .fetch_one(desktop)
        .await
        .map_err(|e| e.to_string())
}

async fn scalar(db: &SharedDb, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&db.owner).await.unwrap()
}

#[tokio::test]
async fn the_lease_holder_stores_a_batch_with_its_offset_once() {
    let db = SharedDb::create("to_all").await;
    let ann = db.operator("ann").await;
    let mut desktop = db.desktop_of("ann").await;
    let fencing = acquire(&mut desktop, "ann-desktop").await;
    let batch = [
        update("42/1", "42", "Hello", 1_000),
        update("42/2", "42", "Are you there?", 1_001),
        update("43/1", "43", "Hi", 1_002),
    ];
    assert_eq!(
        ingest(&mut desktop, "ann-desktop", fencing, 11, &batch).await,
        Ok(3)
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM chats WHERE state = 'queued'").await,
        2
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM messages WHERE kind = 'inbound'").await,
        3
    );
    let offset = scalar(
        &db,
        "SELECT next_offset FROM telegram_cursors WHERE channel_id = 'tg'",
    );
    assert_eq!(offset.await, 11);

    // Telegram redelivers the batch (the offset was not confirmed to it): nothing new.
    assert_eq!(
        ingest(&mut desktop, "ann-desktop", fencing, 11, &batch).await,
        Ok(0)
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM messages WHERE kind = 'inbound'").await,
        3
    );

    // The router routes the new chats like any others.
    let clock = ManualClock::at(2_000);
    SharedRouter::new(db.owner.clone(), RouterClock::Fixed(Arc::new(clock)))
        .route_once()
        .await
        .unwrap();
    let offered = sqlx::query_scalar::<_, String>("SELECT DISTINCT user_id FROM chat_offers")
        .fetch_all(&db.owner)
        .await
        .unwrap();
    assert_eq!(offered, [ann]);
}

#[tokio::test]
async fn a_desktop_without_the_lease_stores_nothing() {
    let db = SharedDb::create("to_all").await;
    db.operator("ann").await;
    db.operator("bob").await;
    let mut ann = db.desktop_of("ann").await;
    let mut bob = db.desktop_of("bob").await;
    let fencing = acquire(&mut ann, "ann-desktop").await;
    let batch = [update("42/1", "42", "Hello", 1_000)];

    // Bob reads Ann's token (leases are readable) but the lease is not his role's.
    let refused = ingest(&mut bob, "ann-desktop", fencing, 2, &batch)
        .await
        .unwrap_err();
    assert!(refused.contains("no longer holds the lease"), "{refused}");
    // A stale token after a release and re-acquisition is refused too.
    sqlx::query("SELECT sb_release_lease('tg', 'ann-desktop', $1)")
        .bind(fencing)
        .execute(&mut ann)
        .await
        .unwrap();
    let newer = acquire(&mut bob, "bob-desktop").await;
    assert!(newer > fencing);
    let stale = ingest(&mut ann, "ann-desktop", fencing, 2, &batch)
        .await
        .unwrap_err();
    assert!(stale.contains("no longer holds the lease"), "{stale}");
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM messages").await, 0);
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM telegram_cursors").await,
        0
    );

    assert_eq!(
        ingest(&mut bob, "bob-desktop", newer, 2, &batch).await,
        Ok(1)
    );
}

#[tokio::test]
async fn a_customer_who_writes_after_completion_starts_a_new_chat() {
    let db = SharedDb::create("to_all").await;
    db.operator("ann").await;
    let mut desktop = db.desktop_of("ann").await;
    let fencing = acquire(&mut desktop, "d").await;
    ingest(
        &mut desktop,
        "d",
        fencing,
        2,
        &[update("42/1", "42", "Hello", 1_000)],
    )
    .await
    .unwrap();
    sqlx::query("UPDATE chats SET state = 'completed', completed_at = 1500")
        .execute(&db.owner)
        .await
        .unwrap();
    ingest(
        &mut desktop,
        "d",
        fencing,
        3,
        &[update("42/2", "42", "Me again", 2_000)],
    )
    .await
    .unwrap();
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM chats").await, 2);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM contacts").await, 1);
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM chats WHERE state = 'queued'").await,
        1
    );
}

#[tokio::test]
async fn a_malformed_batch_is_refused_whole() {
    let db = SharedDb::create("to_all").await;
    db.operator("ann").await;
    let mut desktop = db.desktop_of("ann").await;
    let fencing = acquire(&mut desktop, "d").await;
    let batch = [
        update("42/1", "42", "Hello", 1_000),
        json!({"key": "42/2", "user": "42", "chat": "42", "at": 1_001}),
    ];
    let refused = ingest(&mut desktop, "d", fencing, 3, &batch)
        .await
        .unwrap_err();
    assert!(
        refused.contains("lacks its key, sender, chat, text or time"),
        "{refused}"
    );
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM messages").await, 0);
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM telegram_cursors").await,
        0
    );
}

#[tokio::test]
async fn a_customers_edit_replaces_the_text_once_and_only_when_newer() {
    let db = SharedDb::create("to_all").await;
    db.operator("ann").await;
    let mut desktop = db.desktop_of("ann").await;
    let fencing = acquire(&mut desktop, "ann-desktop").await;
    let edit = |text: &str, edited_at: i64| {
        let mut u = update("42/1", "42", text, 1_000);
        u["edited_at"] = json!(edited_at);
        u
    };
    // The message, and its edit in the same batch; then the edit delivered again, and an older
    // edit arriving late.
    let stored = ingest(
        &mut desktop,
        "ann-desktop",
        fencing,
        10,
        &[update("42/1", "42", "Helo", 1_000), edit("Hello", 5_000)],
    )
    .await
    .unwrap();
    assert_eq!(stored, 2, "one message stored, one edit applied");
    for (offset, late) in [(11, edit("Hello", 5_000)), (12, edit("Hel", 3_000))] {
        let n = ingest(&mut desktop, "ann-desktop", fencing, offset, &[late])
            .await
            .unwrap();
        assert_eq!(n, 0, "an edit already applied, or older, changes nothing");
    }
    let (text, edited_at): (String, Option<i64>) =
        sqlx::query_as("SELECT text, edited_at FROM messages WHERE provider_key = '42/1'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!((text.as_str(), edited_at), ("Hello", Some(5_000)));
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM messages").await, 1);

    // An edit of a message sent before the bot was first polled arrives on its own.
    let n = ingest(
        &mut desktop,
        "ann-desktop",
        fencing,
        13,
        &[{
            let mut u = update("43/7", "43", "Order 1234, not 1243", 900);
            u["edited_at"] = json!(6_000);
            u
        }],
    )
    .await
    .unwrap();
    assert_eq!(n, 2);
    let (text, edited_at): (String, Option<i64>) =
        sqlx::query_as("SELECT text, edited_at FROM messages WHERE provider_key = '43/7'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(
        (text.as_str(), edited_at),
        ("Order 1234, not 1243", Some(6_000))
    );

    // A desktop without the lease cannot edit either.
    let mut bob = db.desktop_of("ann").await;
    let refused = ingest(
        &mut bob,
        "bob-desktop",
        fencing,
        14,
        &[edit("Hacked", 9_000)],
    )
    .await
    .unwrap_err();
    assert!(refused.contains("lease"), "{refused}");
    // Nor call the inner function directly.
    let direct =
        sqlx::query("SELECT sb_ingest_telegram_messages('tg', 'ann-desktop', $1, 15, '[]'::JSONB)")
            .bind(fencing)
            .execute(&mut desktop)
            .await
            .unwrap_err();
    assert!(direct.to_string().contains("permission denied"), "{direct}");
}
