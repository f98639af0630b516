//! The customer's side of a private chat: writing, sending media, blocking the bot.

use serde_json::{Value, json};

use super::media::{self, Described};
use super::methods::MAX_CAPTION_CHARS;
use super::state::{Bot, Customer};
use super::{CustomerMedia, CustomerMessage, CustomerPhoto, MediaKind, files, objects};
use crate::SandboxError;

/// A 2×2 PNG, sent when a simulated customer sends a photo without giving one.
const DEFAULT_PNG: [u8; 73] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a,
    0x73, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xd0, 0xaa, 0x3a, 0x01,
    0x44, 0x0c, 0x10, 0x0a, 0x00, 0x25, 0x66, 0x05, 0xb1, 0xe7, 0xfc, 0x94, 0xcd, 0x00, 0x00, 0x00,
    0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

pub(super) fn invalid(reason: impl Into<String>) -> SandboxError {
    SandboxError::InvalidInput(reason.into())
}

fn customer(
    user_id: i64,
    first_name: &str,
    last_name: Option<String>,
    username: Option<String>,
) -> Result<Customer, SandboxError> {
    if user_id <= 0 {
        return Err(SandboxError::InvalidInput(format!(
            "user_id must be a positive Telegram user id, got {user_id}"
        )));
    }
    if first_name.trim().is_empty() {
        return Err(SandboxError::InvalidInput("first_name is empty".to_owned()));
    }
    let non_empty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    Ok(Customer {
        id: user_id,
        first_name: first_name.to_owned(),
        last_name: non_empty(last_name),
        username: non_empty(username),
    })
}

/// Queues the Update for an incoming message built by `content` and wakes the pollers.
fn deliver(
    bot: &Bot,
    customer: Customer,
    content: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> Value {
    let update = {
        let mut state = bot.lock();
        let chat = state.chat_with(customer);
        let message_id = chat.next_message_id();
        let from = objects::customer_user(&chat.customer);
        let chat_json = objects::private_chat(&chat.customer);
        let mut message = objects::message(message_id, from, chat_json, objects::now());
        content(&mut message);
        let message = Value::Object(message);
        chat.remember(message_id, &message);
        state.push_update("message", message)
    };
    bot.wake();
    update
}

pub(super) fn writes(bot: &Bot, message: CustomerMessage) -> Result<Value, SandboxError> {
    let text = message.text.trim().to_owned();
    if text.is_empty() {
        return Err(SandboxError::InvalidInput("text is empty".to_owned()));
    }
    let customer = customer(
        message.user_id,
        &message.first_name,
        message.last_name,
        message.username,
    )?;
    Ok(deliver(bot, customer, |m| {
        if let Some(entities) = objects::entities(&text) {
            m.insert("entities".to_owned(), entities);
        }
        m.insert("text".to_owned(), json!(text));
    }))
}

pub(super) fn sends_photo(bot: &Bot, photo: CustomerPhoto) -> Result<Value, SandboxError> {
    let media = CustomerMedia {
        user_id: photo.user_id,
        first_name: photo.first_name,
        last_name: photo.last_name,
        username: photo.username,
        kind: MediaKind::Photo,
        bytes: photo.image.unwrap_or_default(),
        caption: photo.caption,
        ..CustomerMedia::default()
    };
    sends_media(bot, media)
}

pub(super) fn sends_media(bot: &Bot, sent: CustomerMedia) -> Result<Value, SandboxError> {
    let customer = customer(
        sent.user_id,
        &sent.first_name,
        sent.last_name,
        sent.username,
    )?;
    let kind = sent.kind;
    let bytes = match kind {
        MediaKind::Photo if sent.bytes.is_empty() => DEFAULT_PNG.to_vec(),
        MediaKind::Photo if media::image_size(&sent.bytes).is_none() => {
            return Err(invalid("image is neither a PNG nor a JPEG"));
        }
        _ if sent.bytes.is_empty() => return Err(invalid("bytes are empty")),
        _ => sent.bytes,
    };
    let caption = sent
        .caption
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if kind == MediaKind::Sticker && caption.is_some() {
        return Err(invalid("stickers have no caption"));
    }
    if caption
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_CAPTION_CHARS)
    {
        return Err(invalid("caption is longer than 1024 characters"));
    }
    // Telegram keeps a file name and a type only for documents (voice notes get a type).
    let file_name = sent.file_name.filter(|_| kind == MediaKind::Document);
    let mime_type = match kind {
        MediaKind::Document => sent.mime_type.or_else(|| {
            file_name
                .as_deref()
                .and_then(media::guess_mime)
                .map(str::to_owned)
        }),
        MediaKind::Voice => sent.mime_type,
        _ => None,
    };
    let object = {
        let mut state = bot.lock();
        let described = Described {
            kind,
            bytes: &bytes,
            file_name: file_name.as_deref(),
            mime_type: mime_type.as_deref(),
            duration: sent.duration,
            emoji: sent.emoji.as_deref(),
        };
        files::store(&mut state, &described).json
    };
    Ok(deliver(bot, customer, |m| {
        m.insert(media::field(kind).to_owned(), object);
        if let Some(caption) = caption {
            m.insert("caption".to_owned(), json!(caption));
        }
    }))
}

pub(super) fn set_blocked(bot: &Bot, user_id: i64, blocked: bool) {
    let changed = {
        let mut state = bot.lock();
        let changed = if blocked {
            state.blocked.insert(user_id)
        } else {
            state.blocked.remove(&user_id)
        };
        let known = state.chat(user_id).map(|chat| chat.customer.clone());
        match known {
            Some(customer) if changed => {
                let payload = objects::my_chat_member(bot, &customer, blocked);
                state.push_update("my_chat_member", payload);
                true
            }
            _ => false,
        }
    };
    if changed {
        bot.wake();
    }
}
