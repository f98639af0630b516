//! Attachments: `POST /{page-id}/message_attachments` (multipart `message` + `filedata`, or a
//! URL) → a reusable `attachment_id`; attachments of Send API messages (URL, fetched like Meta
//! does, or `attachment_id`); and the files the sandbox serves under `/fbcdn/attachments/`.

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::graph_error::{GraphError, GraphResult};
use super::messenger_customers::{attachment_url, store_attachment};
use super::messenger_state::StoredAttachment;
use super::send_api::{json_param, messaging_token};
use super::state::State;
use super::tokens::Credential;
use super::{FacebookControl, Form};
use crate::params::Upload;

/// Meta's limit for attachments (uploads and fetched URLs).
pub const MAX_ATTACHMENT_BYTES: usize = 25 * 1024 * 1024;
const KINDS: [&str; 4] = ["image", "video", "audio", "file"];

/// The bytes behind a `payload.url`, fetched before the state is locked.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub mime: Option<String>,
}

/// An attachment ready to send: where the sandbox serves it and where it came from.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub kind: String,
    pub url: String,
    pub bytes: Vec<u8>,
    /// The `attachment_id` the message used.
    pub reusable_id: Option<String>,
    pub source_url: Option<String>,
    /// Set when a URL was sent with `is_reusable: true`: the id Meta returns for it.
    pub new_reusable_id: Option<String>,
}

fn upload_failure() -> GraphError {
    GraphError::param("Upload attachment failure.").with_subcode(2_018_047)
}

fn too_large() -> GraphError {
    GraphError::param("Attachment size exceeds allowable limit").with_subcode(2_018_294)
}

/// `message.attachment.payload.url` of a Send API or upload call, if any.
fn payload_url(form: &Form) -> Option<String> {
    let message = json_param(form, "message").ok().flatten()?;
    message["attachment"]["payload"]["url"]
        .as_str()
        .map(str::to_owned)
}

/// Fetches the attachment URL of a call, as Meta does before answering.
pub async fn prefetch(
    client: Option<reqwest::Client>,
    form: &Form,
) -> Option<Result<Fetched, GraphError>> {
    let url = payload_url(form)?;
    let client = client?;
    let fetch_failed =
        || GraphError::param("Failed to fetch the file from the url").with_subcode(2_018_008);
    let response = match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => r,
        _ => return Some(Err(fetch_failed())),
    };
    let mime = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Some(match response.bytes().await {
        Ok(bytes) => Ok(Fetched {
            bytes: bytes.to_vec(),
            mime,
        }),
        Err(_) => Err(fetch_failed()),
    })
}

fn kind_of(attachment: &Value) -> Result<String, GraphError> {
    let kind = attachment["type"].as_str().unwrap_or_default();
    if KINDS.contains(&kind) {
        Ok(kind.to_owned())
    } else {
        Err(GraphError::param(&format!(
            "Param message[attachment][type] must be one of {{{}}} - got \"{kind}\"",
            KINDS.join(", ")
        )))
    }
}

fn file_name_of(url: &str, kind: &str) -> String {
    url.split(['?', '#'])
        .next()
        .and_then(|u| u.rsplit('/').next())
        .filter(|n| !n.is_empty())
        .map_or_else(|| kind.to_owned(), str::to_owned)
}

/// The attachment of a Send API message: by reusable `attachment_id` (of this page) or by URL.
pub fn resolve_attachment(
    state: &mut State,
    page_id: &str,
    attachment: &Value,
    fetched: Option<&Result<Fetched, GraphError>>,
) -> Result<Resolved, GraphError> {
    let kind = kind_of(attachment)?;
    let payload = &attachment["payload"];
    if let Some(id) = payload["attachment_id"].as_str() {
        let stored = state
            .messenger
            .attachments
            .get(id)
            .filter(|a| a.reusable_for.as_deref() == Some(page_id))
            .ok_or_else(upload_failure)?;
        return Ok(Resolved {
            kind,
            url: attachment_url(state, id, &stored.file_name),
            bytes: stored.bytes.clone(),
            reusable_id: Some(id.to_owned()),
            source_url: None,
            new_reusable_id: None,
        });
    }
    let Some(url) = payload["url"].as_str() else {
        return Err(upload_failure());
    };
    let fetched = fetched.cloned().unwrap_or_else(|| Err(upload_failure()))?;
    if fetched.bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(too_large());
    }
    let reusable = payload["is_reusable"].as_bool() == Some(true)
        || payload["is_reusable"].as_str() == Some("true");
    let (id, served) = store_attachment(
        state,
        StoredAttachment {
            file_name: file_name_of(url, &kind),
            mime_type: fetched
                .mime
                .unwrap_or_else(|| "application/octet-stream".into()),
            bytes: fetched.bytes.clone(),
            reusable_for: reusable.then(|| page_id.to_owned()),
        },
    );
    Ok(Resolved {
        kind,
        url: served,
        bytes: fetched.bytes,
        reusable_id: None,
        source_url: Some(url.to_owned()),
        new_reusable_id: reusable.then_some(id),
    })
}

/// `POST /{page-id}/message_attachments`: always reusable by that page.
pub fn upload(
    state: &mut State,
    credential: &Credential,
    page_id: &str,
    form: &Form,
    file: Option<&Upload>,
    fetched: Option<&Result<Fetched, GraphError>>,
) -> GraphResult {
    messaging_token(state, credential, page_id)?;
    let message = json_param(form, "message")?
        .ok_or_else(|| GraphError::param("The parameter message is required"))?;
    let attachment = &message["attachment"];
    let kind = kind_of(attachment)?;
    let (bytes, file_name, mime) = match file {
        Some(file) => (
            file.bytes.to_vec(),
            file.file_name.clone().unwrap_or_else(|| kind.clone()),
            file.content_type.clone(),
        ),
        None => {
            let url = attachment["payload"]["url"]
                .as_str()
                .ok_or_else(upload_failure)?;
            let fetched = fetched.cloned().unwrap_or_else(|| Err(upload_failure()))?;
            (fetched.bytes, file_name_of(url, &kind), fetched.mime)
        }
    };
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(too_large());
    }
    let (id, _) = store_attachment(
        state,
        StoredAttachment {
            file_name,
            mime_type: mime.unwrap_or_else(|| "application/octet-stream".into()),
            bytes,
            reusable_for: Some(page_id.to_owned()),
        },
    );
    Ok(json!({ "attachment_id": id }))
}

/// A multipart body as form fields plus the `filedata` file.
pub async fn read_multipart(
    request: Request,
    mut form: Form,
) -> Result<(Form, Option<Upload>), GraphError> {
    let bad = |e: String| GraphError::param(&format!("Invalid multipart body: {e}"));
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| bad(e.to_string()))?;
    let mut file = None;
    while let Some(part) = multipart
        .next_field()
        .await
        .map_err(|e| bad(e.to_string()))?
    {
        let name = part.name().unwrap_or_default().to_owned();
        let file_name = part.file_name().map(str::to_owned);
        let content_type = part.content_type().map(str::to_owned);
        let bytes = part.bytes().await.map_err(|e| bad(e.to_string()))?;
        if file_name.is_some() || name == "filedata" {
            if name == "filedata" {
                file = Some(Upload {
                    file_name,
                    content_type,
                    bytes,
                });
            }
        } else {
            form.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok((form, file))
}

/// `GET /fbcdn/attachments/{id}/{name}`: the stored bytes with their type.
pub fn serve_file(fb: &FacebookControl, id: &str) -> Response {
    match fb.lock().messenger.attachments.get(id) {
        Some(a) => ([(CONTENT_TYPE, a.mime_type.clone())], a.bytes.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, Body::empty()).into_response(),
    }
}
