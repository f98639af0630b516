//! The Bot API over HTTP: `/bot<token>/<method>` and `/file/bot<token>/<file_path>`, served at
//! the root as on api.telegram.org. Axum cannot capture part of a segment (`bot<token>`), so
//! this is the router's fallback and parses the path itself.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use super::faults::{self, Effect};
use super::state::Registry;
use super::token::parse_token;
use super::{ApiError, TelegramControl, api_error, files, methods};
use crate::params::Params;

/// Percent-decodes a path segment (`%3A` → `:`); `None` if the result is not UTF-8.
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(value).ok()?);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Looks the token up: a malformed token and an unknown one both get 401, with the real
/// server's two texts. A revoked token is as unknown as one that never existed.
fn bot_for(registry: &Registry, raw_token: &str) -> Result<Arc<super::state::Bot>, ApiError> {
    let token = percent_decode(raw_token).unwrap_or_default();
    if parse_token(&token).is_err() {
        return Err(ApiError::new(401, "Unauthorized: invalid token specified"));
    }
    registry
        .get(&token)
        .filter(|bot| !bot.is_revoked())
        .ok_or_else(ApiError::unauthorized)
}

/// The router's fallback: everything that is not the control API.
pub async fn bot_api(State(telegram): State<TelegramControl>, request: Request) -> Response {
    let registry = telegram.registry();
    let path = request.uri().path().to_owned();
    if let Some(rest) = path.strip_prefix("/file/bot") {
        return file_download(registry, rest);
    }
    let Some(rest) = path.strip_prefix("/bot") else {
        return ApiError::not_found().into_response();
    };
    let (raw_token, method) = rest.split_once('/').unwrap_or((rest, ""));
    let bot = match bot_for(registry, raw_token) {
        Ok(bot) => bot,
        Err(error) => return error.into_response(),
    };
    if method.is_empty() || method.contains('/') {
        return ApiError::not_found().into_response();
    }
    let (parts, body) = request.into_parts();
    let params = match Params::from_request(parts, body).await {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let effect = bot.lock().faults.take(method);
    match effect {
        Some(Effect::Fail(fault)) => {
            tracing::info!(
                bot = bot.id,
                method,
                code = fault.error_code,
                "injected fault"
            );
            return faults::error(&fault).into_response();
        }
        Some(Effect::Delay(delay)) => {
            tracing::info!(bot = bot.id, method, ?delay, "injected slow call");
            tokio::time::sleep(delay).await;
        }
        None => {}
    }
    let closing = || registry.is_closed();
    match methods::call(&bot, method, &params, closing).await {
        Ok(result) => {
            tracing::debug!(bot = bot.id, method, "ok");
            api_error::ok(result)
        }
        Err(error) => {
            tracing::debug!(bot = bot.id, method, code = error.code, %error.description, "error");
            error.into_response()
        }
    }
}

/// `/file/bot<token>/<file_path>`: the bytes of a file `getFile` described.
fn file_download(registry: &Registry, rest: &str) -> Response {
    let (raw_token, file_path) = rest.split_once('/').unwrap_or((rest, ""));
    let bot = match bot_for(registry, raw_token) {
        Ok(bot) => bot,
        Err(error) => return error.into_response(),
    };
    let file_path = percent_decode(file_path).unwrap_or_default();
    match files::download(&bot, &file_path) {
        Some((bytes, mime)) => ([(CONTENT_TYPE, mime)], bytes).into_response(),
        None => ApiError::not_found().into_response(),
    }
}
