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
    /// A file larger than bots may download (`getFile`'s 20 MB).
    #[error("the file is larger than the {limit_mb} MB Telegram lets bots download")]
    FileTooBig { limit_mb: u64 },
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

/// A file as `getFile` describes it; `file_path` is missing when Telegram
/// cannot serve it (too big, expired).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TgFile {
    pub file_path: Option<String>,
    pub file_size: Option<u64>,
}

/// Largest file `getFile` lets bots download.
pub const MAX_DOWNLOAD_BYTES: u64 = 20 * 1024 * 1024;

/// What kind of upload `send_file` makes: the method and its form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    Photo,
    Document,
}

impl UploadKind {
    fn method_and_field(self) -> (&'static str, &'static str) {
        match self {
            Self::Photo => ("sendPhoto", "photo"),
            Self::Document => ("sendDocument", "document"),
        }
    }
}

/// A file to upload with `send_file`.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    pub kind: UploadKind,
    pub file_name: &'a str,
    pub mime_type: Option<&'a str>,
    pub bytes: &'a [u8],
    /// At most 1024 characters (the store enforces it when queueing).
    pub caption: &'a str,
}

/// Uploads and downloads of up to 50 MB need more time than a method call.
const FILE_TIMEOUT: Duration = Duration::from_secs(300);

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

    /// Sends a photo or document as a multipart upload, with the caption.
    /// Returns the sent message's `message_id`.
    pub async fn send_file(&self, chat_id: &str, upload: Upload<'_>) -> Result<i64, ApiError> {
        use reqwest::multipart::{Form, Part};
        #[derive(Deserialize)]
        struct Sent {
            message_id: i64,
        }
        let (method, field) = upload.kind.method_and_field();
        let new_part = || Part::bytes(upload.bytes.to_vec()).file_name(upload.file_name.to_owned());
        // An unparsable type is left out: Telegram then goes by the name.
        let part = match upload.mime_type.map(|mime| new_part().mime_str(mime)) {
            Some(Ok(typed)) => typed,
            _ => new_part(),
        };
        let mut form = Form::new()
            .text("chat_id", chat_id.to_owned())
            .part(field, part);
        if !upload.caption.is_empty() {
            form = form.text("caption", upload.caption.to_owned());
        }
        let request = self
            .http
            .post(self.method_url(method))
            .multipart(form)
            .timeout(FILE_TIMEOUT);
        let sent: Sent = self.finish(method, request).await?;
        Ok(sent.message_id)
    }

    /// Describes a file the customer sent (its download path and size).
    pub async fn get_file(&self, file_id: &str) -> Result<TgFile, ApiError> {
        self.call(
            "getFile",
            json!({ "file_id": file_id }),
            Duration::from_secs(30),
        )
        .await
    }

    /// Downloads a file `get_file` described, refusing more than 20 MB.
    /// Returns the bytes and the content type the server gave, if any.
    pub async fn download(&self, file_path: &str) -> Result<(Vec<u8>, Option<String>), ApiError> {
        let network = |e: reqwest::Error| ApiError::Network(e.without_url().to_string());
        // The URL carries the token: it must never reach a log or an error.
        let url = format!("{}file/bot{}/{file_path}", self.base_url, self.token);
        let mut response = self
            .http
            .get(url)
            .timeout(FILE_TIMEOUT)
            .send()
            .await
            .map_err(network)?;
        let status = response.status();
        if !status.is_success() {
            return Err(ApiError::Api {
                code: status.as_u16(),
                description: format!(
                    "the file download answered {}",
                    status.canonical_reason().unwrap_or("an error")
                ),
                retry_after: None,
            });
        }
        let too_big = ApiError::FileTooBig {
            limit_mb: MAX_DOWNLOAD_BYTES / (1024 * 1024),
        };
        if response
            .content_length()
            .is_some_and(|n| n > MAX_DOWNLOAD_BYTES)
        {
            return Err(too_big);
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned());
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network)? {
            if (bytes.len() + chunk.len()) as u64 > MAX_DOWNLOAD_BYTES {
                return Err(too_big);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((bytes, content_type))
    }

    fn method_url(&self, method: &str) -> String {
        format!("{}bot{}/{method}", self.base_url, self.token)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<T, ApiError> {
        let request = self
            .http
            .post(self.method_url(method))
            .json(&params)
            .timeout(timeout);
        self.finish(method, request).await
    }

    /// Sends a method call and reads the Bot API envelope.
    async fn finish<T: DeserializeOwned>(
        &self,
        method: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ApiError> {
        let response = request
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
