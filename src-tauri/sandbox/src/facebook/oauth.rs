//! `GET /v25.0/oauth/access_token`: the code exchange and the long-lived token exchange.

use serde_json::json;

use super::graph_error::{GraphError, GraphResult};
use super::state::{CODE_LIFETIME_SECS, State, TokenKind};
use super::tokens::{self, Credential};
use super::{Form, field};

/// Checks `client_id` and `client_secret` the way Graph does; returns the app id.
fn client(state: &State, params: &Form) -> Result<String, GraphError> {
    let Some(client_id) = field(params, "client_id") else {
        return Err(GraphError::oauth(101, "Missing client_id parameter."));
    };
    let Some(app) = state.app(client_id) else {
        return Err(GraphError::oauth(
            101,
            "Error validating application. Invalid application ID.",
        ));
    };
    match field(params, "client_secret") {
        None => Err(GraphError::oauth(1, "Missing client_secret parameter.")),
        Some(secret) if secret != app.secret => {
            Err(GraphError::oauth(1, "Error validating client secret."))
        }
        Some(_) => Ok(app.id.clone()),
    }
}

pub fn access_token(state: &mut State, params: &Form) -> GraphResult {
    let app_id = client(state, params)?;
    match field(params, "grant_type") {
        Some("fb_exchange_token") => exchange(state, &app_id, params),
        Some("authorization_code") | None => redeem(state, &app_id, params),
        Some(other) => Err(GraphError::param(&format!(
            "Unsupported grant_type \"{other}\" (the sandbox knows authorization_code and fb_exchange_token)"
        ))),
    }
}

/// `code` → short-lived user token. Codes are single-use and live 10 minutes.
fn redeem(state: &mut State, app_id: &str, params: &Form) -> GraphResult {
    let Some(redirect_uri) = field(params, "redirect_uri") else {
        return Err(GraphError::oauth(191, "Missing redirect_uri parameter."));
    };
    let Some(code) = field(params, "code") else {
        return Err(GraphError::oauth(1, "Missing authorization code"));
    };
    let now = state.now();
    let Some(grant) = state.codes.get_mut(code).filter(|c| c.app_id == app_id) else {
        return Err(GraphError::oauth(100, "Invalid verification code format."));
    };
    if grant.used {
        return Err(
            GraphError::oauth(100, "This authorization code has been used.").with_subcode(36009),
        );
    }
    if now - grant.issued_at >= CODE_LIFETIME_SECS {
        return Err(
            GraphError::oauth(100, "This authorization code has expired.").with_subcode(36007),
        );
    }
    if grant.redirect_uri != redirect_uri {
        return Err(GraphError::oauth(
            100,
            "Error validating verification code. Please make sure your redirect_uri is \
             identical to the one you used in the OAuth dialog request",
        )
        .with_subcode(36008));
    }
    grant.used = true;
    let grant = grant.clone();
    let (token, expires_in) = tokens::issue_user_token(
        state,
        app_id,
        &grant.user_id,
        grant.scopes,
        grant.pages,
        false,
    );
    Ok(json!({ "access_token": token, "token_type": "bearer", "expires_in": expires_in }))
}

/// `fb_exchange_token` (a valid user token of this app) → long-lived user token (60 days).
fn exchange(state: &mut State, app_id: &str, params: &Form) -> GraphResult {
    let Some(raw) = field(params, "fb_exchange_token") else {
        return Err(GraphError::param("Missing fb_exchange_token parameter"));
    };
    let Credential::Token(_, token) = tokens::authenticate(state, raw)? else {
        return Err(GraphError::param(
            "fb_exchange_token must be a user access token",
        ));
    };
    if token.app_id != app_id {
        return Err(GraphError::param(
            "The fb_exchange_token was issued to another app",
        ));
    }
    if !matches!(token.kind, TokenKind::User { .. }) {
        return Err(GraphError::param(
            "fb_exchange_token must be a user access token",
        ));
    }
    let (long, expires_in) = tokens::issue_user_token(
        state,
        app_id,
        &token.user_id,
        token.scopes,
        token.pages,
        true,
    );
    Ok(json!({ "access_token": long, "token_type": "bearer", "expires_in": expires_in }))
}
