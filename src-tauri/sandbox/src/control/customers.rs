//! Control endpoints that play the customer: write, send media, edit.

use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;

use super::{ControlError, Reply, body, ok};
use crate::base64;
use crate::telegram::{
    CustomerEdit, CustomerMedia, CustomerMessage, CustomerPhoto, MediaKind, TelegramControl,
};

pub(super) async fn message(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
    bytes: Bytes,
) -> Reply {
    let message: CustomerMessage = body(&bytes)?;
    ok(telegram.customer_writes(&token, message)?)
}

fn decode(field: &str, text: Option<&str>) -> Result<Option<Vec<u8>>, ControlError> {
    match text {
        None => Ok(None),
        Some(text) => base64::decode(text)
            .map(Some)
            .ok_or_else(|| ControlError::bad_request(&format!("{field} is not valid base64"))),
    }
}

#[derive(Deserialize)]
struct PhotoRequest {
    user_id: i64,
    first_name: String,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    /// PNG or JPEG, standard base64; omitted: a small built-in PNG.
    #[serde(default)]
    image_base64: Option<String>,
}

pub(super) async fn photo(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
    bytes: Bytes,
) -> Reply {
    let request: PhotoRequest = body(&bytes)?;
    let photo = CustomerPhoto {
        user_id: request.user_id,
        first_name: request.first_name,
        last_name: request.last_name,
        username: request.username,
        caption: request.caption,
        image: decode("image_base64", request.image_base64.as_deref())?,
    };
    ok(telegram.customer_sends_photo(&token, photo)?)
}

#[derive(Deserialize)]
struct MediaRequest {
    user_id: i64,
    first_name: String,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    username: Option<String>,
    kind: MediaKind,
    /// The file, standard base64.
    #[serde(alias = "bytes")]
    bytes_base64: Option<String>,
    #[serde(default)]
    file_name: Option<String>,
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    duration: Option<u32>,
    #[serde(default)]
    emoji: Option<String>,
}

pub(super) async fn media(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
    bytes: Bytes,
) -> Reply {
    let request: MediaRequest = body(&bytes)?;
    let media = CustomerMedia {
        user_id: request.user_id,
        first_name: request.first_name,
        last_name: request.last_name,
        username: request.username,
        kind: request.kind,
        bytes: decode("bytes_base64", request.bytes_base64.as_deref())?.unwrap_or_default(),
        file_name: request.file_name,
        mime_type: request.mime_type,
        caption: request.caption,
        duration: request.duration,
        emoji: request.emoji,
    };
    ok(telegram.customer_sends_media(&token, media)?)
}

pub(super) async fn edit(
    State(telegram): State<TelegramControl>,
    Path(token): Path<String>,
    bytes: Bytes,
) -> Reply {
    let edit: CustomerEdit = body(&bytes)?;
    ok(telegram.customer_edits(&token, edit)?)
}
