mod common;

use common::{TOKEN, assert_error, start};
use reqwest::StatusCode;
use serde_json::json;

const WEBHOOK_ACTIVE: &str = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";

#[tokio::test]
async fn a_revoked_token_gets_401_everywhere_until_restored() {
    let h = start().await;
    h.customer_writes(42, "hi");
    let control = h.sandbox.telegram();
    control.revoke_token(TOKEN).expect("bot");
    for method in ["getMe", "getUpdates", "sendMessage"] {
        let (status, body) = h.call(method, json!({"chat_id": 42, "text": "x"})).await;
        assert_error(status, &body, 401, "Unauthorized");
    }
    control.restore_token(TOKEN).expect("bot");
    let (status, body) = h.call("getUpdates", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["result"][0]["message"]["text"], "hi",
        "updates were kept"
    );
}

#[tokio::test]
async fn revoking_works_over_http() {
    let h = start().await;
    let url = h.url(&format!("_sandbox/telegram/{TOKEN}/revoke"));
    assert_eq!(
        h.http.post(&url).send().await.expect("request").status(),
        StatusCode::OK
    );
    let (status, _) = h.call("getMe", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        h.http.delete(&url).send().await.expect("request").status(),
        StatusCode::OK
    );
    let (status, _) = h.call("getMe", json!({})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn get_updates_is_refused_while_a_webhook_is_set() {
    let h = start().await;
    let (status, body) = h
        .call("setWebhook", json!({"url": "https://example.com/hook"}))
        .await;
    assert_eq!((status, &body["result"]), (StatusCode::OK, &json!(true)));
    let (_, info) = h.call("getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["url"], "https://example.com/hook");
    let (status, body) = h.call("getUpdates", json!({})).await;
    assert_error(status, &body, 409, WEBHOOK_ACTIVE);
    h.call("deleteWebhook", json!({})).await;
    let (status, _) = h.call("getUpdates", json!({})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn set_webhook_checks_the_url_like_telegram() {
    let h = start().await;
    let (status, body) = h
        .call("setWebhook", json!({"url": "http://example.com/"}))
        .await;
    assert_error(
        status,
        &body,
        400,
        "Bad Request: bad webhook: HTTPS url must be provided for webhook",
    );
    let (status, _) = h.call("setWebhook", json!({"url": ""})).await;
    assert_eq!(status, StatusCode::OK, "an empty url removes the webhook");
}

#[tokio::test]
async fn a_waiting_poll_answers_409_when_a_webhook_is_set() {
    let h = start().await;
    let control = h.sandbox.telegram();
    let poll = h.call("getUpdates", json!({"timeout": 30}));
    let set = async {
        control.wait_for_long_poll(TOKEN).await.expect("bot");
        control
            .set_webhook(TOKEN, Some("https://example.com/hook"))
            .expect("bot");
    };
    let ((status, body), ()) = tokio::join!(poll, set);
    assert_error(status, &body, 409, WEBHOOK_ACTIVE);
    assert_eq!(
        control.webhook_url(TOKEN).expect("bot").as_deref(),
        Some("https://example.com/hook")
    );
}

#[tokio::test]
async fn the_webhook_switch_works_over_http() {
    let h = start().await;
    let url = h.url(&format!("_sandbox/telegram/{TOKEN}/webhook"));
    let set = h
        .http
        .post(&url)
        .json(&json!({"url": "https://example.com/hook"}))
        .send()
        .await
        .expect("request");
    assert_eq!(set.status(), StatusCode::OK);
    let (status, _) = h.call("getUpdates", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let status_url = h.url(&format!("_sandbox/telegram/{TOKEN}/status"));
    let report: serde_json::Value = h
        .http
        .get(&status_url)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(report["result"]["webhook_url"], "https://example.com/hook");
    assert_eq!(
        h.http.delete(&url).send().await.expect("request").status(),
        StatusCode::OK
    );
    let (status, _) = h.call("getUpdates", json!({})).await;
    assert_eq!(status, StatusCode::OK);
}
