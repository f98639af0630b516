//! Files in conversations and second chances: an operator sends a photo or a
//! document, opens a customer's file, and retries what failed. In shared mode
//! the same calls go through the outbox (`shared_ops.rs`) and the file is read
//! from the cache, which the change feed fills.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use switchboard_engine::domain::{AttachmentKind, MAX_OUTGOING_FILE_BYTES, OutgoingFile};
use switchboard_ipc::{AttachmentData, ErrorCode, IpcError, MessageView, SendFile};

use crate::errors::{to_ipc, validate_id};
use crate::{Runtime, convert};

/// Image types the webview may show inline. Anything else (SVG, which can
/// carry script, included) is handed to the UI as an opaque download.
const INLINE_IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

impl Runtime {
    /// Queues a photo or a document for the customer; it is stored with the
    /// message, so it survives restarts and network errors until sent.
    pub async fn send_file(&self, request: SendFile) -> Result<MessageView, IpcError> {
        let chat_id = validate_id("chat", &request.chat_id)?;
        self.refuse_outside_window(chat_id).await?;
        let kind = match request.kind {
            switchboard_ipc::AttachmentKind::Photo => AttachmentKind::Photo,
            switchboard_ipc::AttachmentKind::Document => AttachmentKind::Document,
            _ => {
                return Err(IpcError::new(
                    ErrorCode::InvalidInput,
                    "Only photos and documents can be sent.",
                ));
            }
        };
        // base64 is 4/3 of the bytes: refuse oversize input before decoding it.
        if request.base64.len() > MAX_OUTGOING_FILE_BYTES / 3 * 4 + 8 {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                format!(
                    "{} is larger than {} MB, the most Telegram accepts from a bot.",
                    request.file_name,
                    MAX_OUTGOING_FILE_BYTES / (1024 * 1024)
                ),
            ));
        }
        let bytes = BASE64
            .decode(request.base64.as_bytes())
            .map_err(|_| IpcError::new(ErrorCode::InvalidInput, "The file could not be read."))?;
        if kind == AttachmentKind::Photo && !looks_like_photo(&bytes) {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "Telegram shows only JPEG, PNG and WebP pictures as photos. Send this file as a document.",
            ));
        }
        let mime_type = request
            .mime_type
            .filter(|m| m.len() <= 100 && m.contains('/') && m.is_ascii());
        let file = OutgoingFile {
            kind,
            file_name: request.file_name,
            mime_type,
            bytes,
        };
        if self.shared.is_some() {
            return self.send_shared_file(chat_id, file, &request.caption).await;
        }
        let message = self
            .store
            .queue_file(chat_id, &file, &request.caption, self.clock.now())
            .await
            .map_err(to_ipc)?;
        self.outbound_queued(chat_id).await?;
        Ok(convert::message_view(&message))
    }

    /// The bytes of a file in a conversation, for showing or saving.
    pub async fn read_attachment(&self, attachment_id: &str) -> Result<AttachmentData, IpcError> {
        let attachment_id = validate_id("file", attachment_id)?;
        let (attachment, bytes) = self
            .store
            .attachment_content(attachment_id)
            .await
            .map_err(to_ipc)?;
        let mime_type = match attachment.mime_type.as_deref() {
            Some(m) if INLINE_IMAGE_TYPES.contains(&m) => m.to_owned(),
            _ if attachment.kind == AttachmentKind::Photo && looks_like_photo(&bytes) => {
                sniff_image(&bytes).to_owned()
            }
            _ => "application/octet-stream".to_owned(),
        };
        Ok(AttachmentData {
            id: attachment.id,
            kind: convert::attachment_kind(attachment.kind),
            file_name: attachment.file_name,
            mime_type,
            base64: BASE64.encode(&bytes),
        })
    }

    /// "Send again" on a failed message of the operator's.
    pub async fn retry_message(&self, message_id: &str) -> Result<(), IpcError> {
        let message_id = validate_id("message", message_id)?;
        if self.shared.is_some() {
            return self.retry_shared_message(message_id).await;
        }
        let chat_id = self
            .store
            .retry_message(message_id, self.clock.now())
            .await
            .map_err(to_ipc)?;
        let chat = self.store.chat(&chat_id).await.map_err(to_ipc)?;
        self.wake_sender(&chat.channel_id);
        let _ = self.changes.send(vec![chat_id]);
        Ok(())
    }

    /// "Download again" on a customer's file that could not be fetched.
    pub async fn retry_attachment(&self, attachment_id: &str) -> Result<(), IpcError> {
        let attachment_id = validate_id("file", attachment_id)?;
        if self.shared.is_some() {
            return self.retry_shared_attachment(attachment_id).await;
        }
        let chat_id = self
            .store
            .retry_attachment(attachment_id)
            .await
            .map_err(to_ipc)?;
        let chat = self.store.chat(&chat_id).await.map_err(to_ipc)?;
        self.wake_fetcher(&chat.channel_id);
        let _ = self.changes.send(vec![chat_id]);
        Ok(())
    }
}

fn looks_like_photo(bytes: &[u8]) -> bool {
    sniff_image(bytes) != "application/octet-stream"
}

/// The image type by its magic bytes (never trust the name or the sender's label).
fn sniff_image(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_their_bytes_not_their_label() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), "image/png");
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), "image/jpeg");
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
        assert_eq!(
            sniff_image(b"<svg onload=alert(1)>"),
            "application/octet-stream"
        );
    }
}
