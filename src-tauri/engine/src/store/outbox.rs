//! Outbound messages: written to the outbox first (delivery `pending`), then a
//! connector sends them and records `sent` or `failed` with a reason. The
//! operator's text is never lost to a network error: it waits and is retried.

use sqlx::Row;

use super::Store;
use super::chats::{message_from_row, record_message};
use crate::clock::Millis;
use crate::domain::{ChatState, MAX_REPLY_CHARS, Message, OutboxItem, new_id};
use crate::error::StoreError;

impl Store {
    /// Queues an operator's reply. Refuses empty text, oversize text and
    /// chats that are not the operator's active chat.
    pub async fn queue_reply(
        &self,
        chat_id: &str,
        text: &str,
        now: Millis,
    ) -> Result<Message, StoreError> {
        if text.trim().is_empty() {
            return Err(StoreError::Invalid("The reply is empty.".into()));
        }
        let length = text.chars().count();
        if length > MAX_REPLY_CHARS {
            return Err(StoreError::Invalid(format!(
                "The reply is {length} characters long; the limit is {MAX_REPLY_CHARS}."
            )));
        }
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT channel_id, state, operator_id FROM chats WHERE id = ?")
            .bind(chat_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "chat",
                id: chat_id.into(),
            })?;
        let channel_id: String = row.try_get("channel_id")?;
        let state = ChatState::parse(row.try_get("state")?)?;
        let operator: Option<String> = row.try_get("operator_id")?;
        if state != ChatState::Active || operator.as_deref() != Some(self.local_user.id.as_str()) {
            return Err(StoreError::Conflict(
                "You can reply only in a chat that is assigned to you and not completed.".into(),
            ));
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, author_user_id, created_at, delivery, next_attempt_at)
             VALUES (?, ?, ?, 'outbound', ?, ?, ?, ?, 'pending', ?)",
        )
        .bind(&id)
        .bind(chat_id)
        .bind(&channel_id)
        .bind(text)
        .bind(&self.local_user.name)
        .bind(&self.local_user.id)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        record_message(&mut tx, chat_id, true, now).await?;
        let row = sqlx::query(
            "SELECT id, chat_id, kind, text, author, created_at, delivery, failure_reason
             FROM messages WHERE id = ?",
        )
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        message_from_row(&row)
    }

    /// Pending messages of a channel whose next attempt is due, oldest first.
    pub async fn due_outbox(
        &self,
        channel_id: &str,
        now: Millis,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, m.chat_id, c.provider_chat_id, m.text, m.attempts, m.parts_sent
             FROM messages m JOIN chats c ON c.id = m.chat_id
             WHERE m.channel_id = ? AND m.delivery = 'pending' AND COALESCE(m.next_attempt_at, 0) <= ?
             ORDER BY m.rowid LIMIT 100",
        )
        .bind(channel_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OutboxItem {
                    message_id: row.try_get("id")?,
                    chat_id: row.try_get("chat_id")?,
                    provider_chat_id: row.try_get("provider_chat_id")?,
                    text: row.try_get("text")?,
                    attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(0),
                    parts_sent: u32::try_from(row.try_get::<i64, _>("parts_sent")?).unwrap_or(0),
                })
            })
            .collect()
    }

    /// When the earliest pending message of the channel is due, if any.
    pub async fn next_outbox_due(&self, channel_id: &str) -> Result<Option<Millis>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(COALESCE(next_attempt_at, 0)) FROM messages
             WHERE channel_id = ? AND delivery = 'pending'",
        )
        .bind(channel_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The provider accepted `parts_sent` parts of a long message so far; a
    /// retry resumes after them instead of sending them twice.
    pub async fn mark_parts_sent(
        &self,
        message_id: &str,
        parts_sent: u32,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE messages SET parts_sent = ? WHERE id = ? AND delivery = 'pending'")
            .bind(parts_sent)
            .bind(message_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The provider accepted the message; `provider_key` is its id there.
    pub async fn mark_sent(&self, message_id: &str, provider_key: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE messages SET delivery = 'sent', failure_reason = NULL, provider_key = ?,
                 attempts = attempts + 1, next_attempt_at = NULL
             WHERE id = ? AND delivery = 'pending'",
        )
        .bind(provider_key)
        .bind(message_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Delivery failed for good (the customer blocked the bot, the chat is
    /// gone…): `reason` is shown to the operator.
    pub async fn mark_failed(&self, message_id: &str, reason: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE messages SET delivery = 'failed', failure_reason = ?, attempts = attempts + 1,
                 next_attempt_at = NULL
             WHERE id = ? AND delivery = 'pending'",
        )
        .bind(reason)
        .bind(message_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A transient failure: try again at `at`, keeping the reason visible.
    pub async fn retry_later(
        &self,
        message_id: &str,
        at: Millis,
        reason: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE messages SET attempts = attempts + 1, next_attempt_at = ?, failure_reason = ?
             WHERE id = ? AND delivery = 'pending'",
        )
        .bind(at)
        .bind(reason)
        .bind(message_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
