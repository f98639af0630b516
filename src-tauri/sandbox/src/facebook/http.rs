//! Facebook over HTTP, on the same server as Telegram: the dialog pages (www.facebook.com),
//! the Graph API (graph.facebook.com, `/v25.0/…` or unversioned), page pictures and the
//! Messenger files (attachments, profile pictures). The
//! router's fallback sends a request here when [`is_facebook_path`] says so.

use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::attachments::{self, Fetched};
use super::graph_error::{GraphError, GraphResult};
use super::state::{State, TokenKind};
use super::tokens::{self, Credential};
use super::{
    FacebookControl, Form, accounts, debug_token, dialog, field, handover, oauth, png, send_api,
    subscriptions,
};
use crate::params::{MAX_BODY_BYTES, Upload};

/// `v25.0`, `v3.2`, …: Graph versions are accepted but not told apart.
fn is_version(segment: &str) -> bool {
    segment.strip_prefix('v').is_some_and(|rest| {
        rest.split_once('.').is_some_and(|(major, minor)| {
            !major.is_empty()
                && !minor.is_empty()
                && major.bytes().all(|b| b.is_ascii_digit())
                && minor.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

/// True for paths Facebook serves. Telegram's are `/bot…` and `/file/bot…`, so they never
/// collide: Graph's unversioned first segments are numeric ids or a few fixed words.
pub fn is_facebook_path(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    is_version(first)
        || matches!(first, "dialog" | "oauth" | "debug_token" | "me" | "fbcdn")
        || (!first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()))
}

/// Query string and body (form or JSON object) as name/value pairs, body last.
async fn read_form(request: Request) -> Form {
    let (parts, body) = request.into_parts();
    let mut form: Form = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .unwrap_or_default();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        form.extend(form_urlencoded::parse(&bytes).into_owned());
    } else if content_type.starts_with("application/json")
        && let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&bytes)
    {
        for (name, value) in map {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            form.push((name, text));
        }
    }
    form
}

/// The query string alone (multipart bodies are read separately).
fn query_form(request: &Request) -> Form {
    request
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// A token in `Authorization: Bearer …` / `OAuth …`.
fn header_token(request: &Request) -> Option<String> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("OAuth "))?;
    Some(token.trim().to_owned())
}

fn is_multipart(request: &Request) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// What a Graph call carries besides its parameters.
#[derive(Default)]
struct Extra {
    /// The `filedata` part of a multipart upload.
    upload: Option<Upload>,
    /// The attachment URL of the call, fetched before the state was locked.
    fetched: Option<Result<Fetched, GraphError>>,
}

pub async fn serve(fb: FacebookControl, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.first().is_some_and(|s| is_version(s)) {
        segments.remove(0);
    }
    let bearer = header_token(&request);
    let mut extra = Extra::default();
    let mut form = if is_multipart(&request) {
        let query = query_form(&request);
        match attachments::read_multipart(request, query).await {
            Ok((form, upload)) => {
                extra.upload = upload;
                form
            }
            Err(error) => return error.into_response(),
        }
    } else {
        read_form(request).await
    };
    if let Some(token) = bearer.filter(|_| field(&form, "access_token").is_none()) {
        form.push(("access_token".to_owned(), token));
    }
    match (&method, segments.as_slice()) {
        (&Method::GET, ["dialog", "oauth"]) => return dialog::start(&fb, &form),
        (&Method::POST, ["dialog", "oauth", "login"]) => return dialog::log_in(&fb, &form),
        (&Method::POST, ["dialog", "oauth", "pages"]) => return dialog::choose_pages(&fb, &form),
        (&Method::POST, ["dialog", "oauth", "grant"]) => return dialog::decide(&fb, &form),
        (&Method::GET, ["fbcdn", "p50x50", file]) => return picture(&fb, file),
        (&Method::GET, ["fbcdn", "attachments", id, ..]) => {
            return attachments::serve_file(&fb, id);
        }
        (&Method::GET, ["fbcdn", "profile", file]) => return profile_picture(&fb, file),
        (&Method::GET, [id, "picture"]) if fb.lock().page(id).is_some() => {
            let url = accounts::picture_url(&fb.lock(), id);
            return (StatusCode::FOUND, [(LOCATION, url)]).into_response();
        }
        _ => {}
    }
    // Graph lets clients tunnel verbs through `method=` (GET with method=post and so on).
    let method = field(&form, "method")
        .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
        .unwrap_or(method);
    if method == Method::POST
        && matches!(segments.last(), Some(&"messages" | &"message_attachments"))
    {
        let client = fb.lock().messenger.http.clone();
        extra.fetched = attachments::prefetch(client, &form).await;
    }
    let result = graph(&mut fb.lock(), &method, &segments, &form, &extra);
    match result {
        Ok(value) => {
            tracing::debug!(%method, path, "graph ok");
            Json(value).into_response()
        }
        Err(error) => {
            tracing::debug!(%method, path, code = error.code, message = %error.message, "graph error");
            error.into_response()
        }
    }
}

fn picture(fb: &FacebookControl, file: &str) -> Response {
    match file
        .strip_suffix(".png")
        .filter(|id| fb.lock().page(id).is_some())
    {
        Some(id) => ([(CONTENT_TYPE, "image/png")], png::picture(id)).into_response(),
        None => (StatusCode::NOT_FOUND, Body::empty()).into_response(),
    }
}

fn profile_picture(fb: &FacebookControl, file: &str) -> Response {
    match file
        .strip_suffix(".png")
        .filter(|psid| fb.lock().messenger.customer_by_psid(psid).is_some())
    {
        Some(psid) => ([(CONTENT_TYPE, "image/png")], png::picture(psid)).into_response(),
        None => (StatusCode::NOT_FOUND, Body::empty()).into_response(),
    }
}

fn graph(
    state: &mut State,
    method: &Method,
    segments: &[&str],
    form: &Form,
    extra: &Extra,
) -> GraphResult {
    let verb = method.as_str().to_ascii_lowercase();
    match segments {
        ["oauth", "access_token"] => return oauth::access_token(state, form),
        ["oauth", "access_token", rest @ ..] => {
            return Err(GraphError::unknown_path(&rest.join("/")));
        }
        [] => {
            return Err(GraphError::oauth(
                100,
                format!("Unsupported {verb} request."),
            ));
        }
        _ => {}
    }
    let credential = match field(form, "access_token") {
        Some(raw) => tokens::authenticate(state, raw)?,
        None if segments[0] == "me" => return Err(GraphError::active_token_required()),
        None => return Err(GraphError::token_required()),
    };
    // `/me` with a page token is the page.
    let me_page = match &credential {
        Credential::Token(_, token) => match &token.kind {
            TokenKind::Page { page_id } => Some(page_id.clone()),
            TokenKind::User { .. } => None,
        },
        Credential::App(_) => None,
    };
    let node = match (segments[0], &me_page) {
        ("me", Some(page_id)) => page_id.as_str(),
        (node, _) => node,
    };
    let is_page = state.page(node).is_some();
    let is_customer = state.messenger.customer_by_psid(node).is_some();
    let fetched = extra.fetched.as_ref();
    let c = &credential;
    match (method, segments) {
        (&Method::POST, [_, "messages"]) if is_page => {
            send_api::send(state, c, node, form, fetched)
        }
        (&Method::POST, [_, "message_attachments"]) if is_page => {
            attachments::upload(state, c, node, form, extra.upload.as_ref(), fetched)
        }
        (&Method::POST, [_, "pass_thread_control"]) if is_page => {
            handover::pass(state, c, node, form)
        }
        (&Method::POST, [_, "take_thread_control"]) if is_page => {
            handover::take(state, c, node, form)
        }
        (&Method::POST, [_, "request_thread_control"]) if is_page => {
            handover::request(state, c, node, form)
        }
        (&Method::GET, [_, "thread_owner"]) if is_page => handover::owner(state, c, node, form),
        (&Method::GET, [_]) if is_customer => handover::profile(state, c, node, form),
        (&Method::GET, ["debug_token"]) => debug_token::debug_token(state, &credential, form),
        (&Method::GET, ["me"]) => accounts::me(state, &credential, form),
        (&Method::GET, ["me", "accounts"]) => accounts::accounts(state, &credential, form),
        (_, [_, "subscribed_apps"]) if is_page => match *method {
            Method::POST => subscriptions::subscribe(state, &credential, node, form),
            Method::GET => subscriptions::list(state, &credential, node),
            Method::DELETE => subscriptions::unsubscribe(state, &credential, node),
            _ => Err(GraphError::unsupported(&verb, node)),
        },
        (&Method::GET, [_]) if is_page => accounts::page_node(state, &credential, node, form),
        (_, [_, edge]) if is_page || segments[0] == "me" => {
            let kind = if is_page { "Page" } else { "User" };
            Err(GraphError::nonexisting_field(edge, kind))
        }
        (_, [_, _, rest @ ..]) if is_page || segments[0] == "me" => {
            Err(GraphError::unknown_path(&rest.join("/")))
        }
        _ => Err(GraphError::unsupported(&verb, node)),
    }
}
