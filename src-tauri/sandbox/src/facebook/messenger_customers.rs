//! The customer's side of Messenger on [`FacebookControl`]: people (PSIDs) who write to a page,
//! send attachments, tap buttons, receive and read the page's messages; and echoes of messages
//! the page sent from elsewhere. Each returns the webhook event it produced.

use serde_json::{Value, json};

use super::messenger_state::{Customer, StoredAttachment};
use super::messenger_types::{
    AttachmentKind, CustomerAttachment, CustomerMessengerMessage, MessengerCustomer,
    PAGE_INBOX_APP_ID, PageEcho,
};
use super::state::State;
use super::{FacebookControl, invalid, png, random, unknown, webhook};
use crate::SandboxError;

/// 2026-08-30 00:00 UTC: from then on stickers arrive as type `sticker` instead of `image`.
const STICKER_TYPE_SINCE: i64 = 1_788_048_000;
const THUMBS_UP_STICKER: u64 = 369_239_263_222_822;

/// Stores bytes to be served by the sandbox; returns the URL.
pub fn store_attachment(state: &mut State, attachment: StoredAttachment) -> (String, String) {
    let id = random::long_numeric_id();
    let url = attachment_url(state, &id, &attachment.file_name);
    state.messenger.attachments.insert(id.clone(), attachment);
    (id, url)
}

pub fn attachment_url(state: &State, id: &str, file_name: &str) -> String {
    let name: String = form_urlencoded::byte_serialize(file_name.as_bytes()).collect();
    format!("{}fbcdn/attachments/{id}/{name}", state.base_url)
}

fn defaults(kind: AttachmentKind) -> (&'static str, &'static str) {
    match kind {
        AttachmentKind::Image | AttachmentKind::Sticker => ("image.png", "image/png"),
        AttachmentKind::Video => ("video.mp4", "video/mp4"),
        AttachmentKind::Audio => ("audio.mp4", "audio/mp4"),
        AttachmentKind::File => ("file.bin", "application/octet-stream"),
    }
}

fn attachment_json(state: &mut State, psid: &str, attachment: &CustomerAttachment) -> Value {
    let (name, mime) = defaults(attachment.kind);
    let bytes = match (attachment.bytes.is_empty(), attachment.kind) {
        (false, _) => attachment.bytes.clone(),
        (true, AttachmentKind::Image | AttachmentKind::Sticker) => png::picture(psid),
        (true, _) => b"sandbox attachment".to_vec(),
    };
    let (_, url) = store_attachment(
        state,
        StoredAttachment {
            file_name: attachment.file_name.clone().unwrap_or_else(|| name.into()),
            mime_type: attachment.mime_type.clone().unwrap_or_else(|| mime.into()),
            bytes,
            reusable_for: None,
        },
    );
    if attachment.kind == AttachmentKind::Sticker {
        let sticker_id = attachment.sticker_id.unwrap_or(THUMBS_UP_STICKER);
        let kind = if state.now() >= STICKER_TYPE_SINCE {
            "sticker"
        } else {
            "image"
        };
        return json!({ "type": kind, "payload": { "url": url, "sticker_id": sticker_id } });
    }
    json!({ "type": attachment.kind.as_str(), "payload": { "url": url } })
}

fn from_customer(psid: &str, page_id: &str, timestamp: i64, key: &str, body: Value) -> Value {
    json!({
        "sender": { "id": psid },
        "recipient": { "id": page_id },
        "timestamp": timestamp,
        key: body,
    })
}

impl FacebookControl {
    fn with_customer<T>(
        &self,
        page_id: &str,
        psid: &str,
        f: impl FnOnce(&mut State) -> Result<T, SandboxError>,
    ) -> Result<T, SandboxError> {
        let mut state = self.lock();
        if state.page(page_id).is_none() {
            return Err(unknown("page", page_id));
        }
        if state.messenger.customer(page_id, psid).is_none() {
            return Err(unknown("customer (PSID)", psid));
        }
        f(&mut state)
    }

    /// Adds a person who can write to the page; returns their PSID (page-scoped).
    pub fn add_customer(
        &self,
        page_id: &str,
        customer: MessengerCustomer,
    ) -> Result<String, SandboxError> {
        if customer.first_name.trim().is_empty() {
            return Err(invalid("a customer needs a first_name"));
        }
        let mut state = self.lock();
        if state.page(page_id).is_none() {
            return Err(unknown("page", page_id));
        }
        let psid = customer.psid.unwrap_or_else(random::long_numeric_id);
        if psid.is_empty() || !psid.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!("PSID {psid:?} must be digits")));
        }
        if state.messenger.customer_by_psid(&psid).is_some() || state.page(&psid).is_some() {
            return Err(invalid(format!("the id {psid:?} is taken")));
        }
        state.messenger.customers.push(Customer {
            page_id: page_id.to_owned(),
            psid: psid.clone(),
            first_name: customer.first_name,
            last_name: customer.last_name,
            last_message_at: None,
            unavailable: false,
            undelivered: Vec::new(),
        });
        Ok(psid)
    }

    /// The customer writes text and/or attachments (a `messages` event); opens the 24-hour
    /// window. Returns the event (`message.mid` is the new message id).
    pub fn customer_sends(
        &self,
        page_id: &str,
        psid: &str,
        message: CustomerMessengerMessage,
    ) -> Result<Value, SandboxError> {
        let text = message.text.filter(|t| !t.is_empty());
        if text.is_none() && message.attachments.is_empty() {
            return Err(invalid("a customer message needs text or attachments"));
        }
        self.with_customer(page_id, psid, |state| {
            let mut body = json!({ "mid": random::mid() });
            if let Some(text) = text {
                body["text"] = json!(text);
            }
            if let Some(payload) = message.quick_reply_payload {
                body["quick_reply"] = json!({ "payload": payload });
            }
            if let Some(mid) = message.reply_to {
                body["reply_to"] = json!({ "mid": mid });
            }
            if !message.attachments.is_empty() {
                let list: Vec<Value> = message
                    .attachments
                    .iter()
                    .map(|a| attachment_json(state, psid, a))
                    .collect();
                if let Some(sticker) = list.iter().find_map(|a| a["payload"].get("sticker_id")) {
                    body["sticker_id"] = sticker.clone();
                }
                body["attachments"] = json!(list);
            }
            let now = state.now_ms();
            let event = from_customer(psid, page_id, now, "message", body);
            if let Some(c) = state.messenger.customer_mut(page_id, psid) {
                c.last_message_at = Some(now / 1000);
            }
            webhook::publish(state, page_id, psid, "messages", event.clone());
            Ok(event)
        })
    }

    /// The customer writes plain text.
    pub fn customer_writes(
        &self,
        page_id: &str,
        psid: &str,
        text: &str,
    ) -> Result<Value, SandboxError> {
        let message = CustomerMessengerMessage {
            text: Some(text.to_owned()),
            ..CustomerMessengerMessage::default()
        };
        self.customer_sends(page_id, psid, message)
    }

    /// The customer taps a button (a `messaging_postbacks` event); opens the 24-hour window.
    pub fn customer_postback(
        &self,
        page_id: &str,
        psid: &str,
        title: &str,
        payload: &str,
    ) -> Result<Value, SandboxError> {
        self.with_customer(page_id, psid, |state| {
            let now = state.now_ms();
            let body = json!({ "title": title, "payload": payload, "mid": random::mid() });
            let event = from_customer(psid, page_id, now, "postback", body);
            if let Some(c) = state.messenger.customer_mut(page_id, psid) {
                c.last_message_at = Some(now / 1000);
            }
            webhook::publish(state, page_id, psid, "messaging_postbacks", event.clone());
            Ok(event)
        })
    }

    /// The customer's Messenger received the page's messages so far (`message_deliveries`:
    /// `delivery.mids` lists those not reported before, `watermark` is now).
    pub fn customer_receives(&self, page_id: &str, psid: &str) -> Result<Value, SandboxError> {
        self.with_customer(page_id, psid, |state| {
            let now = state.now_ms();
            let mids = state
                .messenger
                .customer_mut(page_id, psid)
                .map(|c| std::mem::take(&mut c.undelivered))
                .unwrap_or_default();
            let body = json!({ "mids": mids, "watermark": now });
            let event = from_customer(psid, page_id, now, "delivery", body);
            webhook::publish(state, page_id, psid, "message_deliveries", event.clone());
            Ok(event)
        })
    }

    /// The customer read everything the page sent so far (`message_reads`, watermark now).
    pub fn customer_reads(&self, page_id: &str, psid: &str) -> Result<Value, SandboxError> {
        self.with_customer(page_id, psid, |state| {
            let now = state.now_ms();
            let event = from_customer(psid, page_id, now, "read", json!({ "watermark": now }));
            webhook::publish(state, page_id, psid, "message_reads", event.clone());
            Ok(event)
        })
    }

    /// While unavailable, sends to the person fail with 551 "This person isn't available
    /// right now."
    pub fn set_customer_available(
        &self,
        page_id: &str,
        psid: &str,
        available: bool,
    ) -> Result<(), SandboxError> {
        self.with_customer(page_id, psid, |state| {
            if let Some(c) = state.messenger.customer_mut(page_id, psid) {
                c.unavailable = !available;
            }
            Ok(())
        })
    }

    /// The page sent a message from elsewhere (Page Inbox by default): a `message_echoes`
    /// event with `is_echo`, `app_id` and `metadata`. Returns the event.
    pub fn page_echo(&self, page_id: &str, echo: PageEcho) -> Result<Value, SandboxError> {
        if echo.text.is_empty() {
            return Err(invalid("an echo needs text"));
        }
        let psid = echo.psid.clone();
        self.with_customer(page_id, &psid, |state| {
            let app_id = echo.app_id.unwrap_or_else(|| PAGE_INBOX_APP_ID.to_owned());
            let mid = random::mid();
            let mut message = json!({ "mid": mid, "text": echo.text });
            Ok(echo_event(
                state,
                page_id,
                &psid,
                &app_id,
                echo.metadata,
                &mut message,
            ))
        })
    }
}

/// Publishes the `is_echo` event of a message the page sent and remembers it for the next
/// delivery event. `message` holds `mid` and the content.
pub fn echo_event(
    state: &mut State,
    page_id: &str,
    psid: &str,
    app_id: &str,
    metadata: Option<String>,
    message: &mut Value,
) -> Value {
    message["is_echo"] = json!(true);
    message["app_id"] = app_id
        .parse::<u64>()
        .map_or_else(|_| json!(app_id), |n| json!(n));
    if let Some(metadata) = metadata {
        message["metadata"] = json!(metadata);
    }
    if let (Some(customer), Some(mid)) = (
        state.messenger.customer_mut(page_id, psid),
        message["mid"].as_str(),
    ) {
        customer.undelivered.push(mid.to_owned());
    }
    let event = json!({
        "sender": { "id": page_id },
        "recipient": { "id": psid },
        "timestamp": state.now_ms(),
        "message": message,
    });
    webhook::publish(state, page_id, psid, "message_echoes", event.clone());
    event
}
