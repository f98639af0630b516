//! Conversation Routing (the Handover Protocol's API): `pass_thread_control`,
//! `take_thread_control`, `request_thread_control`, `GET thread_owner`; the matching
//! `messaging_handovers` events; and the Profile API (`GET /{PSID}`).

use serde_json::{Map, Value, json};

use super::graph_error::{GraphError, GraphResult};
use super::send_api::{messaging_token, recipient};
use super::state::{State, TokenKind};
use super::tokens::Credential;
use super::{Form, field, webhook};

/// The `messaging_handovers` event `kind` (`pass_thread_control`, …) about `psid`.
pub fn handover_event(state: &State, page_id: &str, psid: &str, kind: &str, body: Value) -> Value {
    json!({
        "sender": { "id": psid },
        "recipient": { "id": page_id },
        "timestamp": state.now_ms(),
        kind: body,
    })
}

fn change_body(previous: Option<&String>, new: &str, metadata: Option<&str>) -> Value {
    let mut body = json!({ "new_owner_app_id": new });
    if let Some(previous) = previous {
        body["previous_owner_app_id"] = json!(previous);
    }
    if let Some(metadata) = metadata {
        body["metadata"] = json!(metadata);
    }
    body
}

/// Moves the thread to `new_owner` and tells `notify` (if it is an app with a webhook).
pub fn change_owner(
    state: &mut State,
    page_id: &str,
    psid: &str,
    new_owner: &str,
    metadata: Option<&str>,
    kind: &str,
    notify: Option<&str>,
) {
    let key = (page_id.to_owned(), psid.to_owned());
    let previous = state
        .messenger
        .thread_owners
        .insert(key, new_owner.to_owned());
    let body = change_body(previous.as_ref(), new_owner, metadata);
    let event = handover_event(state, page_id, psid, kind, body);
    if let Some(app) = notify {
        webhook::publish_handover(state, app, page_id, event);
    }
}

fn success() -> GraphResult {
    Ok(json!({ "success": true }))
}

pub fn pass(state: &mut State, credential: &Credential, page_id: &str, form: &Form) -> GraphResult {
    let token = messaging_token(state, credential, page_id)?;
    let psid = recipient(state, form, page_id)?;
    let target = field(form, "target_app_id")
        .ok_or_else(|| GraphError::param("The parameter target_app_id is required"))?
        .to_owned();
    if let Some(owner) = state.messenger.thread_owner(page_id, &psid)
        && *owner != token.app_id
    {
        return Err(GraphError::oauth(
            10,
            format!("(#10) Only the thread owner can pass thread control (owner: app {owner})."),
        ));
    }
    if target == token.app_id {
        return Err(GraphError::param("Cannot pass thread control to yourself."));
    }
    let metadata = field(form, "metadata");
    let kind = "pass_thread_control";
    change_owner(
        state,
        page_id,
        &psid,
        &target,
        metadata,
        kind,
        Some(&target),
    );
    success()
}

pub fn take(state: &mut State, credential: &Credential, page_id: &str, form: &Form) -> GraphResult {
    let token = messaging_token(state, credential, page_id)?;
    let psid = recipient(state, form, page_id)?;
    let previous = state.messenger.thread_owner(page_id, &psid).cloned();
    let metadata = field(form, "metadata");
    let kind = "take_thread_control";
    change_owner(
        state,
        page_id,
        &psid,
        &token.app_id,
        metadata,
        kind,
        previous.as_deref(),
    );
    success()
}

pub fn request(
    state: &mut State,
    credential: &Credential,
    page_id: &str,
    form: &Form,
) -> GraphResult {
    let token = messaging_token(state, credential, page_id)?;
    let psid = recipient(state, form, page_id)?;
    if let Some(owner) = state.messenger.thread_owner(page_id, &psid).cloned()
        && owner != token.app_id
    {
        let mut body = json!({ "requested_owner_app_id": token.app_id });
        if let Some(metadata) = field(form, "metadata") {
            body["metadata"] = json!(metadata);
        }
        let event = handover_event(state, page_id, &psid, "request_thread_control", body);
        webhook::publish_handover(state, &owner, page_id, event);
    }
    success()
}

/// `GET /{page-id}/thread_owner?recipient=PSID`; an unowned thread answers with the caller.
pub fn owner(state: &State, credential: &Credential, page_id: &str, form: &Form) -> GraphResult {
    let token = messaging_token(state, credential, page_id)?;
    let psid = field(form, "recipient")
        .ok_or_else(|| GraphError::param("The parameter recipient is required"))?;
    let psid = serde_json::from_str::<Value>(psid)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| psid.to_owned());
    let wrapped = vec![("recipient".to_owned(), json!({ "id": psid }).to_string())];
    let psid = recipient(state, &wrapped, page_id)?;
    let owner = state
        .messenger
        .thread_owner(page_id, &psid)
        .cloned()
        .unwrap_or(token.app_id);
    Ok(json!({ "data": [{ "thread_owner": { "app_id": owner } }] }))
}

/// `GET /{PSID}?fields=first_name,last_name,profile_pic` with the page's token.
pub fn profile(state: &State, credential: &Credential, psid: &str, form: &Form) -> GraphResult {
    let customer = state.messenger.customer_by_psid(psid).cloned();
    let visible = match (credential, &customer) {
        (Credential::Token(_, token), Some(c)) => {
            matches!(&token.kind, TokenKind::Page { page_id } if *page_id == c.page_id)
        }
        _ => false,
    };
    let Some(customer) = customer.filter(|_| visible) else {
        return Err(GraphError::unsupported("get", psid));
    };
    let fields = field(form, "fields").unwrap_or("first_name,last_name,profile_pic,id");
    let mut object = Map::new();
    for name in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let value = match name {
            "id" => json!(customer.psid),
            "first_name" => json!(customer.first_name),
            "last_name" => json!(customer.last_name),
            "name" => json!(format!("{} {}", customer.first_name, customer.last_name).trim()),
            "profile_pic" => json!(format!(
                "{}fbcdn/profile/{}.png",
                state.base_url, customer.psid
            )),
            // Need permissions Meta rarely grants; left out, as Meta does without them.
            "locale" | "timezone" | "gender" => continue,
            other => return Err(GraphError::nonexisting_field(other, "User")),
        };
        object.insert(name.to_owned(), value);
    }
    Ok(Value::Object(object))
}
