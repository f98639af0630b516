//! Bot API parameters: the query string and the body (form, JSON or multipart) merged into one
//! map, the way the real Bot API server sees them — every value is a string (JSON numbers and
//! objects arrive serialized), except uploaded files.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde_json::Value;

use crate::telegram::ApiError;

/// Largest request body accepted (the real server allows 50 MB uploads).
pub const MAX_BODY_BYTES: usize = 60 * 1024 * 1024;

/// A file sent in a `multipart/form-data` field with a file name.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

#[derive(Debug, Clone)]
enum Param {
    Text(String),
    File(Upload),
}

/// All parameters of one Bot API call.
#[derive(Debug, Default, Clone)]
pub struct Params(HashMap<String, Param>);

impl Params {
    /// Reads the query string and, by content type, the body. Later sources win on clashes
    /// (body over query), as on the real server.
    pub async fn from_request(parts: Parts, body: Body) -> Result<Params, ApiError> {
        let mut params = Params::default();
        if let Some(query) = parts.uri.query() {
            params.add_urlencoded(query.as_bytes());
        }
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.to_ascii_lowercase())
            .unwrap_or_default();
        if content_type.starts_with("multipart/form-data") {
            let request = Request::from_parts(parts, body);
            let multipart = Multipart::from_request(request, &())
                .await
                .map_err(|e| ApiError::bad_request(&format!("can't parse multipart body: {e}")))?;
            params.add_multipart(multipart).await?;
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            params.add_urlencoded(&read_body(body).await?);
        } else if content_type.starts_with("application/json") {
            let bytes = read_body(body).await?;
            if !bytes.iter().all(u8::is_ascii_whitespace) {
                params.add_json(&bytes)?;
            }
        }
        Ok(params)
    }

    fn insert_text(&mut self, name: String, value: String) {
        self.0.insert(name, Param::Text(value));
    }

    fn add_urlencoded(&mut self, input: &[u8]) {
        for (name, value) in form_urlencoded::parse(input) {
            self.insert_text(name.into_owned(), value.into_owned());
        }
    }

    fn add_json(&mut self, bytes: &[u8]) -> Result<(), ApiError> {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(bytes) else {
            return Err(ApiError::bad_request("can't parse JSON object"));
        };
        for (name, value) in map {
            match value {
                Value::Null => {}
                Value::String(s) => self.insert_text(name, s),
                other => self.insert_text(name, other.to_string()),
            }
        }
        Ok(())
    }

    async fn add_multipart(&mut self, mut multipart: Multipart) -> Result<(), ApiError> {
        let broken = |e: axum::extract::multipart::MultipartError| {
            ApiError::bad_request(&format!("can't parse multipart body: {e}"))
        };
        while let Some(field) = multipart.next_field().await.map_err(broken)? {
            let Some(name) = field.name().map(str::to_owned) else {
                continue;
            };
            let file_name = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(broken)?;
            if file_name.is_some() {
                let upload = Upload {
                    file_name,
                    content_type,
                    bytes,
                };
                self.0.insert(name, Param::File(upload));
            } else {
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                    ApiError::bad_request(&format!("parameter \"{name}\" is not valid UTF-8"))
                })?;
                self.insert_text(name, text);
            }
        }
        Ok(())
    }

    /// The parameter as text; `None` when absent or when it is an uploaded file.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(Param::Text(s)) => Some(s.as_str()),
            _ => None,
        }
    }

    /// The parameter as text, treating an empty value as absent (as the real server does).
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.text(name).filter(|s| !s.is_empty())
    }

    /// An integer parameter; numbers may arrive as strings (`"123"`).
    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.non_empty(name) {
            None => Ok(None),
            Some(raw) => raw.trim().parse::<i64>().map(Some).map_err(|_| {
                ApiError::bad_request(&format!("parameter \"{name}\" must be an Integer"))
            }),
        }
    }

    /// A boolean parameter: `true`/`1` are true, anything else (or absence) false.
    pub fn flag(&self, name: &str) -> bool {
        self.non_empty(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
    }

    /// A JSON-serialized parameter (`reply_parameters`, `allowed_updates`, ...).
    pub fn json(&self, name: &str) -> Result<Option<Value>, ApiError> {
        match self.non_empty(name) {
            None => Ok(None),
            Some(raw) => serde_json::from_str(raw)
                .map(Some)
                .map_err(|_| ApiError::bad_request(&format!("can't parse {name} JSON object"))),
        }
    }

    /// An uploaded file sent in the multipart field `name`.
    pub fn upload(&self, name: &str) -> Option<&Upload> {
        match self.0.get(name) {
            Some(Param::File(upload)) => Some(upload),
            _ => None,
        }
    }
}

async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::new(413, "Request Entity Too Large"))
}
