//! The Graph API error envelope:
//! `{"error":{"message","type","code","error_subcode"?,"fbtrace_id"}}`, HTTP 400 unless said
//! otherwise (Meta answers 400 for OAuth errors too, including code 190).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::random::fbtrace_id;

/// A Graph API failure, rendered the way graph.facebook.com renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub status: u16,
    pub message: String,
    pub kind: &'static str,
    pub code: i64,
    pub subcode: Option<i64>,
}

impl GraphError {
    /// An `OAuthException` with HTTP 400 (the usual case).
    pub fn oauth(code: i64, message: impl Into<String>) -> GraphError {
        GraphError {
            status: 400,
            message: message.into(),
            kind: "OAuthException",
            code,
            subcode: None,
        }
    }

    pub fn with_subcode(mut self, subcode: i64) -> GraphError {
        self.subcode = Some(subcode);
        self
    }

    /// `(#100) <detail>`: a bad parameter.
    pub fn param(detail: &str) -> GraphError {
        GraphError::oauth(100, format!("(#100) {detail}"))
    }

    /// Code 190 without a subcode: a string that is not an access token at all.
    pub fn unparsable_token() -> GraphError {
        GraphError::oauth(
            190,
            "Invalid OAuth access token - Cannot parse access token",
        )
    }

    /// Code 104: the call needs a token and none was given.
    pub fn token_required() -> GraphError {
        GraphError::oauth(104, "An access token is required to request this resource.")
    }

    /// Code 2500 for `/me` without a user (or page) token.
    pub fn active_token_required() -> GraphError {
        GraphError::oauth(
            2500,
            "An active access token must be used to query information about the current user.",
        )
    }

    /// Code 2500 for trailing path segments Graph does not know.
    pub fn unknown_path(rest: &str) -> GraphError {
        GraphError::oauth(2500, format!("Unknown path components: /{rest}"))
    }

    /// Code 100, subcode 33: an object that does not exist or that the token cannot see.
    pub fn unsupported(method: &str, id: &str) -> GraphError {
        GraphError {
            status: 400,
            message: format!(
                "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be \
                 loaded due to missing permissions, or does not support this operation. Please \
                 read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
            ),
            kind: "GraphMethodException",
            code: 100,
            subcode: Some(33),
        }
    }

    /// Code 100 for an edge or field the node type does not have.
    pub fn nonexisting_field(field: &str, node_type: &str) -> GraphError {
        GraphError::param(&format!(
            "Tried accessing nonexisting field ({field}) on node type ({node_type})"
        ))
    }

    /// Code 210: a page edge called with a user or app token.
    pub fn page_token_required() -> GraphError {
        GraphError::oauth(
            210,
            "(#210) A page access token is required to request this resource.",
        )
    }

    /// The `error` object (with a fresh `fbtrace_id`).
    pub fn body(&self) -> Value {
        let mut error = json!({
            "message": self.message,
            "type": self.kind,
            "code": self.code,
        });
        if let Some(subcode) = self.subcode {
            error["error_subcode"] = json!(subcode);
        }
        error["fbtrace_id"] = json!(fbtrace_id());
        json!({ "error": error })
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(self.body())).into_response()
    }
}

pub type GraphResult = Result<Value, GraphError>;
