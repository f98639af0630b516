use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::Store;
use crate::clock::Millis;
use crate::domain::{Channel, Id, Provider, new_id};
use crate::error::StoreError;

impl Store {
    /// Adds a channel routed to the default queue. A provider account (bot,
    /// page) can back only one channel; adding it again returns the existing one.
    pub async fn add_channel(
        &self,
        provider: Provider,
        name: &str,
        api_base: &str,
        external_id: &str,
        now: Millis,
    ) -> Result<Channel, StoreError> {
        if name.trim().is_empty() {
            return Err(StoreError::Invalid("A channel needs a name.".into()));
        }
        let queue_id: Id = sqlx::query_scalar("SELECT id FROM queues ORDER BY rowid LIMIT 1")
            .fetch_one(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO channels (id, provider, name, active, queue_id, api_base, external_id, created_at)
             VALUES (?, ?, ?, 1, ?, ?, ?, ?)
             ON CONFLICT (provider, external_id) DO UPDATE SET api_base = excluded.api_base",
        )
        .bind(new_id())
        .bind(provider.as_str())
        .bind(name.trim())
        .bind(&queue_id)
        .bind(api_base)
        .bind(external_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CHANNEL_COLUMNS} WHERE provider = ? AND external_id = ?"
        )))
        .bind(provider.as_str())
        .bind(external_id)
        .fetch_one(&self.pool)
        .await?;
        channel_from_row(&row)
    }

    pub async fn channels(&self) -> Result<Vec<Channel>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CHANNEL_COLUMNS} ORDER BY created_at, rowid"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(channel_from_row).collect()
    }

    /// Where the next getUpdates starts; `None` before the first batch.
    pub async fn telegram_offset(&self, channel_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT next_offset FROM telegram_cursors WHERE channel_id = ?")
                .bind(channel_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

const CHANNEL_COLUMNS: &str =
    "SELECT id, provider, name, active, queue_id, api_base, external_id FROM channels";

fn channel_from_row(row: &SqliteRow) -> Result<Channel, StoreError> {
    Ok(Channel {
        id: row.try_get("id")?,
        provider: Provider::parse(row.try_get("provider")?)?,
        name: row.try_get("name")?,
        active: row.try_get("active")?,
        queue_id: row.try_get("queue_id")?,
        api_base: row.try_get("api_base")?,
        external_id: row.try_get("external_id")?,
    })
}
