//! Up-sync: what the operator does at this desktop is written to the local outbox first (with an
//! id this desktop generates), shown at once, and delivered to Postgres's `sb_apply` in order by
//! the [`Drainer`] whenever the database can be reached. `sb_apply` applies an id once, so an entry
//! whose answer was lost is simply delivered again.
//!
//! While Postgres cannot be reached the operator keeps reading the cache and composing: a reply is
//! in the cache at once as a pending outbound message under the entry's id, and when the mirror
//! later brings Postgres's row (same id) it replaces the local one. A reply Postgres refuses (the
//! chat was taken away meanwhile) is marked failed here with Postgres's sentence.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqlitePool;
use sqlx::{Connection as _, PgConnection, Row};
use switchboard_engine::clock::Clock;
use switchboard_engine::domain::AttachmentKind;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::SyncError;

/// One thing an operator did. `SendFile`: a photo or document with its caption (checked against
/// the engine's limits first); `RetrySend`: "Send again" on a failed message of mine;
/// `RetryFile`: "Download again" on a customer's file (by its attachment id) that could not be
/// downloaded. `TakeThread`: "Take over" on a Messenger conversation a bot holds; `PassThread`:
/// "Give back to Page Inbox" on my Messenger chat (the page's lease holder makes the Graph call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Accept { chat: String },
    Decline { chat: String },
    Complete { chat: String },
    Status { active: bool },
    Send { chat: String, text: String },
    Note { chat: String, text: String },
    TransferToQueue { chat: String, queue: String },
    TransferToOperator { chat: String, operator: String },
    SendFile { chat: String, file: FileToSend },
    RetrySend { chat: String, message: String },
    RetryFile { chat: String, file: String },
    TakeThread { chat: String },
    PassThread { chat: String },
}

/// A file an operator sends: it travels in the outbox entry (base64 in its args) and is shown in
/// the cache at once under the entry's id.
#[derive(Clone, PartialEq, Eq)]
pub struct FileToSend {
    pub kind: AttachmentKind,
    pub file_name: String,
    pub mime_type: Option<String>,
    pub bytes: Vec<u8>,
    /// The message's text (may be empty).
    pub caption: String,
}

impl std::fmt::Debug for FileToSend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never megabytes of bytes in a log line.
        f.debug_struct("FileToSend")
            .field("kind", &self.kind)
            .field("file_name", &self.file_name)
            .field("mime_type", &self.mime_type)
            .field("size", &self.bytes.len())
            .field("caption", &self.caption)
            .finish()
    }
}

impl Change {
    fn kind(&self) -> &'static str {
        match self {
            Change::Accept { .. } => "accept",
            Change::Decline { .. } => "decline",
            Change::Complete { .. } => "complete",
            Change::Status { .. } => "status",
            Change::Send { .. } => "send",
            Change::Note { .. } => "note",
            Change::TransferToQueue { .. } => "transfer_to_queue",
            Change::TransferToOperator { .. } => "transfer_to_operator",
            Change::SendFile { .. } => "send_file",
            Change::RetrySend { .. } => "retry_send",
            Change::RetryFile { .. } => "retry_file",
            Change::TakeThread { .. } => "take_thread",
            Change::PassThread { .. } => "pass_thread",
        }
    }

    fn args(&self) -> Value {
        match self {
            Change::Accept { chat }
            | Change::Decline { chat }
            | Change::Complete { chat }
            | Change::TakeThread { chat }
            | Change::PassThread { chat } => json!({ "chat": chat }),
            Change::Status { active } => {
                json!({ "status": if *active { "active" } else { "inactive" } })
            }
            Change::Send { chat, text } | Change::Note { chat, text } => {
                json!({ "chat": chat, "text": text })
            }
            Change::TransferToQueue { chat, queue } => json!({ "chat": chat, "queue": queue }),
            Change::TransferToOperator { chat, operator } => {
                json!({ "chat": chat, "operator": operator })
            }
            Change::SendFile { chat, file } => {
                use base64::Engine as _;
                json!({
                    "chat": chat,
                    "text": file.caption,
                    "file": {
                        "kind": file.kind.as_str(),
                        "name": file.file_name,
                        "mime": file.mime_type,
                        "content": base64::engine::general_purpose::STANDARD.encode(&file.bytes),
                    },
                })
            }
            Change::RetrySend { chat, message } => json!({ "chat": chat, "message": message }),
            Change::RetryFile { chat, file } => json!({ "chat": chat, "attachment": file }),
        }
    }
}

/// Whether this desktop reaches the shared database (the UI shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Online,
    /// With the reason in words, e.g. "connection refused".
    Offline {
        reason: String,
    },
}

/// The operator this desktop acts for.
#[derive(Debug, Clone)]
pub struct Me {
    pub user_id: String,
    pub name: String,
}

/// The outbox in the desktop's SQLite file (the engine's schema, table `sync_outbox`).
pub struct Outbox {
    sqlite: SqlitePool,
    me: Me,
    clock: Arc<dyn Clock>,
    wake: Notify,
}

impl Outbox {
    pub fn new(sqlite: SqlitePool, me: Me, clock: Arc<dyn Clock>) -> Self {
        Self {
            sqlite,
            me,
            clock,
            wake: Notify::new(),
        }
    }

    /// Records a change to deliver and shows it in the cache at once: a reply, a note or a file
    /// as a new message (a file's attachment under the same id), a retry as pending again.
    /// Returns the entry's id (for a reply or a file: the message's id, here and in Postgres).
    pub async fn push(&self, change: Change) -> Result<String, SyncError> {
        let id = switchboard_engine::domain::new_id();
        let now = self.clock.now();
        let mut tx = self
            .sqlite
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(SyncError::Cache)?;
        sqlx::query(
            "INSERT INTO sync_outbox (mutation_id, kind, args, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(change.kind())
        .bind(change.args().to_string())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(SyncError::Cache)?;
        let shown = match &change {
            Change::Send { chat, text } | Change::Note { chat, text } => Some((chat, text)),
            Change::SendFile { chat, file } => Some((chat, &file.caption)),
            _ => None,
        };
        if let Some((chat, text)) = shown {
            let outbound = !matches!(change, Change::Note { .. });
            sqlx::query(
                "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, author_user_id,
                                       created_at, delivery)
                 SELECT ?, id, channel_id, ?, ?, ?, ?, ?, ? FROM chats WHERE id = ?",
            )
            .bind(&id)
            .bind(if outbound { "outbound" } else { "note" })
            .bind(text)
            .bind(&self.me.name)
            .bind(&self.me.user_id)
            .bind(now)
            .bind(outbound.then_some("pending"))
            .bind(chat)
            .execute(&mut *tx)
            .await
            .map_err(SyncError::Cache)?;
        }
        match &change {
            Change::SendFile { chat, file, .. } => {
                sqlx::query(
                    "INSERT INTO attachments (id, message_id, channel_id, kind, file_name,
                                              mime_type, size, state, content, created_at)
                     SELECT ?, ?, channel_id, ?, ?, ?, ?, 'stored', ?, ? FROM chats WHERE id = ?",
                )
                .bind(&id)
                .bind(&id)
                .bind(file.kind.as_str())
                .bind(&file.file_name)
                .bind(&file.mime_type)
                .bind(i64::try_from(file.bytes.len()).unwrap_or(i64::MAX))
                .bind(&file.bytes)
                .bind(now)
                .bind(chat)
                .execute(&mut *tx)
                .await
                .map_err(SyncError::Cache)?;
            }
            Change::RetrySend { message, .. } => {
                sqlx::query(
                    "UPDATE messages SET delivery = 'pending', failure_reason = NULL
                     WHERE id = ? AND delivery = 'failed'",
                )
                .bind(message)
                .execute(&mut *tx)
                .await
                .map_err(SyncError::Cache)?;
            }
            Change::RetryFile { file, .. } => {
                sqlx::query(
                    "UPDATE attachments SET state = 'pending', attempts = 0, next_attempt_at = NULL
                     WHERE id = ? AND state = 'failed' AND provider_file_id IS NOT NULL",
                )
                .bind(file)
                .execute(&mut *tx)
                .await
                .map_err(SyncError::Cache)?;
            }
            _ => {}
        }
        tx.commit().await.map_err(SyncError::Cache)?;
        self.wake.notify_one();
        Ok(id)
    }

    /// Entries not delivered yet.
    pub async fn pending(&self) -> Result<i64, SyncError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM sync_outbox WHERE state = 'pending'")
            .fetch_one(&self.sqlite)
            .await
            .map_err(SyncError::Cache)
    }

    /// An entry's state (`pending`, `applied`, `refused`) and outcome.
    pub async fn entry(&self, id: &str) -> Result<Option<(String, Option<String>)>, SyncError> {
        sqlx::query_as("SELECT state, outcome FROM sync_outbox WHERE mutation_id = ?")
            .bind(id)
            .fetch_optional(&self.sqlite)
            .await
            .map_err(SyncError::Cache)
    }

    async fn next(&self) -> Result<Option<(String, String, String)>, SyncError> {
        sqlx::query_as(
            "SELECT mutation_id, kind, args FROM sync_outbox WHERE state = 'pending'
             ORDER BY seq LIMIT 1",
        )
        .fetch_optional(&self.sqlite)
        .await
        .map_err(SyncError::Cache)
    }

    /// Records Postgres's answer; a refused reply or file is marked failed with the reason, and
    /// what a refused retry showed as pending again is failed again, with the reason.
    async fn settle(
        &self,
        id: &str,
        kind: &str,
        args: &str,
        outcome: &Value,
    ) -> Result<(), SyncError> {
        let applied = outcome["applied"] == json!(true);
        let mut tx = self
            .sqlite
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(SyncError::Cache)?;
        sqlx::query("UPDATE sync_outbox SET state = ?, outcome = ? WHERE mutation_id = ?")
            .bind(if applied { "applied" } else { "refused" })
            .bind(outcome.to_string())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(SyncError::Cache)?;
        let reason = outcome["message"]
            .as_str()
            .unwrap_or("The reply was refused.");
        let target = |field: &str| {
            serde_json::from_str::<Value>(args)
                .ok()
                .and_then(|args| args[field].as_str().map(str::to_owned))
        };
        let undo = match (applied, kind) {
            (false, "send" | "send_file") => Some((
                "UPDATE messages SET delivery = 'failed', failure_reason = ?
                 WHERE id = ? AND delivery = 'pending'",
                Some(id.to_owned()),
            )),
            (false, "retry_send") => Some((
                "UPDATE messages SET delivery = 'failed', failure_reason = ?
                 WHERE id = ? AND delivery = 'pending'",
                target("message"),
            )),
            (false, "retry_file") => Some((
                "UPDATE attachments SET state = 'failed', failure_reason = ?
                 WHERE id = ? AND state = 'pending' AND content IS NULL",
                target("attachment"),
            )),
            _ => None,
        };
        if let Some((sql, Some(row))) = undo {
            sqlx::query(sql)
                .bind(reason)
                .bind(row)
                .execute(&mut *tx)
                .await
                .map_err(SyncError::Cache)?;
        }
        tx.commit().await.map_err(SyncError::Cache)?;
        Ok(())
    }
}

/// Delivers the outbox to Postgres, in order, with the operator's own role.
pub struct Drainer;

pub struct DrainerHandle {
    pub connection: watch::Receiver<Connection>,
    /// Entries settled so far (applied or refused); tests and the UI wait on it.
    pub settled: watch::Receiver<u64>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl DrainerHandle {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// How long one call may take before the connection counts as lost.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

impl Drainer {
    /// `retry`: the pause between attempts to reach the database while it cannot be reached.
    pub fn start(outbox: Arc<Outbox>, desktop: PgConnectOptions, retry: Duration) -> DrainerHandle {
        let (connection_tx, connection) = watch::channel(Connection::Connecting);
        let (settled_tx, settled) = watch::channel(0);
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(drain(
            outbox,
            desktop,
            retry,
            connection_tx,
            settled_tx,
            stop_rx,
        ));
        DrainerHandle {
            connection,
            settled,
            stop,
            task,
        }
    }
}

async fn drain(
    outbox: Arc<Outbox>,
    desktop: PgConnectOptions,
    retry: Duration,
    connection: watch::Sender<Connection>,
    settled: watch::Sender<u64>,
    mut stop: watch::Receiver<bool>,
) {
    let mut pg: Option<PgConnection> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        let pause = match deliver_one(&outbox, &desktop, &mut pg).await {
            Ok(Delivered::One) => {
                connection.send_if_modified(|c| replace(c, Connection::Online));
                settled.send_modify(|n| *n += 1);
                continue;
            }
            Ok(Delivered::Nothing) => {
                connection.send_if_modified(|c| replace(c, Connection::Online));
                None
            }
            Err(detail) => {
                pg = None;
                tracing::warn!(%detail, "sync: the outbox cannot reach the shared database");
                let reason = format!(
                    "The shared database cannot be reached ({detail}). What you do waits on this \
                     computer and goes out when it is back."
                );
                connection.send_if_modified(|c| replace(c, Connection::Offline { reason }));
                Some(retry)
            }
        };
        tokio::select! {
            _ = stop.changed() => return,
            () = outbox.wake.notified(), if pause.is_none() => {}
            () = tokio::time::sleep(pause.unwrap_or(retry * 10)) => {}
        }
    }
}

fn replace(current: &mut Connection, new: Connection) -> bool {
    if *current == new {
        return false;
    }
    *current = new;
    true
}

enum Delivered {
    One,
    Nothing,
}

/// Delivers the oldest pending entry. `Err` is a reason the database cannot be reached (the entry
/// stays pending and is delivered again); a refusal by the rules or bad input settles the entry.
async fn deliver_one(
    outbox: &Outbox,
    desktop: &PgConnectOptions,
    pg: &mut Option<PgConnection>,
) -> Result<Delivered, String> {
    let conn = match pg {
        Some(conn) => conn,
        None => {
            let connected = tokio::time::timeout(CALL_TIMEOUT, PgConnection::connect_with(desktop))
                .await
                .map_err(|_| "the shared database did not answer in time".to_owned())?
                .map_err(|e| e.to_string())?;
            pg.insert(connected)
        }
    };
    let Some((id, kind, args)) = outbox.next().await.map_err(|e| e.to_string())? else {
        // Idle: check the connection, so the UI's state is true while nothing is sent.
        tokio::time::timeout(CALL_TIMEOUT, conn.ping())
            .await
            .map_err(|_| "the shared database did not answer in time".to_owned())?
            .map_err(|e| e.to_string())?;
        return Ok(Delivered::Nothing);
    };
    let call = sqlx::query("SELECT sb_apply($1, $2, $3::JSONB)::TEXT AS outcome")
        .bind(&id)
        .bind(&kind)
        .bind(&args)
        .fetch_one(&mut *conn);
    // A file travels in its entry: a second more per 500 kB (50 MB gets three minutes), so a
    // slow line does not cut every attempt short.
    let timeout =
        CALL_TIMEOUT + Duration::from_secs(u64::try_from(args.len() / 500_000).unwrap_or(0));
    let outcome = match tokio::time::timeout(timeout, call).await {
        Err(_) => return Err("the shared database did not answer in time".into()),
        Ok(Ok(row)) => {
            let text: String = row.try_get("outcome").map_err(|e| e.to_string())?;
            serde_json::from_str(&text).map_err(|e| e.to_string())?
        }
        Ok(Err(sqlx::Error::Database(error))) if is_permanent(error.code().as_deref()) => {
            json!({"applied": false, "code": error.code(), "message": error.message()})
        }
        Ok(Err(error)) => return Err(error.to_string()),
    };
    outbox
        .settle(&id, &kind, &args, &outcome)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Delivered::One)
}

/// Errors that delivering again cannot cure: bad input, a disabled role, no permission. Anything
/// else (a restarting server, a dropped connection) is retried.
fn is_permanent(code: Option<&str>) -> bool {
    matches!(code, Some("SB001" | "SB008" | "42501"))
}
