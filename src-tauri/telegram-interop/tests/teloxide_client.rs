//! teloxide, a widely used third-party client, talks to the sandbox as it would to
//! api.telegram.org: what it parses and sends is what Telegram's real clients see.

mod common;

use common::{TOKEN, customer, start};
use switchboard_sandbox::{CustomerEdit, CustomerMedia, MediaKind};
use switchboard_telegram_interop::teloxide_polling_baseline;
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{InputFile, UpdateKind};

/// The messages of a batch of updates; an update teloxide could not parse fails the test
/// (teloxide turns those into `UpdateKind::Error` instead of failing the call).
fn messages(updates: Vec<Update>) -> Vec<Message> {
    updates
        .into_iter()
        .map(|update| match update.kind {
            UpdateKind::Message(message) => message,
            other => panic!("expected a message, teloxide parsed {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn a_customer_message_reaches_teloxide_and_its_reply_reaches_the_customer() {
    let fx = start().await;
    fx.control
        .customer_writes(TOKEN, customer(42, "Where is my order?"))
        .expect("bot");
    let updates = fx.bot.get_updates().await.expect("getUpdates");
    let [message] = messages(updates).try_into().expect("one message");
    assert_eq!(message.text(), Some("Where is my order?"));
    assert_eq!(message.chat.id, ChatId(42));
    let from = message.from.as_ref().expect("from");
    assert_eq!(
        (from.first_name.as_str(), from.username.as_deref()),
        ("Ann", Some("ann_lee"))
    );

    let reply = fx
        .bot
        .send_message(message.chat.id, "It ships today.")
        .await
        .expect("sendMessage");
    assert_eq!(reply.text(), Some("It ships today."));
    assert!(
        reply.id.0 > message.id.0,
        "message ids are shared by the chat"
    );
    let sent = fx.control.sent_messages(TOKEN);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].chat_id, sent[0].text.as_str()),
        (42, "It ships today.")
    );
}

#[tokio::test]
async fn a_customer_document_is_downloaded_byte_for_byte_by_teloxide() {
    let fx = start().await;
    let bytes: Vec<u8> = (0..=255).cycle().take(3000).collect();
    let document = CustomerMedia {
        user_id: 42,
        first_name: "Ann".to_owned(),
        kind: MediaKind::Document,
        bytes: bytes.clone(),
        file_name: Some("invoice.pdf".to_owned()),
        caption: Some("see attached".to_owned()),
        ..CustomerMedia::default()
    };
    fx.control
        .customer_sends_media(TOKEN, document)
        .expect("bot");
    let [message] = messages(fx.bot.get_updates().await.expect("getUpdates"))
        .try_into()
        .expect("one message");
    let document = message.document().expect("a document");
    assert_eq!(document.file_name.as_deref(), Some("invoice.pdf"));
    assert_eq!(
        document.mime_type.as_ref().map(|m| m.essence_str()),
        Some("application/pdf")
    );
    assert_eq!(message.caption(), Some("see attached"));

    let file = fx
        .bot
        .get_file(document.file.id.clone())
        .await
        .expect("getFile");
    assert_eq!(file.size as usize, bytes.len());
    let mut downloaded = Vec::new();
    fx.bot
        .download_file(&file.path, &mut downloaded)
        .await
        .expect("download");
    assert_eq!(downloaded, bytes);
}

#[tokio::test]
async fn teloxide_parses_every_kind_of_customer_media_and_edits() {
    let fx = start().await;
    let media = |kind, bytes: &[u8]| CustomerMedia {
        user_id: 42,
        first_name: "Ann".to_owned(),
        kind,
        bytes: bytes.to_vec(),
        ..CustomerMedia::default()
    };
    for (kind, bytes) in [
        (MediaKind::Photo, &b""[..]),
        (MediaKind::Voice, b"OggS voice"),
        (MediaKind::Sticker, b"RIFF\0\0\0\0WEBP"),
    ] {
        fx.control
            .customer_sends_media(TOKEN, media(kind, bytes))
            .expect("bot");
    }
    let written = fx
        .control
        .customer_writes(TOKEN, customer(42, "typo"))
        .expect("bot");
    let edit = CustomerEdit {
        user_id: 42,
        message_id: written["message"]["message_id"].as_i64().expect("id"),
        text: "fixed".to_owned(),
    };
    fx.control.customer_edits(TOKEN, edit).expect("edit");

    let updates = fx.bot.get_updates().await.expect("getUpdates");
    let kinds: Vec<&UpdateKind> = updates.iter().map(|u| &u.kind).collect();
    let [photo, voice, sticker, text, edited] = kinds[..] else {
        panic!("five updates expected: {kinds:?}");
    };
    let message = |kind: &UpdateKind| match kind {
        UpdateKind::Message(m) => m.clone(),
        other => panic!("expected a message: {other:?}"),
    };
    assert_eq!(message(photo).photo().map(|sizes| sizes[0].width), Some(2));
    assert_eq!(
        message(voice).voice().map(|v| v.duration.seconds()),
        Some(1)
    );
    assert!(
        message(sticker)
            .sticker()
            .is_some_and(|s| s.is_static() && s.is_regular())
    );
    assert_eq!(message(text).text(), Some("typo"));
    let UpdateKind::EditedMessage(edited) = edited else {
        panic!("expected an edited message: {edited:?}");
    };
    assert_eq!(edited.text(), Some("fixed"));
    assert!(edited.edit_date().is_some());
}

#[tokio::test]
async fn a_document_sent_by_teloxide_arrives_with_its_name_and_bytes() {
    let fx = start().await;
    fx.control
        .customer_writes(TOKEN, customer(42, "the report?"))
        .expect("bot");
    let bytes = b"%PDF-1.4\n% quarterly figures\n".to_vec();
    let file = InputFile::memory(bytes.clone()).file_name("report.pdf");
    let message = fx
        .bot
        .send_document(ChatId(42), file)
        .caption("Q3 report")
        .await
        .expect("sendDocument");
    assert_eq!(
        message.document().and_then(|d| d.file_name.as_deref()),
        Some("report.pdf")
    );

    let sent = fx.control.sent_messages(TOKEN).pop().expect("one send");
    assert_eq!(
        (sent.method.as_str(), sent.text.as_str()),
        ("sendDocument", "Q3 report")
    );
    assert_eq!(sent.file_name.as_deref(), Some("report.pdf"));
    assert_eq!(sent.mime_type.as_deref(), Some("application/pdf"));
    let file_id = sent.file_id.expect("file_id");
    assert_eq!(fx.control.sent_file_bytes(TOKEN, &file_id), Some(bytes));
}

#[tokio::test]
async fn teloxide_polling_receives_customer_messages_and_confirms_them() {
    let fx = start().await;
    let base = fx.sandbox.base_url();
    let polling = tokio::spawn(async move { teloxide_polling_baseline(&base, TOKEN, 3).await });
    // Customers write while teloxide's long poll waits, so allowed_updates is already in force.
    fx.control.wait_for_long_poll(TOKEN).await.expect("bot");
    let first = fx
        .control
        .customer_writes(TOKEN, customer(42, "one"))
        .expect("bot");
    let edit = CustomerEdit {
        user_id: 42,
        message_id: first["message"]["message_id"].as_i64().expect("id"),
        text: "one (edited)".to_owned(),
    };
    // Left out by allowed_updates = [message]: the listener must never see it.
    fx.control.customer_edits(TOKEN, edit).expect("edit");
    fx.control
        .customer_writes(TOKEN, customer(43, "two"))
        .expect("bot");
    fx.control
        .customer_writes(TOKEN, customer(42, "three"))
        .expect("bot");

    let baseline = polling.await.expect("task").expect("polling");
    let texts: Vec<(i64, Option<&str>)> = baseline
        .received
        .iter()
        .map(|r| (r.chat_id, r.text.as_deref()))
        .collect();
    assert_eq!(
        texts,
        [(42, Some("one")), (43, Some("two")), (42, Some("three"))]
    );
    assert_eq!(
        fx.control.pending_update_count(TOKEN).expect("bot"),
        0,
        "teloxide's last getUpdates confirmed everything by offset"
    );
}
