//! Bot API updates → the store's `InboundMessage`, validated at the boundary.

use serde::Deserialize;
use serde_json::Value;
use switchboard_engine::domain::InboundMessage;

#[derive(Deserialize)]
struct Update {
    update_id: i64,
    message: Option<TgMessage>,
}

#[derive(Deserialize)]
struct TgMessage {
    message_id: i64,
    from: Option<TgUser>,
    chat: TgChat,
    date: i64,
    text: Option<String>,
    caption: Option<String>,
    photo: Option<Value>,
    document: Option<TgDocument>,
    sticker: Option<Value>,
    voice: Option<Value>,
}

#[derive(Deserialize)]
struct TgUser {
    id: i64,
    first_name: String,
    last_name: Option<String>,
    username: Option<String>,
}

#[derive(Deserialize)]
struct TgChat {
    id: i64,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct TgDocument {
    file_name: Option<String>,
}

/// What one raw update means for the store.
#[derive(Debug, PartialEq)]
pub enum Converted {
    Message(Box<InboundMessage>),
    /// Confirm and skip: an update kind we do not handle (edits, group
    /// messages, member changes…), with why, for the log.
    Skip(&'static str),
}

/// Reads the `update_id` of any update, even of a kind we do not know.
pub fn update_id(raw: &Value) -> Option<i64> {
    raw.get("update_id").and_then(Value::as_i64)
}

pub fn convert(raw: &Value) -> Converted {
    let Ok(update) = Update::deserialize(raw) else {
        return Converted::Skip("update does not follow the Bot API shape");
    };
    let Some(message) = update.message else {
        return Converted::Skip("not a new message");
    };
    if message.chat.kind != "private" {
        return Converted::Skip("message in a group or channel");
    }
    let Some(from) = message.from else {
        return Converted::Skip("message without a sender");
    };
    let text = match (message.text, message.caption) {
        (Some(text), _) => text,
        (None, caption) => {
            let what = if message.photo.is_some() {
                "[photo]".to_owned()
            } else if let Some(doc) = &message.document {
                format!("[file: {}]", doc.file_name.as_deref().unwrap_or("unnamed"))
            } else if message.sticker.is_some() {
                "[sticker]".to_owned()
            } else if message.voice.is_some() {
                "[voice message]".to_owned()
            } else {
                "[a message type Switchboard cannot show yet]".to_owned()
            };
            match caption {
                Some(caption) => format!("{what} {caption}"),
                None => what,
            }
        }
    };
    let name = match &from.last_name {
        Some(last) => format!("{} {last}", from.first_name),
        None => from.first_name.clone(),
    };
    let _ = update.update_id;
    Converted::Message(Box::new(InboundMessage {
        provider_key: format!("{}/{}", message.chat.id, message.message_id),
        provider_chat_id: message.chat.id.to_string(),
        provider_user_id: from.id.to_string(),
        contact_name: name,
        contact_username: from.username,
        text,
        sent_at: message.date.saturating_mul(1000),
        edited_at: None,
        attachment: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_private_text_message_becomes_an_inbound_message() {
        let raw = json!({"update_id": 10, "message": {"message_id": 3, "date": 1700000000,
            "from": {"id": 42, "is_bot": false, "first_name": "Ann", "last_name": "Lee", "username": "ann"},
            "chat": {"id": 42, "type": "private", "first_name": "Ann"}, "text": "Hello"}});
        let Converted::Message(m) = convert(&raw) else {
            panic!("skipped")
        };
        assert_eq!(m.provider_key, "42/3");
        assert_eq!(m.provider_chat_id, "42");
        assert_eq!(m.contact_name, "Ann Lee");
        assert_eq!(m.text, "Hello");
        assert_eq!(m.sent_at, 1_700_000_000_000);
    }

    #[test]
    fn unknown_or_malformed_updates_are_skipped_not_fatal() {
        assert_eq!(
            convert(&json!({"update_id": 1, "my_chat_member": {}})),
            Converted::Skip("not a new message")
        );
        assert!(matches!(
            convert(&json!({"update_id": "x"})),
            Converted::Skip(_)
        ));
        assert_eq!(update_id(&json!({"update_id": 7, "poll": {}})), Some(7));
    }

    #[test]
    fn a_photo_with_a_caption_is_shown_as_text_for_now() {
        let raw = json!({"update_id": 11, "message": {"message_id": 4, "date": 1,
            "from": {"id": 42, "is_bot": false, "first_name": "Ann"},
            "chat": {"id": 42, "type": "private"}, "photo": [{"file_id": "f"}], "caption": "my receipt"}});
        let Converted::Message(m) = convert(&raw) else {
            panic!("skipped")
        };
        assert_eq!(m.text, "[photo] my receipt");
    }
}
