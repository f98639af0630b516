//! Access tokens: issuing them and checking them the way Graph does (code 190 and its
//! subcodes). App access tokens are `{app_id}|{app_secret}`, as on Graph.

use super::graph_error::GraphError;
use super::pacific_time;
use super::random;
use super::state::{DATA_ACCESS_SECS, LONG_LIVED_SECS, SHORT_LIVED_SECS, State, Token, TokenKind};
use super::types::Revocation;

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Credential {
    /// An app access token; the app id.
    App(String),
    /// A user or page token: its value and what it stands for.
    Token(String, Token),
}

/// Resolves an `access_token` parameter. Unknown, expired and revoked tokens are refused with
/// Meta's code 190 errors.
pub fn authenticate(state: &State, raw: &str) -> Result<Credential, GraphError> {
    if let Some((app_id, secret)) = raw.split_once('|') {
        return match state.app(app_id) {
            Some(app) if app.secret == secret => Ok(Credential::App(app.id.clone())),
            _ => Err(GraphError::oauth(
                190,
                "Invalid OAuth access token signature.",
            )),
        };
    }
    if !random::looks_like_token(raw) {
        return Err(GraphError::unparsable_token());
    }
    let Some(token) = state.tokens.get(raw) else {
        return Err(GraphError::oauth(
            190,
            format!("Malformed access token {raw}"),
        ));
    };
    match problem(state, token) {
        Some(error) => Err(error),
        None => Ok(Credential::Token(raw.to_owned(), token.clone())),
    }
}

/// Why a known token no longer works, as Graph says it; `None` while it is valid.
pub fn problem(state: &State, token: &Token) -> Option<GraphError> {
    let invalid = |subcode: i64, detail: String| {
        Some(
            GraphError::oauth(190, format!("Error validating access token: {detail}"))
                .with_subcode(subcode),
        )
    };
    match token.revoked {
        Some(Revocation::LoggedOut) => {
            return invalid(
                467,
                "The session is invalid because the user logged out.".to_owned(),
            );
        }
        Some(Revocation::PasswordChanged) => return password_changed(),
        Some(Revocation::AppRemoved) => {
            return invalid(
                458,
                format!("The user has not authorized application {}.", token.app_id),
            );
        }
        None => {}
    }
    let valid_from = state
        .user(&token.user_id)
        .map_or(0, |u| u.tokens_valid_from);
    if token.serial < valid_from {
        return password_changed();
    }
    let now = state.now();
    match token.expires_at {
        Some(at) if at <= now => invalid(
            463,
            format!(
                "Session has expired on {}. The current time is {}.",
                pacific_time::format(at),
                pacific_time::format(now)
            ),
        ),
        _ => None,
    }
}

fn password_changed() -> Option<GraphError> {
    Some(
        GraphError::oauth(
            190,
            "Error validating access token: The session has been invalidated because the user \
             changed their password or Facebook has changed the session for security reasons.",
        )
        .with_subcode(460),
    )
}

/// Issues a user token (short-lived: about 1.4 h; long-lived: 60 days).
pub fn issue_user_token(
    state: &mut State,
    app_id: &str,
    user_id: &str,
    scopes: Vec<String>,
    pages: Vec<String>,
    long_lived: bool,
) -> (String, i64) {
    let now = state.now();
    let lifetime = if long_lived {
        LONG_LIVED_SECS
    } else {
        SHORT_LIVED_SECS
    };
    let value = random::access_token();
    let serial = state.token_serial();
    state.tokens.insert(
        value.clone(),
        Token {
            kind: TokenKind::User { long_lived },
            app_id: app_id.to_owned(),
            user_id: user_id.to_owned(),
            scopes,
            pages,
            issued_at: now,
            expires_at: Some(now + lifetime),
            data_access_expires_at: now + DATA_ACCESS_SECS,
            revoked: None,
            serial,
        },
    );
    (value, lifetime)
}

/// The page token derived from a user token: the same one each time for that user token.
/// It never expires when the user token is long-lived, and expires with it otherwise.
pub fn page_token_for(state: &mut State, user_token: &str, user: &Token, page_id: &str) -> String {
    let key = (user_token.to_owned(), page_id.to_owned());
    if let Some(existing) = state.page_tokens.get(&key) {
        return existing.clone();
    }
    let long_lived = matches!(user.kind, TokenKind::User { long_lived: true });
    let value = random::access_token();
    let serial = state.token_serial();
    let token = Token {
        kind: TokenKind::Page {
            page_id: page_id.to_owned(),
        },
        app_id: user.app_id.clone(),
        user_id: user.user_id.clone(),
        scopes: user.scopes.clone(),
        pages: vec![page_id.to_owned()],
        issued_at: state.now(),
        expires_at: if long_lived { None } else { user.expires_at },
        data_access_expires_at: user.data_access_expires_at,
        revoked: None,
        serial,
    };
    state.tokens.insert(value.clone(), token);
    state.page_tokens.insert(key, value.clone());
    value
}
