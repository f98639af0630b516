//! Stored webhook events → chats. Runs after Meta got its 200: each pending
//! inbox event is applied to the store and marked done, in arrival order, so
//! a crash in between only means it is applied again (every step is
//! idempotent: messages by `mid`, receipts by watermark, releases by state).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use switchboard_engine::clock::Clock;
use switchboard_engine::domain::{
    AttachmentKind, ChatState, Id, InboundAttachment, InboundMessage, Provider,
};
use switchboard_engine::inbox::{InboxChannel, InboxOutcome, StoredInboxEvent};
use switchboard_engine::secrets::{SecretKey, SecretStore};
use switchboard_engine::store::{Echo, Receipt, Store};
use switchboard_messenger::{GraphApi, IncomingAttachment, MessengerEvent, Secret, parse_event};
use tokio::sync::{Notify, broadcast};
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::PAGE_INBOX_APP_ID;

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
        let ignored = |reason: &str| {
            Ok(InboxOutcome::Ignored {
                reason: reason.into(),
            })
        };
        let Some(channel) = self
            .store
            .channel_by_external_id(Provider::Messenger, &stored.page_id)
            .await?
        else {
            return ignored("no channel for this page in this workspace");
        };
        let json: serde_json::Value = match serde_json::from_str(&stored.event_json) {
            Ok(json) => json,
            Err(_) => return ignored("the stored event is not JSON"),
        };
        let event = match parse_event(&stored.page_id, &json) {
            Ok(event) => event,
            Err(err) => return ignored(&err.to_string()),
        };
        let now = self.clock.now();
        let token = self
            .secrets
            .get(&SecretKey::channel_token(
                self.store.workspace_id(),
                &channel.id,
            ))
            .ok()
            .map(Secret::new);
        match event {
            MessengerEvent::Message {
                psid,
                mid,
                text,
                attachments,
                timestamp,
                ..
            } => {
                let name = self.name_of(&psid, token.as_ref(), names).await;
                let batch = inbound(&psid, &mid, &name, text, &attachments, timestamp);
                let state = match stored.channel {
                    InboxChannel::Messaging => ChatState::Queued,
                    InboxChannel::Standby => ChatState::Bot,
                };
                let chats = self
                    .store
                    .ingest_inbound_as(&channel.id, &batch, None, state, now)
                    .await?;
                self.keep_picture(&channel.id, &psid, names).await;
                if batch.iter().any(|m| m.attachment.is_some()) {
                    self.files.notify_waiters();
                }
                changed.extend(chats);
            }
            MessengerEvent::Postback {
                psid,
                mid,
                title,
                timestamp,
                ..
            } => {
                let name = self.name_of(&psid, token.as_ref(), names).await;
                let key = mid.unwrap_or_else(|| format!("postback:{psid}:{timestamp}"));
                let text = format!("▶ {}", title.unwrap_or_else(|| "(a button)".into()));
                let batch = inbound(&psid, &key, &name, Some(text), &[], timestamp);
                // A bot's "Get Started" arrives on standby: the bot's chat, not routing's.
                let state = match stored.channel {
                    InboxChannel::Messaging => ChatState::Queued,
                    InboxChannel::Standby => ChatState::Bot,
                };
                changed.extend(
                    self.store
                        .ingest_inbound_as(&channel.id, &batch, None, state, now)
                        .await?,
                );
            }
            MessengerEvent::Echo {
                psid,
                mid,
                text,
                attachments,
                app_id,
                timestamp,
                ..
            } => {
                let ours = self.app_id().await;
                if app_id.is_some() && app_id == ours {
                    // Our own send: the outbox records it (the echo can arrive
                    // before Meta's answer to the send does).
                    return ignored("the echo of a message Switchboard sent");
                }
                let author = match app_id.as_deref() {
                    Some(PAGE_INBOX_APP_ID) => "Page Inbox".to_owned(),
                    Some(id) => format!("App {id}"),
                    None => channel.name.clone(),
                };
                let text = match (text, attachments.is_empty()) {
                    (Some(text), _) => text,
                    (None, false) => "[attachment]".into(),
                    (None, true) => String::new(),
                };
                let echo = Echo {
                    psid,
                    mid,
                    text,
                    sent_at: timestamp,
                    author,
                };
                changed.extend(self.store.record_echo(&channel.id, &echo, now).await?);
            }
            MessengerEvent::Read { psid, watermark } => changed.extend(
                self.store
                    .record_receipt(&channel.id, &psid, watermark, Receipt::Read)
                    .await?,
            ),
            MessengerEvent::Delivery {
                psid, watermark, ..
            } => changed.extend(
                self.store
                    .record_receipt(&channel.id, &psid, watermark, Receipt::Delivered)
                    .await?,
            ),
            MessengerEvent::PassThreadControl {
                psid,
                new_owner_app_id,
                ..
            } => {
                if Some(new_owner_app_id.as_str()) != self.app_id().await.as_deref() {
                    return ignored("the thread was passed to another app");
                }
                changed.extend(self.store.release_bot_chat(&channel.id, &psid, now).await?);
            }
            MessengerEvent::TakeThreadControl { .. }
            | MessengerEvent::RequestThreadControl { .. } => {
                return ignored("thread control taken or requested by another app");
            }
            MessengerEvent::Unknown { reason } => return ignored(&reason),
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
        let name = fetched.and_then(|p| p.display_name()).unwrap_or_else(|| {
            format!("Messenger user …{}", &psid[psid.len().saturating_sub(4)..])
        });
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

/// One stored message per attachment (Messenger sends several in one
/// message; a stored message carries one file), the text on the first.
fn inbound(
    psid: &str,
    mid: &str,
    name: &str,
    text: Option<String>,
    attachments: &[IncomingAttachment],
    timestamp: i64,
) -> Vec<InboundMessage> {
    let message = |key: String, text: String, attachment| InboundMessage {
        provider_key: key,
        provider_chat_id: psid.to_owned(),
        provider_user_id: psid.to_owned(),
        contact_name: name.to_owned(),
        contact_username: None,
        text,
        sent_at: timestamp,
        edited_at: None,
        attachment,
    };
    let files: Vec<InboundAttachment> = attachments.iter().filter_map(file_of).collect();
    if files.is_empty() {
        let text = text.unwrap_or_else(|| describe(attachments));
        return vec![message(mid.to_owned(), text, None)];
    }
    files
        .into_iter()
        .enumerate()
        .map(|(i, file)| {
            let key = if i == 0 {
                mid.to_owned()
            } else {
                format!("{mid}#{i}")
            };
            let text = if i == 0 {
                text.clone().unwrap_or_default()
            } else {
                String::new()
            };
            message(key, text, Some(file))
        })
        .collect()
}

fn file_of(attachment: &IncomingAttachment) -> Option<InboundAttachment> {
    use switchboard_messenger::AttachmentKind as Meta;
    let kind = match attachment.kind {
        Meta::Image => AttachmentKind::Photo,
        Meta::Sticker => AttachmentKind::Sticker,
        Meta::Audio => AttachmentKind::Voice,
        Meta::Video | Meta::File => AttachmentKind::Document,
        Meta::Fallback | Meta::Other(_) => return None,
    };
    Some(InboundAttachment {
        kind,
        provider_file_id: attachment.url.clone()?,
        file_name: attachment.title.clone(),
        mime_type: None,
        size: None,
    })
}

/// Words for what Switchboard cannot show (a shared link, a location…).
fn describe(attachments: &[IncomingAttachment]) -> String {
    use switchboard_messenger::AttachmentKind as Meta;
    match attachments.first().map(|a| (&a.kind, &a.title, &a.url)) {
        Some((Meta::Fallback, title, url)) => format!(
            "[shared: {}]",
            title
                .clone()
                .or_else(|| url.clone())
                .unwrap_or_else(|| "something".into())
        ),
        Some((Meta::Other(kind), _, _)) => format!("[{kind} — not shown by Switchboard]"),
        _ => "[a message Switchboard cannot show]".into(),
    }
}
