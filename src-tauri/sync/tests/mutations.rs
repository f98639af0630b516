//! Up-sync: an operator's outbox entries reach Postgres through `sb_apply`, which applies each
//! once however often it is delivered, records refusals as outcomes, and lets nobody replay
//! another operator's entry.

mod shared_db;

use std::sync::Arc;

use serde_json::{Value, json};
use shared_db::SharedDb;
use sqlx::PgConnection;
use switchboard_engine::clock::ManualClock;
use switchboard_sync::router::{RouterClock, SharedRouter};

async fn apply(desktop: &mut PgConnection, id: &str, kind: &str, args: Value) -> Value {
    try_apply(desktop, id, kind, args).await.unwrap()
}

async fn try_apply(
    desktop: &mut PgConnection,
    id: &str,
    kind: &str,
    args: Value,
) -> Result<Value, String> {
    let outcome: String = sqlx::query_scalar("SELECT sb_apply($1, $2, $3::JSONB)::TEXT")
        .bind(id)
        .bind(kind)
        .bind(args.to_string())
        .fetch_one(desktop)
        .await
        .map_err(|e| e.to_string())?;
    Ok(serde_json::from_str(&outcome).unwrap())
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A `to_all` queue with Ann and Bob, and one customer's chat offered to both.
async fn offered_chat() -> (SharedDb, String) {
    let db = SharedDb::create("to_all").await;
    db.operator("ann").await;
    db.operator("bob").await;
    let chat = db.customer_writes("c1", 1_000).await;
    let clock = ManualClock::at(2_000);
    SharedRouter::new(db.owner.clone(), RouterClock::Fixed(Arc::new(clock)))
        .route_once()
        .await
        .unwrap();
    (db, chat)
}

async fn count(db: &SharedDb, sql: &'static str, chat: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(chat)
        .fetch_one(&db.owner)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_accept_delivered_three_times_assigns_once() {
    let (db, chat) = offered_chat().await;
    let mut ann = db.desktop_of("ann").await;
    let id = new_id();
    let first = apply(&mut ann, &id, "accept", json!({"chat": chat})).await;
    assert_eq!(first, json!({"applied": true}));
    for _ in 0..2 {
        let again = apply(&mut ann, &id, "accept", json!({"chat": chat})).await;
        assert_eq!(again, json!({"applied": true, "replayed": true}));
    }
    assert_eq!(
        db.state_of(&chat).await,
        ("active".into(), Some("u-ann".into()))
    );
    let assigns = count(
        &db,
        "SELECT COUNT(*) FROM routing_decisions WHERE chat_id = $1 AND kind = 'assign'",
        &chat,
    )
    .await;
    assert_eq!(assigns, 1);
}

#[tokio::test]
async fn a_reply_redelivered_is_stored_once_under_the_desktops_id() {
    let (db, chat) = offered_chat().await;
    let mut ann = db.desktop_of("ann").await;
    apply(&mut ann, &new_id(), "accept", json!({"chat": chat})).await;
    let reply = new_id();
    for _ in 0..3 {
        let args = json!({"chat": chat, "text": "Hello, how can I help?"});
        apply(&mut ann, &reply, "send", args).await;
    }
    let (kind, delivery, author): (String, Option<String>, String) =
        sqlx::query_as("SELECT kind, delivery, author_user_id FROM messages WHERE id = $1")
            .bind(&reply)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(
        (kind.as_str(), delivery.as_deref()),
        ("outbound", Some("pending"))
    );
    assert_eq!(author, "u-ann");
    let outbound = count(
        &db,
        "SELECT COUNT(*) FROM messages WHERE chat_id = $1 AND kind = 'outbound'",
        &chat,
    )
    .await;
    assert_eq!(outbound, 1);
    let last_outbound: bool =
        sqlx::query_scalar("SELECT last_message_outbound FROM chats WHERE id = $1")
            .bind(&chat)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert!(
        last_outbound,
        "the completion timeout counts from this answer"
    );

    let note = new_id();
    apply(
        &mut ann,
        &note,
        "note",
        json!({"chat": chat, "text": "VIP"}),
    )
    .await;
    let notes = count(
        &db,
        "SELECT COUNT(*) FROM messages WHERE chat_id = $1 AND kind = 'note'",
        &chat,
    )
    .await;
    assert_eq!(notes, 1);
}

#[tokio::test]
async fn a_refusal_is_an_outcome_kept_for_every_redelivery() {
    let (db, chat) = offered_chat().await;
    let mut ann = db.desktop_of("ann").await;
    let mut bob = db.desktop_of("bob").await;
    apply(&mut ann, &new_id(), "accept", json!({"chat": chat})).await;

    let late = new_id();
    let refused = apply(&mut bob, &late, "accept", json!({"chat": chat})).await;
    assert_eq!(refused["applied"], json!(false));
    assert_eq!(refused["code"], json!("SB003"));
    assert_eq!(
        refused["message"],
        json!("Another operator has already accepted this chat.")
    );
    let again = apply(&mut bob, &late, "accept", json!({"chat": chat})).await;
    assert_eq!(again["code"], json!("SB003"));
    assert_eq!(again["replayed"], json!(true));

    // Bob cannot answer Ann's customer either; nothing is stored.
    let reply = new_id();
    let refused = apply(
        &mut bob,
        &reply,
        "send",
        json!({"chat": chat, "text": "Hi"}),
    )
    .await;
    assert_eq!(refused["code"], json!("SB005"));
    let stored = count(&db, "SELECT COUNT(*) FROM messages WHERE id = $1", &reply).await;
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn nobody_replays_another_operators_change_and_bad_input_is_refused() {
    let (db, chat) = offered_chat().await;
    let mut ann = db.desktop_of("ann").await;
    let mut bob = db.desktop_of("bob").await;
    let id = new_id();
    apply(&mut ann, &id, "accept", json!({"chat": chat})).await;
    let stolen = try_apply(&mut bob, &id, "accept", json!({"chat": chat}))
        .await
        .unwrap_err();
    assert!(stolen.contains("belongs to someone else"), "{stolen}");

    for (mutation, kind, args, words) in [
        ("not-a-uuid", "accept", json!({"chat": chat}), "a UUID"),
        (
            id.as_str(),
            "send",
            json!({"chat": chat, "text": "x"}),
            "someone else",
        ),
        (
            &new_id(),
            "send",
            json!({"chat": chat, "text": "  "}),
            "empty message",
        ),
        (&new_id(), "accept", json!({}), "which chat"),
        (
            &new_id(),
            "transfer_everything",
            json!({"chat": chat}),
            "Unknown change",
        ),
        (
            &new_id(),
            "status",
            json!({"status": "asleep"}),
            "active or inactive",
        ),
    ] {
        let error = try_apply(&mut ann, mutation, kind, args).await.unwrap_err();
        assert!(error.contains(words), "{kind}: {error}");
    }
    let direct = sqlx::query(
        "INSERT INTO applied_mutations (mutation_id, user_id, kind, applied_at, outcome)
         VALUES ('x', 'u-ann', 'accept', 0, '{}')",
    )
    .execute(&mut ann)
    .await
    .unwrap_err();
    assert!(direct.to_string().contains("permission denied"), "{direct}");
}

#[tokio::test]
async fn the_same_change_racing_from_two_connections_applies_once() {
    let (db, chat) = offered_chat().await;
    let id = new_id();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (db, chat, id) = (db.clone(), chat.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let mut ann = db.desktop_of("ann").await;
            apply(&mut ann, &id, "accept", json!({"chat": chat})).await
        }));
    }
    let mut fresh = 0;
    for task in tasks {
        let outcome = task.await.unwrap();
        assert_eq!(outcome["applied"], json!(true));
        if outcome.get("replayed").is_none() {
            fresh += 1;
        }
    }
    assert_eq!(
        fresh, 1,
        "one delivery applied it, the others found it applied"
    );
}

#[tokio::test]
async fn a_chat_transferred_to_a_queue_waits_there_for_someone_else() {
    let (db, chat) = offered_chat().await;
    sqlx::query("INSERT INTO queues (id, name, rule) VALUES ('q2', 'Billing', 'to_all')")
        .execute(&db.owner)
        .await
        .unwrap();
    for user in ["u-ann", "u-bob"] {
        sqlx::query("INSERT INTO queue_operators (queue_id, user_id) VALUES ('q2', $1)")
            .bind(user)
            .execute(&db.owner)
            .await
            .unwrap();
    }
    let mut ann = db.desktop_of("ann").await;
    apply(&mut ann, &new_id(), "accept", json!({"chat": chat})).await;
    let moved = apply(
        &mut ann,
        &new_id(),
        "transfer_to_queue",
        json!({"chat": chat, "queue": "q2"}),
    )
    .await;
    assert_eq!(moved, json!({"applied": true}));
    assert_eq!(db.state_of(&chat).await, ("queued".into(), None));
    let clock = ManualClock::at(3_000);
    SharedRouter::new(db.owner.clone(), RouterClock::Fixed(Arc::new(clock)))
        .route_once()
        .await
        .unwrap();
    assert_eq!(
        db.offers_of(&chat).await,
        ["u-bob"],
        "not offered back to Ann"
    );
    let line: String = sqlx::query_scalar(
        "SELECT text FROM messages WHERE chat_id = $1 AND kind = 'system' AND text LIKE 'Transferred%'",
    )
    .bind(&chat)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(line, "Transferred to queue Billing by ann");
    let unknown = try_apply(
        &mut ann,
        &new_id(),
        "transfer_to_queue",
        json!({"chat": chat, "queue": "nowhere"}),
    )
    .await
    .unwrap_err();
    assert!(unknown.contains("no queue"), "{unknown}");
}

#[tokio::test]
async fn a_chat_transferred_to_an_operator_follows_the_rules() {
    let (db, chat) = offered_chat().await;
    db.set("SimultaneousChats", "1").await;
    let mut ann = db.desktop_of("ann").await;
    let mut bob = db.desktop_of("bob").await;
    apply(&mut ann, &new_id(), "accept", json!({"chat": chat})).await;
    let to_bob = json!({"chat": chat, "operator": "u-bob"});

    apply(&mut bob, &new_id(), "status", json!({"status": "inactive"})).await;
    let refused = apply(&mut ann, &new_id(), "transfer_to_operator", to_bob.clone()).await;
    assert_eq!(refused["code"], json!("SB006"), "{refused}");
    apply(&mut bob, &new_id(), "status", json!({"status": "active"})).await;

    // Bob at his limit of one.
    let other = db.customer_writes("c2", 1_500).await;
    SharedRouter::new(
        db.owner.clone(),
        RouterClock::Fixed(Arc::new(ManualClock::at(2_500))),
    )
    .route_once()
    .await
    .unwrap();
    apply(&mut bob, &new_id(), "accept", json!({"chat": other})).await;
    let full = apply(&mut ann, &new_id(), "transfer_to_operator", to_bob.clone()).await;
    assert_eq!(full["code"], json!("SB004"), "{full}");
    apply(&mut bob, &new_id(), "complete", json!({"chat": other})).await;

    let done = apply(&mut ann, &new_id(), "transfer_to_operator", to_bob).await;
    assert_eq!(done, json!({"applied": true}));
    assert_eq!(
        db.state_of(&chat).await,
        ("active".into(), Some("u-bob".into()))
    );
    let not_hers = apply(&mut ann, &new_id(), "complete", json!({"chat": chat})).await;
    assert_eq!(not_hers["code"], json!("SB005"));
}
