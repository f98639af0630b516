//! The shared router on a real Postgres: the standalone routing rules, decided in one transaction,
//! with operators acting through their own roles and several routers running at once.

mod shared_db;

use std::sync::Arc;

use shared_db::SharedDb;
use switchboard_engine::clock::ManualClock;
use switchboard_sync::router::{RouterClock, SharedRouter};

const T0: i64 = 1_800_000_000_000;

fn router(db: &SharedDb, clock: &ManualClock) -> SharedRouter {
    SharedRouter::new(
        db.owner.clone(),
        RouterClock::Fixed(Arc::new(clock.clone())),
    )
}

async fn accept(db: &SharedDb, who: &str, chat: &str) -> Result<(), String> {
    let mut desktop = db.desktop_of(who).await;
    sqlx::query("SELECT sb_accept_chat($1)")
        .bind(chat)
        .execute(&mut desktop)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn change_count(db: &SharedDb) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM change_log")
        .fetch_one(&db.owner)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_to_all_offer_reaches_everyone_and_vanishes_when_one_accepts() {
    let db = SharedDb::create("to_all").await;
    let ann = db.operator("ann").await;
    let bob = db.operator("bob").await;
    let clock = ManualClock::at(T0);
    let chat = db.customer_writes("c1", T0).await;

    let pass = router(&db, &clock).route_once().await.unwrap();
    assert_eq!(pass.decisions.len(), 1, "{:?}", pass.decisions);
    assert_eq!(db.offers_of(&chat).await, [ann.clone(), bob.clone()]);
    assert_eq!(db.state_of(&chat).await.0, "offered");

    accept(&db, "ann", &chat).await.unwrap();
    assert_eq!(db.state_of(&chat).await, ("active".into(), Some(ann)));
    assert!(db.offers_of(&chat).await.is_empty(), "Bob's offer is gone");
    let refused = accept(&db, "bob", &chat).await.unwrap_err();
    assert!(refused.contains("already accepted"), "{refused}");

    // Nothing left to decide: a pass changes no row, so it wakes no follower (and no router).
    let changes = change_count(&db).await;
    let idle = router(&db, &clock).route_once().await.unwrap();
    assert!(idle.decisions.is_empty(), "{:?}", idle.decisions);
    assert_eq!(change_count(&db).await, changes);
}

#[tokio::test]
async fn a_waiting_chat_is_not_logged_again_by_every_pass() {
    let db = SharedDb::create("to_all").await;
    let clock = ManualClock::at(T0);
    db.customer_writes("c1", T0).await;
    let first = router(&db, &clock).route_once().await.unwrap();
    assert_eq!(db.decisions("wait").await, 1, "{:?}", first.decisions);
    for _ in 0..3 {
        router(&db, &clock).route_once().await.unwrap();
    }
    assert_eq!(
        db.decisions("wait").await,
        1,
        "no operator: still one 'wait' row"
    );

    // An operator joins the queue: the next pass offers the chat.
    let ann = db.operator("ann").await;
    router(&db, &clock).route_once().await.unwrap();
    assert_eq!(db.offers_of("chat-c1").await, [ann]);
}

#[tokio::test]
async fn an_operator_at_capacity_loses_their_other_offers() {
    let db = SharedDb::create("to_all").await;
    db.set("SimultaneousChats", "1").await;
    let ann = db.operator("ann").await;
    let bob = db.operator("bob").await;
    let clock = ManualClock::at(T0);
    let first = db.customer_writes("c1", T0).await;
    let second = db.customer_writes("c2", T0 + 1).await;
    router(&db, &clock).route_once().await.unwrap();
    assert_eq!(db.offers_of(&second).await, [ann.clone(), bob.clone()]);

    accept(&db, "ann", &first).await.unwrap();
    router(&db, &clock).route_once().await.unwrap();
    assert_eq!(
        db.offers_of(&second).await,
        [bob],
        "Ann is at her limit of 1"
    );
    let refused = accept(&db, "ann", &second).await.unwrap_err();
    assert!(refused.contains("not offered to you"), "{refused}");
}

#[tokio::test]
async fn a_missed_freest_offer_fires_once_however_many_routers_race() {
    let db = SharedDb::create("freest").await;
    db.set("OperatorAcceptChatTimeout", "1").await;
    let ann = db.operator("ann").await;
    let bob = db.operator("bob").await;
    let clock = ManualClock::at(T0);
    let chat = db.customer_writes("c1", T0).await;
    let pass = router(&db, &clock).route_once().await.unwrap();
    assert_eq!(
        db.offers_of(&chat).await,
        [ann.as_str()],
        "the smallest id breaks the tie"
    );
    assert_eq!(pass.next_deadline, Some(T0 + 60_000));

    // One millisecond early: nothing happens.
    clock.advance(59_999);
    router(&db, &clock).route_once().await.unwrap();
    assert_eq!(db.offers_of(&chat).await, [ann.as_str()]);

    // Due: six routers on six connections pass at once; exactly one acts.
    clock.advance(1);
    let passes: Vec<_> = (0..6)
        .map(|_| {
            let router = router(&db, &clock);
            tokio::spawn(async move { router.route_once().await.unwrap() })
        })
        .collect();
    let mut acted = 0;
    for pass in passes {
        if !pass.await.unwrap().decisions.is_empty() {
            acted += 1;
        }
    }
    assert_eq!(acted, 1);
    assert_eq!(db.decisions("set_inactive").await, 1);
    assert_eq!(db.status_of(&ann).await, "inactive");
    assert_eq!(db.offers_of(&chat).await, [bob], "the next freest gets it");
}

#[tokio::test]
async fn an_idle_chat_completes_once_after_the_queue_timeout() {
    let db = SharedDb::create("to_all").await;
    sqlx::query("UPDATE queues SET completion_timeout_min = 2")
        .execute(&db.owner)
        .await
        .unwrap();
    db.operator("ann").await;
    let clock = ManualClock::at(T0);
    let chat = db.customer_writes("c1", T0).await;
    router(&db, &clock).route_once().await.unwrap();
    accept(&db, "ann", &chat).await.unwrap();
    // The operator answered last: the completion clock runs from that message.
    sqlx::query(
        "UPDATE chats SET last_message_at = $1, last_message_outbound = TRUE WHERE id = $2",
    )
    .bind(T0 + 1_000)
    .bind(&chat)
    .execute(&db.owner)
    .await
    .unwrap();
    clock.advance(1_000 + 120_000);
    let (first, second) = (router(&db, &clock), router(&db, &clock));
    let (a, b) = tokio::join!(first.route_once(), second.route_once());
    a.unwrap();
    b.unwrap();
    assert_eq!(db.state_of(&chat).await, ("completed".into(), None));
    assert_eq!(db.decisions("complete").await, 1);
    let lines: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE chat_id = $1 AND kind = 'system' AND text LIKE 'Chat completed%'",
    )
    .bind(&chat)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(lines, 1);
}

#[tokio::test]
async fn a_backlog_longer_than_a_pass_is_routed_oldest_first_over_several_passes() {
    let db = SharedDb::create("freest").await;
    let ann = db.operator("ann").await;
    db.set("SimultaneousChats", "3").await;
    // 6,000 customers wrote while nobody routed (more than one pass takes), newest id first so
    // that id order and arrival order disagree.
    sqlx::query(
        "INSERT INTO contacts (id, channel_id, provider_user_id, name, created_at)
         SELECT 'ct' || g, 'tg', 'u' || g, 'Customer ' || g, g FROM generate_series(1, 6000) g",
    )
    .execute(&db.owner)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id,
                            created_at, last_activity_at, last_message_at)
         SELECT 'chat' || lpad((6001 - g)::text, 4, '0'), 'tg', 'ct' || g, 'q', 'queued',
                'u' || g, $1 + g, $1 + g, $1 + g
         FROM generate_series(1, 6000) g",
    )
    .bind(T0)
    .execute(&db.owner)
    .await
    .unwrap();
    let clock = ManualClock::at(T0 + 10_000);

    router(&db, &clock).route_once().await.unwrap();

    // Every chat got its place in line, in the order the customers wrote, and the operator got
    // the three who wrote first.
    let unrouted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chats WHERE arrival = 0")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(unrouted, 0);
    let out_of_order: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT arrival, lag(arrival) OVER (ORDER BY created_at) AS before
                               FROM chats) a
         WHERE a.arrival <= a.before",
    )
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(
        out_of_order, 0,
        "arrival follows the order customers wrote in"
    );
    let ann_has: Vec<String> = sqlx::query_scalar(
        "SELECT chat_id FROM chat_offers WHERE user_id = $1 ORDER BY chat_id DESC",
    )
    .bind(&ann)
    .fetch_all(&db.owner)
    .await
    .unwrap();
    assert_eq!(ann_has, ["chat6000", "chat5999", "chat5998"]);
    assert_eq!(db.decisions("offer").await, 3);
    assert_eq!(
        db.decisions("wait").await,
        5997,
        "each waiting chat logged once"
    );
}

#[tokio::test]
async fn a_freed_slot_goes_to_the_chat_that_waited_longest() {
    let db = SharedDb::create("freest").await;
    let ann = db.operator("ann").await;
    db.set("SimultaneousChats", "2").await;
    let clock = ManualClock::at(T0);
    let chats: Vec<String> = {
        let mut chats = Vec::new();
        for (i, customer) in ["c1", "c2", "c3", "c4", "c5"].iter().enumerate() {
            chats.push(db.customer_writes(customer, T0 + i as i64).await);
        }
        chats
    };
    router(&db, &clock).route_once().await.unwrap();
    assert_eq!(db.state_of(&chats[0]).await.0, "offered");
    assert_eq!(db.state_of(&chats[1]).await.0, "offered");
    for chat in &chats[2..] {
        assert_eq!(db.state_of(chat).await.0, "queued");
    }
    accept(&db, "ann", &chats[0]).await.unwrap();
    accept(&db, "ann", &chats[1]).await.unwrap();
    // Passes while Ann has no room read no waiting chat and change nothing.
    let changes = change_count(&db).await;
    router(&db, &clock).route_once().await.unwrap();
    assert_eq!(change_count(&db).await, changes);

    let mut desktop = db.desktop_of("ann").await;
    sqlx::query("SELECT sb_complete_chat($1)")
        .bind(&chats[1])
        .execute(&mut desktop)
        .await
        .unwrap();
    router(&db, &clock).route_once().await.unwrap();
    assert_eq!(
        db.offers_of(&chats[2]).await,
        vec![ann.clone()],
        "third in line"
    );
    assert!(db.offers_of(&chats[3]).await.is_empty());
    assert!(db.offers_of(&chats[4]).await.is_empty());

    // A new customer writes: behind everyone who waits, even unread by the pass.
    let late = db.customer_writes("c6", T0 + 100).await;
    router(&db, &clock).route_once().await.unwrap();
    let line: Vec<String> =
        sqlx::query_scalar("SELECT id FROM chats WHERE state = 'queued' ORDER BY arrival")
            .fetch_all(&db.owner)
            .await
            .unwrap();
    assert_eq!(line, [chats[3].clone(), chats[4].clone(), late]);
}
