//! 1. Cold sync of a backlog into an empty cache.

use super::*;

pub(crate) struct Cold {
    /// (batch size, rows per statement, seconds) per follower run with the bench's cache.
    pub(crate) runs: Vec<(i64, usize, f64)>,
    /// The same with the desktop's `CacheMirror` into the engine's schema.
    pub(crate) mirror_runs: Vec<(i64, f64)>,
    pub(crate) baseline: f64,
    pub(crate) changes: i64,
}

pub(crate) async fn cold_sync(
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

pub(crate) async fn check_copied(sqlite: &SqlitePool, messages: i64) {
    let copied: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(sqlite)
        .await
        .unwrap();
    assert_eq!(copied, messages, "every message reached the cache");
}
