//! The pure part of Facebook Login: a random `state`, recognising the
//! redirect when the webview is about to load it, and reading its answer.
//! No I/O: the shell's navigation hook calls [`LoginAttempt::is_redirect`] to
//! block the load, then [`LoginAttempt::parse_redirect`] for the `code`.

use thiserror::Error;
use url::Url;

use crate::GraphApi;

/// Bytes of randomness in `state`: 256 bits, well above OAuth's 128.
const STATE_BYTES: usize = 32;
/// Meta's `error_description` is shown to people; keep a hostile one short.
const MAX_DESCRIPTION_CHARS: usize = 300;

/// One run of the login dialog.
#[derive(Clone)]
pub struct LoginAttempt {
    app_id: String,
    redirect_uri: String,
    redirect: Url,
    state: String,
}

/// `redirect_uri` is not an absolute http(s) URL.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("The Facebook Login redirect address is not a web address.")]
pub struct BadRedirectUri;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// `error=access_denied&error_reason=user_denied`: the person said no.
    #[error("Facebook Login was cancelled; nothing was changed.")]
    Cancelled,
    /// Any other error Facebook redirected with.
    #[error("Facebook refused the login ({reason}): {description}")]
    Denied { reason: String, description: String },
    #[error(
        "The answer from Facebook does not belong to this login attempt (wrong state), so it was refused."
    )]
    StateMismatch,
    #[error("The answer from Facebook holds no login code. Start Facebook Login again.")]
    MissingCode,
    #[error("This address is not the Facebook Login redirect.")]
    NotTheRedirect,
}

impl LoginError {
    /// A stable code for the IPC edge.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Cancelled => "facebook_login_cancelled",
            Self::Denied { .. } => "facebook_login_denied",
            Self::StateMismatch => "facebook_login_state_mismatch",
            Self::MissingCode => "facebook_login_missing_code",
            Self::NotTheRedirect => "facebook_login_not_the_redirect",
        }
    }
}

impl LoginAttempt {
    pub fn new<R: rand::Rng + ?Sized>(
        app_id: &str,
        redirect_uri: &str,
        rng: &mut R,
    ) -> Result<Self, BadRedirectUri> {
        let redirect = Url::parse(redirect_uri)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or(BadRedirectUri)?;
        let mut bytes = [0u8; STATE_BYTES];
        rng.fill(&mut bytes);
        // Hex: URL-safe as is, so the state survives any encoding round trip.
        let state = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self {
            app_id: app_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            redirect,
            state,
        })
    }

    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// Exactly as given: the code exchange must send the same string.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    pub fn state(&self) -> &str {
        &self.state
    }

    /// The dialog to open for this attempt.
    pub fn dialog_url(&self, graph: &GraphApi) -> String {
        graph.login_dialog_url(&self.app_id, &self.redirect_uri, &self.state)
    }

    /// Whether the webview is navigating to the redirect: same scheme, host,
    /// port and path, whatever the query and fragment.
    pub fn is_redirect(&self, url: &str) -> bool {
        let Ok(url) = Url::parse(url) else {
            return false;
        };
        let expected = &self.redirect;
        url.scheme() == expected.scheme()
            && url.host() == expected.host()
            && url.port_or_known_default() == expected.port_or_known_default()
            && url.path() == expected.path()
    }

    /// The `code` in the redirect, or why there is none.
    pub fn parse_redirect(&self, url: &str) -> Result<String, LoginError> {
        if !self.is_redirect(url) {
            return Err(LoginError::NotTheRedirect);
        }
        let url = Url::parse(url).map_err(|_| LoginError::NotTheRedirect)?;
        // The fragment (Facebook appends `#_=_`) is not part of the answer.
        let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let values = |name: &str| -> Vec<&str> {
            params
                .iter()
                .filter(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
                .collect()
        };
        let first = |name: &str| values(name).first().copied().filter(|v| !v.is_empty());

        let states = values("state");
        let state_matches = match states.as_slice() {
            [state] => same_secret(state.as_bytes(), self.state.as_bytes()),
            // A second `state` could smuggle a forged one past a check of the first.
            _ => false,
        };
        // A wrong state is refused before anything else is believed. A missing
        // one is tolerated for an error answer only: refusing to log in does
        // nothing, so a forged "cancelled" cannot hurt.
        if !states.is_empty() && !state_matches {
            return Err(LoginError::StateMismatch);
        }
        if let Some(error) = first("error") {
            let reason = first("error_reason").unwrap_or(error);
            if error == "access_denied" && reason == "user_denied" {
                return Err(LoginError::Cancelled);
            }
            let description = first("error_description")
                .unwrap_or("no reason was given")
                .chars()
                .take(MAX_DESCRIPTION_CHARS)
                .collect();
            return Err(LoginError::Denied {
                reason: reason.to_owned(),
                description,
            });
        }
        if !state_matches {
            return Err(LoginError::StateMismatch);
        }
        first("code")
            .map(str::to_owned)
            .ok_or(LoginError::MissingCode)
    }
}

impl std::fmt::Debug for LoginAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The state is what proves an answer is ours; keep it out of logs.
        f.debug_struct("LoginAttempt")
            .field("app_id", &self.app_id)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// Compares in time that depends only on the lengths, so a forged state
/// cannot be found byte by byte.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests;
