mod common;

use common::{TOKEN, assert_error, read, start};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use switchboard_sandbox::CustomerPhoto;

/// A valid 1×1 PNG is enough; the sandbox reads width and height from the header.
fn png(width: u8, height: u8) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    bytes.extend_from_slice(&[0, 0, 0, width, 0, 0, 0, height, 8, 2, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

async fn download(h: &common::Harness, file_id: &str) -> Vec<u8> {
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

#[tokio::test]
async fn uploaded_photo_is_sent_and_downloadable() {
    let h = start().await;
    h.customer_writes(42, "send me the map");
    let image = png(3, 2);
    let form = Form::new()
        .text("chat_id", "42")
        .text("caption", "Our store")
        .part(
            "photo",
            Part::bytes(image.clone())
                .file_name("map.png")
                .mime_str("image/png")
                .expect("mime"),
        );
    let response = h
        .http
        .post(h.method_url("sendPhoto"))
        .multipart(form)
        .send()
        .await
        .expect("request");
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let photo = &body["result"]["photo"][0];
    assert_eq!((&photo["width"], &photo["height"]), (&json!(3), &json!(2)));
    assert_eq!(body["result"]["caption"], "Our store");
    let file_id = photo["file_id"].as_str().expect("file_id");
    assert_eq!(download(&h, file_id).await, image);

    // The same file can be sent again by file_id, as a document too.
    let (status, again) = h
        .call("sendPhoto", json!({"chat_id": 42, "photo": file_id}))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["result"]["photo"][0]["file_id"], file_id);
    let sent = h.sandbox.telegram().sent_messages(TOKEN);
    assert_eq!(
        sent.iter().map(|m| m.method.as_str()).collect::<Vec<_>>(),
        ["sendPhoto", "sendPhoto"]
    );
    assert_eq!(sent[0].text, "Our store");
}

#[tokio::test]
async fn document_upload_keeps_name_and_type() {
    let h = start().await;
    h.customer_writes(42, "invoice please");
    let form = Form::new().text("chat_id", "42").part(
        "document",
        Part::bytes(b"%PDF-1.4 invoice".to_vec())
            .file_name("invoice.pdf")
            .mime_str("application/pdf")
            .expect("mime"),
    );
    let response = h
        .http
        .post(h.method_url("sendDocument"))
        .multipart(form)
        .send()
        .await
        .expect("request");
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let document = &body["result"]["document"];
    assert_eq!(document["file_name"], "invoice.pdf");
    assert_eq!(document["mime_type"], "application/pdf");
    assert_eq!(document["file_size"], 16);
    let file_id = document["file_id"].as_str().expect("file_id");
    assert_eq!(download(&h, file_id).await, b"%PDF-1.4 invoice");
}

#[tokio::test]
async fn file_errors_follow_the_bot_api_texts() {
    let h = start().await;
    h.customer_writes(42, "hi");
    let (status, body) = h.call("sendPhoto", json!({"chat_id": 42})).await;
    assert_error(
        status,
        &body,
        400,
        "Bad Request: there is no photo in the request",
    );
    let (status, body) = h
        .call(
            "sendDocument",
            json!({"chat_id": 42, "document": "nonsense"}),
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
    );
    let (status, body) = h.call("getFile", json!({"file_id": "nonsense"})).await;
    assert_error(status, &body, 400, "Bad Request: invalid file_id");
    let (status, body) = h
        .call("sendPhoto", json!({"chat_id": 5, "photo": "x"}))
        .await;
    assert_error(status, &body, 400, "Bad Request: chat not found");
    let response = h
        .http
        .get(h.url(&format!("file/bot{TOKEN}/photos/none.jpg")))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn customer_photo_arrives_as_an_update_with_a_downloadable_file() {
    let h = start().await;
    let photo = CustomerPhoto {
        user_id: 42,
        first_name: "Ann".to_owned(),
        caption: Some("the broken part".to_owned()),
        ..CustomerPhoto::default()
    };
    let update: Value = h
        .sandbox
        .telegram()
        .customer_sends_photo(TOKEN, photo)
        .expect("bot");
    let message = &update["message"];
    assert_eq!(message["caption"], "the broken part");
    let sizes = message["photo"].as_array().expect("photo sizes");
    let file_id = sizes[0]["file_id"].as_str().expect("file_id");
    let bytes = download(&h, file_id).await;
    assert!(bytes.starts_with(b"\x89PNG"));
    assert_eq!(sizes[0]["file_size"], bytes.len());
}
