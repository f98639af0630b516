//! The follower on a real Postgres and a real SQLite file: woken by NOTIFY, by the periodic pull
//! when no notification comes, and restarted from its persisted position.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_sync::feed::Cursor;
use switchboard_sync::follower::{Follower, FollowerConfig, FollowerHandle};

const HOUR: Duration = Duration::from_secs(3600);
const WITHIN: Duration = Duration::from_secs(5);

async fn start(
    pg: &sqlx::PgPool,
    cache: &Arc<common::SqliteCache>,
    config: FollowerConfig,
) -> FollowerHandle {
    let from = cache.position().await;
    let mut handle = Follower::start(pg.clone(), cache.clone(), from, config)
        .await
        .unwrap();
    // The first catch-up is done: what follows can only arrive by a wake-up.
    handle.rounds.wait_for(|n| *n >= 1).await.unwrap();
    handle
}

async fn cache() -> (tempfile::TempDir, Arc<common::SqliteCache>) {
    let dir = tempfile::tempdir().unwrap();
    let cache = common::SqliteCache::open(&dir.path().join("cache.sqlite")).await;
    (dir, Arc::new(cache))
}

#[tokio::test]
async fn a_notification_wakes_the_follower_long_before_the_periodic_pull() {
    let _serial = common::SERIAL.lock().await;
    let pg = common::postgres().await;
    common::seed(&pg).await;
    let (_dir, cache) = cache().await;
    let config = FollowerConfig {
        safety_net: HOUR,
        held_back_retry: HOUR,
        ..FollowerConfig::default()
    };
    let follower = start(&pg, &cache, config).await;

    let started = Instant::now();
    common::insert_chat(&pg, "new").await;
    cache.wait_for(common::last_change(&pg).await, WITHIN).await;
    println!("applied {:?} after the commit", started.elapsed());
    follower.stop().await;
    assert_eq!(cache.rows().await, common::whole_log(&pg).await);
}

#[tokio::test]
async fn a_change_whose_notification_never_came_is_applied_by_the_periodic_pull() {
    let _serial = common::SERIAL.lock().await;
    let pg = common::postgres().await;
    let (_dir, cache) = cache().await;
    let config = FollowerConfig {
        safety_net: Duration::from_millis(200),
        held_back_retry: HOUR,
        ..FollowerConfig::default()
    };
    let follower = start(&pg, &cache, config).await;

    // Written straight into the log: no trigger on change_log, so no NOTIFY.
    sqlx::query("INSERT INTO change_log (table_name, row_id, op) VALUES ('chats', 'x', 'update')")
        .execute(&pg)
        .await
        .unwrap();
    cache.wait_for(common::last_change(&pg).await, WITHIN).await;
    follower.stop().await;
    assert_eq!(cache.rows().await, common::whole_log(&pg).await);
}

#[tokio::test]
async fn a_change_held_back_by_a_transaction_that_rolls_back_is_applied_without_a_notification() {
    let _serial = common::SERIAL.lock().await;
    let pg = common::postgres().await;
    common::seed(&pg).await;
    let (_dir, cache) = cache().await;
    let config = FollowerConfig {
        safety_net: HOUR,
        held_back_retry: Duration::from_millis(20),
        ..FollowerConfig::default()
    };
    let mut follower = start(&pg, &cache, config).await;

    let mut older = pg.begin().await.unwrap();
    common::insert_chat(&mut *older, "gone").await;
    let rounds = *follower.rounds.borrow();
    common::insert_chat(&pg, "kept").await;
    // Its NOTIFY wakes the follower, which finds it held back behind `older`.
    follower.rounds.wait_for(|n| *n > rounds).await.unwrap();
    older.rollback().await.unwrap(); // a rollback notifies nobody
    cache.wait_for(common::last_change(&pg).await, WITHIN).await;
    follower.stop().await;
    assert_eq!(cache.rows().await, common::whole_log(&pg).await);
}

#[tokio::test]
async fn a_restarted_follower_continues_from_its_persisted_position_and_applies_nothing_twice() {
    let _serial = common::SERIAL.lock().await;
    let pg = common::postgres().await;
    common::seed(&pg).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let config = FollowerConfig {
        batch_size: 2,
        safety_net: HOUR,
        ..FollowerConfig::default()
    };

    let cache = Arc::new(common::SqliteCache::open(&path).await);
    let follower = start(&pg, &cache, config).await;
    for id in ["1", "2", "3"] {
        common::insert_chat(&pg, id).await;
    }
    cache.wait_for(common::last_change(&pg).await, WITHIN).await;
    follower.stop().await;
    let before = cache.position().await;
    cache.db.close().await;

    // Written while the desktop is off.
    for id in ["4", "5", "6", "7", "8"] {
        common::insert_chat(&pg, id).await;
    }

    let cache = Arc::new(common::SqliteCache::open(&path).await);
    assert_eq!(cache.position().await, before);
    assert_ne!(before, Cursor::START);
    let follower = start(&pg, &cache, config).await;
    cache.wait_for(common::last_change(&pg).await, WITHIN).await;
    follower.stop().await;

    let rows = cache.rows().await;
    assert_eq!(
        rows,
        common::whole_log(&pg).await,
        "each change applied once, in order"
    );
    assert_eq!(rows.len(), 3 + 8);
}
