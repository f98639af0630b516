use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use super::Store;
use super::attachments::insert_inbound_attachment;
use crate::clock::Millis;
use crate::domain::{
    Chat, ChatState, Delivery, Id, InboundMessage, Message, MessageKind, Provider, new_id,
};
use crate::error::StoreError;

impl Store {
    /// Stores a batch of customer messages and the provider cursor that
    /// confirms them in ONE transaction: after a crash either both are there
    /// or neither, so the provider redelivers and nothing is lost or doubled.
    /// A message already stored (same provider key) is skipped.
    /// Returns the ids of the chats that changed.
    pub async fn ingest_inbound(
        &self,
        channel_id: &str,
        batch: &[InboundMessage],
        next_telegram_offset: Option<i64>,
        now: Millis,
    ) -> Result<Vec<Id>, StoreError> {
        self.ingest_inbound_as(
            channel_id,
            batch,
            next_telegram_offset,
            ChatState::Queued,
            now,
        )
        .await
    }

    /// [`Store::ingest_inbound`] where a new chat starts in `new_chat_state`:
    /// `Queued` (routing takes it) or `Bot` (another app — a chatbot — holds
    /// the Messenger thread; the chat is shown with no operator).
    pub async fn ingest_inbound_as(
        &self,
        channel_id: &str,
        batch: &[InboundMessage],
        next_telegram_offset: Option<i64>,
        new_chat_state: ChatState,
        now: Millis,
    ) -> Result<Vec<Id>, StoreError> {
        if !matches!(new_chat_state, ChatState::Queued | ChatState::Bot) {
            return Err(StoreError::Invalid(
                "a customer's new chat is either queued or held by a bot".into(),
            ));
        }
        let mut tx = self.write_tx().await?;
        let queue_id: Id = sqlx::query_scalar("SELECT queue_id FROM channels WHERE id = ?")
            .bind(channel_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "channel",
                id: channel_id.into(),
            })?;
        let mut changed = Vec::new();
        for inbound in batch {
            let existing: Option<(Id, Id)> = sqlx::query_as(
                "SELECT id, chat_id FROM messages WHERE channel_id = ? AND provider_key = ?",
            )
            .bind(channel_id)
            .bind(&inbound.provider_key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((message_id, chat_id)) = existing {
                // A redelivered message is skipped; an edit replaces the text
                // (only if it is newer than what we have: edits can arrive twice).
                if let Some(edited_at) = inbound.edited_at {
                    let done = sqlx::query(
                        "UPDATE messages SET text = ?, edited_at = ?
                         WHERE id = ? AND COALESCE(edited_at, 0) < ?",
                    )
                    .bind(&inbound.text)
                    .bind(edited_at)
                    .bind(&message_id)
                    .bind(edited_at)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() > 0 && !changed.contains(&chat_id) {
                        changed.push(chat_id);
                    }
                }
                continue;
            }
            let contact_id = upsert_contact(&mut tx, channel_id, inbound, now).await?;
            let chat_id = match open_chat(&mut tx, channel_id, &contact_id).await? {
                Some(id) => id,
                None => {
                    new_chat(
                        &mut tx,
                        (channel_id, &queue_id, &contact_id),
                        new_chat_state,
                        inbound,
                        now,
                    )
                    .await?
                }
            };
            let message_id = new_id();
            sqlx::query(
                "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at, provider_key, is_read, edited_at)
                 VALUES (?, ?, ?, 'inbound', ?, ?, ?, ?, 0, ?)",
            )
            .bind(&message_id)
            .bind(&chat_id)
            .bind(channel_id)
            .bind(&inbound.text)
            .bind(&inbound.contact_name)
            .bind(inbound.sent_at)
            .bind(&inbound.provider_key)
            .bind(inbound.edited_at)
            .execute(&mut *tx)
            .await?;
            if let Some(attachment) = &inbound.attachment {
                insert_inbound_attachment(&mut tx, channel_id, &message_id, attachment, now)
                    .await?;
            }
            record_message(&mut tx, &chat_id, false, now).await?;
            if !changed.contains(&chat_id) {
                changed.push(chat_id);
            }
        }
        if let Some(offset) = next_telegram_offset {
            sqlx::query(
                "INSERT INTO telegram_cursors (channel_id, next_offset) VALUES (?, ?)
                 ON CONFLICT (channel_id) DO UPDATE SET next_offset = excluded.next_offset",
            )
            .bind(channel_id)
            .bind(offset)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// The local operator's panel: their active chats, the chats offered to
    /// them and the Messenger chats a bot is handling (anyone may take one
    /// over), newest activity first.
    pub async fn list_chats(&self) -> Result<Vec<Chat>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CHAT_SUMMARY} WHERE (c.state = 'active' AND c.operator_id = ?1)
                OR EXISTS (SELECT 1 FROM chat_offers o WHERE o.chat_id = c.id AND o.user_id = ?1)
                OR c.state = 'bot'
             ORDER BY c.last_activity_at DESC, c.rowid DESC LIMIT 500"
        )))
        .bind(&self.local_user.id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(chat_from_row).collect()
    }

    pub async fn chat(&self, chat_id: &str) -> Result<Chat, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CHAT_SUMMARY} WHERE c.id = ?2"
        )))
        .bind(&self.local_user.id)
        .bind(chat_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "chat",
            id: chat_id.into(),
        })?;
        chat_from_row(&row)
    }

    /// The conversation in the order it happened.
    pub async fn messages(&self, chat_id: &str) -> Result<Vec<Message>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{MESSAGE_COLUMNS} WHERE chat_id = ? ORDER BY rowid"
        )))
        .bind(chat_id)
        .fetch_all(&self.pool)
        .await?;
        let mut messages: Vec<Message> = rows
            .iter()
            .map(message_from_row)
            .collect::<Result<_, _>>()?;
        let mut files = self
            .attachments_of_chat(chat_id)
            .await?
            .into_iter()
            .peekable();
        // Both lists are in message order, so one pass attaches every file.
        for message in &mut messages {
            while let Some(file) = files.next_if(|f| f.message_id == message.id) {
                message.attachments.push(file);
            }
        }
        Ok(messages)
    }

    /// The operator opened the chat: its inbound messages are read.
    pub async fn mark_read(&self, chat_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE messages SET is_read = 1 WHERE chat_id = ? AND is_read = 0")
            .bind(chat_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

async fn upsert_contact(
    tx: &mut Transaction<'_, Sqlite>,
    channel_id: &str,
    inbound: &InboundMessage,
    now: Millis,
) -> Result<Id, StoreError> {
    sqlx::query(
        "INSERT INTO contacts (id, channel_id, provider_user_id, name, username, created_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (channel_id, provider_user_id)
         DO UPDATE SET name = excluded.name, username = excluded.username",
    )
    .bind(new_id())
    .bind(channel_id)
    .bind(&inbound.provider_user_id)
    .bind(&inbound.contact_name)
    .bind(&inbound.contact_username)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM contacts WHERE channel_id = ? AND provider_user_id = ?")
            .bind(channel_id)
            .bind(&inbound.provider_user_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

async fn open_chat(
    tx: &mut Transaction<'_, Sqlite>,
    channel_id: &str,
    contact_id: &str,
) -> Result<Option<Id>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM chats WHERE channel_id = ? AND contact_id = ? AND state <> 'completed'",
    )
    .bind(channel_id)
    .bind(contact_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Creates a chat waiting in the channel's queue (the routing core takes it
/// from there: the runtime feeds it `ChatArrived` after this commit), or held
/// by a bot until the thread is passed to Switchboard.
async fn new_chat(
    tx: &mut Transaction<'_, Sqlite>,
    (channel_id, queue_id, contact_id): (&str, &str, &str),
    state: ChatState,
    inbound: &InboundMessage,
    now: Millis,
) -> Result<Id, StoreError> {
    let chat_id = new_id();
    sqlx::query(
        "INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id, created_at, last_activity_at, last_message_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&chat_id)
    .bind(channel_id)
    .bind(contact_id)
    .bind(queue_id)
    .bind(state.as_str())
    .bind(&inbound.provider_chat_id)
    .bind(now)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(chat_id)
}

/// A message was stored in the chat: it is the newest activity, and the
/// completion timeout counts from it (only when it was outgoing).
pub(super) async fn record_message(
    tx: &mut Transaction<'_, Sqlite>,
    chat_id: &str,
    outbound: bool,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE chats SET last_activity_at = MAX(last_activity_at, ?1), last_message_at = ?1,
             last_message_outbound = ?2
         WHERE id = ?3",
    )
    .bind(now)
    .bind(outbound)
    .bind(chat_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const CHAT_SUMMARY: &str = "SELECT c.id, ch.id AS channel_id, ch.provider, ch.name AS channel_name,
        ct.name AS contact_name, c.state, c.operator_id, c.last_activity_at,
        q.name AS queue_name, u.name AS operator_name,
        EXISTS (SELECT 1 FROM chat_offers o WHERE o.chat_id = c.id AND o.user_id = ?1) AS offered_to_me,
        (SELECT m.text FROM messages m WHERE m.chat_id = c.id AND m.kind IN ('inbound', 'outbound')
         ORDER BY m.rowid DESC LIMIT 1) AS last_text,
        (SELECT COUNT(*) FROM messages m WHERE m.chat_id = c.id AND m.is_read = 0) AS unread
     FROM chats c
     JOIN channels ch ON ch.id = c.channel_id
     JOIN contacts ct ON ct.id = c.contact_id
     JOIN queues q ON q.id = c.queue_id
     LEFT JOIN users u ON u.id = c.operator_id";

fn chat_from_row(row: &SqliteRow) -> Result<Chat, StoreError> {
    Ok(Chat {
        id: row.try_get("id")?,
        channel_id: row.try_get("channel_id")?,
        provider: Provider::parse(row.try_get("provider")?)?,
        channel_name: row.try_get("channel_name")?,
        contact_name: row.try_get("contact_name")?,
        state: ChatState::parse(row.try_get("state")?)?,
        operator_id: row.try_get("operator_id")?,
        last_message_text: row.try_get("last_text")?,
        last_activity_at: row.try_get("last_activity_at")?,
        unread_count: u32::try_from(row.try_get::<i64, _>("unread")?).unwrap_or(u32::MAX),
        queue_name: row.try_get("queue_name")?,
        operator_name: row.try_get("operator_name")?,
        offered_to_me: row.try_get("offered_to_me")?,
    })
}

pub(super) const MESSAGE_COLUMNS: &str =
    "SELECT id, chat_id, kind, text, author, created_at, delivery, failure_reason, edited_at,
        delivered_at, read_at
     FROM messages";

pub(super) fn message_from_row(row: &SqliteRow) -> Result<Message, StoreError> {
    let delivery: Option<&str> = row.try_get("delivery")?;
    Ok(Message {
        id: row.try_get("id")?,
        chat_id: row.try_get("chat_id")?,
        kind: MessageKind::parse(row.try_get("kind")?)?,
        text: row.try_get("text")?,
        author: row.try_get("author")?,
        created_at: row.try_get("created_at")?,
        delivery: delivery.map(Delivery::parse).transpose()?,
        failure_reason: row.try_get("failure_reason")?,
        edited_at: row.try_get("edited_at")?,
        delivered_at: row.try_get("delivered_at")?,
        read_at: row.try_get("read_at")?,
        attachments: Vec::new(),
    })
}
