//! `GET /debug_token?input_token=…&access_token={app_id}|{app_secret}`: what a token is and
//! whether it still works. Invalid tokens answer 200 with `is_valid:false` and an `error`
//! object inside `data`, as Meta does.

use serde_json::{Value, json};

use super::graph_error::{GraphError, GraphResult};
use super::state::{State, TokenKind};
use super::tokens::{self, Credential};
use super::{Form, field, random};

/// `granular_scopes`: page permissions list the pages they apply to.
fn granular_scopes(scopes: &[String], pages: &[String]) -> Value {
    let items: Vec<Value> = scopes
        .iter()
        .map(|scope| {
            if scope.starts_with("pages_") && scope != "pages_show_list" && !pages.is_empty() {
                json!({ "scope": scope, "target_ids": pages })
            } else {
                json!({ "scope": scope })
            }
        })
        .collect();
    Value::Array(items)
}

pub fn debug_token(state: &State, caller: &Credential, params: &Form) -> GraphResult {
    let Some(input) = field(params, "input_token") else {
        return Err(GraphError::param("The parameter input_token is required"));
    };
    let caller_app = match caller {
        Credential::App(app_id) => app_id.clone(),
        Credential::Token(_, token) => token.app_id.clone(),
    };
    let Some(token) = state
        .tokens
        .get(input)
        .filter(|_| random::looks_like_token(input))
    else {
        return Ok(json!({ "data": {
            "error": { "code": 190, "message": "Invalid OAuth access token." },
            "is_valid": false,
            "scopes": [],
        } }));
    };
    if token.app_id != caller_app {
        return Err(GraphError::param(
            "You must provide an app access token, or a user access token that is an owner or \
             developer of the app",
        ));
    }
    let application = state
        .app(&token.app_id)
        .map(|a| a.name.clone())
        .unwrap_or_default();
    let mut data = json!({
        "app_id": token.app_id,
        "type": "USER",
        "application": application,
        "data_access_expires_at": token.data_access_expires_at,
        "expires_at": token.expires_at.unwrap_or(0),
        "is_valid": true,
        "issued_at": token.issued_at,
        "scopes": token.scopes,
        "granular_scopes": granular_scopes(&token.scopes, &token.pages),
        "user_id": token.user_id,
    });
    if let TokenKind::Page { page_id } = &token.kind {
        data["type"] = json!("PAGE");
        data["profile_id"] = json!(page_id);
    }
    if let Some(error) = tokens::problem(state, token) {
        data["is_valid"] = json!(false);
        let mut object = json!({ "code": error.code, "message": error.message });
        if let Some(subcode) = error.subcode {
            object["subcode"] = json!(subcode);
        }
        data["error"] = object;
    }
    Ok(json!({ "data": data }))
}
