//! The operator's actions in shared mode: each goes to the outbox (shown at once, delivered to
//! Postgres in order when it can be reached), and the cache brings back what Postgres decided.

use std::sync::Arc;

use switchboard_engine::StoreError;
use switchboard_engine::domain::{OutgoingFile, Provider};
use switchboard_engine::routing::OperatorStatus;
use switchboard_engine::secrets::SecretKey;
use switchboard_engine::store::check_outgoing_file;
use switchboard_ipc::{ErrorCode, IpcError, MessageView, MyStatus};
use switchboard_sync::outbox::{Change, FileToSend};

use crate::errors::to_ipc;
use crate::shared::SHARED_WORKSPACE;
use crate::{Runtime, SeedTelegramBot, convert};

impl Runtime {
    /// Records an action of the operator; `None` in standalone mode (the caller goes on locally).
    pub(crate) async fn push_shared(&self, change: Change) -> Result<Option<String>, IpcError> {
        let Some(run) = &self.shared else {
            return Ok(None);
        };
        let chat = match &change {
            Change::Accept { chat }
            | Change::Decline { chat }
            | Change::Complete { chat }
            | Change::Send { chat, .. }
            | Change::Note { chat, .. }
            | Change::TransferToQueue { chat, .. }
            | Change::TransferToOperator { chat, .. }
            | Change::SendFile { chat, .. }
            | Change::RetrySend { chat, .. }
            | Change::RetryFile { chat, .. }
            | Change::TakeThread { chat }
            | Change::PassThread { chat } => Some(chat.clone()),
            Change::Status { .. } => None,
        };
        let id = run.desktop.outbox.push(change).await.map_err(|e| {
            IpcError::new(
                ErrorCode::Storage,
                format!("Your action could not be saved on this computer: {e}"),
            )
        })?;
        let _ = self.changes.send(chat.into_iter().collect());
        let _ = self.database_events.send(());
        Ok(Some(id))
    }

    /// The reply as the panel shows it right after the operator sent it (pending).
    pub(crate) async fn shared_reply_view(
        &self,
        chat_id: &str,
        message_id: &str,
    ) -> Result<MessageView, IpcError> {
        let messages = self.store.messages(chat_id).await.map_err(to_ipc)?;
        messages
            .iter()
            .find(|m| m.id == message_id)
            .map(convert::message_view)
            .ok_or_else(|| IpcError::new(ErrorCode::Internal, "The reply was not recorded."))
    }

    /// A photo or document in shared mode: the standalone store's limits, then the outbox (the
    /// file travels in the entry); shown at once as a pending message with its file.
    pub(crate) async fn send_shared_file(
        &self,
        chat_id: &str,
        file: OutgoingFile,
        caption: &str,
    ) -> Result<MessageView, IpcError> {
        check_outgoing_file(&file, caption).map_err(to_ipc)?;
        let change = Change::SendFile {
            chat: chat_id.to_owned(),
            file: FileToSend {
                kind: file.kind,
                file_name: file.file_name.trim().to_owned(),
                mime_type: file.mime_type,
                bytes: file.bytes,
                caption: caption.trim().to_owned(),
            },
        };
        match self.push_shared(change).await? {
            Some(id) => self.shared_reply_view(chat_id, &id).await,
            None => Err(IpcError::new(ErrorCode::Internal, "Not in shared mode.")),
        }
    }

    /// "Send again" in shared mode, with the standalone store's rules checked on the cache first
    /// (Postgres checks them again).
    pub(crate) async fn retry_shared_message(&self, message_id: &str) -> Result<(), IpcError> {
        let Some(run) = &self.shared else {
            return Ok(());
        };
        let row: Option<(String, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT chat_id, delivery, author_user_id FROM messages WHERE id = ?")
                .bind(message_id)
                .fetch_optional(&run.desktop.panel)
                .await
                .map_err(|e| to_ipc(StoreError::Database(e)))?;
        let Some((chat, delivery, author)) = row else {
            return Err(to_ipc(StoreError::NotFound {
                what: "message",
                id: message_id.into(),
            }));
        };
        if author.as_deref() != Some(self.me().as_str()) {
            return Err(IpcError::new(
                ErrorCode::Conflict,
                "Only the operator who wrote a message can send it again.",
            ));
        }
        match delivery.as_deref() {
            Some("failed") => {}
            // Already queued: retrying is a no-op.
            Some("pending") => return Ok(()),
            _ => {
                return Err(IpcError::new(
                    ErrorCode::Conflict,
                    "Only a message that failed to send can be sent again.",
                ));
            }
        }
        self.push_shared(Change::RetrySend {
            chat,
            message: message_id.to_owned(),
        })
        .await?;
        Ok(())
    }

    /// "Download again" in shared mode: the lease holder downloads it.
    pub(crate) async fn retry_shared_attachment(
        &self,
        attachment_id: &str,
    ) -> Result<(), IpcError> {
        let Some(run) = &self.shared else {
            return Ok(());
        };
        let row: Option<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT m.chat_id, a.state, a.provider_file_id
             FROM attachments a JOIN messages m ON m.id = a.message_id WHERE a.id = ?",
        )
        .bind(attachment_id)
        .fetch_optional(&run.desktop.panel)
        .await
        .map_err(|e| to_ipc(StoreError::Database(e)))?;
        let Some((chat, state, provider_file_id)) = row else {
            return Err(to_ipc(StoreError::NotFound {
                what: "attachment",
                id: attachment_id.into(),
            }));
        };
        // As standalone: only a customer's file that failed is fetched again.
        if state != "failed" || provider_file_id.is_none() {
            return Ok(());
        }
        self.push_shared(Change::RetryFile {
            chat,
            file: attachment_id.to_owned(),
        })
        .await?;
        Ok(())
    }

    /// The operator's status in shared mode, from the cache.
    pub(crate) async fn shared_status(&self) -> Result<MyStatus, IpcError> {
        let me = self.me();
        let operators = self.store.list_operators().await.map_err(to_ipc)?;
        let mine = operators.iter().find(|op| op.id == me);
        let (capacity, _) = self.store.routing_settings().await.map_err(to_ipc)?;
        Ok(MyStatus {
            operator_id: me.clone(),
            name: self.store.local_user().name.clone(),
            // Not in the cache yet (the first sync is running): shown as offline until it is.
            status: convert::status(mine.map_or(OperatorStatus::Offline, |op| op.status)),
            active_chats: mine.map_or(0, |op| op.active_chats),
            capacity,
            waiting_in_my_queues: self.store.waiting_in_queues_of(&me).await.map_err(to_ipc)?,
        })
    }

    /// Keeps the UI and the shared pollers following the cache and the connection.
    pub(crate) fn follow_shared(self: &Arc<Self>, seed: Option<SeedTelegramBot>) {
        let Some(run) = &self.shared else {
            return;
        };
        let mut applied = run.desktop.applied.clone();
        let mut connection = run.desktop.connection.clone();
        let mut chats = run.desktop.subscribe_chats();
        let runtime = Arc::downgrade(self);
        let cancel = self.cancel.child_token();
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            let mut first = true;
            loop {
                let cache_changed = if first {
                    first = false;
                    true
                } else {
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        changed = applied.changed() => {
                            if changed.is_err() {
                                return;
                            }
                            true
                        }
                        touched = chats.recv() => {
                            let Some(runtime) = runtime.upgrade() else {
                                return;
                            };
                            // The panel refreshes these chats (the open one included); after a
                            // gap, everything.
                            let ids = match touched {
                                Ok(ids) => ids,
                                Err(RecvError::Lagged(_)) => Vec::new(),
                                Err(RecvError::Closed) => return,
                            };
                            let _ = runtime.changes.send(ids);
                            continue;
                        }
                        changed = connection.changed() => {
                            if changed.is_err() {
                                return;
                            }
                            false
                        }
                    }
                };
                let Some(runtime) = runtime.upgrade() else {
                    return;
                };
                if cache_changed {
                    runtime.start_shared_bots(seed.as_ref()).await;
                }
                let _ = runtime.database_events.send(());
            }
        });
    }

    /// Starts the shared poller of every active Telegram channel whose token is on this computer
    /// (the seeded demo bot's token is put there for its channel) and stops those of channels
    /// switched off; the same for Messenger pages (`start_shared_pages`).
    pub(crate) async fn start_shared_bots(&self, seed: Option<&SeedTelegramBot>) {
        let Some(run) = &self.shared else {
            return;
        };
        let channels = match self.store.channels().await {
            Ok(channels) => channels,
            Err(error) => {
                tracing::warn!(%error, "shared mode: reading the channels failed");
                return;
            }
        };
        self.start_shared_pages(&channels).await;
        for channel in channels {
            if channel.provider != Provider::Telegram {
                continue;
            }
            if !channel.active {
                // Switched off by an admin: this desktop stops polling it (and frees its lease).
                run.desktop.remove_bot(&channel.id).await;
                continue;
            }
            let key = SecretKey::channel_token(SHARED_WORKSPACE, &channel.id);
            if let Some(seed) = seed
                && seed.token.split(':').next() == Some(channel.external_id.as_str())
                && self.secrets.get(&key).is_err()
            {
                let _ = self.secrets.put(&key, &seed.token);
            }
            let Ok(token) = self.secrets.get(&key) else {
                continue;
            };
            match switchboard_telegram::BotApi::new(&channel.api_base, &token) {
                Ok(api) => run.desktop.add_bot(&channel.id, api),
                Err(error) => tracing::warn!(channel = %channel.id, %error, "shared mode: bot"),
            }
        }
    }
}
