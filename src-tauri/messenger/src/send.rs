//! The conversation side of the Graph API: the Send API, attachments,
//! thread control (handover), profiles, and downloading what customers send.
//!
//! Every send takes the [`SendPolicy`] the caller computed with
//! [`crate::window::send_policy`]; a closed window is refused here, before
//! any call, so a message that may not go out never reaches Facebook.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use thiserror::Error;
use url::Url;

use crate::explain::{SendFailure, explain_send, send_failure};
use crate::graph::{CALL_TIMEOUT, read_capped, secrets_in};
use crate::split::split_for_messenger;
use crate::window::{ClosedWhy, SendPolicy};
use crate::{GraphApi, GraphError, Secret};

/// Messenger's limit for an uploaded attachment, and ours for downloads.
pub const MAX_ATTACHMENT_BYTES: usize = 25 * 1024 * 1024;
/// Uploads and downloads of up to 25 MB need more than a JSON call.
const FILE_TIMEOUT: Duration = Duration::from_secs(300);

/// What Facebook answered for a message that went out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SentMessage {
    pub message_id: String,
}

/// The type of an attachment Switchboard sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentType {
    Image,
    Video,
    Audio,
    File,
}

impl AttachmentType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::File => "file",
        }
    }

    /// The type Messenger shows a file as, from its MIME type.
    pub fn for_mime(mime: &str) -> Self {
        let mime = mime.trim().to_ascii_lowercase();
        match mime.split('/').next() {
            Some("image") => Self::Image,
            Some("video") => Self::Video,
            Some("audio") => Self::Audio,
            _ => Self::File,
        }
    }
}

/// A customer as the profile API shows them. Each field may be missing
/// (Meta gives what the person and the app's permissions allow).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// A CDN URL that expires: download it soon.
    #[serde(default)]
    pub profile_pic: Option<String>,
}

impl Profile {
    /// "First Last", or whichever is known; `None` when neither is.
    pub fn display_name(&self) -> Option<String> {
        let name = [&self.first_name, &self.last_name]
            .into_iter()
            .flatten()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        (!name.is_empty()).then_some(name)
    }
}

/// A file a customer sent, downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub bytes: Vec<u8>,
    /// Without parameters, lower-case; `None` when the server gave none.
    pub content_type: Option<String>,
}

/// Why a send did not happen.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SendError {
    /// Refused before calling Facebook: the messaging window does not allow it.
    #[error("not sent: {reason}")]
    WindowClosed { why: ClosedWhy, reason: String },
    /// Refused before calling Facebook: nothing to send, or a file Messenger
    /// would refuse. The text is for people.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl SendError {
    /// Whether the outbox should try again later, give up on the channel
    /// until it is reconnected, or fail this message.
    pub fn failure(&self) -> SendFailure {
        match self {
            Self::WindowClosed { reason, .. } | Self::Invalid(reason) => SendFailure::Refused {
                reason: reason.clone(),
            },
            Self::Graph(error) => send_failure(error),
        }
    }

    /// A sentence for the operator.
    pub fn explain(&self) -> String {
        match self {
            Self::WindowClosed { reason, .. } | Self::Invalid(reason) => reason.clone(),
            Self::Graph(error) => explain_send(error),
        }
    }
}

/// A long text goes out in parts; when one fails, the ones before it were
/// sent (`sent`) and the rest were not. Retry from part `sent.len()` of
/// [`split_for_messenger`] to avoid sending a part twice.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{error}")]
pub struct TextNotSent {
    pub sent: Vec<SentMessage>,
    pub error: SendError,
}

impl GraphApi {
    /// Sends a text to `psid` as the page. Longer than 2000 characters, it
    /// goes out in parts ([`split_for_messenger`]), in order; parts that are
    /// only whitespace are skipped.
    pub async fn send_text(
        &self,
        page_id: &str,
        page_token: &Secret,
        psid: &str,
        text: &str,
        policy: &SendPolicy,
    ) -> Result<Vec<SentMessage>, TextNotSent> {
        let not_sent = |error| TextNotSent {
            sent: Vec::new(),
            error,
        };
        if text.trim().is_empty() {
            return Err(not_sent(SendError::Invalid("The message is empty.".into())));
        }
        refuse_closed(policy).map_err(not_sent)?;
        let mut sent = Vec::new();
        for part in split_for_messenger(text) {
            if part.trim().is_empty() {
                continue;
            }
            let message = json!({ "text": part });
            match self
                .send_message(page_id, page_token, psid, message, policy)
                .await
            {
                Ok(message) => sent.push(message),
                Err(error) => {
                    return Err(TextNotSent {
                        sent,
                        error: error.into(),
                    });
                }
            }
        }
        Ok(sent)
    }

    /// Sends an attachment uploaded with [`GraphApi::upload_attachment`].
    pub async fn send_attachment(
        &self,
        page_id: &str,
        page_token: &Secret,
        psid: &str,
        kind: AttachmentType,
        attachment_id: &str,
        policy: &SendPolicy,
    ) -> Result<SentMessage, SendError> {
        refuse_closed(policy)?;
        let message = json!({
            "attachment": { "type": kind.as_str(), "payload": { "attachment_id": attachment_id } }
        });
        Ok(self
            .send_message(page_id, page_token, psid, message, policy)
            .await?)
    }

    /// Uploads a file (`POST /{page}/message_attachments`, multipart
    /// `message` + `filedata`) and returns its reusable attachment id, which
    /// Meta keeps for about 90 days.
    pub async fn upload_attachment(
        &self,
        page_id: &str,
        page_token: &Secret,
        kind: AttachmentType,
        file_name: &str,
        mime: &str,
        bytes: Vec<u8>,
    ) -> Result<String, SendError> {
        #[derive(Deserialize)]
        struct Uploaded {
            attachment_id: Value,
        }
        if bytes.is_empty() {
            return Err(SendError::Invalid(format!(
                "The file {file_name} is empty."
            )));
        }
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(SendError::Invalid(format!(
                "The file {file_name} is {:.1} MB; Messenger accepts files up to 25 MB.",
                bytes.len() as f64 / (1024.0 * 1024.0)
            )));
        }
        let file = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str(mime)
            .map_err(|_| SendError::Invalid(format!("{mime:?} is not a file type (MIME type).")))?;
        let message = json!({
            "attachment": { "type": kind.as_str(), "payload": { "is_reusable": true } }
        });
        let form = reqwest::multipart::Form::new()
            .text("message", message.to_string())
            .part("filedata", file);
        let url = self.page_call(&[page_id, "message_attachments"], page_token);
        let secrets = secrets_in(&url);
        let request = self.http.post(url).multipart(form).timeout(FILE_TIMEOUT);
        let uploaded: Uploaded = self
            .execute("the attachment upload", request, &secrets)
            .await?;
        id_text(&uploaded.attachment_id).ok_or_else(|| {
            GraphError::Protocol("the attachment upload: no attachment id".into()).into()
        })
    }

    /// Passes the thread to another app (`target_app_id`; Page Inbox is
    /// 263902037430900), e.g. back to the bot.
    pub async fn pass_thread_control(
        &self,
        page_id: &str,
        page_token: &Secret,
        psid: &str,
        target_app_id: &str,
        metadata: Option<&str>,
    ) -> Result<(), GraphError> {
        let mut body = json!({ "recipient": { "id": psid }, "target_app_id": target_app_id });
        if let Some(metadata) = metadata {
            body["metadata"] = json!(metadata);
        }
        self.post_success(
            "passing thread control",
            page_id,
            "pass_thread_control",
            page_token,
            body,
        )
        .await
    }

    /// Takes the thread for this app (it must be the page's primary receiver).
    pub async fn take_thread_control(
        &self,
        page_id: &str,
        page_token: &Secret,
        psid: &str,
        metadata: Option<&str>,
    ) -> Result<(), GraphError> {
        let mut body = json!({ "recipient": { "id": psid } });
        if let Some(metadata) = metadata {
            body["metadata"] = json!(metadata);
        }
        self.post_success(
            "taking thread control",
            page_id,
            "take_thread_control",
            page_token,
            body,
        )
        .await
    }

    /// The app that holds the thread with `psid`, when Meta names one.
    pub async fn thread_owner(
        &self,
        page_id: &str,
        page_token: &Secret,
        psid: &str,
    ) -> Result<Option<String>, GraphError> {
        let mut url = self.page_call(&[page_id, "thread_owner"], page_token);
        url.query_pairs_mut().append_pair("recipient", psid);
        let secrets = secrets_in(&url);
        let request = self.http.get(url).timeout(CALL_TIMEOUT);
        let answer: Value = self.execute("the thread owner", request, &secrets).await?;
        Ok(answer["data"]
            .as_array()
            .and_then(|data| data.first())
            .and_then(|first| id_text(&first["thread_owner"]["app_id"])))
    }

    /// The customer's name and picture (`GET /{PSID}`).
    pub async fn profile(&self, psid: &str, page_token: &Secret) -> Result<Profile, GraphError> {
        let mut url = self.page_call(&[psid], page_token);
        url.query_pairs_mut()
            .append_pair("fields", "first_name,last_name,profile_pic");
        let secrets = secrets_in(&url);
        let request = self.http.get(url).timeout(CALL_TIMEOUT);
        self.execute("the customer's profile", request, &secrets)
            .await
    }

    /// Downloads a file a customer sent (a CDN URL from a webhook): http(s)
    /// only, at most [`MAX_ATTACHMENT_BYTES`].
    pub async fn download(&self, url: &str) -> Result<Downloaded, GraphError> {
        let url = Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                GraphError::Protocol("the attachment address is not a web URL".into())
            })?;
        let response = self
            .http
            .get(url)
            .timeout(FILE_TIMEOUT)
            .send()
            .await
            .map_err(GraphError::network)?;
        let status = response.status();
        if !status.is_success() {
            return Err(GraphError::Protocol(format!(
                "the attachment download answered HTTP {status}"
            )));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty());
        let bytes = read_capped(response, MAX_ATTACHMENT_BYTES as u64).await?;
        Ok(Downloaded {
            bytes,
            content_type,
        })
    }

    /// `POST /{page}/messages` with the type the policy allows.
    async fn send_message(
        &self,
        page_id: &str,
        page_token: &Secret,
        psid: &str,
        message: Value,
        policy: &SendPolicy,
    ) -> Result<SentMessage, GraphError> {
        let mut body = json!({ "recipient": { "id": psid }, "message": message });
        match policy {
            SendPolicy::Response { .. } => body["messaging_type"] = json!("RESPONSE"),
            SendPolicy::HumanAgent { .. } => {
                body["messaging_type"] = json!("MESSAGE_TAG");
                body["tag"] = json!("HUMAN_AGENT");
            }
            // `refuse_closed` ran first; a closed policy never gets here.
            SendPolicy::Closed { reason, .. } => {
                return Err(GraphError::Protocol(format!("not sent: {reason}")));
            }
        }
        let url = self.page_call(&[page_id, "messages"], page_token);
        let secrets = secrets_in(&url);
        let request = self.http.post(url).json(&body).timeout(CALL_TIMEOUT);
        self.execute("sending the message", request, &secrets).await
    }

    async fn post_success(
        &self,
        what: &str,
        page_id: &str,
        edge: &str,
        page_token: &Secret,
        body: Value,
    ) -> Result<(), GraphError> {
        let url = self.page_call(&[page_id, edge], page_token);
        let secrets = secrets_in(&url);
        let request = self.http.post(url).json(&body).timeout(CALL_TIMEOUT);
        let answer: Value = self.execute(what, request, &secrets).await?;
        if answer["success"] == json!(true) {
            Ok(())
        } else {
            Err(GraphError::Protocol(format!(
                "{what} answered without success"
            )))
        }
    }

    /// A Graph URL under `path` with the page token.
    fn page_call(&self, path: &[&str], page_token: &Secret) -> Url {
        self.endpoint(path, &[("access_token", page_token.expose())])
    }
}

fn refuse_closed(policy: &SendPolicy) -> Result<(), SendError> {
    match policy {
        SendPolicy::Closed { why, reason } => Err(SendError::WindowClosed {
            why: *why,
            reason: reason.clone(),
        }),
        _ => Ok(()),
    }
}

/// An id Meta sent as a string or a number.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
