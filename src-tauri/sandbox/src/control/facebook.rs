//! Control endpoints of the simulated Facebook under `/_sandbox/facebook/`: apps, people and
//! pages; subscriptions and forced subscription failures; revoking tokens; codes and clock.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::{Reply, body, ok};
use crate::facebook::{
    FacebookApp, FacebookControl, FacebookPage, FacebookUser, Revocation, SubscribeFault,
};
use crate::server::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/apps", post(add_app))
        .route("/users", post(add_user))
        .route("/pages", post(add_page))
        .route("/demo", post(demo))
        .route("/pages/{page_id}/subscriptions", get(subscriptions))
        .route(
            "/pages/{page_id}/subscription-faults",
            post(subscription_fault),
        )
        .route("/tokens/revoke", post(revoke))
        .route("/tokens/{token}", get(token_info))
        .route("/password-changes", post(change_password))
        .route("/codes/expire", post(expire_codes))
        .route("/clock", get(clock).post(advance_clock))
}

async fn add_app(State(fb): State<FacebookControl>, bytes: Bytes) -> Reply {
    let app: FacebookApp = body(&bytes)?;
    let app_id = app.app_id.clone();
    fb.add_app(app)?;
    ok(json!({ "app_id": app_id }))
}

async fn add_user(State(fb): State<FacebookControl>, bytes: Bytes) -> Reply {
    let id = fb.add_user(body::<FacebookUser>(&bytes)?)?;
    ok(json!({ "id": id }))
}

async fn add_page(State(fb): State<FacebookControl>, bytes: Bytes) -> Reply {
    let id = fb.add_page(body::<FacebookPage>(&bytes)?)?;
    ok(json!({ "id": id }))
}

#[derive(Deserialize)]
struct Demo {
    app_id: String,
    app_secret: String,
}

async fn demo(State(fb): State<FacebookControl>, bytes: Bytes) -> Reply {
    let Demo { app_id, app_secret } = body(&bytes)?;
    fb.load_demo(&app_id, &app_secret)?;
    ok(json!(true))
}

async fn subscriptions(State(fb): State<FacebookControl>, Path(page_id): Path<String>) -> Reply {
    ok(json!(fb.subscriptions(&page_id)?))
}

async fn subscription_fault(
    State(fb): State<FacebookControl>,
    Path(page_id): Path<String>,
    bytes: Bytes,
) -> Reply {
    fb.fail_next_subscription(&page_id, body::<SubscribeFault>(&bytes)?)?;
    ok(json!(true))
}

#[derive(Deserialize)]
struct Revoke {
    token: String,
    #[serde(default)]
    reason: Revocation,
}

async fn revoke(State(fb): State<FacebookControl>, bytes: Bytes) -> Reply {
    let Revoke { token, reason } = body(&bytes)?;
    fb.revoke_token_because(&token, reason)?;
    ok(json!(true))
}

async fn token_info(State(fb): State<FacebookControl>, Path(token): Path<String>) -> Reply {
    match fb.token_info(&token) {
        Some(info) => ok(json!(info)),
        None => Err(crate::SandboxError::UnknownFacebookObject(format!(
            "no Facebook token {token:?} in the sandbox"
        ))
        .into()),
    }
}

#[derive(Deserialize)]
struct PasswordChange {
    email: String,
    new_password: String,
}

async fn change_password(State(fb): State<FacebookControl>, bytes: Bytes) -> Reply {
    let PasswordChange {
        email,
        new_password,
    } = body(&bytes)?;
    fb.change_password(&email, &new_password)?;
    ok(json!(true))
}

async fn expire_codes(State(fb): State<FacebookControl>) -> Reply {
    fb.expire_codes();
    ok(json!(true))
}

async fn clock(State(fb): State<FacebookControl>) -> Reply {
    ok(json!({ "now": fb.now() }))
}

/// `{"advance_secs": N}` moves the clock forward; `{"shift_secs": -N}` may move it back.
#[derive(Deserialize)]
struct Advance {
    #[serde(default)]
    advance_secs: Option<u64>,
    #[serde(default)]
    shift_secs: Option<i64>,
}

async fn advance_clock(State(fb): State<FacebookControl>, bytes: Bytes) -> Reply {
    match body(&bytes)? {
        Advance {
            advance_secs: Some(secs),
            shift_secs: None,
        } => fb.advance_clock(Duration::from_secs(secs)),
        Advance {
            advance_secs: None,
            shift_secs: Some(secs),
        } => fb.shift_clock(secs),
        _ => {
            return Err(super::ControlError::bad_request(
                "give either advance_secs (forward) or shift_secs (forward or back)",
            ));
        }
    }
    ok(json!({ "now": fb.now() }))
}
