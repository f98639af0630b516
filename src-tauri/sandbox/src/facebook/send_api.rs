//! The Send API: `POST /{page-id}/messages` (and `/me/messages`) with the page token. Checks
//! in Meta's order as far as it shows: token, permission, rate limits, recipient, message,
//! availability, thread ownership, the 24-hour window (7 days for approved `HUMAN_AGENT`).

use serde_json::{Value, json};

use super::attachments::{Fetched, resolve_attachment};
use super::graph_error::{GraphError, GraphResult};
use super::messenger_customers::echo_event;
use super::state::{State, Token};
use super::subscriptions::{fault_error, page_token};
use super::tokens::Credential;
use super::{Form, field, random};

const DAY_SECS: i64 = 24 * 3600;
const MAX_TEXT_CHARS: usize = 2000;
const MESSAGING_TYPES: [&str; 3] = ["RESPONSE", "UPDATE", "MESSAGE_TAG"];
const TAGS: [&str; 4] = [
    "CONFIRMED_EVENT_UPDATE",
    "POST_PURCHASE_UPDATE",
    "ACCOUNT_UPDATE",
    "HUMAN_AGENT",
];
const SENDER_ACTIONS: [&str; 3] = ["typing_on", "typing_off", "mark_seen"];

/// The page token of `page_id` with `pages_messaging` and a task that allows messaging.
pub fn messaging_token(
    state: &State,
    credential: &Credential,
    page_id: &str,
) -> Result<Token, GraphError> {
    let token = page_token(credential, page_id, "post")?.clone();
    let tasks = state
        .page(page_id)
        .and_then(|p| p.tasks_of(&token.user_id))
        .unwrap_or_default();
    let has_task = tasks.iter().any(|t| t == "MESSAGING" || t == "MANAGE");
    if !has_task || !token.scopes.iter().any(|s| s == "pages_messaging") {
        return Err(GraphError::oauth(
            230,
            "(#230) Requires pages_messaging permission to manage the object",
        ));
    }
    Ok(token)
}

/// A parameter holding a JSON object (`recipient`, `message`), as text in a form or query.
pub fn json_param(form: &Form, name: &str) -> Result<Option<Value>, GraphError> {
    match field(form, name) {
        None => Ok(None),
        Some(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(value @ Value::Object(_)) => Ok(Some(value)),
            _ => Err(GraphError::param(&format!(
                "param {name} must be a JSON object"
            ))),
        },
    }
}

/// The person a call is about: `recipient={"id":PSID}` of this page.
pub fn recipient(state: &State, form: &Form, page_id: &str) -> Result<String, GraphError> {
    let psid = json_param(form, "recipient")?
        .and_then(|r| match &r["id"] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .ok_or_else(|| GraphError::param("The parameter recipient is required"))?;
    match state.messenger.customer(page_id, &psid) {
        Some(_) => Ok(psid),
        None => Err(GraphError::param("No matching user found").with_subcode(2_018_001)),
    }
}

fn outside_window() -> GraphError {
    GraphError::oauth(10, "(#10) This message is sent outside of allowed window.")
        .with_subcode(2_018_278)
}

/// How long after the person's last message this send may go out, or the refusal.
fn window_secs(
    state: &State,
    app_id: &str,
    messaging_type: &str,
    tag: Option<&str>,
) -> Result<Option<i64>, GraphError> {
    match (messaging_type, tag) {
        ("MESSAGE_TAG", None) => Err(GraphError::param(
            "Tag is required for MESSAGE_TAG messaging type",
        )),
        ("MESSAGE_TAG", Some("HUMAN_AGENT"))
            if state
                .messenger
                .human_agent_approved
                .iter()
                .any(|a| a == app_id) =>
        {
            Ok(Some(7 * DAY_SECS))
        }
        // Without approval the tag adds nothing: the 24-hour rule applies.
        ("MESSAGE_TAG", Some("HUMAN_AGENT")) => Ok(Some(DAY_SECS)),
        // The other tags are policy-bound, not time-bound.
        ("MESSAGE_TAG", Some(_)) => Ok(None),
        _ => Ok(Some(DAY_SECS)),
    }
}

pub fn send(
    state: &mut State,
    credential: &Credential,
    page_id: &str,
    form: &Form,
    fetched: Option<&Result<Fetched, GraphError>>,
) -> GraphResult {
    let token = messaging_token(state, credential, page_id)?;
    if let Some(fault) = state
        .messenger
        .send_faults
        .get_mut(page_id)
        .and_then(|faults| faults.pop_front())
    {
        return Err(fault_error(&fault));
    }
    let psid = recipient(state, form, page_id)?;
    let message = json_param(form, "message")?;
    let Some(message) = message else {
        return match field(form, "sender_action") {
            Some(action) if SENDER_ACTIONS.contains(&action) => Ok(json!({ "recipient_id": psid })),
            Some(action) => Err(GraphError::param(&format!(
                "Param sender_action must be one of {{{}}} - got \"{action}\"",
                SENDER_ACTIONS.join(", ")
            ))),
            None => Err(GraphError::param(
                "Must send either message or sender action",
            )),
        };
    };
    if field(form, "sender_action").is_some() {
        return Err(
            GraphError::param("Cannot send both message and state at the same time.")
                .with_subcode(2_018_015),
        );
    }
    let messaging_type = field(form, "messaging_type").unwrap_or("RESPONSE");
    if !MESSAGING_TYPES.contains(&messaging_type) {
        return Err(GraphError::param(&format!(
            "Param messaging_type must be one of {{{}}} - got \"{messaging_type}\"",
            MESSAGING_TYPES.join(", ")
        )));
    }
    let tag = field(form, "tag");
    if let Some(tag) = tag.filter(|t| !TAGS.contains(t)) {
        return Err(GraphError::param(&format!(
            "Param tag must be one of {{{}}} - got \"{tag}\"",
            TAGS.join(", ")
        )));
    }
    let text = message["text"].as_str().map(str::to_owned);
    if text
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS)
    {
        return Err(GraphError::param(
            "Length of param message[text] must be less than or equal to 2000",
        ));
    }
    let attachment = match message.get("attachment") {
        Some(a) => Some(resolve_attachment(state, page_id, a, fetched)?),
        None => None,
    };
    if text.as_deref().is_none_or(str::is_empty) && attachment.is_none() {
        return Err(GraphError::param(
            "Message cannot be empty, must provide valid attachment or text",
        ));
    }
    let customer = state
        .messenger
        .customer(page_id, &psid)
        .cloned()
        .ok_or_else(|| GraphError::param("No matching user found").with_subcode(2_018_001))?;
    if customer.unavailable {
        return Err(
            GraphError::oauth(551, "This person isn't available right now.")
                .with_subcode(1_545_041),
        );
    }
    if let Some(owner) = state.messenger.thread_owner(page_id, &psid)
        && *owner != token.app_id
    {
        return Err(GraphError::oauth(
            10,
            format!(
                "(#10) This thread is controlled by app {owner}; only the thread owner can send \
                 messages. Take thread control first."
            ),
        ));
    }
    let now = state.now();
    if let Some(limit) = window_secs(state, &token.app_id, messaging_type, tag)?
        && customer.last_message_at.is_none_or(|at| now - at > limit)
    {
        return Err(outside_window());
    }
    let mid = random::mid();
    let metadata = message["metadata"].as_str().map(str::to_owned);
    let mut echo = json!({ "mid": mid });
    if let Some(text) = &text {
        echo["text"] = json!(text);
    }
    if let Some(a) = &attachment {
        echo["attachments"] = json!([{ "type": a.kind, "payload": { "url": a.url } }]);
    }
    state
        .messenger
        .sent
        .push(super::messenger_types::SentMessengerMessage {
            page_id: page_id.to_owned(),
            app_id: token.app_id.clone(),
            recipient_id: psid.clone(),
            message_id: mid.clone(),
            messaging_type: messaging_type.to_owned(),
            tag: tag.map(str::to_owned),
            text,
            metadata: metadata.clone(),
            attachment_type: attachment.as_ref().map(|a| a.kind.clone()),
            attachment_id: attachment.as_ref().and_then(|a| a.reusable_id.clone()),
            attachment_url: attachment.as_ref().and_then(|a| a.source_url.clone()),
            attachment_size: attachment.as_ref().map(|a| a.bytes.len()),
            attachment_bytes: attachment.as_ref().map(|a| a.bytes.clone()),
            sent_at: now,
        });
    echo_event(state, page_id, &psid, &token.app_id, metadata, &mut echo);
    let mut answer = json!({ "recipient_id": psid, "message_id": mid });
    if let Some(id) = attachment.and_then(|a| a.new_reusable_id) {
        answer["attachment_id"] = json!(id);
    }
    Ok(answer)
}
