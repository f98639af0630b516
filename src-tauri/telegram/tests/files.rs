//! Files both ways: what customers send is downloaded into the store byte for
//! byte; what operators send is uploaded with its name and caption.

mod common;

use common::{Fixture, Running, TOKEN};
use switchboard_engine::domain::{
    Attachment, AttachmentKind, AttachmentState, Delivery, Message, OutgoingFile,
};
use switchboard_engine::store::MAX_FETCH_ATTEMPTS;
use switchboard_sandbox::{CustomerMedia, Fault, MediaKind};

/// A PNG header Telegram (and the sandbox) reads a 3x2 size from, then noise.
fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x03\0\0\0\x02\x08\x06\0\0\0".to_vec();
    bytes.extend((0..5000u32).map(|i| (i * 7 % 251) as u8));
    bytes
}

fn media(kind: MediaKind, bytes: Vec<u8>) -> CustomerMedia {
    CustomerMedia {
        user_id: 42,
        first_name: "Customer 42".into(),
        kind,
        bytes,
        ..CustomerMedia::default()
    }
}

/// The one message carrying a file, once its download has finished either way.
async fn settled_file(fx: &Fixture, index: usize) -> (Message, Attachment) {
    common::eventually("the file downloaded or given up", || async {
        let inbound = fx.inbound().await;
        inbound.get(index).is_some_and(|m| {
            m.attachments
                .first()
                .is_some_and(|a| a.state != AttachmentState::Pending)
        })
    })
    .await;
    let message = fx.inbound().await.swap_remove(index);
    let attachment = message.attachments[0].clone();
    (message, attachment)
}

#[tokio::test]
async fn customer_photos_documents_voice_and_stickers_are_stored_byte_for_byte() {
    let fx = Fixture::new().await;
    let running = fx.start();
    let pdf = b"%PDF-1.4 invoice 1234".to_vec();
    let voice = b"OggS voice note".to_vec();
    let sticker = b"RIFF\0\0\0\0WEBPVP8 sticker".to_vec();
    let sent = [
        (MediaKind::Photo, png(), AttachmentKind::Photo),
        (MediaKind::Document, pdf, AttachmentKind::Document),
        (MediaKind::Voice, voice, AttachmentKind::Voice),
        (MediaKind::Sticker, sticker, AttachmentKind::Sticker),
    ];
    for (index, (kind, bytes, stored_kind)) in sent.into_iter().enumerate() {
        let mut file = media(kind, bytes.clone());
        if kind == MediaKind::Document {
            file.file_name = Some("invoice.pdf".into());
            file.caption = Some("my invoice".into());
        }
        fx.tg().customer_sends_media(TOKEN, file).unwrap();
        let (message, attachment) = settled_file(&fx, index).await;
        assert_eq!(attachment.state, AttachmentState::Stored, "{kind:?}");
        assert_eq!(attachment.kind, stored_kind);
        let (_, content) = fx.store.attachment_content(&attachment.id).await.unwrap();
        assert!(content == bytes, "{kind:?}: the stored bytes differ");
        if kind == MediaKind::Document {
            assert_eq!(message.text, "my invoice");
            assert_eq!(attachment.file_name.as_deref(), Some("invoice.pdf"));
            assert_eq!(attachment.mime_type.as_deref(), Some("application/pdf"));
        } else {
            assert_eq!(message.text, "", "{kind:?}: no made-up text");
        }
    }
    assert_eq!(
        fx.inbound().await[0].attachments[0].mime_type.as_deref(),
        Some("image/png")
    );
    running.stop().await;
}

#[tokio::test]
async fn a_file_over_twenty_megabytes_is_given_up_at_once_with_a_reason() {
    let fx = Fixture::new().await;
    let running = fx.start();
    let mut file = media(MediaKind::Document, vec![7; 20 * 1024 * 1024 + 1]);
    file.file_name = Some("backup.zip".into());
    fx.tg().customer_sends_media(TOKEN, file).unwrap();
    let (_, attachment) = settled_file(&fx, 0).await;
    assert_eq!(attachment.state, AttachmentState::Failed);
    let reason = attachment.failure_reason.unwrap();
    assert!(
        reason.starts_with("The file is larger than 20 MB"),
        "{reason}"
    );
    running.stop().await;
}

#[tokio::test]
async fn a_download_that_keeps_failing_is_retried_then_given_up_with_a_reason() {
    let fx = Fixture::new().await;
    let running = fx.start();
    let failures = Fault {
        method: "getFile".into(),
        error_code: 502,
        description: String::new(),
        retry_after: None,
        times: MAX_FETCH_ATTEMPTS,
    };
    fx.tg().inject_fault(TOKEN, failures).unwrap();
    fx.tg()
        .customer_sends_media(TOKEN, media(MediaKind::Photo, png()))
        .unwrap();
    for attempt in 1..MAX_FETCH_ATTEMPTS {
        wait_attempts(&fx, attempt).await;
        // Backoffs grow to 30 minutes; move past any of them.
        fx.advance(40 * 60_000);
        running.files.notify_one();
    }
    let (_, attachment) = settled_file(&fx, 0).await;
    assert_eq!(attachment.state, AttachmentState::Failed);
    let reason = attachment.failure_reason.unwrap();
    assert!(
        reason.starts_with(&format!(
            "The file could not be downloaded from Telegram after {MAX_FETCH_ATTEMPTS} tries"
        )),
        "{reason}"
    );
    running.stop().await;
}

async fn wait_attempts(fx: &Fixture, attempts: u32) {
    common::eventually(&format!("download attempt {attempts}"), || async {
        let pending = fx
            .store
            .attachments_to_fetch(&fx.channel.id, i64::MAX / 2)
            .await
            .unwrap();
        pending.first().is_some_and(|f| f.attempts >= attempts)
    })
    .await;
}

async fn send_file(fx: &Fixture, running: &Running, chat: &str, file: OutgoingFile) {
    let message = fx
        .store
        .queue_file(chat, &file, "Here you go", fx.now())
        .await
        .unwrap();
    running.outbox.notify_one();
    common::eventually("the file sent", || async {
        fx.message(chat, &message.id).await.delivery == Some(Delivery::Sent)
    })
    .await;
}

#[tokio::test]
async fn operator_photos_and_documents_arrive_with_identical_bytes_and_name() {
    let fx = Fixture::new().await;
    let running = fx.start();
    let chat = fx.chat_with(42).await;
    let photo = png();
    let document = b"Order 1234: 2 x tea, 1 x cake".to_vec();
    let files = [
        (AttachmentKind::Photo, "receipt.png", photo, "sendPhoto"),
        (
            AttachmentKind::Document,
            "order.txt",
            document,
            "sendDocument",
        ),
    ];
    for (index, (kind, name, bytes, method)) in files.into_iter().enumerate() {
        let file = OutgoingFile {
            kind,
            file_name: name.into(),
            mime_type: None,
            bytes: bytes.clone(),
        };
        send_file(&fx, &running, &chat, file).await;
        let sent = fx.tg().sent_messages(TOKEN).swap_remove(index);
        assert_eq!(
            (sent.method.as_str(), sent.text.as_str()),
            (method, "Here you go")
        );
        let file_id = sent.file_id.expect("a file was sent");
        let received = fx.tg().sent_file(TOKEN, &file_id).unwrap();
        assert!(received.bytes == bytes, "{name}: the bytes differ");
        if kind == AttachmentKind::Document {
            // Telegram keeps the name of documents only.
            assert_eq!(received.file_name.as_deref(), Some(name));
        }
    }
    running.stop().await;
}
