//! Control endpoints of the simulated Messenger Platform under `/_sandbox/facebook/`: webhooks
//! and their delivery attempts, customers writing to pages, echoes, sent messages, Send API
//! faults, the `HUMAN_AGENT` approval, simulated bot apps and expiring tokens.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ControlError, Reply, body, ok};
use crate::base64;
use crate::facebook::{
    AttachmentKind, CustomerAttachment, CustomerMessengerMessage, FacebookControl,
    MessengerCustomer, PageEcho, SubscribeFault, WebhookRetry,
};
use crate::server::AppState;

type Customer = Path<(String, String)>;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/apps/{app_id}/webhook",
            post(set_webhook).delete(remove_webhook),
        )
        .route("/apps/{app_id}/webhook-deliveries", get(deliveries))
        .route("/apps/{app_id}/human-agent", post(human_agent))
        .route("/webhook-retry", post(retry))
        .route("/pages/{page_id}/customers", post(add_customer))
        .route("/pages/{page_id}/customers/{psid}/messages", post(message))
        .route(
            "/pages/{page_id}/customers/{psid}/postbacks",
            post(postback),
        )
        .route(
            "/pages/{page_id}/customers/{psid}/deliveries",
            post(delivery),
        )
        .route("/pages/{page_id}/customers/{psid}/reads", post(read))
        .route(
            "/pages/{page_id}/customers/{psid}/availability",
            post(availability),
        )
        .route(
            "/pages/{page_id}/customers/{psid}/thread",
            get(thread_owner).post(bot_holds),
        )
        .route(
            "/pages/{page_id}/customers/{psid}/thread/pass",
            post(bot_passes),
        )
        .route("/pages/{page_id}/echoes", post(echo))
        .route("/pages/{page_id}/sent-messages", get(sent_messages))
        .route("/pages/{page_id}/send-faults", post(send_fault))
        .route("/tokens/expire", post(expire_token))
        .route("/attachments/{attachment_id}", get(attachment))
}

#[derive(Deserialize)]
struct WebhookRequest {
    callback_url: String,
    verify_token: String,
}

async fn set_webhook(
    State(fb): State<FacebookControl>,
    Path(app_id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let request: WebhookRequest = body(&bytes)?;
    fb.set_webhook(&app_id, &request.callback_url, &request.verify_token)
        .await?;
    ok(json!(true))
}

async fn remove_webhook(State(fb): State<FacebookControl>, Path(app_id): Path<String>) -> Reply {
    fb.remove_webhook(&app_id);
    ok(json!(true))
}

async fn deliveries(State(fb): State<FacebookControl>, Path(app_id): Path<String>) -> Reply {
    ok(json!(fb.webhook_deliveries(&app_id)))
}

#[derive(Deserialize)]
struct Approval {
    approved: bool,
}

async fn human_agent(
    State(fb): State<FacebookControl>,
    Path(app_id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let Approval { approved } = body(&bytes)?;
    fb.approve_human_agent(&app_id, approved);
    ok(json!(true))
}

async fn retry(State(fb): State<FacebookControl>, bytes: Bytes) -> Reply {
    fb.set_webhook_retry(body::<WebhookRetry>(&bytes)?);
    ok(json!(true))
}

async fn add_customer(
    State(fb): State<FacebookControl>,
    Path(page_id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let psid = fb.add_customer(&page_id, body::<MessengerCustomer>(&bytes)?)?;
    ok(json!({ "psid": psid }))
}

#[derive(Deserialize)]
struct AttachmentRequest {
    #[serde(rename = "type")]
    kind: AttachmentKind,
    #[serde(default, alias = "bytes")]
    bytes_base64: Option<String>,
    #[serde(default)]
    file_name: Option<String>,
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    sticker_id: Option<u64>,
}

#[derive(Deserialize)]
struct MessageRequest {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    reply_to: Option<String>,
    #[serde(default)]
    quick_reply_payload: Option<String>,
    #[serde(default)]
    attachments: Vec<AttachmentRequest>,
}

async fn message(
    State(fb): State<FacebookControl>,
    Path((page_id, psid)): Customer,
    bytes: Bytes,
) -> Reply {
    let request: MessageRequest = body(&bytes)?;
    let mut attachments = Vec::new();
    for a in request.attachments {
        let bytes = match a.bytes_base64.as_deref() {
            None => Vec::new(),
            Some(text) => base64::decode(text)
                .ok_or_else(|| ControlError::bad_request("bytes_base64 is not valid base64"))?,
        };
        attachments.push(CustomerAttachment {
            kind: a.kind,
            bytes,
            file_name: a.file_name,
            mime_type: a.mime_type,
            sticker_id: a.sticker_id,
        });
    }
    let message = CustomerMessengerMessage {
        text: request.text,
        reply_to: request.reply_to,
        attachments,
        quick_reply_payload: request.quick_reply_payload,
    };
    ok(fb.customer_sends(&page_id, &psid, message)?)
}

#[derive(Deserialize)]
struct Postback {
    #[serde(default)]
    title: String,
    payload: String,
}

async fn postback(
    State(fb): State<FacebookControl>,
    Path((page_id, psid)): Customer,
    bytes: Bytes,
) -> Reply {
    let Postback { title, payload } = body(&bytes)?;
    ok(fb.customer_postback(&page_id, &psid, &title, &payload)?)
}

async fn delivery(State(fb): State<FacebookControl>, Path((page_id, psid)): Customer) -> Reply {
    ok(fb.customer_receives(&page_id, &psid)?)
}

async fn read(State(fb): State<FacebookControl>, Path((page_id, psid)): Customer) -> Reply {
    ok(fb.customer_reads(&page_id, &psid)?)
}

#[derive(Deserialize)]
struct Availability {
    available: bool,
}

async fn availability(
    State(fb): State<FacebookControl>,
    Path((page_id, psid)): Customer,
    bytes: Bytes,
) -> Reply {
    let Availability { available } = body(&bytes)?;
    fb.set_customer_available(&page_id, &psid, available)?;
    ok(json!(true))
}

async fn thread_owner(State(fb): State<FacebookControl>, Path((page_id, psid)): Customer) -> Reply {
    ok(json!({ "app_id": fb.thread_owner(&page_id, &psid) }))
}

#[derive(Deserialize)]
struct BotHolds {
    app_id: String,
}

async fn bot_holds(
    State(fb): State<FacebookControl>,
    Path((page_id, psid)): Customer,
    bytes: Bytes,
) -> Reply {
    let BotHolds { app_id } = body(&bytes)?;
    fb.bot_holds_thread(&page_id, &psid, &app_id)?;
    ok(json!(true))
}

#[derive(Deserialize)]
struct BotPasses {
    target_app_id: String,
    #[serde(default)]
    metadata: Option<String>,
}

async fn bot_passes(
    State(fb): State<FacebookControl>,
    Path((page_id, psid)): Customer,
    bytes: Bytes,
) -> Reply {
    let BotPasses {
        target_app_id,
        metadata,
    } = body(&bytes)?;
    fb.bot_passes_thread(&page_id, &psid, &target_app_id, metadata.as_deref())?;
    ok(json!(true))
}

async fn echo(
    State(fb): State<FacebookControl>,
    Path(page_id): Path<String>,
    bytes: Bytes,
) -> Reply {
    ok(fb.page_echo(&page_id, body::<PageEcho>(&bytes)?)?)
}

async fn sent_messages(State(fb): State<FacebookControl>, Path(page_id): Path<String>) -> Reply {
    let sent: Vec<Value> = fb
        .sent_messenger_messages(&page_id)
        .into_iter()
        .map(|m| {
            let bytes = m.attachment_bytes.as_deref().map(base64::encode);
            let mut value = json!(m);
            value["attachment_bytes_base64"] = json!(bytes);
            value
        })
        .collect();
    ok(json!(sent))
}

#[derive(Deserialize)]
struct SendFault {
    #[serde(flatten)]
    fault: SubscribeFault,
    #[serde(default = "one")]
    times: u32,
}

fn one() -> u32 {
    1
}

async fn send_fault(
    State(fb): State<FacebookControl>,
    Path(page_id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let SendFault { fault, times } = body(&bytes)?;
    fb.fail_next_sends(&page_id, fault, times)?;
    ok(json!(true))
}

#[derive(Deserialize)]
struct Token {
    token: String,
}

async fn expire_token(State(fb): State<FacebookControl>, bytes: Bytes) -> Reply {
    let Token { token } = body(&bytes)?;
    fb.expire_token(&token)?;
    ok(json!(true))
}

async fn attachment(State(fb): State<FacebookControl>, Path(attachment_id): Path<String>) -> Reply {
    match fb.attachment_bytes(&attachment_id) {
        Some(bytes) => ok(json!({
            "attachment_id": attachment_id,
            "bytes_base64": base64::encode(&bytes),
        })),
        None => Err(crate::SandboxError::UnknownFacebookObject(format!(
            "no attachment {attachment_id:?} in the sandbox"
        ))
        .into()),
    }
}
