mod common;

use common::{Harness, TOKEN, read, start};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_sandbox::{CustomerMedia, MediaKind};

fn media(kind: MediaKind, bytes: &[u8]) -> CustomerMedia {
    CustomerMedia {
        user_id: 42,
        first_name: "Ann".to_owned(),
        kind,
        bytes: bytes.to_vec(),
        ..CustomerMedia::default()
    }
}

/// getFile, then the file URL, as a client downloads a file.
async fn download(h: &Harness, file_id: &str) -> Vec<u8> {
    let (status, file) = h.call("getFile", json!({"file_id": file_id})).await;
    assert_eq!(status, StatusCode::OK, "{file}");
    let path = file["result"]["file_path"].as_str().expect("file_path");
    let response = h
        .http
        .get(h.url(&format!("file/bot{TOKEN}/{path}")))
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.expect("bytes").to_vec()
}

fn sends(h: &Harness, media: CustomerMedia) -> Value {
    h.sandbox
        .telegram()
        .customer_sends_media(TOKEN, media)
        .expect("media is accepted")
}

fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn a_document_arrives_with_name_type_and_size_and_can_be_downloaded() {
    let h = start().await;
    let mut document = media(MediaKind::Document, b"%PDF-1.7 receipt");
    document.file_name = Some("receipt.pdf".to_owned());
    document.caption = Some("my receipt".to_owned());
    let update = sends(&h, document);
    let message = &update["message"];
    let object = &message["document"];
    assert_eq!(
        keys(object),
        [
            "file_id",
            "file_name",
            "file_size",
            "file_unique_id",
            "mime_type"
        ]
    );
    assert_eq!(object["file_name"], "receipt.pdf");
    assert_eq!(
        object["mime_type"], "application/pdf",
        "guessed from the name"
    );
    assert_eq!(object["file_size"], 16);
    assert_eq!(message["caption"], "my receipt");
    let file_id = object["file_id"].as_str().expect("file_id");
    assert_eq!(download(&h, file_id).await, b"%PDF-1.7 receipt");
}

#[tokio::test]
async fn a_voice_note_arrives_as_a_voice_object() {
    let h = start().await;
    let mut voice = media(MediaKind::Voice, b"OggS\0voice");
    voice.duration = Some(4);
    let update = sends(&h, voice);
    let object = &update["message"]["voice"];
    assert_eq!(
        keys(object),
        [
            "duration",
            "file_id",
            "file_size",
            "file_unique_id",
            "mime_type"
        ]
    );
    assert_eq!(
        (
            &object["duration"],
            &object["mime_type"],
            &object["file_size"]
        ),
        (&json!(4), &json!("audio/ogg"), &json!(10))
    );
    let file_id = object["file_id"].as_str().expect("file_id");
    assert_eq!(download(&h, file_id).await, b"OggS\0voice");
}

#[tokio::test]
async fn a_sticker_arrives_as_a_regular_static_sticker() {
    let h = start().await;
    let mut sticker = media(MediaKind::Sticker, b"RIFF\0\0\0\0WEBPVP8 not really");
    sticker.emoji = Some("👍".to_owned());
    let update = sends(&h, sticker);
    let object = &update["message"]["sticker"];
    assert_eq!(
        keys(object),
        [
            "emoji",
            "file_id",
            "file_size",
            "file_unique_id",
            "height",
            "is_animated",
            "is_video",
            "type",
            "width"
        ]
    );
    assert_eq!(object["type"], "regular");
    assert_eq!(
        (&object["is_animated"], &object["is_video"]),
        (&json!(false), &json!(false))
    );
    assert_eq!(object["emoji"], "👍");
    assert!(update["message"].get("caption").is_none());
    let file_id = object["file_id"].as_str().expect("file_id");
    assert!(download(&h, file_id).await.starts_with(b"RIFF"));
}

#[tokio::test]
async fn media_that_telegram_would_refuse_is_refused() {
    let h = start().await;
    let control = h.sandbox.telegram();
    let mut captioned_sticker = media(MediaKind::Sticker, b"RIFF");
    captioned_sticker.caption = Some("hi".to_owned());
    assert!(
        control
            .customer_sends_media(TOKEN, captioned_sticker)
            .is_err()
    );
    assert!(
        control
            .customer_sends_media(TOKEN, media(MediaKind::Document, b""))
            .is_err()
    );
    assert!(
        control
            .customer_sends_media(TOKEN, media(MediaKind::Photo, b"not an image"))
            .is_err()
    );
    // An empty photo is the built-in PNG, as with customer_sends_photo.
    let update = sends(&h, media(MediaKind::Photo, b""));
    assert_eq!(update["message"]["photo"][0]["width"], 2);
}

#[tokio::test]
async fn media_can_be_sent_over_the_control_api_in_base64() {
    let h = start().await;
    let response = h
        .http
        .post(h.url(&format!("_sandbox/telegram/{TOKEN}/customer-media")))
        .json(&json!({
            "user_id": 42, "first_name": "Ann", "kind": "document",
            "bytes_base64": "aGVsbG8=", "file_name": "hello.txt", "mime_type": "text/plain"
        }))
        .send()
        .await
        .expect("request");
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let document = &body["result"]["message"]["document"];
    assert_eq!(document["mime_type"], "text/plain");
    let file_id = document["file_id"].as_str().expect("file_id");
    assert_eq!(download(&h, file_id).await, b"hello");

    let (_, polled) = h.call("getUpdates", json!({})).await;
    assert_eq!(
        polled["result"][0], body["result"],
        "the bot receives that Update"
    );
}
