//! Shared helpers: start a sandbox on port 0 and call its Bot API the way a client would.
#![allow(dead_code)] // each test binary uses a different subset

use std::net::SocketAddr;

use reqwest::{Client, StatusCode};
use serde_json::Value;
use switchboard_sandbox::{CustomerMessage, Sandbox, SandboxConfig};

pub const TOKEN: &str = "123456:AAE-test_secret_token";

pub struct Harness {
    pub sandbox: Sandbox,
    pub http: Client,
}

pub async fn start() -> Harness {
    start_with(vec![TOKEN.to_owned()]).await
}

pub async fn start_with(tokens: Vec<String>) -> Harness {
    let config = SandboxConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        telegram_bots: tokens,
        simulate_customers: false,
    };
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    Harness {
        sandbox,
        http: Client::new(),
    }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    pub fn method_url(&self, method: &str) -> String {
        self.url(&format!("bot{TOKEN}/{method}"))
    }

    /// POSTs JSON parameters to a Bot API method; returns the HTTP status and the body.
    pub async fn call(&self, method: &str, params: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.method_url(method))
            .json(&params)
            .send()
            .await
            .expect("request reaches the sandbox");
        read(response).await
    }

    /// A customer writes to the test bot; returns the Update.
    pub fn customer_writes(&self, user_id: i64, text: &str) -> Value {
        self.sandbox
            .telegram()
            .customer_writes(TOKEN, customer(user_id, text))
            .expect("customer can write")
    }
}

pub async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json::<Value>().await.expect("JSON body");
    (status, body)
}

pub fn customer(user_id: i64, text: &str) -> CustomerMessage {
    CustomerMessage {
        user_id,
        first_name: "Ann".to_owned(),
        last_name: Some("Lee".to_owned()),
        username: None,
        text: text.to_owned(),
    }
}

/// Asserts a Bot API error envelope and its HTTP status.
pub fn assert_error(status: StatusCode, body: &Value, code: u16, description: &str) {
    assert_eq!(status.as_u16(), code, "HTTP status of {body}");
    assert_eq!(body["ok"], false, "{body}");
    assert_eq!(body["error_code"], code, "{body}");
    assert_eq!(body["description"], description, "{body}");
}

pub fn update_ids(body: &Value) -> Vec<i64> {
    body["result"]
        .as_array()
        .expect("result is an array")
        .iter()
        .map(|u| u["update_id"].as_i64().expect("update_id"))
        .collect()
}
