mod common;

use common::{TOKEN, assert_error, start};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn send_message_errors_follow_the_bot_api_texts() {
    let h = start().await;
    h.customer_writes(42, "hi");
    let cases = [
        (
            json!({"chat_id": 42, "text": ""}),
            400,
            "Bad Request: message text is empty",
        ),
        (
            json!({"chat_id": 42, "text": "  \n "}),
            400,
            "Bad Request: message text is empty",
        ),
        (
            json!({"chat_id": 42}),
            400,
            "Bad Request: message text is empty",
        ),
        (
            json!({"chat_id": 42, "text": "x".repeat(4097)}),
            400,
            "Bad Request: message is too long",
        ),
        (
            json!({"chat_id": 777, "text": "hello"}),
            400,
            "Bad Request: chat not found",
        ),
        (
            json!({"chat_id": "@somebody", "text": "hello"}),
            400,
            "Bad Request: chat not found",
        ),
        (
            json!({"text": "hello"}),
            400,
            "Bad Request: chat_id is empty",
        ),
        (
            json!({"chat_id": 42, "text": "hi", "parse_mode": "BBCode"}),
            400,
            "Bad Request: unsupported parse_mode",
        ),
        (
            json!({"chat_id": 42, "text": "hi", "reply_to_message_id": 999}),
            400,
            "Bad Request: message to be replied not found",
        ),
    ];
    for (params, code, description) in cases {
        let (status, body) = h.call("sendMessage", params.clone()).await;
        assert_error(status, &body, code, description);
    }
    h.sandbox
        .telegram()
        .block_bot(TOKEN, 42)
        .expect("bot exists");
    let (status, body) = h
        .call(
            "sendMessage",
            json!({"chat_id": 42, "text": "still there?"}),
        )
        .await;
    assert_error(status, &body, 403, "Forbidden: bot was blocked by the user");
    assert!(
        h.sandbox.telegram().sent_messages(TOKEN).is_empty(),
        "failed sends are not recorded"
    );
}

#[tokio::test]
async fn send_message_returns_the_message_and_records_it() {
    let h = start().await;
    h.customer_writes(42, "hi");
    let (status, body) = h
        .call(
            "sendMessage",
            json!({"chat_id": "42", "text": "  Hello Ann!  ", "parse_mode": "html"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let message = &body["result"];
    assert_eq!(message["message_id"], 2);
    assert_eq!(message["from"]["id"], 123456);
    assert_eq!(message["from"]["is_bot"], true);
    assert_eq!(
        message["chat"],
        json!({"id": 42, "type": "private", "first_name": "Ann", "last_name": "Lee"})
    );
    assert_eq!(
        message["text"], "Hello Ann!",
        "surrounding whitespace is trimmed"
    );
    let sent = h.sandbox.telegram().sent_messages(TOKEN);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].chat_id, sent[0].text.as_str(), sent[0].message_id),
        (42, "Hello Ann!", 2)
    );
    assert_eq!(sent[0].method, "sendMessage");
    assert_eq!(sent[0].date, message["date"].as_i64().expect("date"));
}

#[tokio::test]
async fn text_length_counts_characters_not_utf16_units() {
    let h = start().await;
    h.customer_writes(42, "hi");
    // 4096 emoji are 8192 UTF-16 code units but 4096 characters: accepted.
    let (status, body) = h
        .call(
            "sendMessage",
            json!({"chat_id": 42, "text": "😀".repeat(4096)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{}", body["description"]);
    let (status, body) = h
        .call(
            "sendMessage",
            json!({"chat_id": 42, "text": "😀".repeat(4097)}),
        )
        .await;
    assert_error(status, &body, 400, "Bad Request: message is too long");
}

#[tokio::test]
async fn replies_carry_the_original_message() {
    let h = start().await;
    let update = h.customer_writes(42, "Where is my order?");
    let original = update["message"]["message_id"].clone();
    let (status, body) = h
        .call(
            "sendMessage",
            json!({"chat_id": 42, "text": "On its way", "reply_to_message_id": original}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["result"]["reply_to_message"]["text"],
        "Where is my order?"
    );
    let reply_parameters = json!({"message_id": 999, "allow_sending_without_reply": true});
    let (status, body) = h
        .call(
            "sendMessage",
            json!({"chat_id": 42, "text": "anyway", "reply_parameters": reply_parameters}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["result"].get("reply_to_message").is_none());
}

#[tokio::test]
async fn blocking_sends_my_chat_member_and_unblocking_allows_sends_again() {
    let h = start().await;
    h.customer_writes(42, "hi");
    let control = h.sandbox.telegram();
    control.block_bot(TOKEN, 42).expect("bot");
    let (_, body) = h.call("getUpdates", json!({})).await;
    let last = &body["result"][1]["my_chat_member"];
    assert_eq!(last["old_chat_member"]["status"], "member");
    assert_eq!(last["new_chat_member"]["status"], "kicked");
    assert_eq!(last["new_chat_member"]["user"]["id"], 123456);
    control.unblock_bot(TOKEN, 42).expect("bot");
    let (status, _) = h
        .call(
            "sendMessage",
            json!({"chat_id": 42, "text": "welcome back"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn commands_get_a_bot_command_entity() {
    let h = start().await;
    let update = h.customer_writes(42, "/start promo");
    assert_eq!(
        update["message"]["entities"],
        json!([{"type": "bot_command", "offset": 0, "length": 6}])
    );
}
