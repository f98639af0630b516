//! One connected Facebook page at work: its outbox goes out through the Send
//! API under the 24-hour window, customers' files are downloaded into the
//! store, and the page token is checked with `debug_token` at start and daily.

use std::sync::Arc;
use std::time::Duration;

use switchboard_engine::clock::{Clock, Millis};
use switchboard_engine::domain::{
    AttachmentKind, Channel, ChannelHealth, ChannelProblem, Id, OutboxItem,
};
use switchboard_engine::store::{MAX_FETCH_ATTEMPTS, Store};
use switchboard_messenger::{
    AttachmentType, GraphApi, Secret, SendError, SendFailure, SendPolicy, TokenHealth, send_policy,
    split_for_messenger, token_health,
};
use tokio::sync::{Notify, broadcast, watch};
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// Everything a page's task needs.
pub(crate) struct Page {
    pub store: Store,
    pub channel: Channel,
    pub token: Secret,
    pub graph: GraphApi,
    pub clock: Arc<dyn Clock>,
    pub changes: broadcast::Sender<Vec<Id>>,
    pub health: watch::Sender<ChannelHealth>,
    /// The app's secret, for `debug_token` (with the app id from the settings).
    pub app_secret: Option<Secret>,
}

const IDLE_RECHECK: Duration = Duration::from_secs(30);
const TOKEN_CHECK_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

pub(crate) fn spawn_page(
    page: Page,
    outbox: Arc<Notify>,
    files: Arc<Notify>,
    cancel: CancellationToken,
) {
    let page = Arc::new(page);
    page.health.send_replace(ChannelHealth::Running);
    {
        let (page, cancel) = (page.clone(), cancel.clone());
        tokio::spawn(async move {
            loop {
                page.check_token().await;
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(TOKEN_CHECK_EVERY) => {}
                }
            }
        });
    }
    {
        let (page, cancel) = (page.clone(), cancel.clone());
        tokio::spawn(async move {
            loop {
                page.fetch_files().await;
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = files.notified() => {}
                    _ = tokio::time::sleep(IDLE_RECHECK) => {}
                }
            }
        });
    }
    tokio::spawn(async move {
        loop {
            let wait = page.drain_outbox().await;
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = outbox.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    });
}

impl Page {
    async fn check_token(&self) {
        let Some(app_secret) = &self.app_secret else {
            return;
        };
        let Ok(Some(app_id)) = self.store.setting_text("FacebookAppId").await else {
            return;
        };
        match self
            .graph
            .debug_token(&app_id, app_secret, &self.token)
            .await
        {
            Ok(info) => match token_health(&info, self.clock.now()) {
                TokenHealth::Invalid { reason } => self.token_dead(reason),
                TokenHealth::ExpiresSoon { .. } | TokenHealth::Valid { .. } => {}
            },
            Err(err) => {
                warn!(channel = %self.channel.id, error = %err, "checking the page token failed")
            }
        }
    }

    fn token_dead(&self, reason: String) {
        self.health.send_replace(ChannelHealth::problem(
            ChannelProblem::TokenRejected,
            format!("{reason} Reconnect the page: Chat settings → Channels → Add → Facebook."),
        ));
    }

    /// Sends what is due; returns how long to wait before looking again.
    async fn drain_outbox(&self) -> Duration {
        let now = self.clock.now();
        let items = match self.store.due_outbox(&self.channel.id, now).await {
            Ok(items) => items,
            Err(err) => {
                warn!(channel = %self.channel.id, error = %err, "reading the outbox failed");
                return IDLE_RECHECK;
            }
        };
        for item in items {
            match self.send(&item).await {
                Ok(()) => {}
                Err(pause) => {
                    let _ = self.changes.send(vec![item.chat_id.clone()]);
                    return pause;
                }
            }
            let _ = self.changes.send(vec![item.chat_id.clone()]);
        }
        match self.store.next_outbox_due(&self.channel.id).await {
            Ok(Some(due)) => millis(due - self.clock.now()).min(IDLE_RECHECK),
            _ => IDLE_RECHECK,
        }
    }

    /// Sends one message; `Err(pause)` when the whole page must wait.
    async fn send(&self, item: &OutboxItem) -> Result<(), Duration> {
        let last = self
            .store
            .last_customer_message_at(&item.chat_id)
            .await
            .map_err(|_| IDLE_RECHECK)?;
        // The admin may switch Human Agent on or off while the page runs.
        let human_agent = match self.store.channel(&self.channel.id).await {
            Ok(channel) => channel.human_agent,
            Err(_) => self.channel.human_agent,
        };
        let policy = send_policy(self.clock.now(), last, human_agent, true);
        let result = self.send_parts(item, &policy).await;
        let stored = match result {
            Ok(mid) => {
                self.health.send_replace(ChannelHealth::Running);
                let key = mid.unwrap_or_else(|| format!("{}/sent", item.message_id));
                self.store.mark_sent(&item.message_id, &key).await
            }
            Err(error) => return self.failed(item, &error).await,
        };
        if let Err(err) = stored {
            warn!(message = %item.message_id, error = %err, "recording a sent message failed");
        }
        Ok(())
    }

    /// Part 1 is the file (if any), then the text in parts Messenger accepts
    /// (it has no captions). A retry resumes after the parts already sent
    /// (`parts_sent`): no part reaches the customer twice.
    async fn send_parts(
        &self,
        item: &OutboxItem,
        policy: &SendPolicy,
    ) -> Result<Option<String>, SendError> {
        let done = usize::try_from(item.parts_sent).unwrap_or(0);
        let mut index = 0;
        let mut last = None;
        if let Some(file) = &item.attachment {
            if done == 0 {
                last = Some(self.send_file(item, file, policy).await?);
                self.record_part(item, 1).await;
            }
            index = 1;
        }
        let parts: Vec<&str> = split_for_messenger(&item.text)
            .into_iter()
            .filter(|part| !part.trim().is_empty())
            .collect();
        for part in parts {
            if index >= done {
                let sent = self
                    .graph
                    .send_text(
                        &self.channel.external_id,
                        &self.token,
                        &item.provider_chat_id,
                        part,
                        policy,
                    )
                    .await
                    .map_err(|not_sent| not_sent.error)?;
                last = sent.last().map(|m| m.message_id.clone()).or(last);
                self.record_part(item, index + 1).await;
            }
            index += 1;
        }
        Ok(last)
    }

    async fn record_part(&self, item: &OutboxItem, parts_sent: usize) {
        let parts_sent = u32::try_from(parts_sent).unwrap_or(u32::MAX);
        if let Err(err) = self
            .store
            .mark_parts_sent(&item.message_id, parts_sent)
            .await
        {
            warn!(message = %item.message_id, error = %err, "recording a sent part failed");
        }
    }

    /// Uploads the file and sends it; returns its `mid`.
    async fn send_file(
        &self,
        item: &OutboxItem,
        file: &switchboard_engine::domain::OutboxFile,
        policy: &SendPolicy,
    ) -> Result<String, SendError> {
        let (attachment, bytes) = self
            .store
            .attachment_content(&file.attachment_id)
            .await
            .map_err(|e| SendError::Invalid(e.to_string()))?;
        let mime = attachment
            .mime_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into());
        let kind = match file.kind {
            AttachmentKind::Photo => AttachmentType::Image,
            _ => AttachmentType::for_mime(&mime),
        };
        let name = attachment
            .file_name
            .clone()
            .unwrap_or_else(|| "file".into());
        let page = &self.channel.external_id;
        let id = self
            .graph
            .upload_attachment(page, &self.token, kind, &name, &mime, bytes)
            .await?;
        let sent = self
            .graph
            .send_attachment(page, &self.token, &item.provider_chat_id, kind, &id, policy)
            .await?;
        Ok(sent.message_id)
    }

    async fn failed(&self, item: &OutboxItem, error: &SendError) -> Result<(), Duration> {
        let now = self.clock.now();
        let outcome = match error.failure() {
            SendFailure::Retry { after } => {
                let at = now + i64::try_from(after.as_millis()).unwrap_or(i64::MAX / 2);
                self.health.send_replace(ChannelHealth::problem(
                    ChannelProblem::RateLimited,
                    error.explain(),
                ));
                let _ = self
                    .store
                    .retry_later(&item.message_id, at, &error.explain())
                    .await;
                return Err(after);
            }
            SendFailure::TokenDead { reason } => {
                self.token_dead(reason.clone());
                // Ask Facebook why (debug_token), for the card's words.
                self.check_token().await;
                let at = now + 60_000;
                let _ = self.store.retry_later(&item.message_id, at, &reason).await;
                return Err(Duration::from_secs(60));
            }
            SendFailure::Refused { reason } => {
                self.store.mark_failed(&item.message_id, &reason).await
            }
        };
        if let Err(err) = outcome {
            warn!(message = %item.message_id, error = %err, "recording a failed message failed");
        }
        Ok(())
    }

    /// Downloads customers' files (Meta's URLs expire: soon after they arrive).
    async fn fetch_files(&self) {
        let now = self.clock.now();
        let Ok(due) = self.store.attachments_to_fetch(&self.channel.id, now).await else {
            return;
        };
        for fetch in due {
            let result = self.graph.download(&fetch.provider_file_id).await;
            let stored = match result {
                Ok(file) => {
                    self.store
                        .store_attachment_content(
                            &fetch.attachment_id,
                            &file.bytes,
                            file.content_type.as_deref(),
                        )
                        .await
                }
                Err(err) => {
                    let retry = (fetch.attempts + 1 < MAX_FETCH_ATTEMPTS)
                        .then(|| now + 5_000 * 3_i64.pow(fetch.attempts.min(6)));
                    let reason = format!(
                        "The file could not be downloaded from Messenger: {}",
                        switchboard_messenger::explain(&err)
                    );
                    self.store
                        .attachment_fetch_failed(&fetch.attachment_id, &reason, retry)
                        .await
                }
            };
            if let Err(err) = stored {
                warn!(error = %err, "storing a Messenger file failed");
            }
            let _ = self.changes.send(vec![fetch.chat_id.clone()]);
        }
    }
}

fn millis(ms: Millis) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}
