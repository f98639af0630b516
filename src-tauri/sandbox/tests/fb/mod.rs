//! Shared helpers for the Facebook tests: a sandbox with the demo data, a browser-like client
//! that does not follow redirects, and the dialog driven through its HTML forms.
#![allow(dead_code)] // each test binary uses a different subset

use std::net::SocketAddr;

use reqwest::header::LOCATION;
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use switchboard_sandbox::{FacebookControl, Sandbox, SandboxConfig};

pub const APP_ID: &str = "1234567890123";
pub const APP_SECRET: &str = "0123456789abcdef";
pub const REDIRECT: &str = "https://www.facebook.com/connect/login_success.html";
pub const SCOPES: &str =
    "pages_show_list,pages_messaging,pages_manage_metadata,pages_read_engagement";
pub const EMAIL: &str = "admin@example.com";
pub const PASSWORD: &str = "sandbox";
pub const SUPPORT: &str = "101000000000001";
pub const SALES: &str = "101000000000002";
pub const JOBS: &str = "101000000000003";

pub struct Fb {
    pub sandbox: Sandbox,
    pub http: Client,
}

/// A sandbox with the demo app, person and three pages.
pub async fn start() -> Fb {
    let sandbox = Sandbox::start(SandboxConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        telegram_bots: Vec::new(),
        simulate_customers: false,
    })
    .await
    .expect("sandbox starts");
    sandbox
        .facebook()
        .load_demo(APP_ID, APP_SECRET)
        .expect("demo data");
    let http = Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    Fb { sandbox, http }
}

/// The value of `name="session"` in a dialog page.
pub fn session_of(html: &str) -> String {
    let marker = "name=\"session\" value=\"";
    let start = html.find(marker).expect("a session field") + marker.len();
    let end = html[start..].find('"').expect("closing quote") + start;
    html[start..end].to_owned()
}

/// The query parameters of a redirect `Location`.
pub fn query_of(location: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(location)
        .expect("an absolute URL")
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl Fb {
    pub fn facebook(&self) -> FacebookControl {
        self.sandbox.facebook()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    pub fn dialog_url(&self, state: &str, scope: &str) -> String {
        let query = [
            ("client_id", APP_ID),
            ("redirect_uri", REDIRECT),
            ("state", state),
            ("response_type", "code"),
            ("scope", scope),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
        self.url(&format!("v25.0/dialog/oauth?{query}"))
    }

    pub async fn get(&self, url: &str) -> Response {
        self.http.get(url).send().await.expect("request")
    }

    pub async fn get_html(&self, url: &str) -> (StatusCode, String) {
        let response = self.get(url).await;
        let status = response.status();
        (status, response.text().await.expect("body"))
    }

    /// POSTs an HTML form (as a browser does) to a sandbox path.
    pub async fn submit(&self, path: &str, pairs: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url(path))
            .form(pairs)
            .send()
            .await
            .expect("form reaches the sandbox")
    }

    /// Opens the dialog and logs in; returns the session and the next page's HTML.
    pub async fn log_in(&self, state: &str, scope: &str) -> (String, String) {
        let (status, html) = self.get_html(&self.dialog_url(state, scope)).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let session = session_of(&html);
        let response = self
            .submit(
                "dialog/oauth/login",
                &[("session", &session), ("email", EMAIL), ("pass", PASSWORD)],
            )
            .await;
        let html = response.text().await.expect("body");
        (session, html)
    }

    /// Walks the whole dialog choosing `pages` and allowing; returns the redirect Location.
    pub async fn consent(&self, state: &str, pages: &[&str]) -> String {
        let (session, _) = self.log_in(state, SCOPES).await;
        let mut form = vec![("session", session.as_str())];
        form.extend(pages.iter().map(|p| ("page", *p)));
        let response = self.submit("dialog/oauth/pages", &form).await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = self
            .submit(
                "dialog/oauth/grant",
                &[("session", &session), ("decision", "allow")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FOUND);
        location(&response)
    }

    /// The code of a completed dialog.
    pub async fn code(&self, pages: &[&str]) -> String {
        let location = self.consent("st", pages).await;
        param(&query_of(&location), "code")
            .expect("a code")
            .to_owned()
    }

    pub async fn exchange(
        &self,
        code: &str,
        redirect_uri: &str,
        secret: &str,
    ) -> (StatusCode, Value) {
        self.graph_get(
            "oauth/access_token",
            &[
                ("client_id", APP_ID),
                ("redirect_uri", redirect_uri),
                ("client_secret", secret),
                ("code", code),
            ],
        )
        .await
    }

    /// A short-lived user token for the given pages.
    pub async fn user_token(&self, pages: &[&str]) -> String {
        let code = self.code(pages).await;
        let (status, body) = self.exchange(&code, REDIRECT, APP_SECRET).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().expect("token").to_owned()
    }

    /// A long-lived user token for the given pages.
    pub async fn long_lived_token(&self, pages: &[&str]) -> String {
        let short = self.user_token(pages).await;
        let (status, body) = self
            .graph_get(
                "oauth/access_token",
                &[
                    ("grant_type", "fb_exchange_token"),
                    ("client_id", APP_ID),
                    ("client_secret", APP_SECRET),
                    ("fb_exchange_token", &short),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().expect("token").to_owned()
    }

    /// Page tokens (page id → token) from `/me/accounts`.
    pub async fn page_tokens(&self, user_token: &str) -> Vec<(String, String)> {
        let (status, body) = self
            .graph_get(
                "me/accounts",
                &[("fields", "id,access_token"), ("access_token", user_token)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().expect("id").to_owned(),
                    p["access_token"].as_str().expect("token").to_owned(),
                )
            })
            .collect()
    }

    pub async fn graph_get(&self, path: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url(&format!("v25.0/{path}")))
            .query(query)
            .send()
            .await
            .expect("request");
        read(response).await
    }

    pub async fn graph_post(&self, path: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(&format!("v25.0/{path}")))
            .query(query)
            .send()
            .await
            .expect("request");
        read(response).await
    }
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .expect("ASCII")
        .to_owned()
}

pub async fn read(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json::<Value>().await.expect("JSON body");
    (status, body)
}

pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Asserts Graph's error envelope: HTTP 400, `OAuthException` unless given, code, subcode and
/// message, and an `fbtrace_id`.
pub fn assert_graph_error(
    status: StatusCode,
    body: &Value,
    code: i64,
    subcode: Option<i64>,
    message: &str,
) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let error = &body["error"];
    assert_eq!(error["code"], code, "{body}");
    assert_eq!(error["error_subcode"].as_i64(), subcode, "{body}");
    assert_eq!(error["message"], message, "{body}");
    assert!(error["type"].is_string(), "{body}");
    let trace = error["fbtrace_id"].as_str().expect("fbtrace_id");
    assert!(trace.len() > 10, "{body}");
}
