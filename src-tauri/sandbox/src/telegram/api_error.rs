//! The Bot API response envelope: `{"ok":true,"result":…}` or
//! `{"ok":false,"error_code":N,"description":"…","parameters":{…}}` with HTTP status N.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A Bot API failure, rendered exactly as the real server renders it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} {description}")]
pub struct ApiError {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: u16, description: &str) -> ApiError {
        ApiError {
            code,
            description: description.to_owned(),
            retry_after: None,
        }
    }

    /// 400 `Bad Request: <detail>`.
    pub fn bad_request(detail: &str) -> ApiError {
        ApiError::new(400, &format!("Bad Request: {detail}"))
    }

    /// 403 `Forbidden: <detail>`.
    pub fn forbidden(detail: &str) -> ApiError {
        ApiError::new(403, &format!("Forbidden: {detail}"))
    }

    /// 409 `Conflict: <detail>`.
    pub fn conflict(detail: &str) -> ApiError {
        ApiError::new(409, &format!("Conflict: {detail}"))
    }

    /// 401 for a well-formed token that names no bot.
    pub fn unauthorized() -> ApiError {
        ApiError::new(401, "Unauthorized")
    }

    /// 404 for an unknown method, path or file.
    pub fn not_found() -> ApiError {
        ApiError::new(404, "Not Found")
    }

    pub fn chat_not_found() -> ApiError {
        ApiError::bad_request("chat not found")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = json!({
            "ok": false,
            "error_code": self.code,
            "description": self.description,
        });
        if let Some(retry_after) = self.retry_after {
            body["parameters"] = json!({ "retry_after": retry_after });
        }
        (status, Json(body)).into_response()
    }
}

/// The success envelope.
pub fn ok(result: Value) -> Response {
    Json(json!({ "ok": true, "result": result })).into_response()
}
