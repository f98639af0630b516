//! A Graph API v25.0 client for Facebook Login for pages. The base URLs are
//! the only thing that differs between Facebook and the sandbox.
//!
//! Meta wants tokens and the app secret in query strings, so every error here
//! is built without the URL (`GraphError::network`) and without serde's text
//! about values (see `decode`).

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::error::parse_envelope;
use crate::{GraphError, PageAccount, Secret, TokenInfo, UserToken};

pub const GRAPH_VERSION: &str = "v25.0";
/// What the login dialog asks for: list pages, message as them, subscribe the
/// app to their webhooks, read their conversations.
pub const LOGIN_SCOPES: &str =
    "pages_show_list,pages_messaging,pages_manage_metadata,pages_read_engagement";
/// The page webhook fields the connector handles.
/// Page Login's list, plus deliveries and reads: outbound messages show
/// whether the customer got and read them.
pub const SUBSCRIBED_FIELDS: &str = "messages,messaging_postbacks,message_echoes,messaging_handovers,standby,message_deliveries,message_reads";
pub const DEFAULT_GRAPH_BASE: &str = "https://graph.facebook.com/";
pub const DEFAULT_WWW_BASE: &str = "https://www.facebook.com/";
/// Page pictures are thumbnails for the picker; anything bigger is not one.
pub const MAX_PICTURE_BYTES: u64 = 512 * 1024;
/// Graph answers here are small; this only stops a runaway body.
const MAX_JSON_BYTES: u64 = 4 * 1024 * 1024;
/// `/me/accounts` pages followed at most, so a server repeating its cursor
/// cannot keep us looping.
const MAX_ACCOUNT_PAGES: usize = 50;
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct GraphApi {
    pub(crate) http: reqwest::Client,
    graph_base: Url,
    www_base: Url,
}

impl GraphApi {
    /// The real Facebook.
    pub fn facebook() -> Result<Self, GraphError> {
        Self::new(DEFAULT_GRAPH_BASE, DEFAULT_WWW_BASE)
    }

    /// `graph_base` serves the API, `www_base` the login dialog; in tests both
    /// are the sandbox's root URL.
    pub fn new(graph_base: &str, www_base: &str) -> Result<Self, GraphError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(GraphError::network)?;
        Ok(Self {
            http,
            graph_base: parse_base(graph_base)?,
            www_base: parse_base(www_base)?,
        })
    }

    pub fn graph_base(&self) -> &str {
        self.graph_base.as_str()
    }

    pub fn www_base(&self) -> &str {
        self.www_base.as_str()
    }

    /// The OAuth dialog to open in the webview.
    pub fn login_dialog_url(&self, app_id: &str, redirect_uri: &str, state: &str) -> String {
        let mut url = under(&self.www_base, &[GRAPH_VERSION, "dialog", "oauth"]);
        url.query_pairs_mut()
            .append_pair("client_id", app_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state)
            .append_pair("response_type", "code")
            .append_pair("scope", LOGIN_SCOPES);
        url.into()
    }

    /// Trades the dialog's `code` for a short-lived user token. `redirect_uri`
    /// must be the one the dialog was opened with, byte for byte.
    pub async fn exchange_code(
        &self,
        app_id: &str,
        app_secret: &Secret,
        redirect_uri: &str,
        code: &str,
    ) -> Result<UserToken, GraphError> {
        let url = self.endpoint(
            &["oauth", "access_token"],
            &[
                ("client_id", app_id),
                ("redirect_uri", redirect_uri),
                ("client_secret", app_secret.expose()),
                ("code", code),
            ],
        );
        self.get("the code exchange", url).await
    }

    /// Trades a user token for a long-lived one (≈ 60 days); page tokens
    /// derived from it do not expire.
    pub async fn long_lived(
        &self,
        app_id: &str,
        app_secret: &Secret,
        short_token: &Secret,
    ) -> Result<UserToken, GraphError> {
        let url = self.endpoint(
            &["oauth", "access_token"],
            &[
                ("grant_type", "fb_exchange_token"),
                ("client_id", app_id),
                ("client_secret", app_secret.expose()),
                ("fb_exchange_token", short_token.expose()),
            ],
        );
        self.get("the long-lived token exchange", url).await
    }

    /// Every page the user can act for, following Meta's paging.
    pub async fn pages(&self, user_token: &Secret) -> Result<Vec<PageAccount>, GraphError> {
        let mut url = self.accounts_url(user_token, None);
        let mut pages = Vec::new();
        for _ in 0..MAX_ACCOUNT_PAGES {
            let batch: Accounts = self.get("the page list", url).await?;
            pages.extend(batch.data);
            match self.next_accounts_url(user_token, batch.paging) {
                Some(next) => url = next,
                None => return Ok(pages),
            }
        }
        Err(GraphError::Protocol(format!(
            "the page list did not end after {MAX_ACCOUNT_PAGES} requests"
        )))
    }

    /// Subscribes the app to the page's webhooks ([`SUBSCRIBED_FIELDS`]).
    pub async fn subscribe_app(
        &self,
        page_id: &str,
        page_token: &Secret,
    ) -> Result<(), GraphError> {
        #[derive(Deserialize)]
        struct Success {
            success: bool,
        }
        let url = self.endpoint(
            &[page_id, "subscribed_apps"],
            &[
                ("subscribed_fields", SUBSCRIBED_FIELDS),
                ("access_token", page_token.expose()),
            ],
        );
        let answer: Success = self
            .send("subscribing the app", reqwest::Method::POST, url)
            .await?;
        if answer.success {
            Ok(())
        } else {
            Err(GraphError::Protocol(
                "subscribing the app answered success: false".into(),
            ))
        }
    }

    /// What Meta says about `input_token`, asked with the app's own token.
    /// An invalid token is an `Ok` with `is_valid: false`; see
    /// [`TokenInfo::problem`].
    pub async fn debug_token(
        &self,
        app_id: &str,
        app_secret: &Secret,
        input_token: &Secret,
    ) -> Result<TokenInfo, GraphError> {
        #[derive(Deserialize)]
        struct Data {
            data: TokenInfo,
        }
        let app_token = format!("{app_id}|{}", app_secret.expose());
        let url = self.endpoint(
            &["debug_token"],
            &[
                ("input_token", input_token.expose()),
                ("access_token", &app_token),
            ],
        );
        let answer: Data = self.get("the token check", url).await?;
        Ok(answer.data)
    }

    /// Downloads a page picture for the picker: at most [`MAX_PICTURE_BYTES`],
    /// and only an image. Returns the bytes and their content type.
    pub async fn picture(&self, url: &str) -> Result<(Vec<u8>, String), GraphError> {
        let url = Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| GraphError::Protocol("the picture address is not a web URL".into()))?;
        let response = self
            .http
            .get(url)
            .timeout(CALL_TIMEOUT)
            .send()
            .await
            .map_err(GraphError::network)?;
        let status = response.status();
        if !status.is_success() {
            return Err(GraphError::Protocol(format!(
                "the picture download answered HTTP {status}"
            )));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase())
            .filter(|v| v.starts_with("image/"))
            .ok_or_else(|| GraphError::Protocol("the picture is not an image".into()))?;
        let bytes = read_capped(response, MAX_PICTURE_BYTES).await?;
        Ok((bytes, content_type))
    }

    pub(crate) fn endpoint(&self, path: &[&str], query: &[(&str, &str)]) -> Url {
        let mut segments = vec![GRAPH_VERSION];
        segments.extend_from_slice(path);
        let mut url = under(&self.graph_base, &segments);
        url.query_pairs_mut().extend_pairs(query);
        url
    }

    fn accounts_url(&self, user_token: &Secret, after: Option<&str>) -> Url {
        let mut url = self.endpoint(
            &["me", "accounts"],
            &[
                ("fields", "id,name,access_token,tasks,picture"),
                ("access_token", user_token.expose()),
            ],
        );
        if let Some(after) = after {
            url.query_pairs_mut().append_pair("after", after);
        }
        url
    }

    /// Meta asks clients to follow `paging.next`; it is followed only on our
    /// own Graph host (it will carry the token), otherwise the `after` cursor
    /// is used. No `next` means the last page.
    fn next_accounts_url(&self, user_token: &Secret, paging: Option<Paging>) -> Option<Url> {
        let paging = paging?;
        let next = paging.next?;
        if let Ok(url) = Url::parse(&next)
            && url.origin() == self.graph_base.origin()
        {
            return Some(url);
        }
        let after = paging.cursors?.after?;
        Some(self.accounts_url(user_token, Some(&after)))
    }

    async fn get<T: DeserializeOwned>(&self, what: &str, url: Url) -> Result<T, GraphError> {
        self.send(what, reqwest::Method::GET, url).await
    }

    /// Sends a call and reads Meta's answer: the error envelope whatever the
    /// status, otherwise `T`.
    async fn send<T: DeserializeOwned>(
        &self,
        what: &str,
        method: reqwest::Method,
        url: Url,
    ) -> Result<T, GraphError> {
        let secrets = secrets_in(&url);
        let request = self.http.request(method, url).timeout(CALL_TIMEOUT);
        self.execute(what, request, &secrets).await
    }

    /// Sends a prepared request (a JSON or multipart body) and reads Meta's
    /// answer like [`GraphApi::send`]. `secrets` are cut from Meta's message:
    /// pass [`secrets_in`] of the request's URL.
    pub(crate) async fn execute<T: DeserializeOwned>(
        &self,
        what: &str,
        request: reqwest::RequestBuilder,
        secrets: &[String],
    ) -> Result<T, GraphError> {
        let response = request.send().await.map_err(GraphError::network)?;
        let status = response.status();
        let body = read_capped(response, MAX_JSON_BYTES)
            .await
            .map_err(|e| match e {
                GraphError::TooBig { .. } => {
                    GraphError::Protocol(format!("{what}: the answer is too large"))
                }
                other => other,
            })?;
        let value: Value = serde_json::from_slice(&body).map_err(|_| {
            GraphError::Protocol(format!(
                "{what}: HTTP {status} with a body that is not JSON"
            ))
        })?;
        if let Some(mut error) = parse_envelope(&value, status.as_u16()) {
            if let GraphError::Api { message, .. } = &mut error {
                *message = redact(message, secrets);
            }
            return Err(error);
        }
        if !status.is_success() {
            return Err(GraphError::Protocol(format!(
                "{what}: HTTP {status} without a Graph API error"
            )));
        }
        decode(what, value)
    }
}

/// Query parameters that carry credentials. Meta's messages can quote them
/// ("Malformed access token EAAG…"), so they are cut out of every message.
const SECRET_PARAMS: [&str; 5] = [
    "access_token",
    "client_secret",
    "fb_exchange_token",
    "input_token",
    "code",
];

pub(crate) fn secrets_in(url: &Url) -> Vec<String> {
    let mut secrets = Vec::new();
    for (key, value) in url.query_pairs() {
        if !SECRET_PARAMS.contains(&key.as_ref()) || value.is_empty() {
            continue;
        }
        // An app token `{app_id}|{app_secret}`: the secret alone is cut too.
        if let Some((_, secret)) = value.split_once('|') {
            secrets.push(secret.to_owned());
        }
        secrets.push(value.into_owned());
    }
    // Longest first, so a whole app token goes before its secret part.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
}

fn redact(message: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(message.to_owned(), |text, secret| {
            text.replace(secret.as_str(), "<redacted>")
        })
}

/// Deserializes an answer. serde's messages may quote the values they reject,
/// and answers hold tokens, so only "missing field" messages are kept.
fn decode<T: DeserializeOwned>(what: &str, value: Value) -> Result<T, GraphError> {
    serde_json::from_value(value).map_err(|e| {
        let text = e.to_string();
        let why = if text.starts_with("missing field") {
            text
        } else {
            "a field has an unexpected type".into()
        };
        GraphError::Protocol(format!("{what}: {why}"))
    })
}

#[derive(Deserialize)]
struct Accounts {
    #[serde(default)]
    data: Vec<PageAccount>,
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct Paging {
    next: Option<String>,
    cursors: Option<Cursors>,
}

#[derive(Deserialize)]
struct Cursors {
    after: Option<String>,
}

/// Reads a body, refusing more than `limit` bytes before holding them.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<Vec<u8>, GraphError> {
    let too_big = GraphError::TooBig {
        limit_kb: limit / 1024,
    };
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(too_big);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(GraphError::network)? {
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(too_big);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn parse_base(base: &str) -> Result<Url, GraphError> {
    let mut base = base.trim().to_owned();
    if !base.ends_with('/') {
        base.push('/');
    }
    Url::parse(&base)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && !u.cannot_be_a_base())
        .ok_or_else(|| GraphError::Protocol(format!("{base:?} is not an http(s) base URL")))
}

/// `base` with `segments` appended, each percent-encoded as one segment (a
/// page id cannot add a path or a query).
fn under(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        // `parse_base` refused cannot-be-a-base URLs, so this always runs.
        path.pop_if_empty().extend(segments);
    }
    url
}

#[cfg(test)]
mod tests;
