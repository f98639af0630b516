//! `/webhooks/messenger`: the verification handshake (GET) and event
//! delivery (POST). A POST is answered only after its events are committed:
//! signature (over the raw bytes, before any parsing) → parse → store → 200.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use switchboard_engine::clock::{Clock, SystemClock};

use crate::events;
use crate::secrets::RelaySecrets;
use crate::signature::{self, SIGNATURE_HEADER};
use crate::sink::EventSink;

pub const WEBHOOK_PATH: &str = "/webhooks/messenger";

/// Largest POST body accepted (413 above it). Meta batches up to 1000 events
/// per POST; 4 MiB leaves about 4 KiB per event, several times a text
/// message with attachments and a reply reference. Bodies above the limit are
/// refused without being read to the end.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The body Meta expects with a 200.
pub const EVENT_RECEIVED: &str = "EVENT_RECEIVED";

struct Relay<S> {
    secrets: RelaySecrets,
    sink: S,
    clock: Arc<dyn Clock>,
}

/// The webhook routes on `sink`, with the system clock.
pub fn router<S: EventSink>(secrets: RelaySecrets, sink: S) -> Router {
    router_with_clock(secrets, sink, Arc::new(SystemClock))
}

/// The same, with `received_at` taken from `clock`.
pub fn router_with_clock<S: EventSink>(
    secrets: RelaySecrets,
    sink: S,
    clock: Arc<dyn Clock>,
) -> Router {
    let relay = Arc::new(Relay {
        secrets,
        sink,
        clock,
    });
    Router::new()
        .route(WEBHOOK_PATH, get(verify::<S>).post(receive::<S>))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(relay)
}

#[derive(Deserialize)]
struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

async fn verify<S: EventSink>(
    State(relay): State<Arc<Relay<S>>>,
    query: Result<Query<Handshake>, QueryRejection>,
) -> Response {
    let Ok(Query(handshake)) = query else {
        return forbidden();
    };
    let token_ok = handshake
        .verify_token
        .as_deref()
        .is_some_and(|token| relay.secrets.verify_token_matches(token));
    match (handshake.mode.as_deref(), token_ok, handshake.challenge) {
        (Some("subscribe"), true, Some(challenge)) => {
            tracing::info!("webhook subscription verified");
            plain(StatusCode::OK, challenge)
        }
        _ => {
            tracing::warn!("webhook verification refused: wrong mode, token or challenge");
            forbidden()
        }
    }
}

async fn receive<S: EventSink>(
    State(relay): State<Arc<Relay<S>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let claimed = headers.get(SIGNATURE_HEADER).map(|v| v.as_bytes());
    if let Err(problem) = signature::check(relay.secrets.app_secret(), claimed, &body) {
        tracing::warn!(
            bytes = body.len(),
            "webhook POST refused: {}",
            problem.as_str()
        );
        return forbidden();
    }
    let parsed = match events::parse(&body, relay.clock.now()) {
        Ok(parsed) => parsed,
        Err(error) => {
            // Signed by Meta yet unreadable: nothing a retry would fix, but
            // say so rather than pretend it was stored.
            tracing::warn!(bytes = body.len(), "webhook POST refused: {error}");
            return plain(StatusCode::BAD_REQUEST, error.to_string());
        }
    };
    if let Some(object) = parsed.other_object {
        tracing::warn!(object = %object, "webhook POST for an object other than page: nothing stored");
        return plain(StatusCode::OK, EVENT_RECEIVED.into());
    }
    let total = parsed.events.len();
    if total > 0 {
        match relay.sink.store(parsed.events).await {
            Ok(new) => tracing::debug!(events = total, new, "webhook events stored"),
            Err(error) => {
                tracing::error!(
                    events = total,
                    "webhook events could not be stored: {error}"
                );
                return plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the events could not be stored; deliver them again".into(),
                );
            }
        }
    }
    plain(StatusCode::OK, EVENT_RECEIVED.into())
}

fn plain(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

fn forbidden() -> Response {
    plain(StatusCode::FORBIDDEN, "forbidden".into())
}
