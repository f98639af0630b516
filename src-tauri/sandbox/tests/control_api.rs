mod common;

use common::{Harness, TOKEN, read, start};
use reqwest::StatusCode;
use serde_json::{Value, json};

impl Harness {
    async fn control_post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(&format!("_sandbox/{path}")))
            .json(&body)
            .send()
            .await
            .expect("request");
        read(response).await
    }

    async fn control_get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url(&format!("_sandbox/{path}")))
            .send()
            .await
            .expect("request");
        read(response).await
    }
}

#[tokio::test]
async fn health_answers_ok() {
    let h = start().await;
    let (status, body) = h.control_get("health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ok"], true);
}

#[tokio::test]
async fn customer_messages_become_updates_and_sends_are_listed() {
    let h = start().await;
    let (status, update) = h
        .control_post(
            &format!("telegram/{TOKEN}/customer-messages"),
            json!({"user_id": 42, "first_name": "Ann", "last_name": null, "username": null, "text": "Hello"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{update}");
    let message = &update["result"]["message"];
    assert_eq!(message["text"], "Hello");
    assert!(
        message["from"].get("last_name").is_none(),
        "absent optional fields are omitted"
    );

    let (_, polled) = h.call("getUpdates", json!({})).await;
    assert_eq!(polled["result"][0], update["result"]);

    h.call("sendMessage", json!({"chat_id": 42, "text": "Hi Ann"}))
        .await;
    let (status, sent) = h
        .control_get(&format!("telegram/{TOKEN}/sent-messages"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let sent = &sent["result"][0];
    assert_eq!(
        (&sent["chat_id"], &sent["text"], &sent["method"]),
        (&json!(42), &json!("Hi Ann"), &json!("sendMessage"))
    );
    assert!(sent["message_id"].is_i64() && sent["date"].is_i64());
}

#[tokio::test]
async fn faults_and_blocked_users_can_be_set_over_http() {
    let h = start().await;
    h.customer_writes(42, "hi");
    let (status, _) = h
        .control_post(
            &format!("telegram/{TOKEN}/faults"),
            json!({"method": "sendMessage", "error_code": 429, "description": "Too Many Requests: retry after 7", "retry_after": 7, "times": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = h
        .call("sendMessage", json!({"chat_id": 42, "text": "x"}))
        .await;
    assert_eq!(
        (status.as_u16(), &body["parameters"]["retry_after"]),
        (429, &json!(7))
    );

    let (status, _) = h
        .control_post(
            &format!("telegram/{TOKEN}/blocked-users"),
            json!({"user_id": 42}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = h
        .call("sendMessage", json!({"chat_id": 42, "text": "x"}))
        .await;
    assert_eq!(
        (status.as_u16(), &body["description"]),
        (403, &json!("Forbidden: bot was blocked by the user"))
    );

    let response = h
        .http
        .delete(h.url(&format!("_sandbox/telegram/{TOKEN}/blocked-users/42")))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = h
        .call("sendMessage", json!({"chat_id": 42, "text": "x"}))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn bots_can_be_added_over_http() {
    let h = start().await;
    let (status, _) = h
        .control_post("telegram/bots", json!({"token": "555:new_bot"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let response = h
        .http
        .get(h.url("bot555:new_bot/getMe"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, body) = h
        .control_post("telegram/bots", json!({"token": "no colon"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["description"]
            .as_str()
            .is_some_and(|d| d.contains("<bot_id>:<secret>")),
        "{body}"
    );
}

#[tokio::test]
async fn bad_control_input_gets_400_or_404_with_a_description() {
    let h = start().await;
    let cases = [
        (
            format!("telegram/{TOKEN}/customer-messages"),
            json!({"user_id": 42}),
            400,
        ),
        (
            format!("telegram/{TOKEN}/customer-messages"),
            json!({"user_id": 42, "first_name": "A", "text": ""}),
            400,
        ),
        (
            format!("telegram/{TOKEN}/customer-messages"),
            json!({"user_id": -5, "first_name": "A", "text": "x"}),
            400,
        ),
        (
            "telegram/9:unknown/customer-messages".to_owned(),
            json!({"user_id": 42, "first_name": "A", "text": "x"}),
            404,
        ),
        (
            format!("telegram/{TOKEN}/faults"),
            json!({"method": "getMe", "error_code": 42}),
            400,
        ),
        ("no/such/endpoint".to_owned(), json!({}), 404),
    ];
    for (path, body, code) in cases {
        let (status, reply) = h.control_post(&path, body).await;
        assert_eq!(status.as_u16(), code, "{path}: {reply}");
        assert_eq!(reply["ok"], false);
        assert!(
            reply["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{reply}"
        );
    }
    let (status, _) = h.control_get("telegram/9:unknown/sent-messages").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn status_reports_a_waiting_long_poll() {
    let h = start().await;
    let (_, before) = h.control_get(&format!("telegram/{TOKEN}/status")).await;
    assert_eq!(before["result"]["long_poll_waiting"], false);
    let poll = h.call("getUpdates", json!({"timeout": 30}));
    let observe = async {
        h.sandbox
            .telegram()
            .wait_for_long_poll(TOKEN)
            .await
            .expect("bot");
        let (_, during) = h.control_get(&format!("telegram/{TOKEN}/status")).await;
        h.customer_writes(42, "wake up");
        during
    };
    let ((status, _), during) = tokio::join!(poll, observe);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(during["result"]["long_poll_waiting"], true);
    assert_eq!(during["result"]["pending_update_count"], 0);
}
