//! The simulated Facebook: apps, people, pages, dialog sessions, authorization codes and tokens.
//!
//! Locking: one `std::sync::Mutex` around everything, never held across an `.await`. Time comes
//! from [`State::now`], the wall clock plus an offset that tests move forward.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use super::messenger_state::MessengerState;
use super::types::{Revocation, SubscribeFault};

pub const SHORT_LIVED_SECS: i64 = 5183;
pub const LONG_LIVED_SECS: i64 = 60 * 24 * 3600;
pub const DATA_ACCESS_SECS: i64 = 90 * 24 * 3600;
pub const CODE_LIFETIME_SECS: i64 = 600;
pub const DEFAULT_REDIRECT_URI: &str = "https://www.facebook.com/connect/login_success.html";

#[derive(Debug, Clone)]
pub struct App {
    pub id: String,
    pub secret: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub password: String,
    pub name: String,
    /// Tokens with a smaller serial died with code 190/460 when the password changed.
    pub tokens_valid_from: u64,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub id: String,
    pub name: String,
    pub category: String,
    /// user id → tasks, in the order people were added.
    pub roles: Vec<(String, Vec<String>)>,
    /// app id → subscribed fields.
    pub subscriptions: Vec<(String, Vec<String>)>,
    pub next_subscribe_fault: Vec<SubscribeFault>,
}

impl Page {
    pub fn tasks_of(&self, user_id: &str) -> Option<&[String]> {
        self.roles
            .iter()
            .find(|(id, _)| id == user_id)
            .map(|(_, tasks)| tasks.as_slice())
    }
}

/// Where a person is in the OAuth dialog.
#[derive(Debug, Clone)]
pub enum Step {
    LogIn,
    ChoosePages { user_id: String },
    Grant { user_id: String, pages: Vec<String> },
}

#[derive(Debug, Clone)]
pub struct DialogSession {
    pub app_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub scopes: Vec<String>,
    pub invalid_scopes: Vec<String>,
    pub step: Step,
}

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub app_id: String,
    pub redirect_uri: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub pages: Vec<String>,
    pub issued_at: i64,
    pub used: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    User { long_lived: bool },
    Page { page_id: String },
}

#[derive(Debug, Clone)]
pub struct Token {
    pub kind: TokenKind,
    pub app_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    /// Pages the person chose in the dialog (user tokens; a page token has its own page).
    pub pages: Vec<String>,
    pub issued_at: i64,
    /// `None`: never expires.
    pub expires_at: Option<i64>,
    pub data_access_expires_at: i64,
    pub revoked: Option<Revocation>,
    /// Issue order, so a password change kills exactly the tokens issued before it.
    pub serial: u64,
}

#[derive(Debug, Default)]
pub struct State {
    pub base_url: String,
    pub clock_offset_secs: i64,
    pub apps: Vec<App>,
    pub users: Vec<User>,
    pub pages: Vec<Page>,
    pub sessions: HashMap<String, DialogSession>,
    pub codes: HashMap<String, AuthCode>,
    pub tokens: HashMap<String, Token>,
    /// (user token, page id) → page token, so `/me/accounts` hands out stable page tokens.
    pub page_tokens: HashMap<(String, String), String>,
    /// Serial of the next token issued.
    pub next_token_serial: u64,
    /// The Messenger Platform: customers, webhooks, sent messages, handover.
    pub messenger: MessengerState,
}

impl State {
    /// Unix seconds on the sandbox's clock.
    pub fn now(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        wall.saturating_add(self.clock_offset_secs)
    }

    /// Takes the next token serial.
    pub fn token_serial(&mut self) -> u64 {
        self.next_token_serial += 1;
        self.next_token_serial
    }

    pub fn app(&self, id: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.id == id)
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(email.trim()))
    }

    pub fn page(&self, id: &str) -> Option<&Page> {
        self.pages.iter().find(|p| p.id == id)
    }

    pub fn page_mut(&mut self, id: &str) -> Option<&mut Page> {
        self.pages.iter_mut().find(|p| p.id == id)
    }

    /// Pages a person manages, in creation order.
    pub fn pages_of(&self, user_id: &str) -> Vec<&Page> {
        self.pages
            .iter()
            .filter(|p| p.tasks_of(user_id).is_some())
            .collect()
    }
}
