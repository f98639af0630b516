//! A small Bot API client: the methods the connector uses, the documented
//! envelope `{ok, result}` / `{ok:false, error_code, description, parameters}`.

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum ApiError {
    /// Telegram answered `ok:false`.
    #[error("Telegram error {code}: {description}")]
    Api {
        code: u16,
        description: String,
        retry_after: Option<u64>,
    },
    /// No answer (connection refused, timeout, TLS…). Never includes the URL,
    /// which carries the token.
    #[error("could not reach the Telegram Bot API: {0}")]
    Network(String),
    /// An answer that does not follow the Bot API.
    #[error("unexpected answer from the Telegram Bot API: {0}")]
    Protocol(String),
}

impl ApiError {
    pub fn code(&self) -> Option<u16> {
        match self {
            Self::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// The bot as `getMe` describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BotUser {
    pub id: i64,
    pub is_bot: bool,
    pub first_name: String,
    pub username: Option<String>,
}

#[derive(Clone)]
pub struct BotApi {
    http: reqwest::Client,
    base_url: String,
    token: String,
}

impl std::fmt::Debug for BotApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a secret: never print it.
        f.debug_struct("BotApi")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    result: Option<Value>,
    error_code: Option<u16>,
    description: Option<String>,
    parameters: Option<ResponseParameters>,
}

#[derive(Deserialize)]
struct ResponseParameters {
    retry_after: Option<u64>,
}

impl BotApi {
    /// `base_url` is e.g. `https://api.telegram.org/` or the sandbox's URL.
    pub fn new(base_url: &str, token: &str) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ApiError::Network(e.without_url().to_string()))?;
        let mut base_url = base_url.trim().to_owned();
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        Ok(Self {
            http,
            base_url,
            token: token.trim().to_owned(),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub async fn get_me(&self) -> Result<BotUser, ApiError> {
        self.call("getMe", json!({}), Duration::from_secs(30)).await
    }

    /// Long polls for up to `timeout_secs`; returns raw updates so that one
    /// update of an unknown shape cannot block the others.
    pub async fn get_updates(
        &self,
        offset: Option<i64>,
        timeout_secs: u64,
    ) -> Result<Vec<Value>, ApiError> {
        let mut params = json!({
            "timeout": timeout_secs,
            "limit": 100,
            "allowed_updates": ["message", "edited_message"],
        });
        if let Some(offset) = offset {
            params["offset"] = json!(offset);
        }
        self.call("getUpdates", params, Duration::from_secs(timeout_secs + 15))
            .await
    }

    /// Sends one text (at most 4096 characters; see `split_for_telegram`).
    /// Returns the sent message's `message_id`.
    pub async fn send_message(&self, chat_id: &str, text: &str) -> Result<i64, ApiError> {
        #[derive(Deserialize)]
        struct Sent {
            message_id: i64,
        }
        let chat_id: Value = chat_id
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(chat_id));
        let sent: Sent = self
            .call(
                "sendMessage",
                json!({ "chat_id": chat_id, "text": text }),
                Duration::from_secs(30),
            )
            .await?;
        Ok(sent.message_id)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<T, ApiError> {
        let url = format!("{}bot{}/{method}", self.base_url, self.token);
        let response = self
            .http
            .post(url)
            .json(&params)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| ApiError::Network(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| ApiError::Network(e.without_url().to_string()))?;
        let envelope: Envelope = serde_json::from_slice(&body).map_err(|_| {
            ApiError::Protocol(format!(
                "HTTP {status} with a body that is not a Bot API response"
            ))
        })?;
        if !envelope.ok {
            return Err(ApiError::Api {
                code: envelope.error_code.unwrap_or(status.as_u16()),
                description: envelope
                    .description
                    .unwrap_or_else(|| "no description".into()),
                retry_after: envelope.parameters.and_then(|p| p.retry_after),
            });
        }
        let result = envelope
            .result
            .ok_or_else(|| ApiError::Protocol(format!("{method}: ok without a result")))?;
        serde_json::from_value(result)
            .map_err(|e| ApiError::Protocol(format!("{method}: unexpected result: {e}")))
    }
}
