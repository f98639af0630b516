//! Files: `sendPhoto`, `sendDocument` (multipart upload, `attach://`, file_id or URL),
//! `getFile`, and the download URL `/file/bot<token>/<file_path>`.

use axum::body::Bytes;
use serde_json::{Value, json};

use super::media::{self, Described};
use super::methods::{self, MAX_CAPTION_CHARS};
use super::state::{Bot, BotState};
use super::{ApiError, MediaKind, SandboxFile};
use crate::params::{Params, Upload};

/// Upload caps of the real API: photos 10 MB, other files 50 MB; downloads 20 MB.
const MAX_PHOTO_UPLOAD: usize = 10 * 1024 * 1024;
const MAX_FILE_UPLOAD: usize = 50 * 1024 * 1024;
const MAX_DOWNLOAD: usize = 20 * 1024 * 1024;

/// A file the simulated Telegram holds: what a bot or a customer sent.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub file_id: String,
    pub file_unique_id: String,
    pub file_path: String,
    pub bytes: Bytes,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    /// The object a message carries: `[PhotoSize]` for photos, `Document`, `Voice`, `Sticker`.
    pub json: Value,
}

impl StoredFile {
    pub fn public(&self) -> SandboxFile {
        SandboxFile {
            file_id: self.file_id.clone(),
            file_unique_id: self.file_unique_id.clone(),
            file_path: self.file_path.clone(),
            file_name: self.file_name.clone(),
            mime_type: self.mime_type.clone(),
            bytes: self.bytes.to_vec(),
        }
    }
}

fn random_tail(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    (0..len)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}

/// Stores bytes as a new file and returns it (also kept in `state.files`).
pub fn store(state: &mut BotState, file: &Described<'_>) -> StoredFile {
    let seq = state.next_file_seq;
    state.next_file_seq += 1;
    let (prefix, folder) = media::layout(file.kind);
    let file_id = format!("{prefix}{seq:06}{}", random_tail(40));
    let file_unique_id = format!("AQAD{seq:06}{}", random_tail(6));
    let extension = media::extension(file.kind, file.bytes, file.file_name);
    // Photos carry no type in the Bot API, but recording one lets assertions and downloads
    // say what the bytes are.
    let mime_type = match file.kind {
        MediaKind::Photo if file.bytes.starts_with(b"\x89PNG") => Some("image/png".to_owned()),
        MediaKind::Photo => Some("image/jpeg".to_owned()),
        MediaKind::Sticker => Some("image/webp".to_owned()),
        MediaKind::Voice => Some(file.mime_type.unwrap_or("audio/ogg").to_owned()),
        MediaKind::Document => file.mime_type.map(str::to_owned),
    };
    let stored = StoredFile {
        json: media::object(&file_id, &file_unique_id, file),
        file_id: file_id.clone(),
        file_unique_id,
        file_path: format!("{folder}/file_{seq}.{extension}"),
        bytes: Bytes::copy_from_slice(file.bytes),
        file_name: file.file_name.map(str::to_owned),
        mime_type,
    };
    state.files.insert(file_id, stored.clone());
    stored
}

/// Resolves the media parameter of a send: an upload, `attach://<field>`, a known file_id or
/// an HTTP URL (accepted but not fetched: it becomes an empty file).
fn media(bot: &Bot, params: &Params, kind: MediaKind) -> Result<StoredFile, ApiError> {
    let field = media::field(kind);
    let upload = params.upload(field).or_else(|| {
        let name = params.non_empty(field)?.strip_prefix("attach://")?;
        params.upload(name)
    });
    let mut state = bot.lock();
    if let Some(Upload {
        file_name,
        content_type,
        bytes,
    }) = upload
    {
        let cap = if kind == MediaKind::Photo {
            MAX_PHOTO_UPLOAD
        } else {
            MAX_FILE_UPLOAD
        };
        if bytes.len() > cap {
            return Err(ApiError::new(413, "Request Entity Too Large"));
        }
        if bytes.is_empty() {
            return Err(ApiError::bad_request("file must be non-empty"));
        }
        if kind == MediaKind::Photo && media::image_size(bytes).is_none() {
            return Err(ApiError::bad_request("IMAGE_PROCESS_FAILED"));
        }
        let mime = media::upload_mime(content_type.as_deref(), file_name.as_deref());
        let described = Described {
            kind,
            bytes,
            file_name: file_name.as_deref(),
            mime_type: mime.as_deref(),
            duration: None,
            emoji: None,
        };
        return Ok(store(&mut state, &described));
    }
    let Some(reference) = params.non_empty(field) else {
        return Err(ApiError::bad_request(&format!(
            "there is no {field} in the request"
        )));
    };
    if let Some(file) = state.files.get(reference) {
        return Ok(file.clone());
    }
    if reference.starts_with("http://") || reference.starts_with("https://") {
        let name = reference.rsplit('/').next().filter(|n| !n.is_empty());
        let mime = name.and_then(media::guess_mime);
        let described = Described {
            kind,
            bytes: &[],
            file_name: name,
            mime_type: mime,
            duration: None,
            emoji: None,
        };
        return Ok(store(&mut state, &described));
    }
    Err(ApiError::bad_request(
        "wrong file identifier/HTTP URL specified",
    ))
}

fn send_media(bot: &Bot, params: &Params, kind: MediaKind) -> Result<Value, ApiError> {
    let method = match kind {
        MediaKind::Photo => "sendPhoto",
        _ => "sendDocument",
    };
    methods::check_parse_mode(params)?;
    let caption = params.text("caption").unwrap_or("").trim();
    if caption.chars().count() > MAX_CAPTION_CHARS {
        return Err(ApiError::bad_request("message caption is too long"));
    }
    let chat_id = methods::chat_id(params)?;
    // Check the chat before storing anything, so a failed send leaves no file behind.
    {
        let state = bot.lock();
        if !state.blocked.contains(&chat_id) && state.chat(chat_id).is_none() {
            return Err(ApiError::chat_not_found());
        }
    }
    let file = media(bot, params, kind)?;
    let sent = methods::Sent {
        method,
        text: caption,
        file: Some(&file),
    };
    methods::post(bot, chat_id, params, sent, |m| {
        m.insert(media::field(kind).to_owned(), file.json.clone());
        if !caption.is_empty() {
            m.insert("caption".to_owned(), json!(caption));
        }
    })
}

pub fn send_photo(bot: &Bot, params: &Params) -> Result<Value, ApiError> {
    send_media(bot, params, MediaKind::Photo)
}

pub fn send_document(bot: &Bot, params: &Params) -> Result<Value, ApiError> {
    send_media(bot, params, MediaKind::Document)
}

pub fn get_file(bot: &Bot, params: &Params) -> Result<Value, ApiError> {
    let file_id = params
        .non_empty("file_id")
        .ok_or_else(|| ApiError::bad_request("parameter \"file_id\" is required"))?;
    let state = bot.lock();
    let file = state
        .files
        .get(file_id.trim())
        .ok_or_else(|| ApiError::bad_request("invalid file_id"))?;
    if file.bytes.len() > MAX_DOWNLOAD {
        return Err(ApiError::bad_request("file is too big"));
    }
    Ok(json!({
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "file_size": file.bytes.len(),
        "file_path": file.file_path,
    }))
}

/// The bytes behind `/file/bot<token>/<file_path>`, with their content type.
pub fn download(bot: &Bot, file_path: &str) -> Option<(Bytes, String)> {
    let state = bot.lock();
    let file = state.files.values().find(|f| f.file_path == file_path)?;
    let mime = file
        .mime_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    Some((file.bytes.clone(), mime))
}
