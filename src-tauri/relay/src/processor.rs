//! Shared mode's Messenger processor: the relay turns the webhook events it stored in Postgres
//! (`messenger_inbox`) into contacts, chats and messages there, so the shared router routes them
//! and every desktop's cache shows them.
//!
//! Why the relay and not a desktop: it is the trusted process next to Postgres (it connects as the
//! schema owner and already routes), it runs whenever webhooks arrive, and it needs no page
//! token — except for the customer's name, which the profile API gives only with one. A new
//! customer is therefore named "Messenger user …1234" and put on `messenger_profiles_due`; the
//! desktop holding the page's lease (it has the token) asks the profile API later.
//!
//! # One pass
//!
//! ```text
//! BEGIN
//!   pg_advisory_xact_lock(INBOX_LOCK)     -- one pass at a time per database, whichever relay
//!   the pending events, in commit order: txid below every running transaction's, by (txid, id)
//!   (pages whose channel is switched off keep theirs for later)
//!   decide each (`conversation::decide`, as the standalone desktop does)
//!   sb_ingest_messenger(the decisions)    -- set-based writes and each event's outcome
//! COMMIT
//! ```
//!
//! Inbox ids come from a sequence, taken at insert, not at commit: with several relays, event 11
//! may commit before event 10. Reading only below the horizon of running transactions (as the
//! change feed does, see `switchboard_sync`) means no event is processed before one that commits
//! ahead of it. A crash between two passes repeats nothing: outcomes commit with the writes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Row;
use sqlx::postgres::{PgListener, PgPool};
use switchboard_engine::domain::InboundMessage;
use switchboard_engine::inbox::{InboxChannel, InboxEventKind, StoredInboxEvent};
use switchboard_engine::store::Receipt;
use tokio::sync::{Notify, watch};

use crate::conversation::{Context, Decision, decide};
use crate::postgres::NOTIFY_CHANNEL;

/// The advisory lock key that serializes inbox passes (an arbitrary constant: "SWBINBOX").
pub const INBOX_LOCK: i64 = 0x5357_4249_4e42_4f58;

/// Events per pass (a webhook POST carries up to 1,000).
const BATCH: i64 = 1_000;

/// How soon to look again when events wait behind a transaction still running.
const HELD_BACK_RETRY: Duration = Duration::from_millis(20);

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboxPass {
    /// Inbox events given an outcome (processed or ignored).
    pub events: usize,
    /// Messages that were new (customers' and echoes).
    pub messages: usize,
    /// The pass took a full batch: more may wait.
    pub more: bool,
    /// Pending events wait behind a transaction that is still running: look again shortly.
    pub held_back: bool,
}

/// Applies the stored webhook events of a shared database.
#[derive(Debug, Clone)]
pub struct InboxProcessor {
    pg: PgPool,
}

/// A page's channel, as the decisions need it.
struct Page {
    channel_id: String,
    name: String,
}

impl InboxProcessor {
    /// `pg` connects as the schema owner (`sb_ingest_messenger` is the owner's only).
    pub fn new(pg: PgPool) -> Self {
        Self { pg }
    }

    /// Processes the pending events, waiting for a pass running elsewhere first.
    pub async fn pass(&self) -> Result<InboxPass, sqlx::Error> {
        let mut tx = self.pg.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(INBOX_LOCK)
            .execute(&mut *tx)
            .await?;
        let rows = sqlx::query(
            "SELECT id, page_id, channel, kind, event_json, received_at FROM messenger_inbox
             WHERE state = 'pending' AND txid < pg_snapshot_xmin(pg_current_snapshot())
               AND page_id NOT IN (SELECT external_id FROM channels
                                   WHERE provider = 'messenger' AND NOT active)
             ORDER BY txid, id
             LIMIT $1",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let held_back: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT FROM messenger_inbox
                            WHERE state = 'pending'
                              AND txid >= pg_snapshot_xmin(pg_current_snapshot()))",
        )
        .fetch_one(&mut *tx)
        .await?;
        if rows.is_empty() {
            tx.commit().await?;
            return Ok(InboxPass {
                held_back,
                ..InboxPass::default()
            });
        }
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            events.push(StoredInboxEvent {
                id: row.try_get("id")?,
                page_id: row.try_get("page_id")?,
                channel: InboxChannel::parse(row.try_get("channel")?)
                    .map_err(|e| sqlx::Error::Decode(e.to_string().into()))?,
                kind: InboxEventKind::parse(row.try_get("kind")?)
                    .map_err(|e| sqlx::Error::Decode(e.to_string().into()))?,
                event_json: row.try_get("event_json")?,
                received_at: row.try_get("received_at")?,
            });
        }
        let page_ids: Vec<&str> = events.iter().map(|e| e.page_id.as_str()).collect();
        let pages: HashMap<String, Page> = sqlx::query_as::<_, (String, String, String)>(
            "SELECT external_id, id, name FROM channels
             WHERE provider = 'messenger' AND external_id = ANY($1)",
        )
        .bind(&page_ids)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|(page, channel_id, name)| (page, Page { channel_id, name }))
        .collect();
        let app_id: Option<String> =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'FacebookAppId'")
                .fetch_optional(&mut *tx)
                .await?;
        let batch: Vec<Value> = events
            .iter()
            .flat_map(|event| elements(event, pages.get(&event.page_id), app_id.as_deref()))
            .collect();
        let messages: i32 = sqlx::query_scalar("SELECT sb_ingest_messenger($1::JSONB)")
            .bind(Value::from(batch).to_string())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(InboxPass {
            events: events.len(),
            messages: usize::try_from(messages).unwrap_or(0),
            more: i64::try_from(events.len()).unwrap_or(i64::MAX) >= BATCH,
            held_back,
        })
    }

    /// Processes until `stop` turns true: woken by `wake` (this relay stored events), by
    /// `NOTIFY messenger_inbox` (another relay did), by `NOTIFY switchboard_changes` (a page's
    /// channel was switched on, say), and every `safety_net` in case a notification was missed.
    /// `passes` counts passes that processed something (tests wait on it). A failed pass is
    /// logged and retried after `safety_net`; nothing of it was committed.
    pub async fn run(
        self,
        safety_net: Duration,
        wake: Arc<Notify>,
        mut stop: watch::Receiver<bool>,
        passes: watch::Sender<u64>,
    ) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(&self.pg).await?;
        listener
            .listen_all([NOTIFY_CHANNEL, switchboard_sync::feed::CHANNEL])
            .await?;
        loop {
            let wait = match self.pass().await {
                Ok(pass) => {
                    if pass.events > 0 {
                        passes.send_modify(|n| *n += 1);
                    }
                    if pass.more && !*stop.borrow() {
                        continue;
                    }
                    if pass.held_back {
                        HELD_BACK_RETRY
                    } else {
                        safety_net
                    }
                }
                // A deadlock with a router pass or an operator, or a chat completed while the
                // batch was stored: nothing was committed, and the next pass goes through.
                Err(sqlx::Error::Database(error))
                    if matches!(error.code().as_deref(), Some("40001" | "40P01")) =>
                {
                    tracing::debug!(%error, "a Messenger pass ran into a concurrent change");
                    HELD_BACK_RETRY
                }
                Err(error) => {
                    tracing::warn!(%error, "processing Messenger events failed; retrying");
                    safety_net
                }
            };
            tokio::select! {
                _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
                () = wake.notified() => {}
                notification = listener.recv() => {
                    if let Err(error) = notification {
                        tracing::warn!(%error, "the Messenger processor lost its notifications");
                    }
                    while listener.next_buffered().is_some() {}
                }
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// The decision about one event, as `sb_ingest_messenger` takes it (one element per stored
/// message, otherwise one).
fn elements(event: &StoredInboxEvent, page: Option<&Page>, app_id: Option<&str>) -> Vec<Value> {
    let ignored =
        |reason: &str| vec![json!({"inbox": event.id, "outcome": "ignored", "reason": reason})];
    let Some(page) = page else {
        return ignored("no channel for this page in this workspace");
    };
    let context = Context {
        channel_name: &page.name,
        app_id,
    };
    let processed = |act: &str, psid: &str, more: Value| {
        let mut element = json!({
            "inbox": event.id,
            "outcome": "processed",
            "act": act,
            "channel": page.channel_id,
            "psid": psid,
        });
        if let (Value::Object(element), Value::Object(more)) = (&mut element, more) {
            element.extend(more);
        }
        element
    };
    match decide(event, context) {
        Decision::Inbound {
            psid,
            messages,
            new_chat,
        } => messages
            .iter()
            .map(|message| processed("message", &psid, message_fields(message, new_chat)))
            .collect(),
        Decision::Echo(echo) => vec![processed(
            "echo",
            &echo.psid,
            json!({"key": echo.mid, "text": echo.text, "author": echo.author, "at": echo.sent_at}),
        )],
        Decision::Receipt {
            psid,
            watermark,
            receipt,
        } => {
            let act = match receipt {
                Receipt::Read => "read",
                Receipt::Delivered => "delivery",
            };
            vec![processed(act, &psid, json!({"watermark": watermark}))]
        }
        Decision::Release { psid } => vec![processed("release", &psid, json!({}))],
        Decision::Ignored { reason } => ignored(&reason),
    }
}

fn message_fields(
    message: &InboundMessage,
    new_chat: switchboard_engine::domain::ChatState,
) -> Value {
    json!({
        "key": message.provider_key,
        "name": message.contact_name,
        "text": message.text,
        "at": message.sent_at,
        "state": new_chat.as_str(),
        "file": message.attachment.as_ref().map(|file| json!({
            "kind": file.kind.as_str(),
            "url": file.provider_file_id,
            "name": file.file_name,
        })),
    })
}
