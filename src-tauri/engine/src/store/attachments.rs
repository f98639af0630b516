//! Files attached to messages. Inbound files are recorded with their message
//! (state `pending`) and fetched afterwards, so a slow or failing download
//! never holds back the update offset; outbound files are stored with the
//! operator's message and read back by the outbox when it sends them.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use super::Store;
use crate::clock::Millis;
use crate::domain::{
    Attachment, AttachmentFetch, AttachmentKind, AttachmentState, Id, InboundAttachment,
    OutgoingFile, new_id,
};
use crate::error::StoreError;

/// Gives up fetching an inbound file after this many failed attempts.
pub const MAX_FETCH_ATTEMPTS: u32 = 8;

const ATTACHMENT_COLUMNS: &str = "SELECT a.id, a.message_id, a.kind, a.file_name, a.mime_type,
        a.size, a.state, a.failure_reason FROM attachments a";

impl Store {
    /// Files of a chat's messages, in message order.
    pub(super) async fn attachments_of_chat(
        &self,
        chat_id: &str,
    ) -> Result<Vec<Attachment>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ATTACHMENT_COLUMNS} JOIN messages m ON m.id = a.message_id
             WHERE m.chat_id = ? ORDER BY m.rowid, a.rowid"
        )))
        .bind(chat_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(attachment_from_row).collect()
    }

    pub(super) async fn attachments_of_message(
        &self,
        message_id: &str,
    ) -> Result<Vec<Attachment>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ATTACHMENT_COLUMNS} WHERE a.message_id = ? ORDER BY a.rowid"
        )))
        .bind(message_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(attachment_from_row).collect()
    }

    /// A file's metadata and bytes; `Conflict` while they are not on this computer.
    pub async fn attachment_content(
        &self,
        attachment_id: &str,
    ) -> Result<(Attachment, Vec<u8>), StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} , a.content FROM attachments a WHERE a.id = ?",
            ATTACHMENT_COLUMNS.trim_end_matches(" FROM attachments a")
        )))
        .bind(attachment_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "attachment",
            id: attachment_id.into(),
        })?;
        let attachment = attachment_from_row(&row)?;
        let content: Option<Vec<u8>> = row.try_get("content")?;
        match content {
            Some(bytes) => Ok((attachment, bytes)),
            None => Err(StoreError::Conflict(match attachment.state {
                AttachmentState::Failed => "This file could not be downloaded.".into(),
                _ => "This file is still being downloaded.".into(),
            })),
        }
    }

    /// Inbound files of a channel still to fetch whose next attempt is due.
    pub async fn attachments_to_fetch(
        &self,
        channel_id: &str,
        now: Millis,
    ) -> Result<Vec<AttachmentFetch>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, m.chat_id, a.provider_file_id, a.attempts
             FROM attachments a JOIN messages m ON m.id = a.message_id
             WHERE a.channel_id = ? AND a.state = 'pending' AND a.provider_file_id IS NOT NULL
               AND COALESCE(a.next_attempt_at, 0) <= ?
             ORDER BY a.rowid LIMIT 50",
        )
        .bind(channel_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AttachmentFetch {
                    attachment_id: row.try_get("id")?,
                    chat_id: row.try_get("chat_id")?,
                    provider_file_id: row.try_get("provider_file_id")?,
                    attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(0),
                })
            })
            .collect()
    }

    /// When the earliest pending inbound file of the channel is due, if any.
    pub async fn next_fetch_due(&self, channel_id: &str) -> Result<Option<Millis>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(COALESCE(next_attempt_at, 0)) FROM attachments
             WHERE channel_id = ? AND state = 'pending' AND provider_file_id IS NOT NULL",
        )
        .bind(channel_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The file's bytes arrived. `mime_type` fills in what the provider did not say.
    pub async fn store_attachment_content(
        &self,
        attachment_id: &str,
        bytes: &[u8],
        mime_type: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE attachments SET state = 'stored', content = ?, size = ?,
                 mime_type = COALESCE(mime_type, ?), failure_reason = NULL, next_attempt_at = NULL,
                 attempts = attempts + 1
             WHERE id = ? AND state = 'pending'",
        )
        .bind(bytes)
        .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
        .bind(mime_type)
        .bind(attachment_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A fetch failed: try again at `retry_at`, or give up (`None`) with a
    /// reason shown on the message.
    pub async fn attachment_fetch_failed(
        &self,
        attachment_id: &str,
        reason: &str,
        retry_at: Option<Millis>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE attachments SET attempts = attempts + 1, failure_reason = ?,
                 next_attempt_at = ?, state = CASE WHEN ? IS NULL THEN 'failed' ELSE 'pending' END
             WHERE id = ? AND state = 'pending'",
        )
        .bind(reason)
        .bind(retry_at)
        .bind(retry_at)
        .bind(attachment_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// An operator asks to download a failed file again. Returns its chat.
    pub async fn retry_attachment(&self, attachment_id: &str) -> Result<Id, StoreError> {
        let chat_id: Option<Id> = sqlx::query_scalar(
            "SELECT m.chat_id FROM attachments a JOIN messages m ON m.id = a.message_id
             WHERE a.id = ?",
        )
        .bind(attachment_id)
        .fetch_optional(&self.pool)
        .await?;
        let chat_id = chat_id.ok_or_else(|| StoreError::NotFound {
            what: "attachment",
            id: attachment_id.into(),
        })?;
        sqlx::query(
            "UPDATE attachments SET state = 'pending', attempts = 0, next_attempt_at = NULL
             WHERE id = ? AND state = 'failed' AND provider_file_id IS NOT NULL",
        )
        .bind(attachment_id)
        .execute(&self.pool)
        .await?;
        Ok(chat_id)
    }
}

pub(super) async fn insert_inbound_attachment(
    tx: &mut Transaction<'_, Sqlite>,
    channel_id: &str,
    message_id: &str,
    file: &InboundAttachment,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO attachments (id, message_id, channel_id, kind, file_name, mime_type, size,
             provider_file_id, state, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
    )
    .bind(new_id())
    .bind(message_id)
    .bind(channel_id)
    .bind(file.kind.as_str())
    .bind(&file.file_name)
    .bind(&file.mime_type)
    .bind(file.size.and_then(|s| i64::try_from(s).ok()))
    .bind(&file.provider_file_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn insert_outgoing_attachment(
    tx: &mut Transaction<'_, Sqlite>,
    channel_id: &str,
    message_id: &str,
    file: &OutgoingFile,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO attachments (id, message_id, channel_id, kind, file_name, mime_type, size,
             state, content, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'stored', ?, ?)",
    )
    .bind(new_id())
    .bind(message_id)
    .bind(channel_id)
    .bind(file.kind.as_str())
    .bind(file.file_name.trim())
    .bind(&file.mime_type)
    .bind(i64::try_from(file.bytes.len()).unwrap_or(i64::MAX))
    .bind(&file.bytes)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn attachment_from_row(row: &SqliteRow) -> Result<Attachment, StoreError> {
    Ok(Attachment {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        kind: AttachmentKind::parse(row.try_get("kind")?)?,
        file_name: row.try_get("file_name")?,
        mime_type: row.try_get("mime_type")?,
        size: row
            .try_get::<Option<i64>, _>("size")?
            .and_then(|s| u64::try_from(s).ok()),
        state: AttachmentState::parse(row.try_get("state")?)?,
        failure_reason: row.try_get("failure_reason")?,
    })
}
