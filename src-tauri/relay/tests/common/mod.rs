//! Shared by the relay's tests: a relay on a free port, signed POSTs, a
//! database of the test's own on the throwaway Postgres.

#![allow(dead_code)] // each test file uses a part

use std::net::SocketAddr;

use switchboard_relay::{EventSink, RelaySecrets, WEBHOOK_PATH, router, signature};

pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";

pub struct Relay {
    pub url: String,
    pub client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub async fn start(sink: impl EventSink) -> Relay {
    let secrets = RelaySecrets::new(APP_SECRET, VERIFY_TOKEN).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let app = router(secrets, sink);
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Relay {
        url: format!("http://{addr}{WEBHOOK_PATH}"),
        client: reqwest::Client::new(),
        server,
    }
}

impl Relay {
    /// POSTs `body` signed with the app secret; returns status and body.
    pub async fn post_signed(&self, body: &str) -> (u16, String) {
        let signature = signature::sign(APP_SECRET.as_bytes(), body.as_bytes());
        self.post(body, Some(&signature)).await
    }

    pub async fn post(&self, body: &str, signature: Option<&str>) -> (u16, String) {
        let mut request = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub async fn get(&self, query: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}?{query}", self.url))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

/// A webhook body: one entry for page `P1` with these events in `feed`
/// (`messaging` or `standby`).
pub fn body(feed: &str, events: &[&str]) -> String {
    format!(
        r#"{{"object":"page","entry":[{{"id":"P1","time":1518479195594,"{feed}":[{}]}}]}}"#,
        events.join(",")
    )
}

pub fn message(mid: &str, text: &str) -> String {
    format!(
        r#"{{"sender":{{"id":"U1"}},"recipient":{{"id":"P1"}},"timestamp":1518479195308,"message":{{"mid":"{mid}","text":"{text}"}}}}"#
    )
}

/// A database of this test's own on the throwaway cluster, so tests run in
/// parallel. `cargo xtask test` provides SWITCHBOARD_TEST_PG_URL.
pub async fn fresh_postgres() -> String {
    let Ok(admin_url) = std::env::var("SWITCHBOARD_TEST_PG_URL") else {
        panic!(
            "SWITCHBOARD_TEST_PG_URL is not set: run the tests with `cargo xtask test`, which starts a throwaway Postgres"
        );
    };
    let db = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    format!("{}/{db}", admin_url.rsplit_once('/').unwrap().0)
}
