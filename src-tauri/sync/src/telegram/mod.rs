//! Shared mode's Telegram poller: every desktop runs one per bot, and only the one holding the
//! bot's lease polls. Each batch goes to Postgres with `sb_ingest_telegram`, which writes the
//! offset fenced by the lease's token in the same transaction as the messages: a desktop whose
//! lease was taken over (a pause, a cut cable) cannot store anything, and the desktop taking over
//! continues from the stored offset. Telegram keeps updates until an offset confirms them, so
//! nothing is lost between the two.
//!
//! The holder also sends the channel's replies and files ([`send`]), whichever desktop they were
//! written on, and downloads the files customers send ([`fetch`]): a message is stored with its
//! file `pending`, so a slow download never holds back the offset.
//!
//! A customer's edit goes in the same batch with its `edited_at`: `sb_ingest_telegram` replaces
//! the stored text when the edit is newer (migration 0022).

mod fetch;
mod send;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::postgres::PgPool;
use switchboard_telegram::{BotApi, Converted, convert, update_id};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::lease::{LeaseEvent, LeaseHolder, LeasePolicy};

#[derive(Debug, Clone, Copy)]
pub struct PollerConfig {
    pub lease: LeasePolicy,
    /// The long poll's timeout.
    pub long_poll: Duration,
    /// The pause after a failed call before the next.
    pub retry: Duration,
}

impl Default for PollerConfig {
    fn default() -> Self {
        Self {
            lease: LeasePolicy::default(),
            long_poll: Duration::from_secs(10),
            retry: Duration::from_secs(2),
        }
    }
}

/// What this desktop does with the bot (the channel card shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollerState {
    /// Another desktop polls it (or nobody yet: this one is trying to take the lease).
    Standby,
    /// This desktop polls it, with this fencing token.
    Polling { fencing: i64 },
    /// This desktop holds the lease but the last call failed, in words.
    Problem { reason: String },
}

pub struct PollerHandle {
    pub state: watch::Receiver<PollerState>,
    /// Customer messages this desktop stored (new ones only).
    pub stored: watch::Receiver<u64>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl PollerHandle {
    /// Stops polling, then releases the lease so another desktop takes over at once.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Starts following `channel_id`'s lease as `holder_id` (unique per process) and polling while
/// it is held. `pg` connects with the operator's own role.
pub fn start(
    pg: PgPool,
    channel_id: String,
    holder_id: String,
    api: BotApi,
    config: PollerConfig,
) -> PollerHandle {
    let (state_tx, state) = watch::channel(PollerState::Standby);
    let (stored_tx, stored) = watch::channel(0);
    let (stop, mut stop_rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut lease = LeaseHolder::start(
            pg.clone(),
            channel_id.clone(),
            holder_id.clone(),
            config.lease,
        );
        let mut running: Vec<JoinHandle<()>> = Vec::new();
        loop {
            tokio::select! {
                _ = stop_rx.changed() => break,
                event = lease.events.recv() => {
                    // Lost, or re-acquired with a new token: the old poll and sender end now,
                    // a long poll or a send abandoned mid-flight.
                    running.drain(..).for_each(|task| task.abort());
                    match event {
                        Some(LeaseEvent::Acquired { fencing }) => {
                            state_tx.send_replace(PollerState::Polling { fencing });
                            let held = Lease {
                                channel_id: channel_id.clone(),
                                holder_id: holder_id.clone(),
                                fencing,
                            };
                            let files = Arc::new(Notify::new());
                            let bot = Bot {
                                pg: pg.clone(),
                                api: api.clone(),
                                lease: held.clone(),
                                config,
                                files: files.clone(),
                            };
                            running.push(tokio::spawn(bot.poll(state_tx.clone(), stored_tx.clone())));
                            running.push(tokio::spawn(fetch_files(
                                pg.clone(),
                                api.clone(),
                                held.clone(),
                                files,
                                config.retry,
                            )));
                            running.push(tokio::spawn(send_replies(
                                pg.clone(),
                                api.clone(),
                                held,
                                config.retry,
                            )));
                        }
                        Some(LeaseEvent::Lost) => {
                            state_tx.send_replace(PollerState::Standby);
                        }
                        None => break,
                    }
                }
            }
        }
        running.drain(..).for_each(|task| task.abort());
        lease.stop().await;
        state_tx.send_replace(PollerState::Standby);
    });
    PollerHandle {
        state,
        stored,
        stop,
        task,
    }
}

/// The lease this desktop holds for one channel: what every fenced call passes.
#[derive(Debug, Clone)]
struct Lease {
    channel_id: String,
    holder_id: String,
    fencing: i64,
}

impl Lease {
    /// Runs a fenced function whose first three arguments are the channel, holder and token.
    async fn call<'q, F>(
        &'q self,
        sql: &'static str,
        pg: &PgPool,
        more: F,
    ) -> Result<(), sqlx::Error>
    where
        F: FnOnce(
            sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
        ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    {
        let query = sqlx::query(sql)
            .bind(&self.channel_id)
            .bind(&self.holder_id)
            .bind(self.fencing);
        more(query).execute(pg).await?;
        Ok(())
    }
}

/// The sender, restarted after a failure until the lease is lost (then the task is aborted or
/// the sender returns on its own when fenced out).
async fn send_replies(pg: PgPool, api: BotApi, lease: Lease, retry: Duration) {
    loop {
        match send::run(pg.clone(), api.clone(), lease.clone()).await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(channel = %lease.channel_id, %error, "shared sender: retrying");
                tokio::time::sleep(retry).await;
            }
        }
    }
}

/// The file downloads, restarted after a failure until the lease is lost.
async fn fetch_files(pg: PgPool, api: BotApi, lease: Lease, wake: Arc<Notify>, retry: Duration) {
    loop {
        match fetch::run(&pg, &api, &lease, &wake).await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(channel = %lease.channel_id, %error, "shared file downloads: retrying");
                tokio::time::sleep(retry).await;
            }
        }
    }
}

struct Bot {
    pg: PgPool,
    api: BotApi,
    lease: Lease,
    config: PollerConfig,
    /// Poked when a batch brought files to download.
    files: Arc<Notify>,
}

impl Bot {
    async fn poll(self, state: watch::Sender<PollerState>, stored: watch::Sender<u64>) {
        // The first poll after taking over does not wait: whatever queued up meanwhile comes now.
        let mut long_poll = Duration::ZERO;
        loop {
            match self.round(long_poll).await {
                Ok(Some(new)) => {
                    stored.send_modify(|n| *n += new);
                    state.send_if_modified(|s| {
                        let polling = PollerState::Polling {
                            fencing: self.lease.fencing,
                        };
                        let changed = *s != polling;
                        *s = polling;
                        changed
                    });
                    long_poll = self.config.long_poll;
                }
                Ok(None) => {
                    // Fenced out: another desktop holds the bot now. The lease driver will say
                    // Lost too; until then, poll nothing.
                    state.send_replace(PollerState::Standby);
                    return;
                }
                Err(reason) => {
                    tracing::warn!(channel = %self.lease.channel_id, %reason, "shared poller");
                    state.send_replace(PollerState::Problem { reason });
                    tokio::time::sleep(self.config.retry).await;
                }
            }
        }
    }

    /// One long poll and its batch stored. `Ok(None)`: this desktop no longer holds the lease.
    async fn round(&self, long_poll: Duration) -> Result<Option<u64>, String> {
        let offset: Option<i64> =
            sqlx::query_scalar("SELECT next_offset FROM telegram_cursors WHERE channel_id = $1")
                .bind(&self.lease.channel_id)
                .fetch_optional(&self.pg)
                .await
                .map_err(|e| format!("The shared database cannot be reached ({e})."))?;
        let updates = self
            .api
            .get_updates(offset, long_poll.as_secs())
            .await
            .map_err(|e| e.to_string())?;
        let Some(next_offset) = updates.iter().filter_map(update_id).max().map(|id| id + 1) else {
            return Ok(Some(0));
        };
        let batch: Vec<Value> = updates
            .iter()
            .filter_map(|raw| match convert(raw) {
                Converted::Message(m) => Some(json!({
                    "key": m.provider_key,
                    "user": m.provider_user_id,
                    "name": m.contact_name,
                    "username": m.contact_username,
                    "chat": m.provider_chat_id,
                    "text": m.text,
                    "at": m.sent_at,
                    "edited_at": m.edited_at,
                    "file": m.attachment.as_ref().map(|file| json!({
                        "kind": file.kind.as_str(),
                        "file_id": file.provider_file_id,
                        "name": file.file_name,
                        "mime": file.mime_type,
                        "size": file.size,
                    })),
                })),
                Converted::Skip(why) => {
                    tracing::debug!(why, "shared poller: update skipped");
                    None
                }
            })
            .collect();
        let with_files = batch.iter().any(|m| !m["file"].is_null());
        let result =
            sqlx::query_scalar::<_, i32>("SELECT sb_ingest_telegram($1, $2, $3, $4, $5::JSONB)")
                .bind(&self.lease.channel_id)
                .bind(&self.lease.holder_id)
                .bind(self.lease.fencing)
                .bind(next_offset)
                .bind(Value::from(batch).to_string())
                .fetch_one(&self.pg)
                .await;
        match result {
            Ok(new) => {
                if with_files {
                    self.files.notify_one();
                }
                Ok(Some(u64::try_from(new).unwrap_or(0)))
            }
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("SB009") => Ok(None),
            Err(e) => Err(format!(
                "The batch could not be stored ({e}); it is fetched again."
            )),
        }
    }
}
