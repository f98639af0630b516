//! Test helpers: a Postgres database of each test's own, seed rows, and a SQLite cache that
//! applies batches the way a desktop will (changes and position in one local transaction).
#![allow(dead_code)]

use std::time::Duration;

use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use switchboard_sync::feed::{Batch, Cursor};
use switchboard_sync::follower::{ApplyChanges, ApplyFuture};
use tokio::sync::watch;

/// The horizon is cluster-wide: another test's open transaction (in its own database) holds it
/// back too. Tests that expect changes to be readable take this lock, so none run side by side.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A fresh database on the harness's cluster, migrated by the engine.
pub async fn postgres() -> PgPool {
    let Ok(admin_url) = std::env::var("SWITCHBOARD_TEST_PG_URL") else {
        panic!(
            "SWITCHBOARD_TEST_PG_URL is not set: run the tests with `cargo xtask test`, which starts a throwaway Postgres"
        );
    };
    let db = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = PgPool::connect(&admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let url = format!("{}/{db}", admin_url.rsplit_once('/').unwrap().0);
    switchboard_engine::postgres::connect_and_migrate(&url)
        .await
        .unwrap()
        .close()
        .await;
    // More connections than the engine's pool: tests hold transactions open beside a follower.
    PgPoolOptions::new()
        .max_connections(10)
        .connect(&url)
        .await
        .unwrap()
}

/// A queue, a channel and a contact, so chats can be inserted.
pub async fn seed(pg: &PgPool) {
    for sql in [
        "INSERT INTO queues (id, name, rule) VALUES ('q', 'All operators', 'to_all')",
        "INSERT INTO channels (id, provider, name, queue_id, api_base, external_id, created_at)
         VALUES ('ch', 'telegram', 'Bot', 'q', 'http://sandbox', '1', 0)",
        "INSERT INTO contacts (id, channel_id, provider_user_id, name, created_at)
         VALUES ('ct', 'ch', '42', 'Customer', 0)",
    ] {
        sqlx::query(sql).execute(pg).await.unwrap();
    }
}

/// A completed chat (any number of them may exist for one contact).
pub async fn insert_chat<'e>(pg: impl sqlx::PgExecutor<'e>, id: &str) {
    sqlx::query(
        "INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id,
                            created_at, last_activity_at, last_message_at, completed_at)
         VALUES ($1, 'ch', 'ct', 'q', 'completed', '42', 0, 0, 0, 0)",
    )
    .bind(id)
    .execute(pg)
    .await
    .unwrap();
}

/// The last change in the log, in feed order.
pub async fn last_change(pg: &PgPool) -> Cursor {
    let row = sqlx::query(
        "SELECT txid::text::bigint AS txid, position FROM change_log
         ORDER BY txid DESC, position DESC LIMIT 1",
    )
    .fetch_one(pg)
    .await
    .unwrap();
    Cursor {
        txid: row.get("txid"),
        position: row.get("position"),
    }
}

/// Every change in the log, in feed order, as (table, row_id, op, position).
pub async fn whole_log(pg: &PgPool) -> Vec<(String, String, String, i64)> {
    sqlx::query_as(
        "SELECT table_name, row_id, op, position FROM change_log ORDER BY txid, position",
    )
    .fetch_all(pg)
    .await
    .unwrap()
}

/// A desktop's cache in a real SQLite file.
pub struct SqliteCache {
    pub db: SqlitePool,
    applied: watch::Sender<Cursor>,
}

impl SqliteCache {
    pub async fn open(path: &std::path::Path) -> SqliteCache {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        let db = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        for sql in [
            "CREATE TABLE IF NOT EXISTS cache_rows (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 table_name TEXT NOT NULL, row_id TEXT NOT NULL, op TEXT NOT NULL,
                 position INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS sync_position (
                 id INTEGER PRIMARY KEY CHECK (id = 1), txid INTEGER NOT NULL, position INTEGER NOT NULL)",
            "INSERT OR IGNORE INTO sync_position (id, txid, position) VALUES (1, 0, 0)",
        ] {
            sqlx::query(sql).execute(&db).await.unwrap();
        }
        let cache = SqliteCache {
            db,
            applied: watch::channel(Cursor::START).0,
        };
        let position = cache.position().await;
        cache.applied.send_replace(position);
        cache
    }

    /// The persisted position: where a (re)started follower begins.
    pub async fn position(&self) -> Cursor {
        let (txid, position) = sqlx::query_as("SELECT txid, position FROM sync_position")
            .fetch_one(&self.db)
            .await
            .unwrap();
        Cursor { txid, position }
    }

    /// Every applied change, in the order applied.
    pub async fn rows(&self) -> Vec<(String, String, String, i64)> {
        sqlx::query_as("SELECT table_name, row_id, op, position FROM cache_rows ORDER BY seq")
            .fetch_all(&self.db)
            .await
            .unwrap()
    }

    /// Waits (no sleeping) until the cache has applied `target`; fails after `within`.
    pub async fn wait_for(&self, target: Cursor, within: Duration) {
        let mut applied = self.applied.subscribe();
        tokio::time::timeout(within, applied.wait_for(|c| *c >= target))
            .await
            .unwrap_or_else(|_| panic!("{target:?} not applied within {within:?}"))
            .unwrap();
    }

    async fn apply_batch(&self, batch: &Batch) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin().await?;
        for change in &batch.changes {
            sqlx::query(
                "INSERT INTO cache_rows (table_name, row_id, op, position) VALUES (?, ?, ?, ?)",
            )
            .bind(&change.table)
            .bind(&change.row_id)
            .bind(change.op.as_str())
            .bind(change.position)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE sync_position SET txid = ?, position = ? WHERE id = 1")
            .bind(batch.next_after.txid)
            .bind(batch.next_after.position)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.applied.send_replace(batch.next_after);
        Ok(())
    }
}

impl ApplyChanges for SqliteCache {
    fn apply<'a>(&'a self, batch: &'a Batch) -> ApplyFuture<'a> {
        Box::pin(async move { self.apply_batch(batch).await.map_err(Into::into) })
    }
}

/// The URL of `pg`'s own database, for a process of its own (or a login role) to connect to.
pub async fn database_url(pg: &PgPool) -> String {
    let admin_url = std::env::var("SWITCHBOARD_TEST_PG_URL").unwrap();
    let db: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pg)
        .await
        .unwrap();
    format!("{}/{db}", admin_url.rsplit_once('/').unwrap().0)
}

pub const ROLE_PASSWORD: &str = "correct horse battery";

/// A Switchboard user with a login role of their own, made by the superuser through
/// `sb_create_operator_role`. Roles are cluster-wide, so the name carries the database's. Drop
/// it with [`drop_role`].
pub async fn operator_role(pg: &PgPool, name: &str) -> String {
    let user_id = format!("u-{name}");
    sqlx::query("INSERT INTO users (id, name, created_at) VALUES ($1, $2, 0)")
        .bind(&user_id)
        .bind(name)
        .execute(pg)
        .await
        .unwrap();
    let db: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pg)
        .await
        .unwrap();
    let role = format!("{db}_{name}");
    sqlx::query("SELECT sb_create_operator_role($1, $2, $3, false)")
        .bind(&role)
        .bind(ROLE_PASSWORD)
        .bind(&user_id)
        .execute(pg)
        .await
        .unwrap();
    role
}

/// A desktop's connection, logged in with an operator's own role.
pub async fn connect_as(pg: &PgPool, role: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    let options: sqlx::postgres::PgConnectOptions = database_url(pg).await.parse().unwrap();
    sqlx::PgConnection::connect_with(&options.username(role).password(ROLE_PASSWORD))
        .await
        .unwrap()
}

pub async fn drop_role(pg: &PgPool, role: &str) {
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP ROLE IF EXISTS {role}")))
        .execute(pg)
        .await
        .unwrap();
}
