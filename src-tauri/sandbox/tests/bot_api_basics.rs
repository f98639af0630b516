mod common;

use common::{TOKEN, assert_error, read, start};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn unknown_token_gets_401_unauthorized() {
    let h = start().await;
    let response = h
        .http
        .get(h.url("bot999:NotConfigured/getMe"))
        .send()
        .await
        .expect("request");
    let (status, body) = read(response).await;
    assert_error(status, &body, 401, "Unauthorized");
    assert!(body.get("parameters").is_none());
}

#[tokio::test]
async fn malformed_token_gets_401_invalid_token_specified() {
    let h = start().await;
    for path in ["botnocolon/getMe", "bot0123:abc/getMe", "bot:abc/getMe"] {
        let response = h.http.get(h.url(path)).send().await.expect("request");
        let (status, body) = read(response).await;
        assert_error(status, &body, 401, "Unauthorized: invalid token specified");
    }
}

#[tokio::test]
async fn unknown_method_gets_404_not_found() {
    let h = start().await;
    let (status, body) = h.call("sendTelepathy", json!({})).await;
    assert_error(status, &body, 404, "Not Found");
    let response = h
        .http
        .get(h.url("nothing/here"))
        .send()
        .await
        .expect("request");
    let (status, body) = read(response).await;
    assert_error(status, &body, 404, "Not Found");
}

#[tokio::test]
async fn get_me_describes_the_bot() {
    let h = start().await;
    let (status, body) = h.call("getMe", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ok"], true);
    let me = &body["result"];
    assert_eq!(me["id"], 123456);
    assert_eq!(me["is_bot"], true);
    assert_eq!(me["username"], "sandbox_123456_bot");
    assert!(me["first_name"].as_str().is_some_and(|n| !n.is_empty()));
    for flag in [
        "can_join_groups",
        "can_read_all_group_messages",
        "supports_inline_queries",
    ] {
        assert!(me[flag].is_boolean(), "{flag} in {me}");
    }
}

#[tokio::test]
async fn method_names_are_case_insensitive() {
    let h = start().await;
    for method in ["getMe", "getme", "GETME", "GetMe"] {
        let (status, body) = h.call(method, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{method}: {body}");
        assert_eq!(body["result"]["id"], 123456);
    }
    h.customer_writes(42, "hi");
    let (status, body) = h
        .call("SENDMESSAGE", json!({"chat_id": 42, "text": "ok"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn form_json_multipart_and_query_parameters_are_accepted() {
    let h = start().await;
    h.customer_writes(42, "hello");
    let url = h.method_url("sendMessage");

    let query = h
        .http
        .get(format!("{url}?chat_id=42&text=via%20query"))
        .send()
        .await
        .expect("query request");
    let form = h
        .http
        .post(&url)
        .form(&[("chat_id", "42"), ("text", "via form")])
        .send()
        .await
        .expect("form request");
    let json_body = h
        .http
        .post(&url)
        .json(&json!({"chat_id": "42", "text": "via json"}))
        .send()
        .await
        .expect("json request");
    let multipart = h
        .http
        .post(&url)
        .multipart(
            reqwest::multipart::Form::new()
                .text("chat_id", "42")
                .text("text", "via multipart"),
        )
        .send()
        .await
        .expect("multipart request");
    // Query and body merge: chat_id from the query, text from the form body.
    let mixed = h
        .http
        .post(format!("{url}?chat_id=42"))
        .form(&[("text", "via query and form")])
        .send()
        .await
        .expect("mixed request");

    for response in [query, form, json_body, multipart, mixed] {
        let (status, body) = read(response).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["result"]["chat"]["id"], 42);
    }
    let texts: Vec<String> = h
        .sandbox
        .telegram()
        .sent_messages(TOKEN)
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(
        texts,
        [
            "via query",
            "via form",
            "via json",
            "via multipart",
            "via query and form"
        ]
    );
}

#[tokio::test]
async fn malformed_json_body_is_a_400() {
    let h = start().await;
    let response = h
        .http
        .post(h.method_url("getMe"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    let (status, body) = read(response).await;
    assert_error(status, &body, 400, "Bad Request: can't parse JSON object");
}

#[tokio::test]
async fn webhook_methods_report_no_webhook_and_can_drop_pending_updates() {
    let h = start().await;
    h.customer_writes(42, "one");
    h.customer_writes(42, "two");
    let (_, info) = h.call("getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["url"], "");
    assert_eq!(info["result"]["has_custom_certificate"], false);
    assert_eq!(info["result"]["pending_update_count"], 2);

    let (status, body) = h.call("deleteWebhook", json!({})).await;
    assert_eq!((status, &body["result"]), (StatusCode::OK, &json!(true)));
    let (_, info) = h.call("getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["pending_update_count"], 2);

    h.call("deleteWebhook", json!({"drop_pending_updates": true}))
        .await;
    let (_, info) = h.call("getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["pending_update_count"], 0);
}

#[tokio::test]
async fn bots_added_at_runtime_answer_and_bad_tokens_are_refused() {
    let h = start().await;
    let control = h.sandbox.telegram();
    assert!(control.add_bot("not-a-token").is_err());
    assert!(control.add_bot("77:").is_err());
    control.add_bot("777:second_bot").expect("valid token");
    let response = h
        .http
        .get(h.url("bot777:second_bot/getMe"))
        .send()
        .await
        .expect("request");
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"]["id"], 777);
}

#[tokio::test]
async fn sandbox_refuses_malformed_tokens_at_startup() {
    let config = switchboard_sandbox::SandboxConfig {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        telegram_bots: vec!["12345".to_owned()],
        simulate_customers: false,
    };
    let error = switchboard_sandbox::Sandbox::start(config).await.err();
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("<bot_id>:<secret>"), "{message}");
}
