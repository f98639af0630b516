//! Shared helpers for the Messenger tests: the demo sandbox with the app subscribed to "Acme
//! Support", a page token, a customer, and a tiny axum webhook receiver that records raw
//! bodies and signatures and answers with scripted statuses.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::multipart;
use serde_json::Value;
use switchboard_sandbox::{MessengerCustomer, WebhookRetry};

use crate::fb::{self, APP_ID, APP_SECRET, Fb, SUPPORT};

pub const VERIFY_TOKEN: &str = "let-me-in";
pub const ALL_FIELDS: &str = "messages,messaging_postbacks,message_echoes,messaging_handovers,\
                              standby,message_reads,message_deliveries";

/// One POST the receiver got.
#[derive(Debug, Clone)]
pub struct Post {
    pub body: Vec<u8>,
    pub signature_256: String,
    pub signature_sha1: String,
}

impl Post {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }

    /// The single event of the POST and the key it came under (`messaging` or `standby`).
    pub fn event(&self) -> (String, Value) {
        let body = self.json();
        let entry = &body["entry"][0];
        for key in ["messaging", "standby"] {
            if let Some(events) = entry[key].as_array() {
                return (key.to_owned(), events[0].clone());
            }
        }
        panic!("no events in {body}");
    }
}

#[derive(Clone, Default)]
struct Shared {
    posts: Arc<Mutex<Vec<Post>>>,
    /// Statuses for the next POSTs (200 once empty).
    script: Arc<Mutex<VecDeque<u16>>>,
}

pub struct Receiver {
    pub url: String,
    shared: Shared,
}

async fn verify(Query(query): Query<Vec<(String, String)>>) -> (StatusCode, String) {
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if get("hub.mode").as_deref() == Some("subscribe")
        && get("hub.verify_token").as_deref() == Some(VERIFY_TOKEN)
    {
        (StatusCode::OK, get("hub.challenge").unwrap_or_default())
    } else {
        (StatusCode::FORBIDDEN, "forbidden".to_owned())
    }
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    shared.posts.lock().unwrap().push(Post {
        body: body.to_vec(),
        signature_256: header("x-hub-signature-256"),
        signature_sha1: header("x-hub-signature"),
    });
    let status = shared.script.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

impl Receiver {
    pub async fn start() -> Receiver {
        let shared = Shared::default();
        let app = Router::new()
            .route("/webhook", get(verify).post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, shared }
    }

    /// The next POSTs answer with these statuses.
    pub fn answer_with(&self, statuses: &[u16]) {
        self.shared.script.lock().unwrap().extend(statuses);
    }

    pub fn posts(&self) -> Vec<Post> {
        self.shared.posts.lock().unwrap().clone()
    }

    /// Waits (up to 5 s) until at least `n` POSTs arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Post> {
        for _ in 0..500 {
            let posts = self.posts();
            if posts.len() >= n {
                return posts;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("expected {n} webhook POSTs, got {:?}", self.posts());
    }
}

/// `sha256=<hex>` computed here, independently of the sandbox.
pub fn expected_signature(body: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

pub struct Env {
    pub fb: Fb,
    pub receiver: Receiver,
    pub page_token: String,
    pub psid: String,
}

/// Demo sandbox, long-lived page token of Acme Support, the app subscribed with `fields`, a
/// verified webhook with fast retries, and the customer Anna Petrova.
pub async fn setup(fields: &str) -> Env {
    let fb = fb::start().await;
    let user = fb.long_lived_token(&[SUPPORT]).await;
    let page_token = fb.page_tokens(&user).await.remove(0).1;
    let (status, body) = fb
        .graph_post(
            &format!("{SUPPORT}/subscribed_apps"),
            &[("subscribed_fields", fields), ("access_token", &page_token)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let receiver = Receiver::start().await;
    let control = fb.facebook();
    control.set_webhook_retry(WebhookRetry {
        first_delay_ms: 20,
        max_delay_ms: 80,
        max_attempts: 4,
        timeout_ms: 2_000,
    });
    control
        .set_webhook(APP_ID, &receiver.url, VERIFY_TOKEN)
        .await
        .expect("webhook verified");
    let psid = control
        .add_customer(
            SUPPORT,
            MessengerCustomer {
                psid: None,
                first_name: "Anna".into(),
                last_name: "Petrova".into(),
            },
        )
        .unwrap();
    Env {
        fb,
        receiver,
        page_token,
        psid,
    }
}

impl Env {
    /// `POST /v25.0/{path}` with a JSON body and the page token in the query.
    pub async fn post_json(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .fb
            .http
            .post(self.fb.url(&format!("v25.0/{path}")))
            .query(&[("access_token", &self.page_token)])
            .json(&body)
            .send()
            .await
            .expect("request");
        fb::read(response).await
    }

    /// A text message through the Send API.
    pub async fn send_text(&self, text: &str, extra: Value) -> (StatusCode, Value) {
        let mut body = serde_json::json!({
            "recipient": { "id": self.psid },
            "messaging_type": "RESPONSE",
            "message": { "text": text },
        });
        if let (Value::Object(map), Value::Object(more)) = (&mut body, extra) {
            map.extend(more);
        }
        self.post_json(&format!("{SUPPORT}/messages"), body).await
    }

    /// A multipart upload to `message_attachments`.
    pub async fn upload(&self, kind: &str, bytes: Vec<u8>, name: &str) -> (StatusCode, Value) {
        let message =
            format!(r#"{{"attachment":{{"type":"{kind}","payload":{{"is_reusable":true}}}}}}"#);
        let form = multipart::Form::new().text("message", message).part(
            "filedata",
            multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("image/png")
                .unwrap(),
        );
        let response = self
            .fb
            .http
            .post(self.fb.url(&format!("v25.0/{SUPPORT}/message_attachments")))
            .query(&[("access_token", &self.page_token)])
            .multipart(form)
            .send()
            .await
            .expect("request");
        fb::read(response).await
    }
}
