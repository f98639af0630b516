//! What the Graph API answers, in the shapes Switchboard uses.

use serde::Deserialize;

use crate::GraphError;
use crate::secret::Secret;

/// A user access token from the code exchange or the long-lived exchange.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UserToken {
    pub access_token: Secret,
    /// Seconds. Meta leaves it out for some tokens; long-lived ones are ≈ 60 days.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// A Page the user can act for, as `/me/accounts` lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawPage")]
pub struct PageAccount {
    pub id: String,
    pub name: String,
    /// The page token. Meta returns one for every role but Live Contributor;
    /// when it gave none this is empty and [`PageAccount::can_message`] is false.
    pub access_token: Secret,
    /// The user's tasks on the page: `MANAGE`, `MESSAGING`, `MODERATE`, ….
    pub tasks: Vec<String>,
    /// Meta's CDN URL for the page's picture (it expires).
    pub picture_url: Option<String>,
}

impl PageAccount {
    /// Whether Switchboard can answer this page's messages with the user's role.
    pub fn can_message(&self) -> bool {
        !self.access_token.is_empty()
            && self
                .tasks
                .iter()
                .any(|task| task == "MESSAGING" || task == "MANAGE")
    }
}

#[derive(Deserialize)]
struct RawPage {
    id: String,
    #[serde(default)]
    name: String,
    access_token: Option<Secret>,
    #[serde(default)]
    tasks: Vec<String>,
    picture: Option<RawPicture>,
}

#[derive(Deserialize)]
struct RawPicture {
    data: Option<RawPictureData>,
}

#[derive(Deserialize)]
struct RawPictureData {
    url: Option<String>,
}

impl From<RawPage> for PageAccount {
    fn from(raw: RawPage) -> Self {
        Self {
            id: raw.id,
            name: raw.name,
            access_token: raw.access_token.unwrap_or_else(|| Secret::new("")),
            tasks: raw.tasks,
            picture_url: raw.picture.and_then(|p| p.data).and_then(|d| d.url),
        }
    }
}

/// `debug_token`'s `data`: what Meta says about a token.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TokenInfo {
    pub is_valid: bool,
    /// Unix seconds; 0 means the token never expires (page tokens from a
    /// long-lived user token). See [`TokenInfo::expires_at`].
    #[serde(default, rename = "expires_at")]
    pub expires_at_raw: i64,
    #[serde(default)]
    pub data_access_expires_at: i64,
    #[serde(default)]
    pub issued_at: Option<i64>,
    /// `USER`, `PAGE`, `APP`, ….
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub application: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    /// The page, for a page token.
    #[serde(default)]
    pub profile_id: Option<String>,
    /// Why an invalid token is invalid.
    #[serde(default)]
    pub error: Option<TokenProblem>,
}

/// `debug_token`'s `data.error` for an invalid token.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TokenProblem {
    pub code: i64,
    #[serde(default)]
    pub subcode: Option<i64>,
    #[serde(default)]
    pub message: String,
}

impl TokenInfo {
    /// When the token expires, in Unix seconds; `None` when it never does.
    pub fn expires_at(&self) -> Option<i64> {
        (self.expires_at_raw > 0).then_some(self.expires_at_raw)
    }

    /// For an invalid token, the reason as a [`GraphError`] (code 190 when Meta
    /// gave none), so that [`crate::explain()`] can put it in words.
    pub fn problem(&self) -> Option<GraphError> {
        if self.is_valid {
            return None;
        }
        let (code, subcode, message) = match &self.error {
            Some(p) => (p.code, p.subcode, p.message.clone()),
            None => (190, None, "the token is not valid".to_owned()),
        };
        Some(GraphError::Api {
            code,
            subcode,
            kind: "OAuthException".into(),
            message,
            fbtrace_id: None,
            http_status: 200,
        })
    }

    /// Whether every one of `scopes` was granted.
    pub fn has_scopes(&self, scopes: &[&str]) -> bool {
        scopes.iter().all(|s| self.scopes.iter().any(|g| g == s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_reads_tasks_and_the_nested_picture_url() {
        let page: PageAccount = serde_json::from_value(json!({
            "id": "1001", "name": "Acme Support", "access_token": "PAGE-TOKEN",
            "tasks": ["ANALYZE", "MESSAGING"],
            "picture": {"data": {"height": 50, "is_silhouette": false, "url": "https://cdn/p.png", "width": 50}}
        }))
        .unwrap();
        assert_eq!(page.picture_url.as_deref(), Some("https://cdn/p.png"));
        assert_eq!(page.tasks, ["ANALYZE", "MESSAGING"]);
        assert!(page.can_message());
        assert!(!format!("{page:?}").contains("PAGE-TOKEN"));
    }

    #[test]
    fn a_page_without_a_token_or_messaging_task_cannot_be_chosen() {
        let page: PageAccount =
            serde_json::from_value(json!({"id": "1", "name": "P", "tasks": ["MESSAGING"]}))
                .unwrap();
        assert!(!page.can_message());
        let page: PageAccount = serde_json::from_value(
            json!({"id": "1", "name": "P", "access_token": "t", "tasks": ["ANALYZE"]}),
        )
        .unwrap();
        assert!(!page.can_message());
        assert_eq!(page.picture_url, None);
    }

    #[test]
    fn an_invalid_token_carries_its_reason_as_an_error() {
        let info: TokenInfo = serde_json::from_value(json!({
            "app_id": "42", "type": "PAGE", "application": "Switchboard",
            "expires_at": 0, "is_valid": false, "scopes": ["pages_messaging"],
            "error": {"code": 190, "subcode": 460, "message": "password changed"}
        }))
        .unwrap();
        assert_eq!(info.expires_at(), None);
        assert_eq!(info.kind.as_deref(), Some("PAGE"));
        let problem = info.problem().unwrap();
        assert_eq!((problem.code(), problem.subcode()), (Some(190), Some(460)));
        assert!(info.has_scopes(&["pages_messaging"]));
        assert!(!info.has_scopes(&["pages_messaging", "pages_manage_metadata"]));
    }

    #[test]
    fn a_valid_token_has_no_problem_and_may_expire() {
        let info: TokenInfo =
            serde_json::from_value(json!({"is_valid": true, "expires_at": 1_900_000_000})).unwrap();
        assert_eq!(info.problem(), None);
        assert_eq!(info.expires_at(), Some(1_900_000_000));
    }
}
