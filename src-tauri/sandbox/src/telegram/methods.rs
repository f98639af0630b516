//! Bot API methods other than getUpdates, the file and the webhook methods: dispatch, getMe,
//! sendMessage, and what every "send" shares (chat lookup, blocking, replies, recording).

use serde_json::{Map, Value, json};

use super::files::StoredFile;
use super::state::Bot;
use super::{ApiError, SentMessage, files, objects, updates, webhook};
use crate::params::Params;

/// Longest message text, in Unicode scalar values (`char`s). Telegram documents "1-4096
/// characters after entities parsing"; measurements against the real API show astral
/// characters (emoji) count once, not as two UTF-16 code units.
pub const MAX_TEXT_CHARS: usize = 4096;
/// Longest media caption, counted like [`MAX_TEXT_CHARS`].
pub const MAX_CAPTION_CHARS: usize = 1024;

/// Runs one Bot API method; `method` is matched case-insensitively.
pub async fn call(
    bot: &Bot,
    method: &str,
    params: &Params,
    closing: impl Fn() -> bool,
) -> Result<Value, ApiError> {
    match method.to_ascii_lowercase().as_str() {
        "getme" => Ok(objects::bot_me(bot)),
        "getupdates" => updates::get_updates(bot, params, closing).await,
        "sendmessage" => send_message(bot, params),
        "sendphoto" => files::send_photo(bot, params),
        "senddocument" => files::send_document(bot, params),
        "getfile" => files::get_file(bot, params),
        "setwebhook" => webhook::set_webhook(bot, params),
        "deletewebhook" => webhook::delete_webhook(bot, params),
        "getwebhookinfo" => Ok(webhook::webhook_info(bot)),
        _ => Err(ApiError::not_found()),
    }
}

fn send_message(bot: &Bot, params: &Params) -> Result<Value, ApiError> {
    check_parse_mode(params)?;
    // Telegram trims surrounding whitespace; what is left must be 1..=4096 characters.
    let text = params.text("text").unwrap_or("").trim();
    if text.is_empty() {
        return Err(ApiError::bad_request("message text is empty"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::bad_request("message is too long"));
    }
    let chat_id = chat_id(params)?;
    let sent = Sent {
        method: "sendMessage",
        text,
        file: None,
    };
    post(bot, chat_id, params, sent, |m| {
        if let Some(entities) = objects::entities(text) {
            m.insert("entities".to_owned(), entities);
        }
        m.insert("text".to_owned(), json!(text));
    })
}

/// Accepts the documented `parse_mode` values (case-insensitively, as the real server does).
/// The text is returned as sent: markup is not parsed into entities.
pub fn check_parse_mode(params: &Params) -> Result<(), ApiError> {
    match params.non_empty("parse_mode") {
        None => Ok(()),
        Some(mode)
            if ["markdown", "markdownv2", "html"].contains(&mode.to_ascii_lowercase().as_str()) =>
        {
            Ok(())
        }
        Some(_) => Err(ApiError::bad_request("unsupported parse_mode")),
    }
}

/// The `chat_id` parameter. `@username` only names channels/groups, which the sandbox does not
/// have, so it is "chat not found", as is anything that is not a number.
pub fn chat_id(params: &Params) -> Result<i64, ApiError> {
    let raw = params
        .non_empty("chat_id")
        .ok_or_else(|| ApiError::bad_request("chat_id is empty"))?;
    raw.trim()
        .parse::<i64>()
        .map_err(|_| ApiError::chat_not_found())
}

/// The message being replied to: `reply_parameters` (JSON) or the older `reply_to_message_id`.
fn reply_target(params: &Params) -> Result<Option<(i64, bool)>, ApiError> {
    let allow_missing = params.flag("allow_sending_without_reply");
    if let Some(value) = params.json("reply_parameters")? {
        let message_id = value
            .get("message_id")
            .and_then(Value::as_i64)
            .ok_or_else(|| ApiError::bad_request("message_id in reply_parameters is required"))?;
        let allow = value
            .get("allow_sending_without_reply")
            .and_then(Value::as_bool)
            .unwrap_or(allow_missing);
        return Ok(Some((message_id, allow)));
    }
    Ok(params
        .int("reply_to_message_id")?
        .map(|id| (id, allow_missing)))
}

/// What a successful send records in [`SentMessage`].
pub struct Sent<'a> {
    /// Canonical case (`sendMessage`).
    pub method: &'a str,
    /// The text, or the caption of media.
    pub text: &'a str,
    pub file: Option<&'a StoredFile>,
}

/// Posts a bot message into a private chat: checks blocking and the chat, resolves the reply,
/// numbers the message, remembers it and records the send. `content` adds text/media fields.
pub fn post(
    bot: &Bot,
    chat_id: i64,
    params: &Params,
    sent: Sent<'_>,
    content: impl FnOnce(&mut Map<String, Value>),
) -> Result<Value, ApiError> {
    let reply = reply_target(params)?;
    let mut state = bot.lock();
    if state.blocked.contains(&chat_id) {
        return Err(ApiError::forbidden("bot was blocked by the user"));
    }
    let chat = state
        .chat_mut(chat_id)
        .ok_or_else(ApiError::chat_not_found)?;
    let reply_to = match reply {
        None => None,
        Some((id, allow_missing)) => match chat.message(id) {
            Some(original) => {
                // Telegram does not nest replies: the quoted message loses its own reply.
                let mut original = original.clone();
                if let Some(fields) = original.as_object_mut() {
                    fields.remove("reply_to_message");
                }
                Some(original)
            }
            None if allow_missing => None,
            None => return Err(ApiError::bad_request("message to be replied not found")),
        },
    };
    let message_id = chat.next_message_id();
    let date = objects::now();
    let chat_json = objects::private_chat(&chat.customer);
    let mut message = objects::message(message_id, objects::bot_user(bot), chat_json, date);
    if let Some(original) = reply_to {
        message.insert("reply_to_message".to_owned(), original);
    }
    content(&mut message);
    let message = Value::Object(message);
    chat.remember(message_id, &message);
    state.sent.push(SentMessage {
        chat_id,
        text: sent.text.to_owned(),
        message_id,
        date,
        method: sent.method.to_owned(),
        sent_at_ms: objects::now_ms(),
        file_id: sent.file.map(|f| f.file_id.clone()),
        file_name: sent.file.and_then(|f| f.file_name.clone()),
        mime_type: sent.file.and_then(|f| f.mime_type.clone()),
        file_size: sent
            .file
            .map(|f| u64::try_from(f.bytes.len()).unwrap_or(u64::MAX)),
    });
    Ok(message)
}
