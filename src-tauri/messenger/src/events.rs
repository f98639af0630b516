//! Messenger webhook events, read into types at the boundary.
//!
//! A webhook POST carries `entry[]`, each with the page's id and its events
//! under `messaging[]` (Switchboard holds the thread) or `standby[]` (another
//! app, such as a bot, holds it). [`parse_event`] reads one item of either
//! array; [`parse_body`] walks a whole POST body. Both only read: no I/O, no
//! clock. Checking the signature is the receiver's job and happens before.
//!
//! The shapes follow Meta's webhook-event reference (`messages`,
//! `message_echoes`, `messaging_postbacks`, `message_reads`,
//! `message_deliveries`, `messaging_handovers`, `standby`). Ids arrive as
//! strings or as JSON numbers (`app_id`, `sticker_id`), so both are accepted
//! and kept as strings. Fields Meta may add later are ignored; a field with
//! the wrong type is an error naming the field, never its value (values are
//! customers' words).

use serde_json::{Map, Value};
use thiserror::Error;

/// One thing that happened in a page's conversation with a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessengerEvent {
    /// The person wrote (text and/or attachments).
    Message {
        psid: String,
        page_id: String,
        mid: String,
        text: Option<String>,
        attachments: Vec<IncomingAttachment>,
        /// The message this one answers, when the person used "Reply".
        reply_to_mid: Option<String>,
        /// Unix ms.
        timestamp: i64,
    },
    /// The page sent a message: through Switchboard, another app (a bot), or
    /// a person in Meta Business Suite. `app_id` tells which app.
    Echo {
        page_id: String,
        /// The person who received it.
        psid: String,
        mid: String,
        text: Option<String>,
        attachments: Vec<IncomingAttachment>,
        app_id: Option<String>,
        metadata: Option<String>,
        /// Unix ms.
        timestamp: i64,
    },
    /// The person tapped a button. On the standby channel Meta leaves the
    /// payload out (only the app that sent the button gets it).
    Postback {
        psid: String,
        mid: Option<String>,
        title: Option<String>,
        payload: Option<String>,
        /// Unix ms.
        timestamp: i64,
    },
    /// The person has read every page message sent before `watermark` (Unix ms).
    Read { psid: String, watermark: i64 },
    /// Messages delivered to the person: `mids` (may be empty) and everything
    /// before `watermark` (Unix ms).
    Delivery {
        psid: String,
        mids: Vec<String>,
        watermark: i64,
    },
    /// Another app passed the thread to `new_owner_app_id` (us, when the bot
    /// hands over).
    PassThreadControl {
        psid: String,
        /// Meta's older payloads leave it out.
        previous_owner_app_id: Option<String>,
        new_owner_app_id: String,
        metadata: Option<String>,
    },
    /// An app (the primary receiver, or Page Inbox) took the thread from
    /// `previous_owner_app_id`.
    TakeThreadControl {
        psid: String,
        previous_owner_app_id: String,
        new_owner_app_id: Option<String>,
        metadata: Option<String>,
    },
    /// An app asks the current owner for the thread.
    RequestThreadControl {
        psid: String,
        requested_owner_app_id: String,
        metadata: Option<String>,
    },
    /// A well-formed event Switchboard does not handle (reactions, referrals,
    /// opt-ins…), with why, for the log.
    Unknown { reason: String },
}

/// An attachment on a person's message or an echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingAttachment {
    pub kind: AttachmentKind,
    /// Meta's CDN URL (it expires): download it soon.
    pub url: Option<String>,
    /// For stickers, including the thumbs-up (369239263222822).
    pub sticker_id: Option<String>,
    /// For fallback (shared links) and some templates.
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachmentKind {
    Image,
    Video,
    Audio,
    File,
    /// The `sticker` type, or the older `image` carrying a `sticker_id`.
    Sticker,
    /// A shared link, or a share Meta cannot show (then without payload).
    Fallback,
    /// Any other type Meta sends (`template`, `location`, `reel`, …), as named.
    Other(String),
}

/// Which array of an entry an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// `messaging[]`: Switchboard's app owns the thread (or no handover is used).
    Messaging,
    /// `standby[]`: another app owns the thread; Switchboard only watches.
    Standby,
}

/// One event of a POST body, with where it came from. A malformed event is
/// an `Err` here without spoiling its neighbours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookItem {
    pub page_id: String,
    pub channel: Channel,
    pub event: Result<MessengerEvent, EventError>,
}

/// Why a webhook event or body could not be read. Names the field, never
/// its value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EventError {
    #[error("the webhook event is missing `{0}`")]
    Missing(String),
    #[error("`{field}` in the webhook event should be {expected}, not {found}")]
    WrongType {
        field: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("the webhook body is not a Page webhook: {0}")]
    NotPageWebhook(String),
}

/// Reads one item of `entry[].messaging[]` or `entry[].standby[]`;
/// `page_id` is the entry's `id`.
pub fn parse_event(page_id: &str, event: &Value) -> Result<MessengerEvent, EventError> {
    let event = Obj::root(event, "event")?;
    if let Some(message) = event.obj("message")? {
        return if message.bool("is_echo")?.unwrap_or(false) {
            echo(page_id, &event, &message)
        } else {
            message_from_person(page_id, &event, &message)
        };
    }
    if let Some(postback) = event.obj("postback")? {
        return Ok(MessengerEvent::Postback {
            psid: event.sender()?,
            mid: postback.id("mid")?,
            title: postback.string("title")?,
            payload: postback.string("payload")?,
            timestamp: event.required_time("timestamp")?,
        });
    }
    if let Some(read) = event.obj("read")? {
        return Ok(MessengerEvent::Read {
            psid: event.sender()?,
            watermark: read.required_time("watermark")?,
        });
    }
    if let Some(delivery) = event.obj("delivery")? {
        return Ok(MessengerEvent::Delivery {
            psid: event.sender()?,
            mids: delivery.ids("mids")?,
            watermark: delivery.required_time("watermark")?,
        });
    }
    if let Some(pass) = event.obj("pass_thread_control")? {
        return Ok(MessengerEvent::PassThreadControl {
            psid: event.sender()?,
            previous_owner_app_id: pass.id("previous_owner_app_id")?,
            new_owner_app_id: pass.required_id("new_owner_app_id")?,
            metadata: pass.string("metadata")?,
        });
    }
    if let Some(take) = event.obj("take_thread_control")? {
        return Ok(MessengerEvent::TakeThreadControl {
            psid: event.sender()?,
            previous_owner_app_id: take.required_id("previous_owner_app_id")?,
            new_owner_app_id: take.id("new_owner_app_id")?,
            metadata: take.string("metadata")?,
        });
    }
    if let Some(request) = event.obj("request_thread_control")? {
        return Ok(MessengerEvent::RequestThreadControl {
            psid: event.sender()?,
            requested_owner_app_id: request.required_id("requested_owner_app_id")?,
            metadata: request.string("metadata")?,
        });
    }
    Ok(MessengerEvent::Unknown {
        reason: unknown_reason(event.map),
    })
}

/// Reads a whole webhook POST body (`{"object":"page","entry":[…]}`) into
/// its events, in order. Entries without `messaging` or `standby` (such as
/// the dashboard's `changes` test) add nothing.
pub fn parse_body(body: &Value) -> Result<Vec<WebhookItem>, EventError> {
    let body = Obj::root(body, "body")?;
    match body.string("object")?.as_deref() {
        Some("page") => {}
        Some(other) => {
            return Err(EventError::NotPageWebhook(format!(
                "`object` is {other:?}, not \"page\""
            )));
        }
        None => return Err(EventError::NotPageWebhook("`object` is missing".into())),
    }
    let mut items = Vec::new();
    for entry in body.objects("entry")? {
        let page_id = entry.required_id("id")?;
        for (name, channel) in [
            ("messaging", Channel::Messaging),
            ("standby", Channel::Standby),
        ] {
            for event in entry.array(name)? {
                items.push(WebhookItem {
                    page_id: page_id.clone(),
                    channel,
                    event: parse_event(&page_id, event),
                });
            }
        }
    }
    Ok(items)
}

fn message_from_person(
    page_id: &str,
    event: &Obj<'_>,
    message: &Obj<'_>,
) -> Result<MessengerEvent, EventError> {
    Ok(MessengerEvent::Message {
        psid: event.sender()?,
        page_id: page_id.to_owned(),
        mid: message.required_id("mid")?,
        text: message.string("text")?,
        attachments: attachments(message)?,
        reply_to_mid: match message.obj("reply_to")? {
            Some(reply_to) => reply_to.id("mid")?,
            None => None,
        },
        timestamp: event.required_time("timestamp")?,
    })
}

fn echo(page_id: &str, event: &Obj<'_>, message: &Obj<'_>) -> Result<MessengerEvent, EventError> {
    let recipient = event
        .obj("recipient")?
        .ok_or_else(|| EventError::Missing(event.path_of("recipient")))?;
    Ok(MessengerEvent::Echo {
        page_id: page_id.to_owned(),
        psid: recipient.required_id("id")?,
        mid: message.required_id("mid")?,
        text: message.string("text")?,
        attachments: attachments(message)?,
        app_id: message.id("app_id")?,
        metadata: message.string("metadata")?,
        timestamp: event.required_time("timestamp")?,
    })
}

/// The attachments of a message. A sticker arrives, until Meta's transition
/// ends (2026-08-30), both as `sticker` and as the older `image` with a
/// `sticker_id`; it is kept once, as [`AttachmentKind::Sticker`].
fn attachments(message: &Obj<'_>) -> Result<Vec<IncomingAttachment>, EventError> {
    // Old payloads also put the sticker's id on the message itself.
    let message_sticker = message.id("sticker_id")?;
    let mut kept: Vec<(IncomingAttachment, bool)> = Vec::new();
    for attachment in message.objects("attachments")? {
        let kind_name = attachment
            .string("type")?
            .ok_or_else(|| EventError::Missing(attachment.path_of("type")))?;
        let payload = attachment.obj("payload")?;
        let from_payload = |name: &str| match &payload {
            Some(payload) => payload.string(name),
            None => Ok(None),
        };
        let url = match from_payload("url")? {
            Some(url) => Some(url),
            // Fallback attachments carry `url` (or `URL`) beside the payload.
            None => attachment.string("url")?.or(attachment.string("URL")?),
        };
        let title = attachment.string("title")?.or(from_payload("title")?);
        let mut sticker_id = match &payload {
            Some(payload) => payload.id("sticker_id")?,
            None => None,
        };
        let is_sticker_type = kind_name == "sticker";
        let kind = match kind_name.as_str() {
            "image" if sticker_id.is_some() || message_sticker.is_some() => AttachmentKind::Sticker,
            "image" => AttachmentKind::Image,
            "video" => AttachmentKind::Video,
            "audio" => AttachmentKind::Audio,
            "file" => AttachmentKind::File,
            "sticker" => AttachmentKind::Sticker,
            "fallback" => AttachmentKind::Fallback,
            _ => AttachmentKind::Other(kind_name),
        };
        if kind == AttachmentKind::Sticker && sticker_id.is_none() {
            sticker_id = message_sticker.clone();
        }
        let attachment = IncomingAttachment {
            kind,
            url,
            sticker_id,
            title,
        };
        let twin = kept.iter().position(|(other, _)| {
            attachment.kind == AttachmentKind::Sticker
                && other.kind == AttachmentKind::Sticker
                && other.sticker_id == attachment.sticker_id
        });
        match twin {
            // The new `sticker` type wins over the old `image` one.
            Some(i) if is_sticker_type && !kept[i].1 => kept[i] = (attachment, true),
            Some(_) => {}
            None => kept.push((attachment, is_sticker_type)),
        }
    }
    Ok(kept.into_iter().map(|(attachment, _)| attachment).collect())
}

/// Events Meta documents that Switchboard does not act on.
const KNOWN_UNHANDLED: [&str; 12] = [
    "reaction",
    "referral",
    "optin",
    "message_edit",
    "account_linking",
    "policy_enforcement",
    "policy-enforcement",
    "app_roles",
    "game_play",
    "checkout_update",
    "payment",
    "messaging_feedback",
];

fn unknown_reason(event: &Map<String, Value>) -> String {
    if let Some(name) = KNOWN_UNHANDLED.iter().find(|k| event.contains_key(**k)) {
        return format!("`{name}` events are not handled");
    }
    let mut keys: Vec<&str> = event
        .keys()
        .map(String::as_str)
        .filter(|k| !matches!(*k, "sender" | "recipient" | "timestamp"))
        .collect();
    keys.sort_unstable();
    if keys.is_empty() {
        "an event with no content".into()
    } else {
        format!("an event of an unknown kind (fields: {})", keys.join(", "))
    }
}

/// A JSON object and where it sits, for errors that name the field.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    fn root(value: &'a Value, what: &str) -> Result<Self, EventError> {
        match value {
            Value::Object(map) => Ok(Self {
                map,
                path: String::new(),
            }),
            other => Err(EventError::WrongType {
                field: format!("the {what}"),
                expected: "an object",
                found: type_name(other),
            }),
        }
    }

    fn path_of(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// The field, with `null` read as absent.
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn wrong(&self, name: &str, expected: &'static str, found: &Value) -> EventError {
        EventError::WrongType {
            field: self.path_of(name),
            expected,
            found: type_name(found),
        }
    }

    fn obj(&self, name: &str) -> Result<Option<Obj<'a>>, EventError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj {
                map,
                path: self.path_of(name),
            })),
            Some(other) => Err(self.wrong(name, "an object", other)),
        }
    }

    fn array(&self, name: &str) -> Result<&'a [Value], EventError> {
        match self.get(name) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.wrong(name, "a list", other)),
        }
    }

    fn objects(&self, name: &str) -> Result<Vec<Obj<'a>>, EventError> {
        let path = self.path_of(name);
        self.array(name)?
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(map) => Ok(Obj {
                    map,
                    path: format!("{path}[{i}]"),
                }),
                other => Err(EventError::WrongType {
                    field: format!("{path}[{i}]"),
                    expected: "an object",
                    found: type_name(other),
                }),
            })
            .collect()
    }

    fn string(&self, name: &str) -> Result<Option<String>, EventError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(self.wrong(name, "text", other)),
        }
    }

    fn bool(&self, name: &str) -> Result<Option<bool>, EventError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong(name, "true or false", other)),
        }
    }

    /// An id: a non-empty string, or a whole number (Meta sends `app_id`
    /// and `sticker_id` as numbers). Empty counts as absent.
    fn id(&self, name: &str) -> Result<Option<String>, EventError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(id)) => Ok((!id.is_empty()).then(|| id.clone())),
            Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(Some(n.to_string())),
            Some(other) => Err(self.wrong(name, "an id", other)),
        }
    }

    fn required_id(&self, name: &str) -> Result<String, EventError> {
        self.id(name)?
            .ok_or_else(|| EventError::Missing(self.path_of(name)))
    }

    fn ids(&self, name: &str) -> Result<Vec<String>, EventError> {
        let path = self.path_of(name);
        self.array(name)?
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item {
                Value::String(id) if id.is_empty() => None,
                Value::String(id) => Some(Ok(id.clone())),
                other => Some(Err(EventError::WrongType {
                    field: format!("{path}[{i}]"),
                    expected: "an id",
                    found: type_name(other),
                })),
            })
            .collect()
    }

    /// A Unix ms time: a whole number (some senders write `1492414608982.0`).
    fn required_time(&self, name: &str) -> Result<i64, EventError> {
        let value = self
            .get(name)
            .ok_or_else(|| EventError::Missing(self.path_of(name)))?;
        let time = match value {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }),
            _ => None,
        };
        time.ok_or_else(|| self.wrong(name, "a time in milliseconds", value))
    }

    /// The person who did it: `sender.id`.
    fn sender(&self) -> Result<String, EventError> {
        let sender = self
            .obj("sender")?
            .ok_or_else(|| EventError::Missing(self.path_of("sender")))?;
        sender.required_id("id")
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
