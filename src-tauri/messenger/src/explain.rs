//! Graph API failures in words a person understands, with a stable code the
//! UI can branch on. Meta's own message stays available through [`details`].
//!
//! Two audiences: [`explain`] speaks to the admin connecting pages (Facebook
//! Login), [`explain_send`] to the operator whose message did not go out, and
//! [`send_failure`] tells the outbox whether to retry, stop the channel, or
//! fail the message.

use std::time::Duration;

use crate::GraphError;

/// Why an access token stopped working (code 190 and its subcodes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEnd {
    /// 463
    Expired,
    /// 460
    PasswordChanged,
    /// 458
    AppRemoved,
    /// 459: Facebook wants the person to log in on facebook.com first.
    Checkpoint,
    /// 467 and anything else.
    Invalid,
}

/// What went wrong, classified from Meta's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    LoginNoLongerAccepted(TokenEnd),
    /// 100/36009
    CodeAlreadyUsed,
    /// 100/36007
    CodeExpired,
    /// 100/36008
    RedirectMismatch,
    /// 1 "Error validating client secret."
    WrongAppSecret,
    /// 101, or 100 about the application id.
    InvalidAppId,
    /// 200-299, 10, 230; the permission when Meta's message names it.
    MissingPermission(Option<&'static str>),
    /// 10/2018278: more than 24 hours since the customer's last message.
    OutsideWindow,
    /// 4, 17, 32, 613 and Messenger's 80001/80006.
    RateLimited,
    /// 551
    PersonUnavailable,
    /// 100/2018001 "No matching user found": not a person of this page.
    NoSuchPerson,
    /// Another app (a bot, Page Inbox) holds the thread: take it first. Meta
    /// words this as code 10 about thread control (matched on the words).
    ThreadHeldElsewhere,
    /// 1 "unknown error", 2, Messenger's 1200: Facebook's side, worth retrying.
    FacebookUnavailable,
    Unreachable,
    UnexpectedAnswer,
    TooBig,
    Other,
}

/// Permissions Switchboard asks for, most specific first, to find which one
/// Meta's message names.
const PERMISSIONS: [&str; 4] = [
    "pages_manage_metadata",
    "pages_messaging",
    "pages_read_engagement",
    "pages_show_list",
];

pub fn classify(error: &GraphError) -> Problem {
    let (code, subcode, message) = match error {
        GraphError::Api {
            code,
            subcode,
            message,
            ..
        } => (*code, *subcode, message.to_ascii_lowercase()),
        GraphError::Network(_) => return Problem::Unreachable,
        GraphError::Protocol(_) => return Problem::UnexpectedAnswer,
        GraphError::TooBig { .. } => return Problem::TooBig,
    };
    let permission = || PERMISSIONS.into_iter().find(|p| message.contains(p));
    match (code, subcode) {
        // The app token `{app_id}|{app_secret}` (debug_token) with a wrong secret.
        (190, None) if message.contains("access token signature") => Problem::WrongAppSecret,
        (190, Some(463)) => Problem::LoginNoLongerAccepted(TokenEnd::Expired),
        (190, Some(460)) => Problem::LoginNoLongerAccepted(TokenEnd::PasswordChanged),
        (190, Some(458)) => Problem::LoginNoLongerAccepted(TokenEnd::AppRemoved),
        (190, Some(459)) => Problem::LoginNoLongerAccepted(TokenEnd::Checkpoint),
        (190, _) => Problem::LoginNoLongerAccepted(TokenEnd::Invalid),
        (100, Some(36009)) => Problem::CodeAlreadyUsed,
        (100, Some(36007)) => Problem::CodeExpired,
        (100, Some(36008)) => Problem::RedirectMismatch,
        (101, _) => Problem::InvalidAppId,
        (100, _) if message.contains("application id") || message.contains("client_id") => {
            Problem::InvalidAppId
        }
        // Code 1 is also Meta's "An unknown error occurred".
        (1, _) if message.contains("unknown error") => Problem::FacebookUnavailable,
        (1, _) => Problem::WrongAppSecret,
        (2 | 1200, _) => Problem::FacebookUnavailable,
        (100, Some(2018001)) => Problem::NoSuchPerson,
        (10, Some(2018278)) => Problem::OutsideWindow,
        (10, _) if message.contains("outside of allowed window") => Problem::OutsideWindow,
        (10, _) if message.contains("thread") && message.contains("control") => {
            Problem::ThreadHeldElsewhere
        }
        (10 | 230 | 200..=299, _) => Problem::MissingPermission(permission()),
        (4 | 17 | 32 | 613 | 80001 | 80006, _) => Problem::RateLimited,
        (551, _) => Problem::PersonUnavailable,
        _ => Problem::Other,
    }
}

impl Problem {
    /// A stable code for the IPC edge; the UI branches on it, never on words.
    pub fn code(self) -> &'static str {
        match self {
            Self::LoginNoLongerAccepted(TokenEnd::Expired) => "facebook_login_expired",
            Self::LoginNoLongerAccepted(TokenEnd::PasswordChanged) => {
                "facebook_login_password_changed"
            }
            Self::LoginNoLongerAccepted(TokenEnd::AppRemoved) => "facebook_login_app_removed",
            Self::LoginNoLongerAccepted(TokenEnd::Checkpoint) => "facebook_login_checkpoint",
            Self::LoginNoLongerAccepted(TokenEnd::Invalid) => "facebook_login_invalid",
            Self::CodeAlreadyUsed => "facebook_code_used",
            Self::CodeExpired => "facebook_code_expired",
            Self::RedirectMismatch => "facebook_redirect_mismatch",
            Self::WrongAppSecret => "facebook_app_secret_wrong",
            Self::InvalidAppId => "facebook_app_id_invalid",
            Self::MissingPermission(_) => "facebook_permission_missing",
            Self::OutsideWindow => "facebook_outside_window",
            Self::RateLimited => "facebook_rate_limited",
            Self::PersonUnavailable => "facebook_person_unavailable",
            Self::NoSuchPerson => "facebook_person_unknown",
            Self::ThreadHeldElsewhere => "facebook_thread_held_elsewhere",
            Self::FacebookUnavailable => "facebook_unavailable",
            Self::Unreachable => "facebook_unreachable",
            Self::UnexpectedAnswer => "facebook_unexpected_answer",
            Self::TooBig => "facebook_too_big",
            Self::Other => "facebook_error",
        }
    }

    /// Whether trying again later may work without anyone changing anything.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::RateLimited | Self::FacebookUnavailable | Self::Unreachable
        )
    }
}

/// A sentence for a person about `error`.
pub fn explain(error: &GraphError) -> String {
    const AGAIN: &str = "Log in with Facebook again to reconnect.";
    let no_longer = |why: &str| format!("Facebook no longer accepts this login: {why}. {AGAIN}");
    match classify(error) {
        Problem::LoginNoLongerAccepted(end) => match end {
            TokenEnd::Expired => no_longer("it has expired"),
            TokenEnd::PasswordChanged => {
                no_longer("the Facebook password was changed or the session was ended")
            }
            TokenEnd::AppRemoved => no_longer("the app was removed from the Facebook account"),
            TokenEnd::Checkpoint => no_longer(
                "Facebook wants the account owner to log in on facebook.com and confirm the account first",
            ),
            TokenEnd::Invalid => no_longer("it was revoked or is not valid"),
        },
        Problem::CodeAlreadyUsed => {
            "This answer from Facebook Login was already used. Start Facebook Login again.".into()
        }
        Problem::CodeExpired => {
            "This answer from Facebook Login expired before it was used. Start Facebook Login again."
                .into()
        }
        Problem::RedirectMismatch => "Facebook refused the login because the redirect address \
             differs from the one the login started with. Check the app's Valid OAuth Redirect URIs \
             in the Meta app dashboard, then start Facebook Login again."
            .into(),
        Problem::WrongAppSecret => "The Facebook app secret in Settings is wrong. Copy it again \
             from the Meta app dashboard (App settings → Basic)."
            .into(),
        Problem::InvalidAppId => "Facebook does not know the app id in Settings (invalid app id). \
             Copy it again from the Meta app dashboard."
            .into(),
        Problem::MissingPermission(Some(permission)) => format!(
            "Facebook did not give Switchboard the {permission} permission for this page. Log in \
             with Facebook again, allow everything Switchboard asks for, and check that you may \
             manage the page's messages."
        ),
        Problem::MissingPermission(None) => "Facebook did not give Switchboard a permission it \
             needs for this page (pages_messaging or pages_manage_metadata). Log in with Facebook \
             again, allow everything Switchboard asks for, and check that you may manage the \
             page's messages."
            .into(),
        Problem::OutsideWindow => "The 24-hour window has closed: more than 24 hours have \
             passed since the customer's last message, so Messenger does not allow this reply."
            .into(),
        Problem::RateLimited => "Facebook is limiting how often Switchboard may call it. Wait a \
             few minutes; Switchboard will try again."
            .into(),
        Problem::PersonUnavailable => {
            "This person isn't available right now on Messenger, so the message was not delivered."
                .into()
        }
        Problem::ThreadHeldElsewhere => "Another app (such as a bot) is handling this \
             conversation on Messenger. Take the conversation over first, then send again."
            .into(),
        Problem::NoSuchPerson => "Messenger does not know this person for this page, so the \
             message was not delivered."
            .into(),
        Problem::FacebookUnavailable => {
            "Facebook had a temporary problem. Try again in a moment.".into()
        }
        Problem::Unreachable => "Switchboard could not reach Facebook. Check the internet \
             connection and try again."
            .into(),
        Problem::UnexpectedAnswer => {
            "Facebook answered in a way Switchboard does not understand. Try again later.".into()
        }
        Problem::TooBig => "The file from Facebook is larger than Switchboard accepts.".into(),
        Problem::Other => "Facebook refused the request. The details below say why.".into(),
    }
}

/// A sentence for an operator about a send, a handover or a profile that
/// failed with a page token. A dead page token means the channel has to be
/// reconnected by an admin, which [`explain`] words for the login instead.
pub fn explain_send(error: &GraphError) -> String {
    const RECONNECT: &str = "Reconnect the page in Chat settings.";
    let why = match classify(error) {
        Problem::LoginNoLongerAccepted(end) => match end {
            TokenEnd::Expired => "its access has expired",
            TokenEnd::PasswordChanged => {
                "the Facebook password of the person who connected it was changed"
            }
            TokenEnd::AppRemoved => "the app was removed from the page or the account",
            TokenEnd::Checkpoint => {
                "Facebook wants the person who connected it to log in on facebook.com first"
            }
            TokenEnd::Invalid => "its access was revoked or is not valid",
        },
        Problem::MissingPermission(_) => {
            return format!(
                "Facebook did not allow Switchboard to message for this page (a permission \
                 is missing). {RECONNECT}"
            );
        }
        Problem::RateLimited => {
            return "Facebook is limiting how often Switchboard may send for this page; the \
                    message will be sent again shortly."
                .into();
        }
        _ => return explain(error),
    };
    format!("Facebook no longer accepts this page's connection: {why}. {RECONNECT}")
}

/// What the outbox should do with a message that did not go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// Keep it and try again, not before `after`.
    Retry { after: Duration },
    /// The page token is dead: keep the message, mark the channel, and tell
    /// admins to reconnect; retrying before that is pointless.
    TokenDead { reason: String },
    /// This message will never go out as it is: fail it, show the reason.
    Refused { reason: String },
}

/// How long to wait after a rate limit. Meta gives no Retry-After for the
/// Graph API; the page limits recover within a minute or so (unverified).
pub const RATE_LIMIT_PAUSE: Duration = Duration::from_secs(60);
/// How long to wait after a network failure or a temporary Facebook error.
pub const TRANSIENT_PAUSE: Duration = Duration::from_secs(15);

/// Classifies a failed send for the outbox. A network failure is a retry:
/// Messenger has no idempotency key, so a request that timed out after
/// Facebook took it may, rarely, send twice.
pub fn send_failure(error: &GraphError) -> SendFailure {
    match classify(error) {
        Problem::LoginNoLongerAccepted(_) => SendFailure::TokenDead {
            reason: explain_send(error),
        },
        Problem::RateLimited => SendFailure::Retry {
            after: RATE_LIMIT_PAUSE,
        },
        Problem::FacebookUnavailable | Problem::Unreachable => SendFailure::Retry {
            after: TRANSIENT_PAUSE,
        },
        _ => SendFailure::Refused {
            reason: explain_send(error),
        },
    }
}

/// Meta's own words (and what support needs: code, subcode, fbtrace_id), for
/// a "details" line under [`explain`]'s sentence. Never holds a token or URL.
pub fn details(error: &GraphError) -> Option<String> {
    match error {
        GraphError::Api {
            code,
            subcode,
            kind,
            message,
            fbtrace_id,
            http_status,
        } => {
            let mut text = format!("{message} (code {code}");
            if let Some(subcode) = subcode {
                text.push_str(&format!(", subcode {subcode}"));
            }
            if !kind.is_empty() {
                text.push_str(&format!(", {kind}"));
            }
            text.push_str(&format!(", HTTP {http_status}"));
            if let Some(trace) = fbtrace_id {
                text.push_str(&format!(", fbtrace_id {trace}"));
            }
            text.push(')');
            Some(text)
        }
        GraphError::Network(message) | GraphError::Protocol(message) => Some(message.clone()),
        GraphError::TooBig { .. } => None,
    }
}

#[cfg(test)]
mod tests;
