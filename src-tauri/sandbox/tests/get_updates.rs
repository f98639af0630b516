mod common;

use std::time::{Duration, Instant};

use common::{TOKEN, assert_error, start, update_ids};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn get_updates_long_poll_returns_as_soon_as_a_customer_writes() {
    let h = start().await;
    let started = Instant::now();
    let poll = h.call("getUpdates", json!({"timeout": 30}));
    let write = async {
        h.sandbox
            .telegram()
            .wait_for_long_poll(TOKEN)
            .await
            .expect("bot exists");
        h.customer_writes(42, "Hello, is anyone there?")
    };
    let ((status, body), update) = tokio::join!(poll, write);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the poll waited for its timeout"
    );
    let updates = body["result"].as_array().expect("array");
    assert_eq!(updates, &vec![update.clone()]);
    let message = &updates[0]["message"];
    assert_eq!(message["text"], "Hello, is anyone there?");
    assert_eq!(message["from"]["id"], 42);
    assert_eq!(message["from"]["is_bot"], false);
    assert_eq!(message["from"]["first_name"], "Ann");
    assert_eq!(message["chat"]["id"], 42);
    assert_eq!(message["chat"]["type"], "private");
    assert!(message["date"].as_i64().is_some_and(|d| d > 1_600_000_000));
}

#[tokio::test]
async fn long_poll_without_updates_answers_empty_after_the_timeout() {
    let h = start().await;
    let started = Instant::now();
    let (status, body) = h.call("getUpdates", json!({"timeout": 1})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"], json!([]));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "did not wait"
    );
}

#[tokio::test]
async fn short_poll_answers_at_once_with_pending_updates() {
    let h = start().await;
    let (_, body) = h.call("getUpdates", json!({})).await;
    assert_eq!(body["result"], json!([]));
    h.customer_writes(42, "one");
    let (_, body) = h.call("getUpdates", json!({})).await;
    assert_eq!(update_ids(&body).len(), 1);
}

#[tokio::test]
async fn offset_confirms_and_forgets_earlier_updates() {
    let h = start().await;
    let first = h.customer_writes(42, "one")["update_id"]
        .as_i64()
        .expect("id");
    h.customer_writes(43, "two");
    h.customer_writes(42, "three");

    let (_, body) = h.call("getUpdates", json!({})).await;
    assert_eq!(update_ids(&body), vec![first, first + 1, first + 2]);
    // Unconfirmed updates come again.
    let (_, body) = h.call("getUpdates", json!({"offset": 0})).await;
    assert_eq!(update_ids(&body), vec![first, first + 1, first + 2]);
    // Offset first+2 confirms the first two, for good.
    let (_, body) = h.call("getUpdates", json!({"offset": first + 2})).await;
    assert_eq!(update_ids(&body), vec![first + 2]);
    let (_, body) = h.call("getUpdates", json!({})).await;
    assert_eq!(update_ids(&body), vec![first + 2]);
    // Offset past the last confirms everything.
    let (_, body) = h.call("getUpdates", json!({"offset": first + 3})).await;
    assert_eq!(update_ids(&body), Vec::<i64>::new());
    let (_, body) = h.call("getUpdates", json!({})).await;
    assert_eq!(update_ids(&body), Vec::<i64>::new());
}

#[tokio::test]
async fn negative_offset_returns_last_updates() {
    let h = start().await;
    let first = h.customer_writes(42, "one")["update_id"]
        .as_i64()
        .expect("id");
    for text in ["two", "three", "four"] {
        h.customer_writes(42, text);
    }
    let (_, body) = h.call("getUpdates", json!({"offset": -2})).await;
    assert_eq!(update_ids(&body), vec![first + 2, first + 3]);
    // The earlier ones are forgotten.
    let (_, body) = h.call("getUpdates", json!({})).await;
    assert_eq!(update_ids(&body), vec![first + 2, first + 3]);
}

#[tokio::test]
async fn limit_caps_the_batch_and_out_of_range_values_are_clamped() {
    let h = start().await;
    for n in 0..5 {
        h.customer_writes(42, &format!("message {n}"));
    }
    let (_, body) = h.call("getUpdates", json!({"limit": 2})).await;
    assert_eq!(update_ids(&body).len(), 2);
    // As on the real server: limit 0 counts as 1, 1000 as 100.
    let (_, body) = h.call("getUpdates", json!({"limit": 0})).await;
    assert_eq!(update_ids(&body).len(), 1);
    let (_, body) = h.call("getUpdates", json!({"limit": 1000})).await;
    assert_eq!(update_ids(&body).len(), 5);
}

#[tokio::test]
async fn non_numeric_parameters_are_a_400() {
    let h = start().await;
    let (status, body) = h.call("getUpdates", json!({"offset": "soon"})).await;
    assert_error(
        status,
        &body,
        400,
        "Bad Request: parameter \"offset\" must be an Integer",
    );
    let (status, body) = h
        .call("getUpdates", json!({"allowed_updates": "message"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn second_poller_terminates_the_first_with_409() {
    let h = start().await;
    let started = Instant::now();
    let first = h.call("getUpdates", json!({"timeout": 30}));
    let second = async {
        h.sandbox
            .telegram()
            .wait_for_long_poll(TOKEN)
            .await
            .expect("bot exists");
        h.call("getUpdates", json!({"timeout": 0})).await
    };
    let ((status, body), (second_status, second_body)) = tokio::join!(first, second);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the first poll was not terminated"
    );
    assert_error(
        status,
        &body,
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    );
    assert_eq!(second_status, StatusCode::OK, "{second_body}");
}

#[tokio::test]
async fn update_ids_increase_and_message_ids_count_per_chat() {
    let h = start().await;
    let a1 = h.customer_writes(42, "a1");
    let b1 = h.customer_writes(43, "b1");
    let a2 = h.customer_writes(42, "a2");
    let id = |u: &serde_json::Value| u["update_id"].as_i64().expect("update_id");
    assert!(id(&a1) < id(&b1) && id(&b1) < id(&a2));
    let message_id = |u: &serde_json::Value| u["message"]["message_id"].as_i64().expect("id");
    assert_eq!(
        (message_id(&a1), message_id(&b1), message_id(&a2)),
        (1, 1, 2)
    );
    // The bot's own messages share the chat's numbering.
    let (_, sent) = h
        .call("sendMessage", json!({"chat_id": 42, "text": "reply"}))
        .await;
    assert_eq!(sent["result"]["message_id"], 3);
}

#[tokio::test]
async fn allowed_updates_filters_later_updates_and_is_kept() {
    let h = start().await;
    h.customer_writes(42, "hello");
    let (_, body) = h
        .call("getUpdates", json!({"allowed_updates": ["my_chat_member"]}))
        .await;
    assert_eq!(update_ids(&body).len(), 1, "already queued updates stay");
    let next = update_ids(&body)[0] + 1;
    h.customer_writes(42, "ignored");
    h.sandbox
        .telegram()
        .block_bot(TOKEN, 42)
        .expect("bot exists");
    let (_, body) = h.call("getUpdates", json!({"offset": next})).await;
    let updates = body["result"].as_array().expect("array");
    assert_eq!(updates.len(), 1, "{body}");
    assert_eq!(
        updates[0]["my_chat_member"]["new_chat_member"]["status"],
        "kicked"
    );
    // An empty list means the default set again.
    h.call(
        "getUpdates",
        json!({"offset": next + 10, "allowed_updates": []}),
    )
    .await;
    h.customer_writes(42, "seen again");
    let (_, body) = h.call("getUpdates", json!({})).await;
    assert_eq!(body["result"][0]["message"]["text"], "seen again");
}

#[tokio::test]
async fn shutdown_ends_a_waiting_long_poll() {
    let h = start().await;
    let url = h.method_url("getUpdates");
    let http = h.http.clone();
    let poll =
        tokio::spawn(async move { http.post(url).json(&json!({"timeout": 50})).send().await });
    h.sandbox
        .telegram()
        .wait_for_long_poll(TOKEN)
        .await
        .expect("bot");
    let started = Instant::now();
    h.sandbox.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(4));
    let response = poll.await.expect("task").expect("answered before closing");
    assert_eq!(response.status(), StatusCode::OK);
}
