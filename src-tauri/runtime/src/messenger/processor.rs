//! Stored webhook events → chats. Runs after Meta got its 200: each pending
//! inbox event is applied to the store and marked done, in arrival order, so
//! a crash in between only means it is applied again (every step is
//! idempotent: messages by `mid`, receipts by watermark, releases by state).
//! What an event means is decided by `switchboard_relay::conversation`, which
//! the relay's processor (shared mode, Postgres) applies too; this one adds
//! the customer's name and picture from the profile API.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use switchboard_engine::clock::Clock;
use switchboard_engine::domain::{Id, Provider};
use switchboard_engine::inbox::{InboxOutcome, StoredInboxEvent};
use switchboard_engine::secrets::{SecretKey, SecretStore};
use switchboard_engine::store::Store;
use switchboard_messenger::{GraphApi, Secret};
use switchboard_relay::conversation::{Context, Decision, decide, placeholder_name};
use tokio::sync::{Notify, broadcast};
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// Everything the processor needs, cloned out of the runtime.
#[derive(Clone)]
pub(crate) struct Processor {
    pub store: Store,
    pub secrets: Arc<dyn SecretStore>,
    pub graph: GraphApi,
    pub clock: Arc<dyn Clock>,
    /// Chats that changed: the router looks first, then the UI.
    pub ingested: broadcast::Sender<Vec<Id>>,
    /// Wakes the per-page tasks when a customer's file waits for download.
    pub files: Arc<Notify>,
}

/// Safety net: look at the inbox at least this often even without a wake-up.
const RECHECK: Duration = Duration::from_secs(30);
const PROFILE_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) fn spawn_processor(processor: Processor, wake: Arc<Notify>, cancel: CancellationToken) {
    tokio::spawn(async move {
        let mut names: HashMap<String, Person> = HashMap::new();
        loop {
            match processor.drain(&mut names).await {
                Ok(true) => continue, // a full batch: there may be more
                Ok(false) => {}
                Err(err) => warn!(error = %err, "processing Messenger events failed"),
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(RECHECK) => {}
            }
        }
    });
}

const BATCH: u32 = 100;

impl Processor {
    /// Applies pending events; true when the batch was full.
    async fn drain(
        &self,
        names: &mut HashMap<String, Person>,
    ) -> Result<bool, switchboard_engine::StoreError> {
        let events = self.store.pending_inbox_events(BATCH).await?;
        let full = events.len() == BATCH as usize;
        let mut changed: Vec<Id> = Vec::new();
        for event in events {
            let outcome = self.apply(&event, names, &mut changed).await?;
            self.store.mark_inbox_event_done(event.id, outcome).await?;
        }
        if !changed.is_empty() {
            changed.dedup();
            let _ = self.ingested.send(changed);
        }
        Ok(full)
    }

    async fn apply(
        &self,
        stored: &StoredInboxEvent,
        names: &mut HashMap<String, Person>,
        changed: &mut Vec<Id>,
    ) -> Result<InboxOutcome, switchboard_engine::StoreError> {
        let Some(channel) = self
            .store
            .channel_by_external_id(Provider::Messenger, &stored.page_id)
            .await?
        else {
            return Ok(InboxOutcome::Ignored {
                reason: "no channel for this page in this workspace".into(),
            });
        };
        let app_id = self.app_id().await;
        let context = Context {
            channel_name: &channel.name,
            app_id: app_id.as_deref(),
        };
        let now = self.clock.now();
        match decide(stored, context) {
            Decision::Inbound {
                psid,
                mut messages,
                new_chat,
            } => {
                let token = self
                    .secrets
                    .get(&SecretKey::channel_token(
                        self.store.workspace_id(),
                        &channel.id,
                    ))
                    .ok()
                    .map(Secret::new);
                let name = self.name_of(&psid, token.as_ref(), names).await;
                for message in &mut messages {
                    message.contact_name.clone_from(&name);
                }
                let chats = self
                    .store
                    .ingest_inbound_as(&channel.id, &messages, None, new_chat, now)
                    .await?;
                self.keep_picture(&channel.id, &psid, names).await;
                if messages.iter().any(|m| m.attachment.is_some()) {
                    self.files.notify_waiters();
                }
                changed.extend(chats);
            }
            Decision::Echo(echo) => {
                changed.extend(self.store.record_echo(&channel.id, &echo, now).await?);
            }
            Decision::Receipt {
                psid,
                watermark,
                receipt,
            } => changed.extend(
                self.store
                    .record_receipt(&channel.id, &psid, watermark, receipt)
                    .await?,
            ),
            Decision::Release { psid } => {
                changed.extend(self.store.release_bot_chat(&channel.id, &psid, now).await?);
            }
            Decision::Ignored { reason } => return Ok(InboxOutcome::Ignored { reason }),
        }
        Ok(InboxOutcome::Processed)
    }

    /// This workspace's Facebook app id (echoes and handovers name apps).
    async fn app_id(&self) -> Option<String> {
        self.store
            .setting_text("FacebookAppId")
            .await
            .ok()
            .flatten()
    }

    /// The customer's name from the profile API, once per person; a
    /// placeholder when the page may not read it.
    async fn name_of(
        &self,
        psid: &str,
        token: Option<&Secret>,
        names: &mut HashMap<String, Person>,
    ) -> String {
        if let Some(person) = names.get(psid) {
            return person.name.clone();
        }
        let fetched = match token {
            Some(token) => tokio::time::timeout(PROFILE_TIMEOUT, self.graph.profile(psid, token))
                .await
                .ok()
                .and_then(Result::ok),
            None => None,
        };
        let picture = fetched.as_ref().and_then(|p| p.profile_pic.clone());
        let name = fetched
            .and_then(|p| p.display_name())
            .unwrap_or_else(|| placeholder_name(psid));
        names.insert(
            psid.to_owned(),
            Person {
                name: name.clone(),
                picture,
            },
        );
        name
    }

    /// Downloads the profile picture once (its URL expires) onto the contact.
    async fn keep_picture(
        &self,
        channel_id: &str,
        psid: &str,
        names: &mut HashMap<String, Person>,
    ) {
        let Some(url) = names.get_mut(psid).and_then(|p| p.picture.take()) else {
            return;
        };
        let fetched = tokio::time::timeout(PROFILE_TIMEOUT, self.graph.picture(&url)).await;
        if let Ok(Ok((bytes, kind))) = fetched
            && matches!(
                kind.as_str(),
                "image/png" | "image/jpeg" | "image/gif" | "image/webp"
            )
            && let Err(err) = self
                .store
                .set_contact_picture(channel_id, psid, &bytes, &kind)
                .await
        {
            warn!(error = %err, "keeping a customer's picture failed");
        }
    }
}

/// What the profile API told about a person (the picture until it is kept).
struct Person {
    name: String,
    picture: Option<String>,
}
