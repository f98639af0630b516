//! Outbound messages: written to the outbox first (delivery `pending`), then a
//! connector sends them and records `sent` or `failed` with a reason. The
//! operator's text is never lost to a network error: it waits and is retried.

use sqlx::Row;

use super::Store;
use super::attachments::insert_outgoing_attachment;
use super::chats::{MESSAGE_COLUMNS, message_from_row, record_message};
use crate::clock::Millis;
use crate::domain::{
    AttachmentKind, ChatState, Id, MAX_OUTGOING_FILE_BYTES, MAX_OUTGOING_PHOTO_BYTES,
    MAX_REPLY_CHARS, Message, OutboxFile, OutboxItem, OutgoingFile, new_id,
};

/// Telegram's limit for media captions.
pub const MAX_CAPTION_CHARS: usize = 1024;

fn check_length(text: &str) -> Result<(), StoreError> {
    let length = text.chars().count();
    if length > MAX_REPLY_CHARS {
        return Err(StoreError::Invalid(format!(
            "The reply is {length} characters long; the limit is {MAX_REPLY_CHARS}."
        )));
    }
    Ok(())
}
use crate::error::StoreError;

/// The limits on a file an operator sends, with the composer's words: a name, not empty,
/// Telegram's upload limits (10 MB for photos, 50 MB otherwise), photos and documents only, a
/// caption of at most [`MAX_CAPTION_CHARS`]. Shared mode checks the same before queueing.
pub fn check_outgoing_file(file: &OutgoingFile, caption: &str) -> Result<(), StoreError> {
    let name = file.file_name.trim();
    if name.is_empty() || name.chars().any(char::is_control) || name.len() > 255 {
        return Err(StoreError::Invalid(
            "The file needs a name of at most 255 characters, without control characters.".into(),
        ));
    }
    if file.bytes.is_empty() {
        return Err(StoreError::Invalid(format!("{name} is empty.")));
    }
    let limit = match file.kind {
        AttachmentKind::Photo => MAX_OUTGOING_PHOTO_BYTES,
        _ => MAX_OUTGOING_FILE_BYTES,
    };
    if file.bytes.len() > limit {
        return Err(StoreError::Invalid(format!(
            "{name} is {} MB; Telegram accepts at most {} MB for a {}.",
            file.bytes.len().div_ceil(1024 * 1024),
            limit / (1024 * 1024),
            if file.kind == AttachmentKind::Photo {
                "photo"
            } else {
                "file"
            },
        )));
    }
    if !matches!(file.kind, AttachmentKind::Photo | AttachmentKind::Document) {
        return Err(StoreError::Invalid(
            "Only photos and documents can be sent.".into(),
        ));
    }
    // Telegram's caption limit is 1024 characters.
    if caption.chars().count() > MAX_CAPTION_CHARS {
        return Err(StoreError::Invalid(format!(
            "A file's caption can be at most {MAX_CAPTION_CHARS} characters long."
        )));
    }
    Ok(())
}

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
        check_length(text)?;
        self.queue_outbound(chat_id, text, None, now).await
    }

    /// Queues a file an operator sends, with an optional caption. The bytes
    /// are stored with the message, so the file survives restarts until sent.
    pub async fn queue_file(
        &self,
        chat_id: &str,
        file: &OutgoingFile,
        caption: &str,
        now: Millis,
    ) -> Result<Message, StoreError> {
        check_outgoing_file(file, caption)?;
        self.queue_outbound(chat_id, caption.trim(), Some(file), now)
            .await
    }

    async fn queue_outbound(
        &self,
        chat_id: &str,
        text: &str,
        file: Option<&OutgoingFile>,
        now: Millis,
    ) -> Result<Message, StoreError> {
        let mut tx = self.write_tx().await?;
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
        if let Some(file) = file {
            insert_outgoing_attachment(&mut tx, &channel_id, &id, file, now).await?;
        }
        record_message(&mut tx, chat_id, true, now).await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{MESSAGE_COLUMNS} WHERE id = ?"
        )))
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut message = message_from_row(&row)?;
        message.attachments = self.attachments_of_message(&id).await?;
        Ok(message)
    }

    /// The operator asks to send a failed message again (after the customer
    /// unblocked the bot, say). Returns the chat it belongs to.
    pub async fn retry_message(&self, message_id: &str, now: Millis) -> Result<Id, StoreError> {
        let row =
            sqlx::query("SELECT chat_id, delivery, author_user_id FROM messages WHERE id = ?")
                .bind(message_id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    what: "message",
                    id: message_id.into(),
                })?;
        let chat_id: Id = row.try_get("chat_id")?;
        let delivery: Option<String> = row.try_get("delivery")?;
        let author: Option<String> = row.try_get("author_user_id")?;
        if author.as_deref() != Some(self.local_user.id.as_str()) {
            return Err(StoreError::Conflict(
                "Only the operator who wrote a message can send it again.".into(),
            ));
        }
        match delivery.as_deref() {
            Some("failed") => {}
            Some("pending") => return Ok(chat_id), // already queued: retrying is a no-op
            _ => {
                return Err(StoreError::Conflict(
                    "Only a message that failed to send can be sent again.".into(),
                ));
            }
        }
        sqlx::query(
            "UPDATE messages SET delivery = 'pending', next_attempt_at = ?, failure_reason = NULL
             WHERE id = ? AND delivery = 'failed'",
        )
        .bind(now)
        .bind(message_id)
        .execute(&self.pool)
        .await?;
        Ok(chat_id)
    }

    /// Pending messages of a channel whose next attempt is due, oldest first.
    pub async fn due_outbox(
        &self,
        channel_id: &str,
        now: Millis,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, m.chat_id, c.provider_chat_id, m.text, m.attempts, m.parts_sent,
                 a.id AS attachment_id, a.kind AS attachment_kind, a.file_name, a.mime_type
             FROM messages m JOIN chats c ON c.id = m.chat_id
             LEFT JOIN attachments a ON a.message_id = m.id
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
                    attachment: match row.try_get::<Option<String>, _>("attachment_id")? {
                        Some(attachment_id) => Some(OutboxFile {
                            attachment_id,
                            kind: AttachmentKind::parse(row.try_get("attachment_kind")?)?,
                            file_name: row.try_get("file_name")?,
                            mime_type: row.try_get("mime_type")?,
                        }),
                        None => None,
                    },
                })
            })
            .collect()
    }

    /// Everything waiting in the channel's outbox becomes due now (a new
    /// token came: what waited for it should not wait out its back-off).
    pub async fn outbox_due_now(&self, channel_id: &str, now: Millis) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE messages SET next_attempt_at = ?
             WHERE channel_id = ? AND delivery = 'pending' AND COALESCE(next_attempt_at, 0) > ?",
        )
        .bind(now)
        .bind(channel_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
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
