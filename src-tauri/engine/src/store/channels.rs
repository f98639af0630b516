use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::Store;
use crate::clock::Millis;
use crate::domain::{CHANNEL_LANGUAGES, Channel, ChannelUpdate, Id, Provider, new_id};
use crate::error::StoreError;

impl Store {
    /// Adds an active channel routed to the default queue. A provider account
    /// (bot, page) can back only one channel; adding it again returns the existing one.
    pub async fn add_channel(
        &self,
        provider: Provider,
        name: &str,
        api_base: &str,
        external_id: &str,
        now: Millis,
    ) -> Result<Channel, StoreError> {
        self.create_channel(provider, name, api_base, external_id, true, now)
            .await
    }

    /// The channel of a provider account, if it is connected.
    pub async fn channel_by_external_id(
        &self,
        provider: Provider,
        external_id: &str,
    ) -> Result<Option<Channel>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CHANNEL_COLUMNS} WHERE provider = ? AND external_id = ?"
        )))
        .bind(provider.as_str())
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(channel_from_row).transpose()
    }

    /// Deletes a channel. Refused, with the reason, while it has chats: their
    /// history must stay readable.
    pub async fn delete_channel(&self, channel_id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let chats: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chats WHERE channel_id = ?")
            .bind(channel_id)
            .fetch_one(&mut *tx)
            .await?;
        if chats > 0 {
            return Err(StoreError::Conflict(format!(
                "This channel has {chats} chat(s) whose history must stay readable; switch it off instead of deleting it."
            )));
        }
        sqlx::query("DELETE FROM telegram_cursors WHERE channel_id = ?")
            .bind(channel_id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM channels WHERE id = ?")
            .bind(channel_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "channel",
                id: channel_id.into(),
            });
        }
        tx.commit().await?;
        Ok(())
    }

    /// Adds a channel (active or not) routed to the default queue, or returns
    /// the existing channel of that provider account.
    pub async fn create_channel(
        &self,
        provider: Provider,
        name: &str,
        api_base: &str,
        external_id: &str,
        active: bool,
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
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (provider, external_id) DO UPDATE SET api_base = excluded.api_base",
        )
        .bind(new_id())
        .bind(provider.as_str())
        .bind(name.trim())
        .bind(active)
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

    pub async fn channel(&self, channel_id: &str) -> Result<Channel, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CHANNEL_COLUMNS} WHERE id = ?"
        )))
        .bind(channel_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "channel",
            id: channel_id.into(),
        })?;
        channel_from_row(&row)
    }

    /// Applies an admin's change from the channel's mini-card. New chats go
    /// to the new queue; chats already waiting stay where they are.
    pub async fn update_channel(
        &self,
        channel_id: &str,
        update: &ChannelUpdate,
    ) -> Result<Channel, StoreError> {
        validate_channel_update(update)?;
        let mut tx = self.write_tx().await?;
        if let Some(queue_id) = &update.queue_id {
            let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM queues WHERE id = ?")
                .bind(queue_id)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound {
                    what: "queue",
                    id: queue_id.clone(),
                });
            }
        }
        let done = sqlx::query(
            "UPDATE channels SET name = COALESCE(?, name), active = COALESCE(?, active),
                 queue_id = COALESCE(?, queue_id), language = COALESCE(?, language),
                 human_agent = COALESCE(?, human_agent)
             WHERE id = ?",
        )
        .bind(update.name.as_deref().map(str::trim))
        .bind(update.active)
        .bind(&update.queue_id)
        .bind(&update.language)
        .bind(update.human_agent)
        .bind(channel_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "channel",
                id: channel_id.into(),
            });
        }
        tx.commit().await?;
        self.channel(channel_id).await
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

/// Why a change from a channel's mini-card is not acceptable, if it is not (the standalone store
/// and shared mode alike; whether the queue exists is checked where it is written).
pub fn validate_channel_update(update: &ChannelUpdate) -> Result<(), StoreError> {
    if let Some(name) = &update.name
        && (name.trim().is_empty() || name.trim().chars().count() > 100)
    {
        return Err(StoreError::Invalid(
            "A channel needs a name of 1 to 100 characters.".into(),
        ));
    }
    if let Some(language) = &update.language
        && !CHANNEL_LANGUAGES.contains(&language.as_str())
    {
        return Err(StoreError::Invalid(format!(
            "Unknown language {language:?}; choose one of {}.",
            CHANNEL_LANGUAGES.join(", ")
        )));
    }
    Ok(())
}

const CHANNEL_COLUMNS: &str = "SELECT id, provider, name, active, queue_id, api_base, external_id, language, human_agent FROM channels";

fn channel_from_row(row: &SqliteRow) -> Result<Channel, StoreError> {
    Ok(Channel {
        id: row.try_get("id")?,
        provider: Provider::parse(row.try_get("provider")?)?,
        name: row.try_get("name")?,
        active: row.try_get("active")?,
        queue_id: row.try_get("queue_id")?,
        api_base: row.try_get("api_base")?,
        external_id: row.try_get("external_id")?,
        language: row.try_get("language")?,
        human_agent: row.try_get("human_agent")?,
    })
}
