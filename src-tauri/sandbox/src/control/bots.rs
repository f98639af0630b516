//! Control endpoints about a bot: what it sent, faults, blocking, revoking, webhook, status.

use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::json;

use super::{ControlError, Reply, body, ok};
use crate::SandboxError;
use crate::base64;
use crate::telegram::{Fault, SlowCall, TelegramControl};

fn known(telegram: &TelegramControl, token: &str) -> Result<(), ControlError> {
    match telegram.registry().get(token) {
        Some(_) => Ok(()),
        None => Err(SandboxError::UnknownBot(token.to_owned()).into()),
    }
}

pub(super) async fn sent_messages(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
) -> Reply {
    known(&telegram, &token)?;
    ok(json!(telegram.sent_messages(&token)))
}

/// A file by id, bytes included (base64), so HTTP users need not go through `getFile`.
pub(super) async fn file(
    State(telegram): State<TelegramControl>,
    Path((token, file_id)): Path<(String, String)>,
) -> Reply {
    known(&telegram, &token)?;
    let file = telegram.sent_file(&token, &file_id).ok_or_else(|| {
        ControlError(
            axum::http::StatusCode::NOT_FOUND,
            format!("no file {file_id:?}"),
        )
    })?;
    ok(json!({
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "file_path": file.file_path,
        "file_name": file.file_name,
        "mime_type": file.mime_type,
        "file_size": file.bytes.len(),
        "bytes_base64": base64::encode(&file.bytes),
    }))
}

/// Either a failing fault (`error_code`) or a slow call (`delay_ms`), never both.
#[derive(Deserialize)]
struct FaultRequest {
    method: String,
    #[serde(default)]
    error_code: Option<u16>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    retry_after: Option<u64>,
    #[serde(default)]
    delay_ms: Option<u64>,
    #[serde(default)]
    times: Option<u32>,
}

pub(super) async fn fault(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
    bytes: Bytes,
) -> Reply {
    let request: FaultRequest = body(&bytes)?;
    let times = request.times.unwrap_or(1);
    match (request.error_code, request.delay_ms) {
        (Some(error_code), None) => {
            let fault = Fault {
                method: request.method,
                error_code,
                description: request.description,
                retry_after: request.retry_after,
                times,
            };
            telegram.inject_fault(&token, fault)?;
        }
        (None, Some(delay_ms)) => {
            let slow = SlowCall {
                method: request.method,
                delay_ms,
                times,
            };
            telegram.slow_down(&token, slow)?;
        }
        _ => {
            return Err(ControlError::bad_request(
                "give either error_code (a failure) or delay_ms (a slow answer)",
            ));
        }
    }
    ok(json!(true))
}

#[derive(Deserialize)]
struct BlockRequest {
    user_id: i64,
}

pub(super) async fn block(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
    bytes: Bytes,
) -> Reply {
    let BlockRequest { user_id } = body(&bytes)?;
    telegram.block_bot(&token, user_id)?;
    ok(json!(true))
}

pub(super) async fn unblock(
    State(telegram): State<TelegramControl>,
    Path((token, user_id)): Path<(String, i64)>,
) -> Reply {
    telegram.unblock_bot(&token, user_id)?;
    ok(json!(true))
}

pub(super) async fn revoke(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
) -> Reply {
    telegram.revoke_token(&token)?;
    ok(json!(true))
}

pub(super) async fn restore(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
) -> Reply {
    telegram.restore_token(&token)?;
    ok(json!(true))
}

#[derive(Deserialize)]
struct WebhookRequest {
    url: String,
}

pub(super) async fn set_webhook(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
    bytes: Bytes,
) -> Reply {
    let WebhookRequest { url } = body(&bytes)?;
    let url = Some(url.trim()).filter(|u| !u.is_empty());
    telegram.set_webhook(&token, url)?;
    ok(json!(true))
}

pub(super) async fn delete_webhook(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
) -> Reply {
    telegram.set_webhook(&token, None)?;
    ok(json!(true))
}

pub(super) async fn status(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
) -> Reply {
    let pending = telegram.pending_update_count(&token)?;
    let polling = telegram.long_poll_waiting(&token)?;
    let sent = telegram.sent_messages(&token).len();
    let webhook_url = telegram.webhook_url(&token)?;
    let revoked = telegram.is_revoked(&token)?;
    ok(json!({
        "pending_update_count": pending,
        "long_poll_waiting": polling,
        "sent_count": sent,
        "webhook_url": webhook_url,
        "revoked": revoked,
    }))
}
