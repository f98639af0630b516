//! A page token's health from the daily `debug_token` check, as a pure
//! function of what Meta said and the clock.

use crate::explain::explain_send;
use crate::{GraphError, TokenInfo};

/// "Soon" for a token's expiry: admins are warned this long before.
pub const EXPIRES_SOON_MS: i64 = 7 * 24 * 3600 * 1000;

/// Times are Unix milliseconds (Meta's `expires_at` is in seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenHealth {
    /// Working; `expires_at` is `None` for a token that never expires (page
    /// tokens from a long-lived user token).
    Valid { expires_at: Option<i64> },
    /// Working, but expires within [`EXPIRES_SOON_MS`]: warn admins.
    ExpiresSoon { at: i64 },
    /// Not working: the channel must be reconnected. `reason` is for admins.
    Invalid { reason: String },
}

/// What `debug_token` says about a page token at `now_ms`. A valid token
/// without `pages_messaging` (when Meta lists scopes) cannot answer anyone,
/// so it counts as invalid too.
pub fn token_health(info: &TokenInfo, now_ms: i64) -> TokenHealth {
    if let Some(problem) = info.problem() {
        return TokenHealth::Invalid {
            reason: explain_send(&problem),
        };
    }
    if !info.scopes.is_empty() && !info.has_scopes(&["pages_messaging"]) {
        let missing = GraphError::Api {
            code: 200,
            subcode: None,
            kind: "OAuthException".into(),
            message: "the token lacks pages_messaging".into(),
            fbtrace_id: None,
            http_status: 200,
        };
        return TokenHealth::Invalid {
            reason: explain_send(&missing),
        };
    }
    let Some(expires_at) = info.expires_at().map(|s| s.saturating_mul(1000)) else {
        return TokenHealth::Valid { expires_at: None };
    };
    if expires_at <= now_ms {
        let expired = GraphError::Api {
            code: 190,
            subcode: Some(463),
            kind: "OAuthException".into(),
            message: "the token has expired".into(),
            fbtrace_id: None,
            http_status: 200,
        };
        TokenHealth::Invalid {
            reason: explain_send(&expired),
        }
    } else if expires_at - now_ms <= EXPIRES_SOON_MS {
        TokenHealth::ExpiresSoon { at: expires_at }
    } else {
        TokenHealth::Valid {
            expires_at: Some(expires_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW_S: i64 = 1_800_000_000;
    const NOW: i64 = NOW_S * 1000;
    const DAY_S: i64 = 24 * 3600;

    fn info(value: serde_json::Value) -> TokenInfo {
        serde_json::from_value(value).unwrap()
    }

    fn valid(expires_at: i64) -> TokenInfo {
        info(
            json!({"is_valid": true, "type": "PAGE", "expires_at": expires_at,
            "scopes": ["pages_messaging", "pages_manage_metadata"]}),
        )
    }

    #[test]
    fn a_page_token_that_never_expires_is_valid() {
        assert_eq!(
            token_health(&valid(0), NOW),
            TokenHealth::Valid { expires_at: None }
        );
    }

    #[test]
    fn expiry_within_seven_days_is_soon_and_exactly_seven_days_still_is() {
        assert_eq!(
            token_health(&valid(NOW_S + 7 * DAY_S + 1), NOW),
            TokenHealth::Valid {
                expires_at: Some((NOW_S + 7 * DAY_S + 1) * 1000)
            }
        );
        for at in [NOW_S + 7 * DAY_S, NOW_S + 1] {
            assert_eq!(
                token_health(&valid(at), NOW),
                TokenHealth::ExpiresSoon { at: at * 1000 }
            );
        }
    }

    #[test]
    fn an_expired_or_invalid_token_asks_to_reconnect_the_page() {
        let TokenHealth::Invalid { reason } = token_health(&valid(NOW_S), NOW) else {
            panic!()
        };
        assert_eq!(
            reason,
            "Facebook no longer accepts this page's connection: its access has expired. \
             Reconnect the page in Chat settings."
        );
        let revoked = info(json!({"is_valid": false, "expires_at": 0,
            "error": {"code": 190, "subcode": 460, "message": "password changed"}}));
        let TokenHealth::Invalid { reason } = token_health(&revoked, NOW) else {
            panic!()
        };
        assert!(reason.contains("password"), "{reason}");
        assert!(reason.ends_with("Reconnect the page in Chat settings."));
    }

    #[test]
    fn a_token_without_pages_messaging_cannot_answer_anyone() {
        let token = info(json!({"is_valid": true, "expires_at": 0, "scopes": ["pages_show_list"]}));
        let TokenHealth::Invalid { reason } = token_health(&token, NOW) else {
            panic!()
        };
        assert!(reason.contains("permission"), "{reason}");
        // Meta may list no scopes at all; that alone says nothing.
        let silent = info(json!({"is_valid": true, "expires_at": 0}));
        assert_eq!(
            token_health(&silent, NOW),
            TokenHealth::Valid { expires_at: None }
        );
    }
}
