//! Public types of the Facebook simulation (arguments and results of [`super::FacebookControl`]).

use serde::{Deserialize, Serialize};

/// A Facebook app (Meta developer app) the sandbox knows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FacebookApp {
    pub app_id: String,
    pub app_secret: String,
    /// Shown in the dialog and as `application` in `debug_token`; defaults to "Switchboard".
    #[serde(default)]
    pub name: Option<String>,
    /// Valid OAuth redirect URIs (exact match). Empty: only
    /// `https://www.facebook.com/connect/login_success.html`.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
}

/// A person who can log in in the OAuth dialog.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FacebookUser {
    /// Random 15-digit id when absent.
    #[serde(default)]
    pub id: Option<String>,
    pub email: String,
    pub password: String,
    pub name: String,
}

/// A Facebook Page managed by a person with the given tasks. Adding the same page id again
/// with another person gives that person a role too.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FacebookPage {
    /// Random 15-digit id when absent.
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    /// Email of the person who manages the page.
    pub manager_email: String,
    /// Tasks of that person, e.g. `["ADVERTISE","ANALYZE","CREATE_CONTENT","MESSAGING","MODERATE","MANAGE"]`.
    pub tasks: Vec<String>,
    /// Defaults to "Business".
    #[serde(default)]
    pub category: Option<String>,
}

/// Why a token stopped working; each has Meta's code 190 subcode and message.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Revocation {
    /// Subcode 467: "The session is invalid because the user logged out."
    #[default]
    LoggedOut,
    /// Subcode 460: the person changed their password.
    PasswordChanged,
    /// Subcode 458: the person removed the app.
    AppRemoved,
}

/// The error the next `POST /{page-id}/subscribed_apps` of a page answers with.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SubscribeFault {
    /// Graph error code (200, 190, 100, 2, 4, 10, 32, 613 have default messages).
    pub code: i64,
    #[serde(default)]
    pub error_subcode: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
    /// Defaults to 400 (500 for codes 1 and 2).
    #[serde(default)]
    pub http_status: Option<u16>,
}

impl SubscribeFault {
    /// The most common refusal: the token lacks `pages_manage_metadata`.
    pub fn missing_permission() -> SubscribeFault {
        SubscribeFault {
            code: 200,
            error_subcode: None,
            message: None,
            http_status: None,
        }
    }
}

/// An app's webhook subscription on a page.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Subscription {
    pub app_id: String,
    pub subscribed_fields: Vec<String>,
}

/// What the sandbox knows about an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenInfo {
    /// `"USER"` or `"PAGE"`.
    #[serde(rename = "type")]
    pub kind: String,
    pub app_id: String,
    pub user_id: String,
    pub page_id: Option<String>,
    pub scopes: Vec<String>,
    pub pages: Vec<String>,
    pub long_lived: bool,
    pub issued_at: i64,
    /// 0: never expires.
    pub expires_at: i64,
    pub revoked: Option<Revocation>,
}
