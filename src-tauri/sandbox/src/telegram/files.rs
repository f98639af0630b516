//! Files: `sendPhoto`, `sendDocument` (multipart upload, `attach://`, file_id or URL),
//! `getFile`, and the download URL `/file/bot<token>/<file_path>`.

use axum::body::Bytes;
use serde_json::{Map, Value, json};

use super::ApiError;
use super::methods::{self, MAX_CAPTION_CHARS};
use super::state::{Bot, BotState};
use crate::params::{Params, Upload};

/// Upload caps of the real API: photos 10 MB, other files 50 MB; downloads 20 MB.
const MAX_PHOTO_UPLOAD: usize = 10 * 1024 * 1024;
const MAX_FILE_UPLOAD: usize = 50 * 1024 * 1024;
const MAX_DOWNLOAD: usize = 20 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Photo,
    Document,
}

/// A file the simulated Telegram holds: what a bot or a customer sent.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub file_id: String,
    pub file_unique_id: String,
    pub file_path: String,
    pub bytes: Bytes,
    pub mime_type: Option<String>,
    /// The object a message carries: `[PhotoSize]` for photos, `Document` for documents.
    pub json: Value,
}

/// Width and height of a PNG or JPEG, read from its header.
pub fn image_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let be32 = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let be16 = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u32::from(u16::from_be_bytes([b[0], b[1]])))
    };
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.get(12..16) == Some(b"IHDR") {
        return Some((be32(16)?, be32(20)?));
    }
    if !bytes.starts_with(&[0xff, 0xd8]) {
        return None;
    }
    let mut at = 2;
    while *bytes.get(at)? == 0xff {
        let marker = *bytes.get(at + 1)?;
        let is_frame = (0xc0..=0xcf).contains(&marker) && ![0xc4, 0xc8, 0xcc].contains(&marker);
        if is_frame {
            return Some((be16(at + 7)?, be16(at + 5)?));
        }
        at += 2 + usize::try_from(be16(at + 2)?).ok()?;
    }
    None
}

fn random_tail(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    (0..len)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}

/// Stores bytes as a new file and returns it (also kept in `state.files`).
pub fn store(
    state: &mut BotState,
    kind: FileKind,
    bytes: impl Into<Bytes>,
    file_name: Option<String>,
    mime_type: Option<String>,
) -> StoredFile {
    let bytes: Bytes = bytes.into();
    let seq = state.next_file_seq;
    state.next_file_seq += 1;
    let (prefix, folder) = match kind {
        FileKind::Photo => ("AgACAgIAAxkB", "photos"),
        FileKind::Document => ("BQACAgIAAxkB", "documents"),
    };
    let file_id = format!("{prefix}{seq:06}{}", random_tail(40));
    let file_unique_id = format!("AQAD{seq:06}{}", random_tail(6));
    let size = bytes.len();
    let json = match kind {
        FileKind::Photo => {
            let (width, height) = image_size(&bytes).unwrap_or((0, 0));
            json!([{ "file_id": file_id, "file_unique_id": file_unique_id,
                     "width": width, "height": height, "file_size": size }])
        }
        FileKind::Document => {
            let mut doc = Map::new();
            doc.insert("file_id".to_owned(), json!(file_id));
            doc.insert("file_unique_id".to_owned(), json!(file_unique_id));
            if let Some(name) = &file_name {
                doc.insert("file_name".to_owned(), json!(name));
            }
            if let Some(mime) = &mime_type {
                doc.insert("mime_type".to_owned(), json!(mime));
            }
            doc.insert("file_size".to_owned(), json!(size));
            Value::Object(doc)
        }
    };
    let extension = match (kind, file_name.as_deref()) {
        (FileKind::Photo, _) if bytes.starts_with(b"\x89PNG") => "png",
        (FileKind::Photo, _) => "jpg",
        (FileKind::Document, Some(name)) => name
            .rsplit_once('.')
            .map(|(_, e)| e)
            .filter(|e| (1..=8).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_alphanumeric()))
            .unwrap_or("bin"),
        (FileKind::Document, None) => "bin",
    };
    let file = StoredFile {
        file_id: file_id.clone(),
        file_unique_id,
        file_path: format!("{folder}/file_{seq}.{extension}"),
        bytes,
        mime_type,
        json,
    };
    state.files.insert(file_id, file.clone());
    file
}

/// Resolves the media parameter of a send: an upload, `attach://<field>`, a known file_id or
/// an HTTP URL (accepted but not fetched: it becomes an empty file).
fn media(bot: &Bot, params: &Params, kind: FileKind, field: &str) -> Result<Value, ApiError> {
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
        let cap = if kind == FileKind::Photo {
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
        if kind == FileKind::Photo && image_size(bytes).is_none() {
            return Err(ApiError::bad_request("IMAGE_PROCESS_FAILED"));
        }
        let (name, mime) = (file_name.clone(), content_type.clone());
        return Ok(store(&mut state, kind, bytes.clone(), name, mime).json);
    }
    let Some(reference) = params.non_empty(field) else {
        return Err(ApiError::bad_request(&format!(
            "there is no {field} in the request"
        )));
    };
    if let Some(file) = state.files.get(reference) {
        return Ok(file.json.clone());
    }
    if reference.starts_with("http://") || reference.starts_with("https://") {
        let name = reference.rsplit('/').next().map(str::to_owned);
        return Ok(store(&mut state, kind, Bytes::new(), name, None).json);
    }
    Err(ApiError::bad_request(
        "wrong file identifier/HTTP URL specified",
    ))
}

fn send_media(bot: &Bot, params: &Params, kind: FileKind) -> Result<Value, ApiError> {
    let (field, method) = match kind {
        FileKind::Photo => ("photo", "sendPhoto"),
        FileKind::Document => ("document", "sendDocument"),
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
    let object = media(bot, params, kind, field)?;
    methods::post(bot, chat_id, method, params, caption, |m| {
        m.insert(field.to_owned(), object);
        if !caption.is_empty() {
            m.insert("caption".to_owned(), json!(caption));
        }
    })
}

pub fn send_photo(bot: &Bot, params: &Params) -> Result<Value, ApiError> {
    send_media(bot, params, FileKind::Photo)
}

pub fn send_document(bot: &Bot, params: &Params) -> Result<Value, ApiError> {
    send_media(bot, params, FileKind::Document)
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
