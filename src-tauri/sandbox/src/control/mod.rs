//! The HTTP control API under `/_sandbox/`: the customer's side of the simulation and
//! assertions on what bots sent; `/_sandbox/facebook/…` sets up and steers the simulated
//! Facebook and Messenger. JSON in, `{"ok":true,"result":…}` out; errors are
//! `{"ok":false,"error_code":N,"description":"…"}` with status N (400 bad input, 404 unknown).

mod bots;
mod customers;
mod facebook;
mod messenger;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::SandboxError;
use crate::server::AppState;
use crate::telegram::TelegramControl;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/telegram/bots", get(list_bots).post(add_bot))
        .route(
            "/telegram/{token}/customer-messages",
            post(customers::message),
        )
        .route("/telegram/{token}/customer-photos", post(customers::photo))
        .route("/telegram/{token}/customer-media", post(customers::media))
        .route("/telegram/{token}/customer-edits", post(customers::edit))
        .route("/telegram/{token}/sent-messages", get(bots::sent_messages))
        .route("/telegram/{token}/files/{file_id}", get(bots::file))
        .route("/telegram/{token}/faults", post(bots::fault))
        .route("/telegram/{token}/blocked-users", post(bots::block))
        .route(
            "/telegram/{token}/blocked-users/{user_id}",
            delete(bots::unblock),
        )
        .route(
            "/telegram/{token}/revoke",
            post(bots::revoke).delete(bots::restore),
        )
        .route(
            "/telegram/{token}/webhook",
            post(bots::set_webhook).delete(bots::delete_webhook),
        )
        .route("/telegram/{token}/status", get(bots::status))
        .nest("/facebook", facebook::routes().merge(messenger::routes()))
        .fallback(not_found)
}

pub(crate) struct ControlError(StatusCode, String);

impl ControlError {
    pub(crate) fn bad_request(description: &str) -> ControlError {
        ControlError(StatusCode::BAD_REQUEST, description.to_owned())
    }
}

impl From<SandboxError> for ControlError {
    fn from(error: SandboxError) -> ControlError {
        let status = match error {
            SandboxError::UnknownBot(_) | SandboxError::UnknownFacebookObject(_) => {
                StatusCode::NOT_FOUND
            }
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

pub(crate) type Reply = Result<axum::Json<Value>, ControlError>;

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
