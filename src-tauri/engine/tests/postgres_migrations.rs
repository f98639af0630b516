//! Smoke test of the shared-mode schema on a real Postgres. `cargo xtask test`
//! starts a throwaway cluster and passes its URL in SWITCHBOARD_TEST_PG_URL.

use sqlx::Row;

#[tokio::test]
async fn postgres_migrations_apply_and_are_idempotent() {
    let Ok(admin_url) = std::env::var("SWITCHBOARD_TEST_PG_URL") else {
        panic!(
            "SWITCHBOARD_TEST_PG_URL is not set: run the tests with `cargo xtask test`, which starts a throwaway Postgres"
        );
    };
    // A database of our own, so tests can run in parallel on one cluster.
    let db = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&admin)
        .await
        .unwrap();
    let url = format!("{}/{db}", admin_url.rsplit_once('/').unwrap().0);

    let pool = switchboard_engine::postgres::connect_and_migrate(&url)
        .await
        .unwrap();
    pool.close().await;
    let pool = switchboard_engine::postgres::connect_and_migrate(&url)
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get("table_name"))
    .collect();
    for expected in [
        "channels",
        "chats",
        "contacts",
        "messages",
        "routing_decisions",
        "telegram_cursors",
    ] {
        assert!(
            tables.iter().any(|t| t == expected),
            "{expected} missing from {tables:?}"
        );
    }
    // The one-open-chat rule holds in Postgres too.
    let index: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_indexes WHERE indexname = 'chats_one_open_per_contact'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(index, 1);
    pool.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
        .execute(&admin)
        .await
        .unwrap();
}
