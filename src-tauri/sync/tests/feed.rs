//! The change feed on a real Postgres: out-of-order commits, batches, idempotence.

mod common;

use std::time::Instant;

use switchboard_sync::feed::{Batch, ChangeFeed, Cursor, Op};
use switchboard_sync::follower::ApplyChanges;

async fn drain(pg: &sqlx::PgPool) -> Cursor {
    let mut cursor = Cursor::START;
    loop {
        let batch = ChangeFeed::pull(pg, cursor, 1000).await.unwrap();
        if batch.changes.is_empty() {
            return cursor;
        }
        cursor = batch.next_after;
    }
}

fn chats(batch: &Batch) -> Vec<&str> {
    batch
        .changes
        .iter()
        .map(|c| {
            assert_eq!((c.table.as_str(), c.op), ("chats", Op::Insert));
            c.row_id.as_str()
        })
        .collect()
}

#[tokio::test]
async fn a_change_committed_behind_an_open_transaction_waits_for_it_and_nothing_is_skipped() {
    let _serial = common::SERIAL.lock().await;
    let pg = common::postgres().await;
    common::seed(&pg).await;
    let start = drain(&pg).await;

    // A takes a position and stays open; B takes a later one and commits first.
    let mut a = pg.begin().await.unwrap();
    common::insert_chat(&mut *a, "a").await;
    let mut b = pg.begin().await.unwrap();
    common::insert_chat(&mut *b, "b").await;
    b.commit().await.unwrap();

    let held = ChangeFeed::pull(&pg, start, 100).await.unwrap();
    assert!(held.changes.is_empty(), "B returned past A: {held:?}");
    assert_eq!(held.next_after, start, "the cursor moved past A");
    assert!(held.held_back, "B is committed and waiting");

    a.commit().await.unwrap();
    let batch = ChangeFeed::pull(&pg, held.next_after, 100).await.unwrap();
    assert_eq!(chats(&batch), ["a", "b"]);
    assert!(batch.changes[0].position < batch.changes[1].position);
    assert!(!batch.held_back);
    let after = ChangeFeed::pull(&pg, batch.next_after, 100).await.unwrap();
    assert!(after.changes.is_empty());
}

#[tokio::test]
async fn a_younger_transaction_is_not_skipped_when_an_older_one_commits_a_later_position() {
    let _serial = common::SERIAL.lock().await;
    let pg = common::postgres().await;
    common::seed(&pg).await;
    let start = drain(&pg).await;

    // C gets the older transaction id, A a younger one and the smaller position of the two
    // writes that follow; C commits while A is still open.
    let mut c = pg.begin().await.unwrap();
    common::insert_chat(&mut *c, "c1").await;
    let mut a = pg.begin().await.unwrap();
    common::insert_chat(&mut *a, "a").await;
    common::insert_chat(&mut *c, "c2").await;
    c.commit().await.unwrap();

    let first = ChangeFeed::pull(&pg, start, 100).await.unwrap();
    assert_eq!(chats(&first), ["c1", "c2"]);
    a.commit().await.unwrap();
    let second = ChangeFeed::pull(&pg, first.next_after, 100).await.unwrap();
    assert_eq!(chats(&second), ["a"]);
    // "position > last seen" would have skipped A for good.
    assert!(second.changes[0].position < first.next_after.position);
}

#[tokio::test]
async fn a_rolled_back_transaction_leaves_no_change_and_does_not_hold_the_feed() {
    let _serial = common::SERIAL.lock().await;
    let pg = common::postgres().await;
    common::seed(&pg).await;
    let start = drain(&pg).await;

    let mut gone = pg.begin().await.unwrap();
    common::insert_chat(&mut *gone, "gone").await;
    common::insert_chat(&pg, "kept").await;
    assert!(ChangeFeed::pull(&pg, start, 100).await.unwrap().held_back);
    gone.rollback().await.unwrap();

    let batch = ChangeFeed::pull(&pg, start, 100).await.unwrap();
    assert_eq!(chats(&batch), ["kept"]);
}

#[tokio::test]
async fn pulling_again_from_the_same_cursor_returns_the_same_changes() {
    let _serial = common::SERIAL.lock().await;
    let pg = common::postgres().await;
    common::seed(&pg).await;
    for id in ["x", "y", "z"] {
        common::insert_chat(&pg, id).await;
    }
    let first = ChangeFeed::pull(&pg, Cursor::START, 4).await.unwrap();
    let again = ChangeFeed::pull(&pg, Cursor::START, 4).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(first.changes.len(), 4);
    let rest = ChangeFeed::pull(&pg, first.next_after, 100).await.unwrap();
    assert_eq!(chats(&rest), ["y", "z"]);
}

#[tokio::test]
async fn ten_thousand_changes_arrive_in_batches_of_500_in_order_with_the_position_persisted() {
    let _serial = common::SERIAL.lock().await;
    let pg = common::postgres().await;
    // Ten writing transactions of 1,000 rows each.
    for t in 0..10 {
        sqlx::query(
            "INSERT INTO users (id, name, created_at)
             SELECT 'u' || $1 || '-' || i, 'Operator', 0 FROM generate_series(1, 1000) AS i",
        )
        .bind(t)
        .execute(&pg)
        .await
        .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = common::SqliteCache::open(&dir.path().join("cache.sqlite")).await;

    let started = Instant::now();
    let mut cursor = cache.position().await;
    let mut batches = 0;
    loop {
        let batch = ChangeFeed::pull(&pg, cursor, 500).await.unwrap();
        if batch.changes.is_empty() {
            break;
        }
        assert_eq!(batch.changes.len(), 500);
        cache.apply(&batch).await.unwrap();
        batches += 1;
        cursor = cache.position().await;
        assert_eq!(
            cursor, batch.next_after,
            "position persisted with the batch"
        );
        // Between batches the feed holds nothing open on the server.
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
        )
        .fetch_one(&pg)
        .await
        .unwrap();
        assert_eq!(open, 0);
    }
    println!(
        "10,000 changes in {batches} batches: {:?}",
        started.elapsed()
    );
    assert_eq!(batches, 20);
    assert_eq!(cache.rows().await, common::whole_log(&pg).await);
    assert_eq!(cursor, common::last_change(&pg).await);
}
