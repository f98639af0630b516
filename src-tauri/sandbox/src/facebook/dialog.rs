//! The OAuth dialog (`/v25.0/dialog/oauth`): log in, choose pages, grant. Each step is an HTML
//! form posting back to the sandbox with a server-side session id; the last one redirects to
//! the app's `redirect_uri` with a code, or with `error=access_denied`.

use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};

use super::state::{AuthCode, DialogSession, Step};
use super::{FacebookControl, Form, catalog, field, html, random};

const INVALID_APP: &str = "Invalid App ID: The provided app ID does not look like a valid app ID.";
const URL_BLOCKED: &str = "URL Blocked: This redirect failed because the redirect URI is not \
    whitelisted in the app's Client OAuth Settings. Make sure Client and Web OAuth Login are on \
    and add all your app domains as Valid OAuth Redirect URIs.";
const SESSION_GONE: &str =
    "Sorry, something went wrong. This login dialog has expired or was already completed.";
const UNKNOWN_EMAIL: &str = "The email address you entered isn't connected to an account.";
const WRONG_PASSWORD: &str = "The password that you've entered is incorrect.";

/// `GET /dialog/oauth?client_id&redirect_uri&state&response_type=code&scope=…`.
pub fn start(fb: &FacebookControl, query: &Form) -> Response {
    let mut state = fb.lock();
    let Some(app) = field(query, "client_id")
        .and_then(|id| state.app(id))
        .cloned()
    else {
        return html::error_page(INVALID_APP);
    };
    let Some(redirect_uri) = field(query, "redirect_uri") else {
        return html::error_page("Missing redirect_uri parameter.");
    };
    if !app.redirect_uris.iter().any(|uri| uri == redirect_uri) {
        return html::error_page(URL_BLOCKED);
    }
    if let Some(kind) = field(query, "response_type").filter(|kind| *kind != "code") {
        return html::error_page(&format!(
            "Unsupported response_type \"{kind}\": the sandbox simulates response_type=code only."
        ));
    }
    let mut scopes = vec!["public_profile".to_owned()];
    let mut invalid_scopes = Vec::new();
    let requested = field(query, "scope").unwrap_or_default();
    for scope in requested
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let list = if catalog::permission_text(scope).is_some() {
            &mut scopes
        } else {
            &mut invalid_scopes
        };
        if !list.iter().any(|s| s == scope) {
            list.push(scope.to_owned());
        }
    }
    let session = random::session_id();
    let page = html::login(&session, &app.name, "", None, &invalid_scopes);
    state.sessions.insert(
        session,
        DialogSession {
            app_id: app.id,
            redirect_uri: redirect_uri.to_owned(),
            state: field(query, "state").map(str::to_owned),
            scopes,
            invalid_scopes,
            step: Step::LogIn,
        },
    );
    page
}

/// `POST /dialog/oauth/login` (`session`, `email`, `pass`).
pub fn log_in(fb: &FacebookControl, form: &Form) -> Response {
    let mut state = fb.lock();
    let id = field(form, "session").unwrap_or_default().to_owned();
    let Some(session) = state.sessions.get(&id).cloned() else {
        return html::error_page(SESSION_GONE);
    };
    let app_name = state.app(&session.app_id).map(|a| a.name.clone());
    let app_name = app_name.unwrap_or_default();
    let email = field(form, "email").unwrap_or_default();
    let password = field(form, "pass").unwrap_or_default();
    let user = match state.user_by_email(email) {
        None => {
            let scopes = &session.invalid_scopes;
            return html::login(&id, &app_name, email, Some(UNKNOWN_EMAIL), scopes);
        }
        Some(user) if user.password != password => {
            let scopes = &session.invalid_scopes;
            return html::login(&id, &app_name, email, Some(WRONG_PASSWORD), scopes);
        }
        Some(user) => user.clone(),
    };
    let pages: Vec<(String, String)> = state
        .pages_of(&user.id)
        .iter()
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    let wants_pages = session.scopes.iter().any(|s| s.starts_with("pages_"));
    let (step, page) = if wants_pages && !pages.is_empty() {
        (
            Step::ChoosePages {
                user_id: user.id.clone(),
            },
            html::choose_pages(&id, &app_name, &pages),
        )
    } else {
        let page = grant_page(&id, &app_name, &user.name, &session.scopes, &[]);
        (
            Step::Grant {
                user_id: user.id.clone(),
                pages: Vec::new(),
            },
            page,
        )
    };
    if let Some(session) = state.sessions.get_mut(&id) {
        session.step = step;
    }
    page
}

/// `POST /dialog/oauth/pages` (`session`, one `page` per checked box).
pub fn choose_pages(fb: &FacebookControl, form: &Form) -> Response {
    let mut state = fb.lock();
    let id = field(form, "session").unwrap_or_default().to_owned();
    let Some(DialogSession {
        app_id,
        scopes,
        step: Step::ChoosePages { user_id },
        ..
    }) = state.sessions.get(&id).cloned()
    else {
        return html::error_page(SESSION_GONE);
    };
    let chosen: Vec<(String, String)> = state
        .pages_of(&user_id)
        .iter()
        .filter(|p| form.iter().any(|(k, v)| k == "page" && *v == p.id))
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    let app_name = state
        .app(&app_id)
        .map(|a| a.name.clone())
        .unwrap_or_default();
    let user_name = state
        .user(&user_id)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let names: Vec<String> = chosen.iter().map(|(_, name)| name.clone()).collect();
    let page = grant_page(&id, &app_name, &user_name, &scopes, &names);
    if let Some(session) = state.sessions.get_mut(&id) {
        session.step = Step::Grant {
            user_id,
            pages: chosen.into_iter().map(|(page_id, _)| page_id).collect(),
        };
    }
    page
}

fn grant_page(
    session: &str,
    app_name: &str,
    user_name: &str,
    scopes: &[String],
    page_names: &[String],
) -> Response {
    let permissions: Vec<(String, &str)> = scopes
        .iter()
        .map(|s| (s.clone(), catalog::permission_text(s).unwrap_or("")))
        .collect();
    html::grant(session, app_name, user_name, &permissions, page_names)
}

/// `POST /dialog/oauth/grant` (`session`, `decision=allow|cancel`): the redirect back.
pub fn decide(fb: &FacebookControl, form: &Form) -> Response {
    let mut state = fb.lock();
    let id = field(form, "session").unwrap_or_default();
    let Some(session) = state.sessions.remove(id) else {
        return html::error_page(SESSION_GONE);
    };
    let Step::Grant { user_id, pages } = session.step.clone() else {
        return html::error_page(SESSION_GONE);
    };
    let state_param = session.state.as_deref();
    if field(form, "decision") != Some("allow") {
        let mut pairs = vec![
            ("error", "access_denied"),
            ("error_code", "200"),
            ("error_description", "Permissions error"),
            ("error_reason", "user_denied"),
        ];
        pairs.extend(state_param.map(|s| ("state", s)));
        return redirect(&session.redirect_uri, &pairs);
    }
    let code = random::auth_code();
    let issued_at = state.now();
    state.codes.insert(
        code.clone(),
        AuthCode {
            app_id: session.app_id.clone(),
            redirect_uri: session.redirect_uri.clone(),
            user_id,
            scopes: session.scopes.clone(),
            pages,
            issued_at,
            used: false,
        },
    );
    let mut pairs = vec![("code", code.as_str())];
    pairs.extend(state_param.map(|s| ("state", s)));
    redirect(&session.redirect_uri, &pairs)
}

/// 302 to `uri` with `pairs` added to its query and Meta's `#_=_` fragment.
fn redirect(uri: &str, pairs: &[(&str, &str)]) -> Response {
    let base = uri.split('#').next().unwrap_or(uri);
    let separator = if base.contains('?') { '&' } else { '?' };
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let location = format!("{base}{separator}{query}#_=_");
    (StatusCode::FOUND, [(LOCATION, location)]).into_response()
}
