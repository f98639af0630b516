mod common;

use common::{TOKEN, read, start};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;

/// What a typical client sends: the file part with a name but no type of its own.
fn document_form(chat_id: &str, caption: &str, name: &str, bytes: &[u8]) -> Form {
    Form::new()
        .text("chat_id", chat_id.to_owned())
        .text("caption", caption.to_owned())
        .part(
            "document",
            Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
        )
}

#[tokio::test]
async fn a_sent_document_is_recorded_with_its_file_and_bytes() {
    let h = start().await;
    h.customer_writes(42, "the report please");
    let bytes = b"%PDF-1.4 quarterly report".to_vec();
    let before_ms = now_ms();
    let response = h
        .http
        .post(h.method_url("sendDocument"))
        .multipart(document_form("42", "Here it is", "report.pdf", &bytes))
        .send()
        .await
        .expect("request");
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let document = &body["result"]["document"];
    assert_eq!(document["file_name"], "report.pdf");
    assert_eq!(
        document["mime_type"], "application/pdf",
        "guessed from the extension"
    );
    assert_eq!(body["result"]["caption"], "Here it is");

    let control = h.sandbox.telegram();
    let sent = control.sent_messages(TOKEN).pop().expect("one send");
    assert_eq!(sent.method, "sendDocument");
    assert_eq!(sent.text, "Here it is");
    assert_eq!(sent.file_id.as_deref(), document["file_id"].as_str());
    assert_eq!(sent.file_name.as_deref(), Some("report.pdf"));
    assert_eq!(sent.mime_type.as_deref(), Some("application/pdf"));
    assert_eq!(sent.file_size, Some(bytes.len() as u64));
    assert!(
        (before_ms..=now_ms()).contains(&sent.sent_at_ms),
        "{}",
        sent.sent_at_ms
    );
    let file_id = sent.file_id.expect("file_id");
    assert_eq!(control.sent_file_bytes(TOKEN, &file_id), Some(bytes));
}

#[tokio::test]
async fn text_sends_have_no_file_and_increasing_timestamps() {
    let h = start().await;
    h.customer_writes(42, "hi");
    for text in ["one", "two"] {
        h.call("sendMessage", json!({"chat_id": 42, "text": text}))
            .await;
    }
    let sent = h.sandbox.telegram().sent_messages(TOKEN);
    assert!(
        sent.iter()
            .all(|m| m.file_id.is_none() && m.file_size.is_none())
    );
    assert!(sent[0].sent_at_ms <= sent[1].sent_at_ms);
}

#[tokio::test]
async fn the_part_content_type_wins_over_the_extension() {
    let h = start().await;
    h.customer_writes(42, "hi");
    let form = Form::new().text("chat_id", "42").part(
        "document",
        Part::bytes(b"a,b".to_vec())
            .file_name("data.txt")
            .mime_str("text/csv")
            .expect("mime"),
    );
    let response = h
        .http
        .post(h.method_url("sendDocument"))
        .multipart(form)
        .send()
        .await
        .expect("request");
    let (_, body) = read(response).await;
    assert_eq!(body["result"]["document"]["mime_type"], "text/csv");
}

#[tokio::test]
async fn sent_files_can_be_read_over_the_control_api() {
    let h = start().await;
    h.customer_writes(42, "hi");
    let response = h
        .http
        .post(h.method_url("sendDocument"))
        .multipart(document_form("42", "", "hello.txt", b"hello"))
        .send()
        .await
        .expect("request");
    let (_, body) = read(response).await;
    let file_id = body["result"]["document"]["file_id"].as_str().expect("id");
    let response = h
        .http
        .get(h.url(&format!("_sandbox/telegram/{TOKEN}/files/{file_id}")))
        .send()
        .await
        .expect("request");
    let (status, file) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{file}");
    assert_eq!(file["result"]["bytes_base64"], "aGVsbG8=");
    assert_eq!(file["result"]["file_name"], "hello.txt");
    assert_eq!(file["result"]["mime_type"], "text/plain");
    let response = h
        .http
        .get(h.url(&format!("_sandbox/telegram/{TOKEN}/sent-messages")))
        .send()
        .await
        .expect("request");
    let (_, sent) = read(response).await;
    assert_eq!(sent["result"][0]["file_id"], file_id);
    assert!(sent["result"][0]["sent_at_ms"].is_u64());
    let response = h
        .http
        .get(h.url(&format!("_sandbox/telegram/{TOKEN}/files/nope")))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

fn now_ms() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    u64::try_from(since.as_millis()).expect("fits")
}
