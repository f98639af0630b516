//! The HTTP control API under `/_sandbox/`: the customer's side of the simulation and
//! assertions on what bots sent. JSON in, `{"ok":true,"result":…}` out; errors are
//! `{"ok":false,"error_code":N,"description":"…"}` with status N (400 bad input, 404 unknown).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::SandboxError;
use crate::telegram::{CustomerMessage, CustomerPhoto, Fault, TelegramControl};

pub(crate) fn routes() -> Router<TelegramControl> {
    Router::new()
        .route("/health", get(health))
        .route("/telegram/bots", get(list_bots).post(add_bot))
        .route(
            "/telegram/{token}/customer-messages",
            post(customer_message),
        )
        .route("/telegram/{token}/customer-photos", post(customer_photo))
        .route("/telegram/{token}/sent-messages", get(sent_messages))
        .route("/telegram/{token}/faults", post(fault))
        .route("/telegram/{token}/blocked-users", post(block))
        .route("/telegram/{token}/blocked-users/{user_id}", delete(unblock))
        .route("/telegram/{token}/status", get(status))
        .fallback(not_found)
}

struct ControlError(StatusCode, String);

impl From<SandboxError> for ControlError {
    fn from(error: SandboxError) -> ControlError {
        let status = match error {
            SandboxError::UnknownBot(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        ControlError(status, error.to_string())
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let body = json!({ "ok": false, "error_code": self.0.as_u16(), "description": self.1 });
        (self.0, axum::Json(body)).into_response()
    }
}

type Reply = Result<axum::Json<Value>, ControlError>;

fn ok(result: Value) -> Reply {
    Ok(axum::Json(json!({ "ok": true, "result": result })))
}

/// Parses a JSON body with a readable 400 instead of axum's plain-text rejection.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ControlError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ControlError(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

async fn not_found() -> ControlError {
    ControlError(
        StatusCode::NOT_FOUND,
        "no such control endpoint (see the sandbox README)".to_owned(),
    )
}

async fn health() -> Reply {
    ok(json!(true))
}

async fn list_bots(State(telegram): State<TelegramControl>) -> Reply {
    ok(json!(telegram.bot_tokens()))
}

#[derive(Deserialize)]
struct NewBot {
    token: String,
}

async fn add_bot(State(telegram): State<TelegramControl>, bytes: Bytes) -> Reply {
    let NewBot { token } = body(&bytes)?;
    telegram.add_bot(&token)?;
    ok(json!({ "token": token }))
}

async fn customer_message(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
    bytes: Bytes,
) -> Reply {
    let message: CustomerMessage = body(&bytes)?;
    ok(telegram.customer_writes(&token, message)?)
}

#[derive(Deserialize)]
struct PhotoRequest {
    user_id: i64,
    first_name: String,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    /// PNG or JPEG, standard base64; omitted: a small built-in PNG.
    #[serde(default)]
    image_base64: Option<String>,
}

async fn customer_photo(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
    bytes: Bytes,
) -> Reply {
    let request: PhotoRequest = body(&bytes)?;
    let image = match request.image_base64.as_deref() {
        None => None,
        Some(text) => Some(decode_base64(text).ok_or_else(|| {
            ControlError(
                StatusCode::BAD_REQUEST,
                "image_base64 is not valid base64".to_owned(),
            )
        })?),
    };
    let photo = CustomerPhoto {
        user_id: request.user_id,
        first_name: request.first_name,
        last_name: request.last_name,
        username: request.username,
        caption: request.caption,
        image,
    };
    ok(telegram.customer_sends_photo(&token, photo)?)
}

async fn sent_messages(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
) -> Reply {
    if telegram.registry().get(&token).is_none() {
        return Err(SandboxError::UnknownBot(token).into());
    }
    ok(json!(telegram.sent_messages(&token)))
}

async fn fault(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
    bytes: Bytes,
) -> Reply {
    let fault: Fault = body(&bytes)?;
    telegram.inject_fault(&token, fault)?;
    ok(json!(true))
}

#[derive(Deserialize)]
struct BlockRequest {
    user_id: i64,
}

async fn block(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
    bytes: Bytes,
) -> Reply {
    let BlockRequest { user_id } = body(&bytes)?;
    telegram.block_bot(&token, user_id)?;
    ok(json!(true))
}

async fn unblock(
    State(telegram): State<TelegramControl>,
    Path((token, user_id)): Path<(String, i64)>,
) -> Reply {
    telegram.unblock_bot(&token, user_id)?;
    ok(json!(true))
}

async fn status(State(telegram): State<TelegramControl>, Path(token): Path<String>) -> Reply {
    let pending = telegram.pending_update_count(&token)?;
    let polling = telegram.long_poll_waiting(&token)?;
    let sent = telegram.sent_messages(&token).len();
    ok(json!({ "pending_update_count": pending, "long_poll_waiting": polling, "sent_count": sent }))
}

/// Standard base64 (padding optional, whitespace ignored).
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace())
        .take_while(|&c| c != b'=')
        .map(value)
        .collect::<Option<_>>()?;
    if digits.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut acc: u32 = 0;
        for (i, d) in chunk.iter().enumerate() {
            acc |= u32::from(*d) << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::decode_base64;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(decode_base64("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(decode_base64("aGVsbG8"), Some(b"hello".to_vec()));
        assert_eq!(decode_base64("aGk="), Some(b"hi".to_vec()));
        assert_eq!(decode_base64("YWJj"), Some(b"abc".to_vec()));
        assert_eq!(decode_base64("a*"), None);
    }
}
