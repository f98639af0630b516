//! Facebook page selection: the app's id and secret in Settings, Facebook
//! Login (the shell shows the dialog in a window of its own and hands back the
//! redirect it caught), the page picker, and one channel per chosen page.
//!
//! Tokens never leave Rust: the user token and page tokens of a login wait in
//! memory (`logins`) until the admin picks pages; then each chosen page is
//! subscribed, its token goes to the keychain and its channel is created — all
//! three or none, page by page.

mod connect;
mod logins;
mod settings;

pub use logins::FacebookLogins;
pub use settings::DEFAULT_REDIRECT_URI;
pub(crate) use settings::keychain;

/// Where Facebook lives: the real sites, or the sandbox in the demo and tests.
#[derive(Debug, Clone)]
pub struct FacebookEndpoints {
    /// `https://graph.facebook.com/`
    pub graph_base: String,
    /// `https://www.facebook.com/` (the Login dialog)
    pub www_base: String,
}

impl Default for FacebookEndpoints {
    fn default() -> Self {
        Self {
            graph_base: "https://graph.facebook.com/".into(),
            www_base: "https://www.facebook.com/".into(),
        }
    }
}

/// A login the shell must show: open `url` in a window with no access to the
/// app's commands, and report back the first navigation to the redirect URI.
#[derive(Debug, Clone)]
pub struct LoginStart {
    pub login_id: String,
    pub url: String,
}
