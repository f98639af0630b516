//! Files in shared mode through the runtime's own API: a customer's photo, downloaded by the
//! desktop holding the bot, shows as stored in another desktop's cache, byte for byte; that
//! operator sends a document and a photo from their desktop (shown at once as pending) and the
//! sandbox bot receives them; "Send again" and "Download again" go through the outbox too.

mod common;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::eventually;
use common::shared_db::{Router, SharedDb, into_shared_mode, start_runtime};
use switchboard_engine::secrets::MemorySecrets;
use switchboard_ipc::{
    AttachmentKind, AttachmentState, ChatState, DeliveryState, MessageView, SendFile,
};
use switchboard_runtime::{Runtime, SeedTelegramBot};
use switchboard_sandbox::{CustomerMedia, Fault, MediaKind, Sandbox, SandboxConfig};

const TOKEN: &str = "7200019:shared-files-runtime-token";
const CHANNEL: &str = "0b6f3d0e-6b1c-4c5e-9a55-2f1d3c4b5a19";
const CUSTOMER: i64 = 77;

fn user_id(who: &str) -> String {
    let n = if who == "ann" { 1 } else { 2 };
    format!("00000000-0000-4000-8000-00000000001{n}")
}

/// A PNG header, then every byte value.
fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x03\0\0\0\x02\x08\x06\0\0\0".to_vec();
    bytes.extend((0..30_000u32).map(|i| (i * 11 % 256) as u8));
    bytes
}

fn pdf() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4 return label ".to_vec();
    bytes.extend((0..20_000u32).map(|i| (i * 5 % 256) as u8));
    bytes
}

/// A migrated database with a `to_all` queue, the sandbox bot's channel, and operators Ann and
/// Bob with their own logins.
async fn shared_database(sandbox: &Sandbox) -> SharedDb {
    let db = SharedDb::create().await;
    sqlx::query("INSERT INTO queues (id, name, rule) VALUES ('q', 'Support', 'to_all')")
        .execute(&db.owner)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO channels (id, provider, name, queue_id, api_base, external_id, created_at)
         VALUES ($2, 'telegram', 'Support bot', 'q', $1, '7200019', 0)",
    )
    .bind(sandbox.base_url())
    .bind(CHANNEL)
    .execute(&db.owner)
    .await
    .unwrap();
    for who in ["ann", "bob"] {
        db.person(who, &user_id(who), false, &["q"]).await;
    }
    db
}

/// `who`'s desktop, connected in Settings and restarted in shared mode; `with_bot`: the bot's
/// token is on this computer, so it may poll and send.
async fn desktop(
    db: &SharedDb,
    who: &str,
    sandbox: &Sandbox,
    dir: &std::path::Path,
    with_bot: bool,
) -> Arc<Runtime> {
    let secrets = MemorySecrets::default();
    let base = sandbox.base_url();
    let bot = || {
        with_bot.then(|| SeedTelegramBot {
            api_base: sandbox.base_url(),
            token: TOKEN.into(),
        })
    };
    into_shared_mode(db, who, || start_runtime(dir, &base, &secrets, bot())).await
}

fn media(kind: MediaKind, bytes: Vec<u8>) -> CustomerMedia {
    CustomerMedia {
        user_id: CUSTOMER,
        first_name: "Dana".into(),
        kind,
        bytes,
        ..CustomerMedia::default()
    }
}

fn file(chat: &str, kind: AttachmentKind, name: &str, bytes: &[u8], caption: &str) -> SendFile {
    SendFile {
        chat_id: chat.to_owned(),
        kind,
        file_name: name.into(),
        mime_type: None,
        base64: BASE64.encode(bytes),
        caption: caption.into(),
    }
}

/// The messages of the chat as `runtime`'s panel shows them.
async fn messages(runtime: &Runtime, chat: &str) -> Vec<MessageView> {
    runtime.read_chat(chat).await.unwrap().messages
}

async fn delivery_of(runtime: &Runtime, chat: &str, message: &str) -> Option<DeliveryState> {
    messages(runtime, chat)
        .await
        .into_iter()
        .find(|m| m.id == message)
        .and_then(|m| m.delivery)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sends_and_receives_files_on_a_shared_desktop() {
    let sandbox = Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        telegram_bots: vec![TOKEN.into()],
        simulate_customers: false,
    })
    .await
    .unwrap();
    let db = shared_database(&sandbox).await;
    let router = Router::start(&db);
    // Ann's desktop has the bot's token (it polls, downloads and sends); Bob's has not.
    let (ann_dir, bob_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ann = desktop(&db, "ann", &sandbox, ann_dir.path(), true).await;
    let bob = desktop(&db, "bob", &sandbox, bob_dir.path(), false).await;

    // A customer's photo: stored in Bob's cache, byte for byte, though Bob's desktop never
    // talked to Telegram.
    let photo = png();
    let mut sent_photo = media(MediaKind::Photo, photo.clone());
    sent_photo.caption = Some("The box arrived broken".into());
    sandbox
        .telegram()
        .customer_sends_media(TOKEN, sent_photo)
        .unwrap();
    eventually("Bob is offered the chat", || async {
        let chats = bob.list_chats().await.unwrap();
        chats.len() == 1 && chats[0].state == ChatState::Offered
    })
    .await;
    let chat = bob.list_chats().await.unwrap()[0].id.clone();
    bob.accept_chat(&chat).await.unwrap();
    eventually("the customer's photo is stored in Bob's cache", || async {
        messages(&bob, &chat).await.iter().any(|m| {
            m.attachments
                .first()
                .is_some_and(|a| a.state == AttachmentState::Stored)
        })
    })
    .await;
    let inbound = messages(&bob, &chat).await.remove(0);
    assert_eq!(inbound.text, "The box arrived broken");
    let attachment = &inbound.attachments[0];
    assert_eq!(attachment.kind, AttachmentKind::Photo);
    let data = bob.read_attachment(&attachment.id).await.unwrap();
    assert_eq!(data.mime_type, "image/png");
    assert!(
        BASE64.decode(&data.base64).unwrap() == photo,
        "the photo in Bob's cache differs"
    );

    // The standalone limits, in the same words.
    let long_caption = "x".repeat(1025);
    let refused = bob
        .send_file(file(
            &chat,
            AttachmentKind::Document,
            "a.pdf",
            &pdf(),
            &long_caption,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        refused.message,
        "A file's caption can be at most 1024 characters long."
    );
    let refused = bob
        .send_file(file(
            &chat,
            AttachmentKind::Photo,
            "a.png",
            b"not a picture",
            "",
        ))
        .await
        .unwrap_err();
    assert!(
        refused
            .message
            .starts_with("Telegram shows only JPEG, PNG and WebP"),
        "{}",
        refused.message
    );

    // Bob sends a document and a photo from his desktop: pending at once, then sent by Ann's.
    let label = pdf();
    let document = bob
        .send_file(file(
            &chat,
            AttachmentKind::Document,
            "label.pdf",
            &label,
            "Your return label",
        ))
        .await
        .unwrap();
    assert_eq!(
        document.delivery,
        Some(DeliveryState::Pending),
        "shown at once"
    );
    assert_eq!(document.text, "Your return label");
    assert_eq!(document.attachments.len(), 1);
    assert_eq!(
        document.attachments[0].file_name.as_deref(),
        Some("label.pdf")
    );
    let shown = bob
        .read_attachment(&document.attachments[0].id)
        .await
        .unwrap();
    assert!(BASE64.decode(&shown.base64).unwrap() == label);
    let picture = bob
        .send_file(file(&chat, AttachmentKind::Photo, "box.png", &photo, ""))
        .await
        .unwrap();
    eventually("both files are sent", || async {
        delivery_of(&bob, &chat, &document.id).await == Some(DeliveryState::Sent)
            && delivery_of(&bob, &chat, &picture.id).await == Some(DeliveryState::Sent)
    })
    .await;
    let sent = sandbox.telegram().sent_messages(TOKEN);
    let by_method = |method: &str| sent.iter().find(|m| m.method == method).unwrap().clone();
    let got_document = by_method("sendDocument");
    assert_eq!(
        (got_document.chat_id, got_document.text.as_str()),
        (CUSTOMER, "Your return label")
    );
    assert_eq!(got_document.file_name.as_deref(), Some("label.pdf"));
    let bytes = sandbox
        .telegram()
        .sent_file_bytes(TOKEN, got_document.file_id.as_deref().unwrap())
        .unwrap();
    assert!(bytes == label, "the document the bot sent differs");
    let got_photo = by_method("sendPhoto");
    let bytes = sandbox
        .telegram()
        .sent_file_bytes(TOKEN, got_photo.file_id.as_deref().unwrap())
        .unwrap();
    assert!(bytes == photo, "the photo the bot sent differs");

    // Blocked: the file fails with a sentence; unblocked, "Send again" sends it.
    sandbox.telegram().block_bot(TOKEN, CUSTOMER).unwrap();
    let blocked = bob
        .send_file(file(
            &chat,
            AttachmentKind::Document,
            "again.pdf",
            &label,
            "",
        ))
        .await
        .unwrap();
    eventually("the file fails on Bob's desktop", || async {
        delivery_of(&bob, &chat, &blocked.id).await == Some(DeliveryState::Failed)
    })
    .await;
    let failed = messages(&bob, &chat)
        .await
        .into_iter()
        .find(|m| m.id == blocked.id)
        .unwrap();
    assert!(
        failed
            .failure_reason
            .as_deref()
            .is_some_and(|r| r.contains("blocked the bot")),
        "{failed:?}"
    );
    let not_his = ann.retry_message(&blocked.id).await.unwrap_err();
    assert_eq!(
        not_his.message,
        "Only the operator who wrote a message can send it again."
    );
    sandbox.telegram().unblock_bot(TOKEN, CUSTOMER).unwrap();
    bob.retry_message(&blocked.id).await.unwrap();
    assert_eq!(
        delivery_of(&bob, &chat, &blocked.id).await,
        Some(DeliveryState::Pending),
        "shown pending again at once"
    );
    eventually("sent again", || async {
        delivery_of(&bob, &chat, &blocked.id).await == Some(DeliveryState::Sent)
    })
    .await;

    // A file Telegram would not give: failed with a reason, then downloaded when Bob asks.
    sandbox
        .telegram()
        .inject_fault(
            TOKEN,
            Fault {
                method: "getFile".into(),
                error_code: 400,
                description: "Bad Request: wrong file_id or the file is temporarily unavailable"
                    .into(),
                retry_after: None,
                times: 1,
            },
        )
        .unwrap();
    let receipt = pdf();
    let mut document = media(MediaKind::Document, receipt.clone());
    document.file_name = Some("receipt.pdf".into());
    sandbox
        .telegram()
        .customer_sends_media(TOKEN, document)
        .unwrap();
    let failed_file = || async {
        messages(&bob, &chat)
            .await
            .into_iter()
            .flat_map(|m| m.attachments)
            .find(|a| a.file_name.as_deref() == Some("receipt.pdf"))
    };
    eventually("the receipt's download fails", || async {
        failed_file()
            .await
            .is_some_and(|a| a.state == AttachmentState::Failed)
    })
    .await;
    let receipt_file = failed_file().await.unwrap();
    assert!(
        receipt_file
            .failure_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("Telegram cannot provide this file")),
        "{receipt_file:?}"
    );
    bob.retry_attachment(&receipt_file.id).await.unwrap();
    eventually("the receipt is downloaded again", || async {
        failed_file()
            .await
            .is_some_and(|a| a.state == AttachmentState::Stored)
    })
    .await;
    let data = bob.read_attachment(&receipt_file.id).await.unwrap();
    assert!(BASE64.decode(&data.base64).unwrap() == receipt);

    ann.shutdown().await;
    bob.shutdown().await;
    router.stop().await;
    sandbox.shutdown().await;
}
