//! JSON shapes of Bot API objects (User, Chat, Message, ...), field for field as documented.
//! Optional fields are omitted when absent, as the real server does.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use super::state::{Bot, Customer};

/// Unix time in seconds, as in `Message.date`.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Unix time in milliseconds (for [`super::SentMessage::sent_at_ms`]).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The bot as a `User` (what `getMe` returns, with the capability flags).
pub fn bot_me(bot: &Bot) -> Value {
    json!({
        "id": bot.id,
        "is_bot": true,
        "first_name": bot.first_name,
        "username": bot.username,
        "can_join_groups": true,
        "can_read_all_group_messages": false,
        "supports_inline_queries": false,
        "can_connect_to_business": false,
        "has_main_web_app": false,
    })
}

/// The bot as the `from` of its own messages.
pub fn bot_user(bot: &Bot) -> Value {
    json!({
        "id": bot.id,
        "is_bot": true,
        "first_name": bot.first_name,
        "username": bot.username,
    })
}

fn with_names(mut object: Map<String, Value>, customer: &Customer) -> Value {
    object.insert("first_name".to_owned(), json!(customer.first_name));
    if let Some(last_name) = &customer.last_name {
        object.insert("last_name".to_owned(), json!(last_name));
    }
    if let Some(username) = &customer.username {
        object.insert("username".to_owned(), json!(username));
    }
    Value::Object(object)
}

/// A customer as a `User`.
pub fn customer_user(customer: &Customer) -> Value {
    let mut object = Map::new();
    object.insert("id".to_owned(), json!(customer.id));
    object.insert("is_bot".to_owned(), json!(false));
    with_names(object, customer)
}

/// The private `Chat` with a customer (its id equals the user id).
pub fn private_chat(customer: &Customer) -> Value {
    let mut object = Map::new();
    object.insert("id".to_owned(), json!(customer.id));
    let mut chat = with_names(object, customer);
    chat["type"] = json!("private");
    chat
}

/// `MessageEntity` list for a text: a leading `/command` is a `bot_command`, as Telegram marks it.
/// Offsets and lengths are in UTF-16 code units, as documented.
pub fn entities(text: &str) -> Option<Value> {
    if !text.starts_with('/') {
        return None;
    }
    let command = text.split(char::is_whitespace).next().unwrap_or("");
    let length = command.encode_utf16().count();
    (length > 1).then(|| json!([{ "type": "bot_command", "offset": 0, "length": length }]))
}

/// A `Message` skeleton: `message_id`, `from`, `chat`, `date`. Callers add the content fields.
pub fn message(message_id: i64, from: Value, chat: Value, date: i64) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("message_id".to_owned(), json!(message_id));
    object.insert("from".to_owned(), from);
    object.insert("chat".to_owned(), chat);
    object.insert("date".to_owned(), json!(date));
    object
}

/// `ChatMemberUpdated` for the bot's own membership in a private chat (blocked/unblocked).
pub fn my_chat_member(bot: &Bot, customer: &Customer, blocked: bool) -> Value {
    let (old, new) = if blocked {
        ("member", "kicked")
    } else {
        ("kicked", "member")
    };
    let member = |status: &str| {
        let mut m = json!({ "user": bot_user(bot), "status": status });
        if status == "kicked" {
            m["until_date"] = json!(0);
        }
        m
    };
    json!({
        "chat": private_chat(customer),
        "from": customer_user(customer),
        "date": now(),
        "old_chat_member": member(old),
        "new_chat_member": member(new),
    })
}
