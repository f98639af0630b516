mod common;

use common::{TOKEN, read, start};
use reqwest::StatusCode;
use serde_json::json;
use switchboard_sandbox::{CustomerEdit, CustomerMedia, MediaKind};

fn edit(message_id: i64, text: &str) -> CustomerEdit {
    CustomerEdit {
        user_id: 42,
        message_id,
        text: text.to_owned(),
    }
}

#[tokio::test]
async fn an_edit_redelivers_the_whole_message_as_edited_message() {
    let h = start().await;
    let original = h.customer_writes(42, "helo");
    let message_id = original["message"]["message_id"].as_i64().expect("id");
    let update = h
        .sandbox
        .telegram()
        .customer_edits(TOKEN, edit(message_id, "/start hello"))
        .expect("own message");
    assert!(update.get("message").is_none());
    let edited = &update["edited_message"];
    assert_eq!(edited["message_id"], message_id);
    assert_eq!(edited["text"], "/start hello");
    assert_eq!(edited["entities"][0]["type"], "bot_command");
    assert_eq!(
        (&edited["from"], &edited["chat"]),
        (&original["message"]["from"], &original["message"]["chat"])
    );
    assert_eq!(
        edited["date"], original["message"]["date"],
        "date stays the send time"
    );
    assert!(edited["edit_date"].as_i64() >= edited["date"].as_i64());

    let (_, polled) = h.call("getUpdates", json!({})).await;
    let kinds: Vec<bool> = polled["result"]
        .as_array()
        .expect("updates")
        .iter()
        .map(|u| u.get("edited_message").is_some())
        .collect();
    assert_eq!(kinds, [false, true]);

    // A reply to the edited message quotes the edited text.
    let (status, reply) = h
        .call(
            "sendMessage",
            json!({"chat_id": 42, "text": "hi", "reply_to_message_id": message_id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["result"]["reply_to_message"]["text"], "/start hello");
}

#[tokio::test]
async fn editing_a_media_message_changes_its_caption() {
    let h = start().await;
    let media = CustomerMedia {
        user_id: 42,
        first_name: "Ann".to_owned(),
        kind: MediaKind::Document,
        bytes: b"data".to_vec(),
        caption: Some("old".to_owned()),
        ..CustomerMedia::default()
    };
    let control = h.sandbox.telegram();
    let sent = control.customer_sends_media(TOKEN, media).expect("media");
    let message_id = sent["message"]["message_id"].as_i64().expect("id");
    let update = control
        .customer_edits(TOKEN, edit(message_id, "new"))
        .expect("edit");
    assert_eq!(update["edited_message"]["caption"], "new");
    assert_eq!(
        update["edited_message"]["document"],
        sent["message"]["document"]
    );
    assert!(update["edited_message"].get("text").is_none());
}

#[tokio::test]
async fn only_existing_messages_of_that_customer_can_be_edited() {
    let h = start().await;
    h.customer_writes(42, "hi");
    let (_, bot_message) = h
        .call("sendMessage", json!({"chat_id": 42, "text": "hello"}))
        .await;
    let bot_message_id = bot_message["result"]["message_id"].as_i64().expect("id");
    let control = h.sandbox.telegram();
    assert!(
        control.customer_edits(TOKEN, edit(99, "x")).is_err(),
        "no such message"
    );
    assert!(
        control
            .customer_edits(TOKEN, edit(bot_message_id, "x"))
            .is_err(),
        "the bot's message"
    );
    let mut stranger = edit(1, "x");
    stranger.user_id = 43;
    assert!(
        control.customer_edits(TOKEN, stranger).is_err(),
        "another user's chat"
    );
    assert!(
        control.customer_edits(TOKEN, edit(1, "  ")).is_err(),
        "empty text"
    );
}

#[tokio::test]
async fn allowed_updates_can_leave_edits_out() {
    let h = start().await;
    let (_, first) = h
        .call("getUpdates", json!({"allowed_updates": ["message"]}))
        .await;
    assert_eq!(first["result"], json!([]));
    let original = h.customer_writes(42, "hi");
    let message_id = original["message"]["message_id"].as_i64().expect("id");
    h.sandbox
        .telegram()
        .customer_edits(TOKEN, edit(message_id, "hi there"))
        .expect("edit");
    let (_, polled) = h.call("getUpdates", json!({})).await;
    assert_eq!(polled["result"].as_array().map(Vec::len), Some(1));
    assert!(polled["result"][0].get("message").is_some());
}

#[tokio::test]
async fn edits_can_be_made_over_the_control_api() {
    let h = start().await;
    h.customer_writes(42, "hi");
    let response = h
        .http
        .post(h.url(&format!("_sandbox/telegram/{TOKEN}/customer-edits")))
        .json(&json!({"user_id": 42, "message_id": 1, "text": "hi!"}))
        .send()
        .await
        .expect("request");
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"]["edited_message"]["text"], "hi!");
    let response = h
        .http
        .post(h.url(&format!("_sandbox/telegram/{TOKEN}/customer-edits")))
        .json(&json!({"user_id": 42, "message_id": 7, "text": "x"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
