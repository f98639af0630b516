//! Graph API failures, and Meta's error envelope
//! `{"error":{"message","type","code","error_subcode","fbtrace_id"}}`.

use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum GraphError {
    /// Meta answered with its error envelope. `message` is Meta's own text
    /// (English, for developers): show [`crate::explain()`] to people instead.
    #[error("Graph API error {code}{}: {message}", subcode.map(|s| format!("/{s}")).unwrap_or_default())]
    Api {
        code: i64,
        subcode: Option<i64>,
        /// Meta's `type`, e.g. `OAuthException`.
        kind: String,
        message: String,
        fbtrace_id: Option<String>,
        http_status: u16,
    },
    /// No answer (DNS, refused connection, timeout, TLS…). Never includes the
    /// URL, whose query carries tokens and the app secret.
    #[error("could not reach Facebook: {0}")]
    Network(String),
    /// An answer that does not follow the Graph API.
    #[error("unexpected answer from Facebook: {0}")]
    Protocol(String),
    /// A download (a page picture) larger than we accept.
    #[error("the file from Facebook is larger than {limit_kb} KB")]
    TooBig { limit_kb: u64 },
}

impl GraphError {
    /// Meta's `code`, when Meta answered with an error.
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Meta's `error_subcode`, when there was one.
    pub fn subcode(&self) -> Option<i64> {
        match self {
            Self::Api { subcode, .. } => *subcode,
            _ => None,
        }
    }

    pub(crate) fn network(error: reqwest::Error) -> Self {
        // `without_url`: the URL's query holds tokens and the app secret.
        Self::Network(error.without_url().to_string())
    }
}

#[derive(Deserialize)]
struct Envelope {
    error: EnvelopeError,
}

#[derive(Deserialize)]
struct EnvelopeError {
    #[serde(default)]
    message: String,
    #[serde(rename = "type", default)]
    kind: String,
    code: Option<i64>,
    error_subcode: Option<i64>,
    fbtrace_id: Option<String>,
}

/// Reads Meta's error envelope out of a body, whatever the HTTP status.
pub(crate) fn parse_envelope(body: &Value, http_status: u16) -> Option<GraphError> {
    let envelope = Envelope::deserialize(body).ok()?;
    let e = envelope.error;
    Some(GraphError::Api {
        // Meta always sends a code; an envelope without one is still an error.
        code: e.code.unwrap_or(0),
        subcode: e.error_subcode,
        kind: e.kind,
        message: e.message,
        fbtrace_id: e.fbtrace_id,
        http_status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_metas_envelope() {
        let body = json!({"error": {
            "message": "Error validating access token: Session has expired",
            "type": "OAuthException", "code": 190, "error_subcode": 463,
            "fbtrace_id": "AbC123"
        }});
        let error = parse_envelope(&body, 400).unwrap();
        assert_eq!(
            error,
            GraphError::Api {
                code: 190,
                subcode: Some(463),
                kind: "OAuthException".into(),
                message: "Error validating access token: Session has expired".into(),
                fbtrace_id: Some("AbC123".into()),
                http_status: 400,
            }
        );
        assert_eq!(error.code(), Some(190));
        assert_eq!(error.subcode(), Some(463));
        assert!(error.to_string().contains("190/463"));
    }

    #[test]
    fn an_envelope_with_only_a_message_is_still_an_error() {
        let error = parse_envelope(&json!({"error": {"message": "nope"}}), 500).unwrap();
        assert_eq!(error.code(), Some(0));
        assert_eq!(error.subcode(), None);
    }

    #[test]
    fn a_success_body_is_not_an_error() {
        assert!(parse_envelope(&json!({"success": true}), 200).is_none());
        assert!(parse_envelope(&json!({"error": "text"}), 400).is_none());
    }
}
