//! `/{page-id}/subscribed_apps`: subscribe the app to a page's webhooks (POST), list (GET),
//! unsubscribe (DELETE). Needs that page's token; a fault can be armed per page.

use serde_json::{Value, json};

use super::graph_error::{GraphError, GraphResult};
use super::state::{State, Token, TokenKind};
use super::tokens::Credential;
use super::types::SubscribeFault;
use super::{Form, catalog, field};

/// The page token for `page_id`, or Graph's refusal.
pub fn page_token<'a>(
    credential: &'a Credential,
    page_id: &str,
    method: &str,
) -> Result<&'a Token, GraphError> {
    match credential {
        Credential::Token(_, token) => match &token.kind {
            TokenKind::Page { page_id: own } if own == page_id => Ok(token),
            TokenKind::Page { .. } => Err(GraphError::unsupported(method, page_id)),
            TokenKind::User { .. } => Err(GraphError::page_token_required()),
        },
        Credential::App(_) => Err(GraphError::page_token_required()),
    }
}

/// Permission and task checks shared by all three verbs (Page Subscribed Apps reference).
fn may_manage(state: &State, token: &Token, page_id: &str) -> Result<(), GraphError> {
    let tasks = state
        .page(page_id)
        .and_then(|p| p.tasks_of(&token.user_id))
        .unwrap_or_default();
    let has_scope = token.scopes.iter().any(|s| s == "pages_manage_metadata");
    let has_task = tasks
        .iter()
        .any(|t| catalog::SUBSCRIBE_TASKS.contains(&t.as_str()));
    if has_scope && has_task {
        Ok(())
    } else {
        Err(GraphError::oauth(
            200,
            "(#200) Requires pages_manage_metadata permission to manage the object",
        ))
    }
}

/// `subscribed_fields` as a comma list or a JSON array, each checked against Meta's enum.
fn parse_fields(raw: &str) -> Result<Vec<String>, GraphError> {
    let list: Vec<String> = match serde_json::from_str::<Value>(raw) {
        Ok(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect(),
        _ => raw.split(',').map(|s| s.trim().to_owned()).collect(),
    };
    let mut fields = Vec::new();
    for (index, name) in list.iter().enumerate() {
        if !catalog::PAGE_WEBHOOK_FIELDS.contains(&name.as_str()) {
            return Err(GraphError::param(&format!(
                "Param subscribed_fields[{index}] must be one of {{{}}} - got \"{name}\"",
                catalog::PAGE_WEBHOOK_FIELDS.join(", ")
            )));
        }
        if !fields.contains(name) {
            fields.push(name.clone());
        }
    }
    Ok(fields)
}

/// The error an armed [`SubscribeFault`] produces.
pub fn fault_error(fault: &SubscribeFault) -> GraphError {
    let default = match fault.code {
        1 => "An unknown error occurred",
        2 => "An unexpected error has occurred. Please retry your request later.",
        4 => "(#4) Application request limit reached",
        17 => "(#17) User request limit reached",
        10 => "(#10) Application does not have permission for this action",
        32 => "(#32) Page request limit reached",
        100 => "(#100) Invalid parameter",
        190 => {
            "Error validating access token: The session has been invalidated because the user \
             changed their password or Facebook has changed the session for security reasons."
        }
        200 => "(#200) Requires pages_manage_metadata permission to manage the object",
        613 => "(#613) Calls to this api have exceeded the rate limit.",
        _ => "An unknown error has occurred.",
    };
    let mut error = GraphError::oauth(
        fault.code,
        fault.message.clone().unwrap_or_else(|| default.to_owned()),
    );
    error.subcode = fault
        .error_subcode
        .or((fault.code == 190 && fault.message.is_none()).then_some(460));
    error.status = fault.http_status.unwrap_or(if matches!(fault.code, 1 | 2) {
        500
    } else {
        400
    });
    error
}

pub fn subscribe(
    state: &mut State,
    credential: &Credential,
    page_id: &str,
    params: &Form,
) -> GraphResult {
    let token = page_token(credential, page_id, "post")?.clone();
    if let Some(page) = state.page_mut(page_id)
        && !page.next_subscribe_fault.is_empty()
    {
        let fault = page.next_subscribe_fault.remove(0);
        return Err(fault_error(&fault));
    }
    let Some(raw) = field(params, "subscribed_fields") else {
        return Err(GraphError::param(
            "The parameter subscribed_fields is required",
        ));
    };
    let fields = parse_fields(raw)?;
    may_manage(state, &token, page_id)?;
    let page = state
        .page_mut(page_id)
        .ok_or_else(|| GraphError::unsupported("post", page_id))?;
    match page
        .subscriptions
        .iter_mut()
        .find(|(app, _)| *app == token.app_id)
    {
        Some((_, existing)) => *existing = fields,
        None => page.subscriptions.push((token.app_id.clone(), fields)),
    }
    Ok(json!({ "success": true }))
}

pub fn list(state: &State, credential: &Credential, page_id: &str) -> GraphResult {
    let token = page_token(credential, page_id, "get")?;
    may_manage(state, token, page_id)?;
    let page = state
        .page(page_id)
        .ok_or_else(|| GraphError::unsupported("get", page_id))?;
    let data: Vec<Value> = page
        .subscriptions
        .iter()
        .map(|(app_id, fields)| {
            let name = state
                .app(app_id)
                .map(|a| a.name.clone())
                .unwrap_or_default();
            json!({ "name": name, "id": app_id, "subscribed_fields": fields })
        })
        .collect();
    Ok(json!({ "data": data }))
}

pub fn unsubscribe(state: &mut State, credential: &Credential, page_id: &str) -> GraphResult {
    let token = page_token(credential, page_id, "delete")?.clone();
    may_manage(state, &token, page_id)?;
    let page = state
        .page_mut(page_id)
        .ok_or_else(|| GraphError::unsupported("delete", page_id))?;
    page.subscriptions.retain(|(app, _)| *app != token.app_id);
    Ok(json!({ "success": true }))
}
