//! What Telegram derives from a file's bytes and name: image dimensions, MIME types, and the
//! Bot API object a message carries for each kind (`[PhotoSize]`, `Document`, `Voice`, `Sticker`).

use serde_json::{Map, Value, json};

use super::MediaKind;

/// Width and height of a PNG or JPEG, read from its header.
pub fn image_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.get(12..16) == Some(b"IHDR") {
        return Some((be(bytes, 16, 4)?, be(bytes, 20, 4)?));
    }
    if !bytes.starts_with(&[0xff, 0xd8]) {
        return None;
    }
    let mut at = 2;
    while *bytes.get(at)? == 0xff {
        let marker = *bytes.get(at + 1)?;
        let is_frame = (0xc0..=0xcf).contains(&marker) && ![0xc4, 0xc8, 0xcc].contains(&marker);
        if is_frame {
            return Some((be(bytes, at + 7, 2)?, be(bytes, at + 5, 2)?));
        }
        at += 2 + usize::try_from(be(bytes, at + 2, 2)?).ok()?;
    }
    None
}

/// Width and height of a WebP (the format of static stickers): VP8X, VP8 and VP8L headers.
pub fn webp_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WEBP" {
        return None;
    }
    match bytes.get(12..16)? {
        b"VP8X" => Some((le(bytes, 24, 3)? + 1, le(bytes, 27, 3)? + 1)),
        b"VP8 " => Some((le(bytes, 26, 2)? & 0x3fff, le(bytes, 28, 2)? & 0x3fff)),
        b"VP8L" => {
            let bits = le(bytes, 21, 4)?;
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        _ => None,
    }
}

fn be(bytes: &[u8], at: usize, len: usize) -> Option<u32> {
    let slice = bytes.get(at..at + len)?;
    Some(slice.iter().fold(0, |acc, b| acc << 8 | u32::from(*b)))
}

fn le(bytes: &[u8], at: usize, len: usize) -> Option<u32> {
    let slice = bytes.get(at..at + len)?;
    Some(
        slice
            .iter()
            .rev()
            .fold(0, |acc, b| acc << 8 | u32::from(*b)),
    )
}

/// The MIME type Telegram reports for a file name's extension (a short table of what customers
/// commonly send; anything else has no guess).
pub fn guess_mime(file_name: &str) -> Option<&'static str> {
    let (_, extension) = file_name.rsplit_once('.')?;
    let mime = match extension.to_ascii_lowercase().as_str() {
        "pdf" => "application/pdf",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "xml" => "application/xml",
        "zip" => "application/zip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp3" => "audio/mpeg",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "mp4" => "video/mp4",
        _ => return None,
    };
    Some(mime)
}

/// The MIME type to record for an upload: the part's own type unless it is missing or the
/// generic `application/octet-stream`, in which case the extension decides (as clients that
/// send `InputFile::memory` without a type rely on).
pub fn upload_mime(content_type: Option<&str>, file_name: Option<&str>) -> Option<String> {
    let given = content_type
        .map(|t| t.split(';').next().unwrap_or(t).trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty());
    match given {
        Some(t) if t != "application/octet-stream" => Some(t),
        other => file_name.and_then(guess_mime).map(str::to_owned).or(other),
    }
}

/// Where a kind of file lives (`file_path` folder) and how its ids start (Telegram's ids encode
/// the type in their first bytes; clients only compare them, but realistic ids catch code that
/// assumes a shape).
pub fn layout(kind: MediaKind) -> (&'static str, &'static str) {
    match kind {
        MediaKind::Photo => ("AgACAgIAAxkB", "photos"),
        MediaKind::Document => ("BQACAgIAAxkB", "documents"),
        MediaKind::Voice => ("AwACAgIAAxkB", "voice"),
        MediaKind::Sticker => ("CAACAgIAAxkB", "stickers"),
    }
}

/// The file's extension in its `file_path`.
pub fn extension(kind: MediaKind, bytes: &[u8], file_name: Option<&str>) -> String {
    match kind {
        MediaKind::Photo if bytes.starts_with(b"\x89PNG") => "png".to_owned(),
        MediaKind::Photo => "jpg".to_owned(),
        MediaKind::Voice => "oga".to_owned(),
        MediaKind::Sticker => "webp".to_owned(),
        MediaKind::Document => file_name
            .and_then(|n| n.rsplit_once('.'))
            .map(|(_, e)| e)
            .filter(|e| (1..=8).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_alphanumeric()))
            .unwrap_or("bin")
            .to_owned(),
    }
}

/// Everything that goes into a file's Bot API object besides its ids.
pub struct Described<'a> {
    pub kind: MediaKind,
    pub bytes: &'a [u8],
    pub file_name: Option<&'a str>,
    pub mime_type: Option<&'a str>,
    pub duration: Option<u32>,
    pub emoji: Option<&'a str>,
}

/// The object a message carries for the file, with optional fields omitted when absent.
pub fn object(file_id: &str, file_unique_id: &str, file: &Described<'_>) -> Value {
    let size = file.bytes.len();
    let mut o = Map::new();
    o.insert("file_id".to_owned(), json!(file_id));
    o.insert("file_unique_id".to_owned(), json!(file_unique_id));
    match file.kind {
        MediaKind::Photo => {
            let (width, height) = image_size(file.bytes).unwrap_or((0, 0));
            o.insert("width".to_owned(), json!(width));
            o.insert("height".to_owned(), json!(height));
            o.insert("file_size".to_owned(), json!(size));
            return json!([o]);
        }
        MediaKind::Document => {
            if let Some(name) = file.file_name {
                o.insert("file_name".to_owned(), json!(name));
            }
            if let Some(mime) = file.mime_type {
                o.insert("mime_type".to_owned(), json!(mime));
            }
        }
        MediaKind::Voice => {
            o.insert("duration".to_owned(), json!(file.duration.unwrap_or(1)));
            o.insert(
                "mime_type".to_owned(),
                json!(file.mime_type.unwrap_or("audio/ogg")),
            );
        }
        MediaKind::Sticker => {
            // Regular static stickers are 512 px on their longer side.
            let (width, height) = webp_size(file.bytes)
                .or_else(|| image_size(file.bytes))
                .unwrap_or((512, 512));
            o.insert("type".to_owned(), json!("regular"));
            o.insert("width".to_owned(), json!(width));
            o.insert("height".to_owned(), json!(height));
            o.insert("is_animated".to_owned(), json!(false));
            o.insert("is_video".to_owned(), json!(false));
            o.insert("emoji".to_owned(), json!(file.emoji.unwrap_or("🙂")));
        }
    }
    o.insert("file_size".to_owned(), json!(size));
    Value::Object(o)
}

/// The message field that carries a kind of file.
pub fn field(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Photo => "photo",
        MediaKind::Document => "document",
        MediaKind::Voice => "voice",
        MediaKind::Sticker => "sticker",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generic_or_missing_part_type_is_guessed_from_the_extension() {
        let mime = |t, n| upload_mime(t, n);
        assert_eq!(
            mime(None, Some("a.PDF")).as_deref(),
            Some("application/pdf")
        );
        let generic = Some("application/octet-stream");
        assert_eq!(
            mime(generic, Some("a.pdf")).as_deref(),
            Some("application/pdf")
        );
        assert_eq!(mime(generic, Some("a.xyz")).as_deref(), generic);
        assert_eq!(
            mime(Some("text/plain; charset=utf-8"), Some("a.pdf")).as_deref(),
            Some("text/plain")
        );
        assert_eq!(mime(None, None), None);
    }

    #[test]
    fn webp_dimensions_come_from_each_header_kind() {
        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        vp8x.extend_from_slice(&[0xff, 0x01, 0x00, 0xff, 0x00, 0x00]); // 512 x 256
        assert_eq!(webp_size(&vp8x), Some((512, 256)));
        assert_eq!(webp_size(b"RIFF\0\0\0\0WAVE"), None);
    }
}
