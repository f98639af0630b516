//! Bot API updates → the store's `InboundMessage`, validated at the boundary.
//!
//! A customer's file becomes an `attachment` whose bytes the fetcher downloads
//! later; the message text is then the caption, or empty. We store no made-up
//! text such as "[photo]": the UI shows the file itself, in the operator's
//! language, and a placeholder would also land in search and previews.

use serde::Deserialize;
use serde_json::Value;
use switchboard_engine::domain::{AttachmentKind, InboundAttachment, InboundMessage};

#[derive(Deserialize)]
struct Update {
    message: Option<TgMessage>,
    edited_message: Option<TgMessage>,
}

#[derive(Deserialize)]
struct TgMessage {
    message_id: i64,
    from: Option<TgUser>,
    chat: TgChat,
    date: i64,
    edit_date: Option<i64>,
    text: Option<String>,
    caption: Option<String>,
    photo: Option<Vec<PhotoSize>>,
    document: Option<TgFile>,
    voice: Option<TgFile>,
    sticker: Option<TgSticker>,
    // Kinds without an attachment kind of their own travel as documents, so
    // the operator still gets the file.
    audio: Option<TgFile>,
    video: Option<TgFile>,
    animation: Option<TgFile>,
    video_note: Option<TgFile>,
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
struct PhotoSize {
    file_id: String,
    width: Option<u64>,
    height: Option<u64>,
    file_size: Option<u64>,
}

/// Document, Voice, Audio, Video…: the fields they share.
#[derive(Deserialize)]
struct TgFile {
    file_id: String,
    file_name: Option<String>,
    mime_type: Option<String>,
    file_size: Option<u64>,
}

#[derive(Deserialize)]
struct TgSticker {
    file_id: String,
    file_size: Option<u64>,
    #[serde(default)]
    is_animated: bool,
    #[serde(default)]
    is_video: bool,
}

/// What one raw update means for the store.
#[derive(Debug, PartialEq)]
pub enum Converted {
    Message(Box<InboundMessage>),
    /// Confirm and skip: an update kind we do not handle (group messages,
    /// member changes…), with why, for the log.
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
    let (message, edited) = match (update.message, update.edited_message) {
        (Some(message), _) => (message, false),
        (None, Some(message)) => (message, true),
        (None, None) => return Converted::Skip("not a message or an edit"),
    };
    if message.chat.kind != "private" {
        return Converted::Skip("message in a group or channel");
    }
    let Some(from) = message.from.as_ref() else {
        return Converted::Skip("message without a sender");
    };
    let attachment = attachment(&message);
    let text = match (&message.text, &message.caption) {
        (Some(text), _) => text.clone(),
        (None, Some(caption)) => caption.clone(),
        (None, None) if attachment.is_some() => String::new(),
        // Locations, contacts, polls…: say so rather than store nothing.
        (None, None) => "[a message type Switchboard cannot show yet]".to_owned(),
    };
    let name = match &from.last_name {
        Some(last) => format!("{} {last}", from.first_name),
        None => from.first_name.clone(),
    };
    let sent_at = message.date.saturating_mul(1000);
    Converted::Message(Box::new(InboundMessage {
        // An edit keeps the original's key, so the store finds and updates it.
        provider_key: format!("{}/{}", message.chat.id, message.message_id),
        provider_chat_id: message.chat.id.to_string(),
        provider_user_id: from.id.to_string(),
        contact_name: name,
        contact_username: from.username.clone(),
        text,
        sent_at,
        edited_at: edited.then(|| {
            message
                .edit_date
                .map_or(sent_at, |d| d.saturating_mul(1000))
        }),
        attachment,
    }))
}

fn attachment(message: &TgMessage) -> Option<InboundAttachment> {
    let file = |kind, f: &TgFile| InboundAttachment {
        kind,
        provider_file_id: f.file_id.clone(),
        file_name: f.file_name.clone(),
        mime_type: f.mime_type.clone(),
        size: f.file_size,
    };
    if let Some(sizes) = &message.photo {
        // Telegram lists several sizes of one photo; the operator gets the largest.
        let largest = sizes.iter().max_by_key(|p| {
            (
                p.width.unwrap_or(0) * p.height.unwrap_or(0),
                p.file_size.unwrap_or(0),
            )
        })?;
        return Some(InboundAttachment {
            kind: AttachmentKind::Photo,
            provider_file_id: largest.file_id.clone(),
            file_name: None,
            mime_type: None,
            size: largest.file_size,
        });
    }
    if let Some(sticker) = &message.sticker {
        let mime = if sticker.is_animated {
            "application/x-tgsticker"
        } else if sticker.is_video {
            "video/webm"
        } else {
            "image/webp"
        };
        return Some(InboundAttachment {
            kind: AttachmentKind::Sticker,
            provider_file_id: sticker.file_id.clone(),
            file_name: None,
            mime_type: Some(mime.to_owned()),
            size: sticker.file_size,
        });
    }
    if let Some(voice) = &message.voice {
        return Some(file(AttachmentKind::Voice, voice));
    }
    [
        &message.document,
        &message.audio,
        &message.video,
        &message.animation,
        &message.video_note,
    ]
    .into_iter()
    .flatten()
    .next()
    .map(|f| file(AttachmentKind::Document, f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(raw: Value) -> InboundMessage {
        match convert(&raw) {
            Converted::Message(m) => *m,
            Converted::Skip(why) => panic!("skipped: {why}"),
        }
    }

    fn with(fields: Value) -> Value {
        let mut m = json!({"message_id": 4, "date": 1,
            "from": {"id": 42, "is_bot": false, "first_name": "Ann"},
            "chat": {"id": 42, "type": "private"}});
        m.as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        json!({"update_id": 11, "message": m})
    }

    #[test]
    fn a_private_text_message_becomes_an_inbound_message() {
        let m = message(
            json!({"update_id": 10, "message": {"message_id": 3, "date": 1700000000,
            "from": {"id": 42, "is_bot": false, "first_name": "Ann", "last_name": "Lee", "username": "ann"},
            "chat": {"id": 42, "type": "private", "first_name": "Ann"}, "text": "Hello"}}),
        );
        assert_eq!(m.provider_key, "42/3");
        assert_eq!(m.provider_chat_id, "42");
        assert_eq!(m.contact_name, "Ann Lee");
        assert_eq!(m.text, "Hello");
        assert_eq!(m.sent_at, 1_700_000_000_000);
        assert_eq!((m.edited_at, m.attachment), (None, None));
    }

    #[test]
    fn an_edit_keeps_the_original_key_and_carries_the_edit_time() {
        let m = message(
            json!({"update_id": 12, "edited_message": {"message_id": 3, "date": 100,
            "edit_date": 160, "from": {"id": 42, "is_bot": false, "first_name": "Ann"},
            "chat": {"id": 42, "type": "private"}, "text": "Hello again"}}),
        );
        assert_eq!(m.provider_key, "42/3");
        assert_eq!(m.text, "Hello again");
        assert_eq!(m.sent_at, 100_000);
        assert_eq!(m.edited_at, Some(160_000));
    }

    #[test]
    fn unknown_or_malformed_updates_are_skipped_not_fatal() {
        assert_eq!(
            convert(&json!({"update_id": 1, "my_chat_member": {}})),
            Converted::Skip("not a message or an edit")
        );
        assert!(matches!(
            convert(&json!({"update_id": "x", "message": 5})),
            Converted::Skip(_)
        ));
        assert_eq!(update_id(&json!({"update_id": 7, "poll": {}})), Some(7));
    }

    #[test]
    fn a_photo_becomes_its_largest_size_with_the_caption_as_text() {
        let m = message(with(json!({"caption": "my receipt", "photo": [
            {"file_id": "small", "file_unique_id": "u1", "width": 90, "height": 60, "file_size": 900},
            {"file_id": "large", "file_unique_id": "u3", "width": 1280, "height": 853, "file_size": 90000},
            {"file_id": "medium", "file_unique_id": "u2", "width": 320, "height": 213, "file_size": 9000}]})));
        assert_eq!(m.text, "my receipt");
        let a = m.attachment.unwrap();
        assert_eq!(a.kind, AttachmentKind::Photo);
        assert_eq!(a.provider_file_id, "large");
        assert_eq!(a.size, Some(90000));
    }

    #[test]
    fn documents_voice_and_stickers_keep_what_telegram_says_about_them() {
        let doc = message(with(
            json!({"document": {"file_id": "d", "file_unique_id": "ud",
            "file_name": "invoice.pdf", "mime_type": "application/pdf", "file_size": 1234}}),
        ));
        assert_eq!(doc.text, "");
        let a = doc.attachment.unwrap();
        assert_eq!(
            (a.kind, a.file_name.as_deref(), a.mime_type.as_deref()),
            (
                AttachmentKind::Document,
                Some("invoice.pdf"),
                Some("application/pdf")
            )
        );

        let voice = message(with(
            json!({"voice": {"file_id": "v", "file_unique_id": "uv",
            "duration": 3, "mime_type": "audio/ogg", "file_size": 10}}),
        ));
        let a = voice.attachment.unwrap();
        assert_eq!(
            (a.kind, a.mime_type.as_deref()),
            (AttachmentKind::Voice, Some("audio/ogg"))
        );

        let sticker = message(with(
            json!({"sticker": {"file_id": "s", "file_unique_id": "us",
            "type": "regular", "width": 512, "height": 512, "is_animated": false,
            "is_video": false, "emoji": "🙂"}}),
        ));
        let a = sticker.attachment.unwrap();
        assert_eq!(
            (a.kind, a.mime_type.as_deref()),
            (AttachmentKind::Sticker, Some("image/webp"))
        );
    }

    #[test]
    fn a_video_travels_as_a_document_and_a_location_says_it_cannot_be_shown() {
        let video = message(with(
            json!({"video": {"file_id": "m", "file_unique_id": "um",
            "width": 1, "height": 1, "duration": 1, "mime_type": "video/mp4"}}),
        ));
        assert_eq!(video.attachment.unwrap().kind, AttachmentKind::Document);
        let location = message(with(
            json!({"location": {"latitude": 1.0, "longitude": 2.0}}),
        ));
        assert_eq!(location.attachment, None);
        assert!(location.text.contains("cannot show"));
    }
}
