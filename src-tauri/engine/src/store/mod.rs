//! The local SQLite store. In standalone mode it is the source of truth; in
//! shared mode it becomes the desktop's cache and outbox.
//!
//! Every write that must be atomic (a batch of inbound messages together with
//! the provider cursor that confirms them; a chat with its routing decision)
//! happens in one transaction here, never across calls.

mod admin;
mod attachments;
mod channels;
mod chats;
mod messenger;
mod outbox;
mod queues;
mod routing;
mod webhooks;

pub use admin::{
    ACCEPT_TIMEOUT_MIN_RANGE, MemberKind, QueueMemberRow, RoleRow, SIMULTANEOUS_CHATS_RANGE,
    member_tables, role_name_taken, validate_role_name, validate_routing_settings,
};
pub use attachments::MAX_FETCH_ATTEMPTS;
pub use channels::validate_channel_update;
pub use messenger::{Echo, Receipt};
pub use outbox::{MAX_CAPTION_CHARS, check_outgoing_file};
pub use queues::{
    ChatRoutingFacts, MAX_COMPLETION_TIMEOUT_MIN, OperatorRow, QueueRow, queue_name_taken,
    validate_queue,
};
pub use routing::{
    DecisionRecord, RoutingChanges, RoutingRecord, candidates_json, name_or_default, parse_status,
    status_str,
};

use std::path::Path;
use std::str::FromStr;

use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::clock::Millis;
use crate::domain::{Id, LocalUser, new_id};
use crate::error::StoreError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// Opens (creating if needed) a database file with the store's schema, migrated, and nothing
/// else: no first-run workspace. A shared-mode cache starts like this and is filled from Postgres.
pub async fn open_schema(path: &Path) -> Result<SqlitePool, StoreError> {
    let shown = path.display().to_string();
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(|source| StoreError::Open {
            path: shown.clone(),
            source,
        })?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // In WAL mode NORMAL survives any crash of the app (a killed
        // process loses nothing committed); only a power cut or OS crash
        // may roll back the newest transactions — and then the Telegram
        // offset rolls back with the messages it confirmed, so they are
        // fetched again rather than lost. FULL costs an fsync per commit.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(std::time::Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|source| StoreError::Open {
            path: shown,
            source,
        })?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Default settings of a new workspace (SPEC "Settings").
const DEFAULT_SETTINGS: &[(&str, &str)] = &[
    ("SimultaneousChats", "2"),
    ("OperatorAcceptChatTimeout", "5"),
];

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    workspace_id: Id,
    local_user: LocalUser,
}

impl Store {
    /// Opens (creating if needed) the database file, migrates it and makes
    /// sure the first-run workspace exists.
    pub async fn open(path: &Path, now: Millis) -> Result<Self, StoreError> {
        let pool = open_schema(path).await?;
        let (workspace_id, local_user) = first_run(&pool, now).await?;
        Ok(Self {
            pool,
            workspace_id,
            local_user,
        })
    }

    /// A store over a shared-mode cache (opened with [`open_schema`], filled from Postgres): the
    /// person at this desk is the operator the shared database says this login is. The defaults
    /// of the routing settings are written if the cache has none yet (the feed replaces them with
    /// the workspace's own).
    pub async fn attach(
        pool: SqlitePool,
        workspace_id: Id,
        local_user: LocalUser,
    ) -> Result<Self, StoreError> {
        for (key, value) in DEFAULT_SETTINGS {
            sqlx::query("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)")
                .bind(key)
                .bind(value)
                .execute(&pool)
                .await?;
        }
        Ok(Self {
            pool,
            workspace_id,
            local_user,
        })
    }

    /// A transaction that takes SQLite's write lock at once. A deferred one
    /// that reads before it writes cannot wait for the lock (SQLite answers
    /// "database is locked" at once instead of honouring busy_timeout), so
    /// every write goes through here.
    pub(super) async fn write_tx(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    pub fn workspace_id(&self) -> &str {
        &self.workspace_id
    }

    /// The person at this desk (admin and operator in standalone mode).
    pub fn local_user(&self) -> &LocalUser {
        &self.local_user
    }

    /// A free-text setting (e.g. the Facebook app id); `None` when unset.
    pub async fn setting_text(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Sets (or, with an empty value, removes) a free-text setting.
    pub async fn set_setting_text(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        if value.is_empty() {
            sqlx::query("DELETE FROM settings WHERE key = ?")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES (?, ?)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn setting_u32(&self, key: &str) -> Result<u32, StoreError> {
        let value: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "setting",
                id: key.into(),
            })?;
        value
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("setting {key} is not a number: {value:?}")))
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates the workspace, its only user, the default queue, the preset action
/// and default settings the first time; afterwards just reads them back.
async fn first_run(pool: &SqlitePool, now: Millis) -> Result<(Id, LocalUser), StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let existing: Option<String> = sqlx::query_scalar("SELECT id FROM workspace LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?;
    let workspace_id = match existing {
        Some(id) => id,
        None => {
            let workspace_id = new_id();
            let user_id = new_id();
            let queue_id = new_id();
            sqlx::query(
                "INSERT INTO workspace (id, name, created_at) VALUES (?, 'My workspace', ?)",
            )
            .bind(&workspace_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO users (id, name, can_manage_chats, status, is_local, created_at)
                 VALUES (?, 'Me', 1, 'active', 1, ?)",
            )
            .bind(&user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO queues (id, name, rule, completion_timeout_min)
                 VALUES (?, 'All operators', 'to_all', NULL)",
            )
            .bind(&queue_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO queue_operators (queue_id, user_id) VALUES (?, ?)")
                .bind(&queue_id)
                .bind(&user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO chat_actions (id, name, queue_id, process)
                 VALUES (?, 'Create case', ?, 'create_case')",
            )
            .bind(new_id())
            .bind(&queue_id)
            .execute(&mut *tx)
            .await?;
            for (key, value) in DEFAULT_SETTINGS {
                sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?)")
                    .bind(key)
                    .bind(value)
                    .execute(&mut *tx)
                    .await?;
            }
            workspace_id
        }
    };
    let row = sqlx::query("SELECT id, name FROM users WHERE is_local = 1 LIMIT 1")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    let local_user = LocalUser {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
    };
    Ok((workspace_id, local_user))
}
