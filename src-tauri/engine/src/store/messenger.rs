//! What Messenger adds to a conversation: echoes (the page wrote from
//! elsewhere), delivery and read receipts, chats held by a bot until the
//! thread is passed to Switchboard, and the customer's last message for the
//! 24-hour window.

use sqlx::Row;

use super::Store;
use super::chats::record_message;
use crate::clock::Millis;
use crate::domain::{Id, new_id};
use crate::error::StoreError;

/// Which receipt a Messenger watermark confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    Delivered,
    Read,
}

/// A message the page sent from elsewhere (Page Inbox, another app).
#[derive(Debug, Clone, PartialEq)]
pub struct Echo {
    pub psid: String,
    pub mid: String,
    pub text: String,
    pub sent_at: Millis,
    /// Who sent it, as the operator should read it ("Page Inbox", "Acme bot"…).
    pub author: String,
}

impl Store {
    /// Marks the chat's outbound messages up to `watermark` delivered or read.
    /// A message still `pending` here was sent: the receipt can overtake our
    /// own bookkeeping of Meta's answer.
    /// Returns the chat if anything changed.
    pub async fn record_receipt(
        &self,
        channel_id: &str,
        psid: &str,
        watermark: Millis,
        receipt: Receipt,
    ) -> Result<Option<Id>, StoreError> {
        let column = match receipt {
            Receipt::Delivered => "delivered_at",
            Receipt::Read => "read_at",
        };
        let mut tx = self.write_tx().await?;
        let chat_id: Option<Id> = sqlx::query_scalar(
            "SELECT id FROM chats WHERE channel_id = ? AND provider_chat_id = ?
             ORDER BY created_at DESC, rowid DESC LIMIT 1",
        )
        .bind(channel_id)
        .bind(psid)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(chat_id) = chat_id else {
            return Ok(None);
        };
        // A read implies delivery, as Messenger's own UI shows it.
        let sql = if receipt == Receipt::Read {
            "UPDATE messages SET read_at = ?1, delivered_at = COALESCE(delivered_at, ?1)
             WHERE chat_id = ?2 AND kind = 'outbound' AND delivery <> 'failed'
               AND read_at IS NULL AND created_at <= ?1"
                .to_owned()
        } else {
            format!(
                "UPDATE messages SET {column} = ?1
                 WHERE chat_id = ?2 AND kind = 'outbound' AND delivery <> 'failed'
                   AND {column} IS NULL AND created_at <= ?1"
            )
        };
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(watermark)
            .bind(&chat_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((done.rows_affected() > 0).then_some(chat_id))
    }

    /// Stores a message the page sent from elsewhere in the customer's latest
    /// chat, once (a message Switchboard sent itself echoes back with a `mid`
    /// it already knows, and is skipped). Returns the chat it went to.
    pub async fn record_echo(
        &self,
        channel_id: &str,
        echo: &Echo,
        now: Millis,
    ) -> Result<Option<Id>, StoreError> {
        let mut tx = self.write_tx().await?;
        let known: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM messages WHERE channel_id = ? AND provider_key = ?")
                .bind(channel_id)
                .bind(&echo.mid)
                .fetch_optional(&mut *tx)
                .await?;
        if known.is_some() {
            return Ok(None);
        }
        let chat_id: Option<Id> = sqlx::query_scalar(
            "SELECT id FROM chats WHERE channel_id = ? AND provider_chat_id = ?
             ORDER BY state = 'completed', created_at DESC, rowid DESC LIMIT 1",
        )
        .bind(channel_id)
        .bind(&echo.psid)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(chat_id) = chat_id else {
            return Ok(None);
        };
        sqlx::query(
            "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at,
                 provider_key, delivery)
             VALUES (?, ?, ?, 'outbound', ?, ?, ?, ?, 'sent')",
        )
        .bind(new_id())
        .bind(&chat_id)
        .bind(channel_id)
        .bind(&echo.text)
        .bind(&echo.author)
        .bind(echo.sent_at)
        .bind(&echo.mid)
        .execute(&mut *tx)
        .await?;
        record_message(&mut tx, &chat_id, true, now).await?;
        tx.commit().await?;
        Ok(Some(chat_id))
    }

    /// The bot passed the thread to Switchboard: the customer's bot chat
    /// becomes a queued chat that routing takes. Returns it, if there was one.
    pub async fn release_bot_chat(
        &self,
        channel_id: &str,
        psid: &str,
        now: Millis,
    ) -> Result<Option<Id>, StoreError> {
        let mut tx = self.write_tx().await?;
        let chat_id: Option<Id> = sqlx::query_scalar(
            "SELECT id FROM chats WHERE channel_id = ? AND provider_chat_id = ? AND state = 'bot'",
        )
        .bind(channel_id)
        .bind(psid)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(chat_id) = chat_id else {
            return Ok(None);
        };
        sqlx::query(
            "UPDATE chats SET state = 'queued', last_activity_at = MAX(last_activity_at, ?)
             WHERE id = ? AND state = 'bot'",
        )
        .bind(now)
        .bind(&chat_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(chat_id))
    }

    /// When the customer last wrote in this chat (the Messenger window counts from it).
    pub async fn last_customer_message_at(
        &self,
        chat_id: &str,
    ) -> Result<Option<Millis>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT MAX(created_at) FROM messages WHERE chat_id = ? AND kind = 'inbound'",
        )
        .bind(chat_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Where a chat's messages go: its channel and the provider's chat id
    /// (Telegram chat id, Messenger PSID).
    pub async fn chat_address(&self, chat_id: &str) -> Result<(Id, String), StoreError> {
        let row = sqlx::query("SELECT channel_id, provider_chat_id FROM chats WHERE id = ?")
            .bind(chat_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "chat",
                id: chat_id.into(),
            })?;
        Ok((row.try_get("channel_id")?, row.try_get("provider_chat_id")?))
    }
}

impl Store {
    /// Keeps a customer's profile picture (bytes and image type).
    pub async fn set_contact_picture(
        &self,
        channel_id: &str,
        provider_user_id: &str,
        bytes: &[u8],
        image_type: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE contacts SET picture = ?, picture_type = ?
             WHERE channel_id = ? AND provider_user_id = ?",
        )
        .bind(bytes)
        .bind(image_type)
        .bind(channel_id)
        .bind(provider_user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The chat's customer picture, if one was fetched: (bytes, image type).
    pub async fn contact_picture(
        &self,
        chat_id: &str,
    ) -> Result<Option<(Vec<u8>, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT ct.picture, ct.picture_type FROM chats c JOIN contacts ct ON ct.id = c.contact_id
             WHERE c.id = ?",
        )
        .bind(chat_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let bytes: Option<Vec<u8>> = row.try_get("picture")?;
        let kind: Option<String> = row.try_get("picture_type")?;
        Ok(bytes.zip(kind))
    }
}
