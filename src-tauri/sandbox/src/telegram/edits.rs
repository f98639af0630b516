//! A customer editing a message they sent: Telegram delivers the whole edited Message again, with
//! the same `message_id` and an `edit_date`, as an `edited_message` update.

use serde_json::{Value, json};

use super::customers::invalid;
use super::methods::{MAX_CAPTION_CHARS, MAX_TEXT_CHARS};
use super::state::Bot;
use super::{CustomerEdit, objects};
use crate::SandboxError;

pub(super) fn edits(bot: &Bot, edit: CustomerEdit) -> Result<Value, SandboxError> {
    let text = edit.text.trim().to_owned();
    let update = {
        let mut state = bot.lock();
        let not_found = || {
            invalid(format!(
                "user {} has no message {} in their chat with the bot",
                edit.user_id, edit.message_id
            ))
        };
        let message = state
            .chat_mut(edit.user_id)
            .and_then(|chat| chat.message_mut(edit.message_id))
            .ok_or_else(not_found)?;
        if message["from"]["id"].as_i64() != Some(edit.user_id) {
            return Err(invalid(format!(
                "message {} was sent by the bot; a customer can edit only their own messages",
                edit.message_id
            )));
        }
        let edited = edited(message, &text)?;
        *message = edited.clone();
        state.push_update("edited_message", edited)
    };
    bot.wake();
    Ok(update)
}

/// The message with its new text (text messages) or caption (media), and `edit_date`.
fn edited(message: &Value, text: &str) -> Result<Value, SandboxError> {
    let mut message = message.clone();
    let Some(fields) = message.as_object_mut() else {
        return Err(invalid("stored message is not an object"));
    };
    if fields.contains_key("sticker") {
        return Err(invalid("a sticker cannot be edited"));
    }
    if fields.contains_key("text") {
        if text.is_empty() {
            return Err(invalid("text is empty"));
        }
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(invalid("text is longer than 4096 characters"));
        }
        fields.insert("text".to_owned(), json!(text));
        match objects::entities(text) {
            Some(entities) => fields.insert("entities".to_owned(), entities),
            None => fields.remove("entities"),
        };
    } else {
        // Media: the edit replaces the caption, and an empty one removes it.
        if text.chars().count() > MAX_CAPTION_CHARS {
            return Err(invalid("caption is longer than 1024 characters"));
        }
        if text.is_empty() {
            fields.remove("caption");
        } else {
            fields.insert("caption".to_owned(), json!(text));
        }
    }
    fields.insert("edit_date".to_owned(), json!(objects::now()));
    Ok(message)
}
