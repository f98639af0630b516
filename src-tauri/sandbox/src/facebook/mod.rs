//! The simulated Facebook: Facebook Login for pages (the OAuth dialog as HTML pages, the code
//! and long-lived token exchanges), `/me/accounts`, page webhook subscriptions and
//! `debug_token`, following Graph API v25.0; the Messenger Platform (webhooks, the Send API,
//! attachments, profiles, Conversation Routing); and [`FacebookControl`], the in-process control.

mod accounts;
mod attachments;
mod catalog;
mod debug_token;
mod demo;
mod dialog;
mod graph_error;
mod handover;
mod html;
mod http;
mod messenger_control;
mod messenger_customers;
mod messenger_state;
mod messenger_types;
mod oauth;
mod pacific_time;
mod png;
mod random;
mod send_api;
mod state;
mod subscriptions;
mod tokens;
mod types;
mod webhook;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub(crate) use http::{is_facebook_path, serve};
pub use messenger_types::{
    AttachmentKind, CustomerAttachment, CustomerMessengerMessage, DeliveryAttempt,
    MessengerCustomer, PAGE_INBOX_APP_ID, PageEcho, SentMessengerMessage, WebhookRetry,
};
pub use types::{
    FacebookApp, FacebookPage, FacebookUser, Revocation, SubscribeFault, Subscription, TokenInfo,
};

use crate::SandboxError;
use state::{App, CODE_LIFETIME_SECS, DEFAULT_REDIRECT_URI, Page, State, TokenKind, User};

/// Request parameters as name/value pairs (query string first, then the body).
pub(crate) type Form = Vec<(String, String)>;

/// The last non-empty value of `name` (the body wins over the query string).
pub(crate) fn field<'a>(form: &'a Form, name: &str) -> Option<&'a str> {
    form.iter()
        .rev()
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.as_str())
}

/// In-process control of the simulated Facebook: the same operations as the HTTP control API
/// under `/_sandbox/facebook/`. Cheap to clone; every operation is immediate.
#[derive(Clone, Default)]
pub struct FacebookControl {
    state: Arc<Mutex<State>>,
}

fn invalid(message: impl Into<String>) -> SandboxError {
    SandboxError::InvalidInput(message.into())
}

fn unknown(what: &str, id: &str) -> SandboxError {
    SandboxError::UnknownFacebookObject(format!("no Facebook {what} {id:?} in the sandbox"))
}

impl FacebookControl {
    pub(crate) fn new(base_url: String) -> FacebookControl {
        let control = FacebookControl::default();
        let mut state = control.lock();
        state.base_url = base_url;
        state.messenger.this = Arc::downgrade(&control.state);
        state.messenger.runtime = tokio::runtime::Handle::try_current().ok();
        state.messenger.http = reqwest::Client::builder()
            .user_agent("facebookexternalua")
            .build()
            .ok();
        drop(state);
        control
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds an app, or replaces the secret, name and redirect URIs of an existing one.
    pub fn add_app(&self, app: FacebookApp) -> Result<(), SandboxError> {
        let id = app.app_id.trim();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!("app_id {id:?} must be digits")));
        }
        if app.app_secret.trim().is_empty() || app.app_secret.contains('|') {
            return Err(invalid("app_secret must be non-empty and without '|'"));
        }
        let redirect_uris = if app.redirect_uris.is_empty() {
            vec![DEFAULT_REDIRECT_URI.to_owned()]
        } else {
            app.redirect_uris
        };
        let app = App {
            id: id.to_owned(),
            secret: app.app_secret,
            name: app.name.unwrap_or_else(|| "Switchboard".to_owned()),
            redirect_uris,
        };
        let mut state = self.lock();
        state.apps.retain(|a| a.id != app.id);
        state.apps.push(app);
        Ok(())
    }

    /// Adds a person who can log in in the dialog; returns their id.
    pub fn add_user(&self, user: FacebookUser) -> Result<String, SandboxError> {
        if !user.email.contains('@') || user.password.is_empty() || user.name.trim().is_empty() {
            return Err(invalid("a user needs an email, a password and a name"));
        }
        let mut state = self.lock();
        if state.user_by_email(&user.email).is_some() {
            return Err(invalid(format!(
                "a user with email {:?} exists",
                user.email
            )));
        }
        let id = user.id.unwrap_or_else(random::numeric_id);
        if state.user(&id).is_some() {
            return Err(invalid(format!("a user with id {id:?} exists")));
        }
        state.users.push(User {
            id: id.clone(),
            email: user.email.trim().to_owned(),
            password: user.password,
            name: user.name,
            tokens_valid_from: 0,
        });
        Ok(id)
    }

    /// Adds a page managed by an existing person (or gives that person a role on an existing
    /// page with the same id); returns the page id.
    pub fn add_page(&self, page: FacebookPage) -> Result<String, SandboxError> {
        let mut state = self.lock();
        let user_id = state
            .user_by_email(&page.manager_email)
            .map(|u| u.id.clone())
            .ok_or_else(|| unknown("user", &page.manager_email))?;
        let id = page.id.unwrap_or_else(random::numeric_id);
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!("page id {id:?} must be digits")));
        }
        if let Some(existing) = state.page_mut(&id) {
            existing.roles.retain(|(u, _)| *u != user_id);
            existing.roles.push((user_id, page.tasks));
            return Ok(id);
        }
        state.pages.push(Page {
            id: id.clone(),
            name: page.name,
            category: page.category.unwrap_or_else(|| "Business".to_owned()),
            roles: vec![(user_id, page.tasks)],
            subscriptions: Vec::new(),
            next_subscribe_fault: Vec::new(),
        });
        Ok(id)
    }

    /// The demo: an app, `admin@example.com` / `sandbox` (Sandbox Admin) managing "Acme
    /// Support", "Acme Sales" and "Acme Jobs" (the last without the MESSAGING task).
    pub fn load_demo(&self, app_id: &str, app_secret: &str) -> Result<(), SandboxError> {
        demo::load(self, app_id, app_secret)
    }

    /// The apps subscribed to a page's webhooks, with their fields.
    pub fn subscriptions(&self, page_id: &str) -> Result<Vec<Subscription>, SandboxError> {
        let state = self.lock();
        let page = state
            .page(page_id)
            .ok_or_else(|| unknown("page", page_id))?;
        Ok(page
            .subscriptions
            .iter()
            .map(|(app_id, fields)| Subscription {
                app_id: app_id.clone(),
                subscribed_fields: fields.clone(),
            })
            .collect())
    }

    /// The next `POST /{page_id}/subscribed_apps` fails with this error (several faults are
    /// used up in order).
    pub fn fail_next_subscription(
        &self,
        page_id: &str,
        fault: SubscribeFault,
    ) -> Result<(), SandboxError> {
        let mut state = self.lock();
        let page = state
            .page_mut(page_id)
            .ok_or_else(|| unknown("page", page_id))?;
        page.next_subscribe_fault.push(fault);
        Ok(())
    }

    /// Revokes a user or page token as if the person logged out (190/467).
    pub fn revoke_token(&self, token: &str) -> Result<(), SandboxError> {
        self.revoke_token_because(token, Revocation::LoggedOut)
    }

    /// Revokes a token for a given reason (190 with subcode 467, 460 or 458).
    pub fn revoke_token_because(&self, token: &str, why: Revocation) -> Result<(), SandboxError> {
        let mut state = self.lock();
        let token = state
            .tokens
            .get_mut(token)
            .ok_or_else(|| unknown("token", token))?;
        token.revoked = Some(why);
        Ok(())
    }

    /// The person changes their password: every token issued to them so far dies (190/460).
    pub fn change_password(&self, email: &str, new_password: &str) -> Result<(), SandboxError> {
        let mut state = self.lock();
        let valid_from = state.next_token_serial + 1;
        let user = state
            .users
            .iter_mut()
            .find(|u| u.email.eq_ignore_ascii_case(email))
            .ok_or_else(|| unknown("user", email))?;
        user.password = new_password.to_owned();
        user.tokens_valid_from = valid_from;
        Ok(())
    }

    /// Makes every authorization code issued so far expired (older than 10 minutes).
    pub fn expire_codes(&self) {
        let mut state = self.lock();
        for code in state.codes.values_mut() {
            code.issued_at -= CODE_LIFETIME_SECS;
        }
    }

    /// Moves the sandbox's Facebook clock forward (codes and tokens expire by it).
    pub fn advance_clock(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        let mut state = self.lock();
        state.clock_offset_secs = state.clock_offset_secs.saturating_add(secs);
    }

    /// Moves the clock by `secs`, back when negative: a test of "the customer
    /// wrote 25 hours ago" shifts it back before the customer writes, so the
    /// app (on the real clock) sees an old message.
    pub fn shift_clock(&self, secs: i64) {
        let mut state = self.lock();
        state.clock_offset_secs = state.clock_offset_secs.saturating_add(secs);
    }

    /// Unix seconds on the sandbox's Facebook clock.
    pub fn now(&self) -> i64 {
        self.lock().now()
    }

    /// What the sandbox knows about a token (`None` for one it never issued).
    pub fn token_info(&self, token: &str) -> Option<TokenInfo> {
        let state = self.lock();
        let t = state.tokens.get(token)?;
        let (kind, page_id, long_lived) = match &t.kind {
            TokenKind::User { long_lived } => ("USER", None, *long_lived),
            TokenKind::Page { page_id } => ("PAGE", Some(page_id.clone()), t.expires_at.is_none()),
        };
        Some(TokenInfo {
            kind: kind.to_owned(),
            app_id: t.app_id.clone(),
            user_id: t.user_id.clone(),
            page_id,
            scopes: t.scopes.clone(),
            pages: t.pages.clone(),
            long_lived,
            issued_at: t.issued_at,
            expires_at: t.expires_at.unwrap_or(0),
            revoked: t.revoked,
        })
    }
}
