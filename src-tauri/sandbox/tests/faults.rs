mod common;

use std::time::{Duration, Instant};

use common::{TOKEN, assert_error, start};
use reqwest::StatusCode;
use serde_json::json;
use switchboard_sandbox::{Fault, SlowCall};

fn fault(method: &str, error_code: u16, retry_after: Option<u64>, times: u32) -> Fault {
    Fault {
        method: method.to_owned(),
        error_code,
        description: String::new(),
        retry_after,
        times,
    }
}

#[tokio::test]
async fn injected_429_carries_retry_after() {
    let h = start().await;
    h.customer_writes(42, "hi");
    h.sandbox
        .telegram()
        .inject_fault(TOKEN, fault("sendMessage", 429, Some(5), 1))
        .expect("bot exists");
    let (status, body) = h
        .call("sendMessage", json!({"chat_id": 42, "text": "hello"}))
        .await;
    assert_error(status, &body, 429, "Too Many Requests: retry after 5");
    assert_eq!(body["parameters"], json!({"retry_after": 5}));
    // Only once: the retry goes through.
    let (status, _) = h
        .call("sendMessage", json!({"chat_id": 42, "text": "hello"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.sandbox.telegram().sent_messages(TOKEN).len(), 1);
}

#[tokio::test]
async fn faults_apply_to_the_next_calls_of_their_method_only() {
    let h = start().await;
    let control = h.sandbox.telegram();
    control
        .inject_fault(TOKEN, fault("getupdates", 502, None, 2))
        .expect("bot");
    let (status, _) = h.call("getMe", json!({})).await;
    assert_eq!(status, StatusCode::OK, "other methods are unaffected");
    for _ in 0..2 {
        let (status, body) = h.call("getUpdates", json!({})).await;
        assert_error(status, &body, 502, "Bad Gateway");
        assert!(body.get("parameters").is_none());
    }
    let (status, _) = h.call("getUpdates", json!({})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn fault_descriptions_can_be_chosen_and_default_per_code() {
    let h = start().await;
    let control = h.sandbox.telegram();
    let mut custom = fault("getMe", 403, None, 1);
    custom.description = "Forbidden: user is deactivated".to_owned();
    control.inject_fault(TOKEN, custom).expect("bot");
    control
        .inject_fault(TOKEN, fault("*", 500, None, 1))
        .expect("bot");
    let (status, body) = h.call("getMe", json!({})).await;
    assert_error(status, &body, 403, "Forbidden: user is deactivated");
    let (status, body) = h.call("getWebhookInfo", json!({})).await;
    assert_error(status, &body, 500, "Internal Server Error");
}

#[tokio::test]
async fn nonsense_faults_are_refused() {
    let h = start().await;
    let control = h.sandbox.telegram();
    assert!(
        control
            .inject_fault(TOKEN, fault("getMe", 200, None, 1))
            .is_err()
    );
    assert!(
        control
            .inject_fault(TOKEN, fault("getMe", 500, None, 0))
            .is_err()
    );
    assert!(
        control
            .inject_fault(TOKEN, fault("", 500, None, 1))
            .is_err()
    );
    assert!(
        control
            .inject_fault("1:unknown", fault("getMe", 500, None, 1))
            .is_err()
    );
}

#[tokio::test]
async fn default_texts_are_telegrams_for_401_409_429_500_502() {
    let h = start().await;
    let control = h.sandbox.telegram();
    let expected = [
        (401, "Unauthorized"),
        (
            409,
            "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
        ),
        (429, "Too Many Requests: retry after 1"),
        (500, "Internal Server Error"),
        (502, "Bad Gateway"),
    ];
    for (code, description) in expected {
        control
            .inject_fault(TOKEN, fault("getUpdates", code, None, 1))
            .expect("bot");
        let (status, body) = h.call("getUpdates", json!({})).await;
        assert_error(status, &body, code, description);
    }
    let (status, body) = h.call("getUpdates", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_slow_call_answers_normally_after_the_delay() {
    let h = start().await;
    h.customer_writes(42, "hi");
    let slow = SlowCall {
        method: "getUpdates".to_owned(),
        delay_ms: 300,
        times: 1,
    };
    h.sandbox.telegram().slow_down(TOKEN, slow).expect("bot");
    let started = Instant::now();
    let (status, body) = h.call("getUpdates", json!({})).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"][0]["message"]["text"], "hi");
}

#[tokio::test]
async fn slow_calls_can_be_armed_over_http() {
    let h = start().await;
    let url = h.url(&format!("_sandbox/telegram/{TOKEN}/faults"));
    let armed = h
        .http
        .post(&url)
        .json(&json!({"method": "getMe", "delay_ms": 200}))
        .send()
        .await
        .expect("request");
    assert_eq!(armed.status(), StatusCode::OK);
    let started = Instant::now();
    let (status, _) = h.call("getMe", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(200));
    let both = h
        .http
        .post(&url)
        .json(&json!({"method": "getMe", "delay_ms": 200, "error_code": 500}))
        .send()
        .await
        .expect("request");
    assert_eq!(both.status(), StatusCode::BAD_REQUEST);
}
