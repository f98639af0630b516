//! Files in shared mode, headless against the sandbox: a customer's photo and document are
//! downloaded by the desktop holding the bot's lease into Postgres byte for byte (and by nobody
//! else), a download Telegram refuses is given up with a reason and fetched again when an operator
//! asks through `sb_apply`, and an operator's document and photo written through `sb_apply` reach
//! the customer byte for byte.

mod shared_db;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shared_db::SharedDb;
use sqlx::PgConnection;
use sqlx::postgres::{PgPool, PgPoolOptions};
use switchboard_sandbox::{
    CustomerMedia, CustomerMessage, Fault, MediaKind, Sandbox, SandboxConfig,
};
use switchboard_sync::telegram::{PollerConfig, PollerHandle, PollerState};

const TOKEN: &str = "7000019:shared-files-token";

/// A PNG header, then noise (every byte value, so nothing survives a text round trip by luck).
fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x03\0\0\0\x02\x08\x06\0\0\0".to_vec();
    bytes.extend((0..70_000u32).map(|i| (i * 7 % 256) as u8));
    bytes
}

fn pdf() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4 invoice ".to_vec();
    bytes.extend((0..40_000u32).map(|i| (i * 13 % 256) as u8));
    bytes
}

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        telegram_bots: vec![TOKEN.into()],
        simulate_customers: false,
    })
    .await
    .unwrap()
}

/// The operator's own pool, as their desktop has it.
async fn pool_of(db: &SharedDb, who: &str) -> PgPool {
    let options = db
        .server
        .clone()
        .database(&db.name)
        .username(&db.role_of(who))
        .password(shared_db::PASSWORD);
    PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .unwrap()
}

/// `who`'s desktop polls the bot (holder `<who>-1`); returns the poller and its fencing token.
async fn holder(db: &SharedDb, who: &str, sandbox: &Sandbox) -> (PollerHandle, i64) {
    let api = switchboard_telegram::BotApi::new(&sandbox.base_url(), TOKEN).unwrap();
    let mut poller = switchboard_sync::telegram::start(
        pool_of(db, who).await,
        "tg".into(),
        format!("{who}-1"),
        api,
        PollerConfig::default(),
    );
    let state = poller
        .state
        .wait_for(|s| matches!(s, PollerState::Polling { .. }))
        .await
        .unwrap()
        .clone();
    let PollerState::Polling { fencing } = state else {
        unreachable!()
    };
    (poller, fencing)
}

fn media(kind: MediaKind, bytes: Vec<u8>) -> CustomerMedia {
    CustomerMedia {
        user_id: 42,
        first_name: "Dana".into(),
        kind,
        bytes,
        ..CustomerMedia::default()
    }
}

/// Waits until `sql` (a count, run as the owner) reaches `n`.
async fn count_reaches(db: &SharedDb, what: &str, sql: &str, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&db.owner)
            .await
            .unwrap();
        if count >= n {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {count} of {n}");
        // Polling the database for a count, bounded by the deadline above.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn apply(conn: &mut PgConnection, kind: &str, args: Value) -> Result<Value, sqlx::Error> {
    let outcome: String = sqlx::query_scalar("SELECT sb_apply($1, $2, $3::JSONB)::TEXT")
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(kind)
        .bind(args.to_string())
        .fetch_one(conn)
        .await?;
    Ok(serde_json::from_str(&outcome).unwrap())
}

fn code_of(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(e) => e.code().map(|c| c.into_owned()),
        _ => None,
    }
}

/// An inbound file as Postgres has it: id, kind, name, type, size, bytes, its message's text.
type StoredFile = (
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    Vec<u8>,
    String,
);

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_files_are_downloaded_by_the_lease_holder_into_postgres_byte_for_byte() {
    let db = SharedDb::create("to_all").await;
    db.operator("ann").await;
    db.operator("bob").await;
    let sandbox = sandbox().await;
    let (poller, fencing) = holder(&db, "ann", &sandbox).await;

    let photo = png();
    let invoice = pdf();
    sandbox
        .telegram()
        .customer_sends_media(TOKEN, media(MediaKind::Photo, photo.clone()))
        .unwrap();
    let mut document = media(MediaKind::Document, invoice.clone());
    document.file_name = Some("invoice.pdf".into());
    document.caption = Some("my invoice".into());
    sandbox
        .telegram()
        .customer_sends_media(TOKEN, document)
        .unwrap();
    count_reaches(
        &db,
        "files stored",
        "SELECT COUNT(*) FROM attachments WHERE state = 'stored'",
        2,
    )
    .await;

    let stored: Vec<StoredFile> = sqlx::query_as(
        "SELECT a.id, a.kind, a.file_name, a.mime_type, a.size, a.content, m.text
             FROM attachments a JOIN messages m ON m.id = a.message_id
             WHERE m.kind = 'inbound' ORDER BY m.created_at, a.kind DESC",
    )
    .fetch_all(&db.owner)
    .await
    .unwrap();
    let by_kind = |kind: &str| stored.iter().find(|row| row.1 == kind).unwrap();
    let (photo_id, _, _, photo_mime, photo_size, photo_bytes, photo_text) = by_kind("photo");
    assert!(*photo_bytes == photo, "the photo's bytes differ");
    assert_eq!(*photo_size, photo.len() as i64);
    assert_eq!(photo_mime.as_deref(), Some("image/png"));
    assert_eq!(photo_text, "", "no made-up text");
    let (_, _, name, mime, _, bytes, text) = by_kind("document");
    assert!(*bytes == invoice, "the document's bytes differ");
    assert_eq!(name.as_deref(), Some("invoice.pdf"));
    assert_eq!(mime.as_deref(), Some("application/pdf"));
    assert_eq!(text, "my invoice");

    // Bob's desktop does not hold the bot: it can neither list nor store files, not even with
    // Ann's holder id and token.
    let mut bob = db.desktop_of("bob").await;
    for holder in ["bob-1", "ann-1"] {
        let refused = sqlx::query("SELECT sb_file_fetched('tg', $1, $2, $3, '\\x00'::BYTEA, NULL)")
            .bind(holder)
            .bind(fencing)
            .bind(photo_id)
            .execute(&mut bob)
            .await
            .unwrap_err();
        assert_eq!(code_of(&refused).as_deref(), Some("SB009"), "{refused}");
        let refused = sqlx::query("SELECT * FROM sb_files_to_fetch('tg', $1, $2, 10)")
            .bind(holder)
            .bind(fencing)
            .execute(&mut bob)
            .await
            .unwrap_err();
        assert_eq!(code_of(&refused).as_deref(), Some("SB009"), "{refused}");
    }
    // Nor can Ann's desktop once it has let the bot go.
    poller.stop().await;
    let mut ann = db.desktop_of("ann").await;
    let refused =
        sqlx::query("SELECT sb_file_fetch_failed('tg', 'ann-1', $1, $2, 'stale holder', NULL)")
            .bind(fencing)
            .bind(photo_id)
            .execute(&mut ann)
            .await
            .unwrap_err();
    assert_eq!(code_of(&refused).as_deref(), Some("SB009"), "{refused}");
    // Operators write no file directly either.
    let refused = sqlx::query("UPDATE attachments SET content = '\\x00'::BYTEA")
        .execute(&mut ann)
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused).as_deref(), Some("42501"), "{refused}");
    let after: Vec<u8> = sqlx::query_scalar("SELECT content FROM attachments WHERE id = $1")
        .bind(photo_id)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert!(after == photo, "the photo was changed");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_telegram_refuses_is_given_up_and_downloaded_again_when_an_operator_asks() {
    let db = SharedDb::create("to_all").await;
    db.operator("ann").await;
    db.operator("bob").await;
    let sandbox = sandbox().await;
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
    let (poller, _) = holder(&db, "ann", &sandbox).await;
    let photo = png();
    sandbox
        .telegram()
        .customer_sends_media(TOKEN, media(MediaKind::Photo, photo.clone()))
        .unwrap();
    count_reaches(
        &db,
        "file given up",
        "SELECT COUNT(*) FROM attachments WHERE state = 'failed'",
        1,
    )
    .await;
    let (attachment, chat, reason): (String, String, String) = sqlx::query_as(
        "SELECT a.id, m.chat_id, a.failure_reason FROM attachments a
         JOIN messages m ON m.id = a.message_id",
    )
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert!(
        reason.starts_with("Telegram cannot provide this file"),
        "{reason}"
    );

    // Bob (on another desktop, not the chat's operator) asks to download it again.
    let mut bob = db.desktop_of("bob").await;
    let outcome = apply(
        &mut bob,
        "retry_file",
        json!({"chat": chat, "attachment": attachment}),
    )
    .await
    .unwrap();
    assert_eq!(outcome["applied"], json!(true), "{outcome}");
    count_reaches(
        &db,
        "file stored",
        "SELECT COUNT(*) FROM attachments WHERE state = 'stored'",
        1,
    )
    .await;
    let bytes: Vec<u8> = sqlx::query_scalar("SELECT content FROM attachments")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert!(bytes == photo, "the photo's bytes differ");
    poller.stop().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operators_files_through_sb_apply_reach_the_customer_byte_for_byte() {
    let db = SharedDb::create("to_all").await;
    db.operator("ann").await;
    db.operator("bob").await;
    let sandbox = sandbox().await;
    // Ann's desktop holds the bot; Bob answers from his.
    let (poller, _) = holder(&db, "ann", &sandbox).await;
    sandbox
        .telegram()
        .customer_writes(
            TOKEN,
            CustomerMessage {
                user_id: 42,
                first_name: "Dana".into(),
                last_name: None,
                username: None,
                text: "Can I have my invoice?".into(),
            },
        )
        .unwrap();
    count_reaches(
        &db,
        "message stored",
        "SELECT COUNT(*) FROM messages WHERE kind = 'inbound'",
        1,
    )
    .await;
    switchboard_sync::router::SharedRouter::new(
        db.owner.clone(),
        switchboard_sync::router::RouterClock::Database,
    )
    .route_once()
    .await
    .unwrap();
    let chat: String = sqlx::query_scalar("SELECT id FROM chats")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    let mut bob = db.desktop_of("bob").await;
    let mut ann = db.desktop_of("ann").await;
    let accepted = apply(&mut bob, "accept", json!({"chat": chat}))
        .await
        .unwrap();
    assert_eq!(accepted["applied"], json!(true), "{accepted}");

    let invoice = pdf();
    let photo = png();
    let file = |kind: &str, name: &str, mime: &str, bytes: &[u8]| json!({"kind": kind, "name": name, "mime": mime, "content": base64(bytes)});
    // Only the chat's operator sends in it.
    let refused = apply(
        &mut ann,
        "send_file",
        json!({"chat": chat, "text": "", "file": file("document", "a.pdf", "application/pdf", &invoice)}),
    )
    .await
    .unwrap();
    assert_eq!(refused["code"], json!("SB005"), "{refused}");
    // Bad input is refused with the composer's words, and nothing is stored.
    let not_a_photo = apply(
        &mut bob,
        "send_file",
        json!({"chat": chat, "text": "", "file": file("photo", "a.png", "image/png", b"<svg/>")}),
    )
    .await
    .unwrap_err();
    assert_eq!(code_of(&not_a_photo).as_deref(), Some("SB008"));
    assert!(
        not_a_photo
            .to_string()
            .contains("Send this file as a document")
    );
    let too_big = apply(
        &mut bob,
        "send_file",
        json!({"chat": chat, "text": "", "file": file("photo", "big.jpg", "image/jpeg",
              &[&[0xFF, 0xD8, 0xFF][..], &vec![0; 10 * 1024 * 1024]].concat())}),
    )
    .await
    .unwrap_err();
    assert!(
        too_big
            .to_string()
            .contains("big.jpg is 11 MB; Telegram accepts at most 10 MB for a photo."),
        "{too_big}"
    );

    let sent_document = apply(
        &mut bob,
        "send_file",
        json!({"chat": chat, "text": "Your invoice",
               "file": file("document", "invoice.pdf", "application/pdf", &invoice)}),
    )
    .await
    .unwrap();
    assert_eq!(sent_document["applied"], json!(true), "{sent_document}");
    let sent_photo = apply(
        &mut bob,
        "send_file",
        json!({"chat": chat, "text": "", "file": file("photo", "parcel.png", "image/png", &photo)}),
    )
    .await
    .unwrap();
    assert_eq!(sent_photo["applied"], json!(true), "{sent_photo}");
    count_reaches(
        &db,
        "files sent",
        "SELECT COUNT(*) FROM messages WHERE kind = 'outbound' AND delivery = 'sent'",
        2,
    )
    .await;
    let sent = sandbox.telegram().sent_messages(TOKEN);
    assert_eq!(sent.len(), 2, "{sent:?}");
    // Two sends of one millisecond may go in either order.
    let by_method = |method: &str| sent.iter().find(|m| m.method == method).unwrap();
    let document = by_method("sendDocument");
    assert_eq!(
        (document.text.as_str(), document.chat_id),
        ("Your invoice", 42)
    );
    assert_eq!(document.file_name.as_deref(), Some("invoice.pdf"));
    let document_bytes = sandbox
        .telegram()
        .sent_file_bytes(TOKEN, document.file_id.as_deref().unwrap())
        .unwrap();
    assert!(document_bytes == invoice, "the document's bytes differ");
    let photo_sent = by_method("sendPhoto");
    assert_eq!((photo_sent.text.as_str(), photo_sent.chat_id), ("", 42));
    let photo_bytes = sandbox
        .telegram()
        .sent_file_bytes(TOKEN, photo_sent.file_id.as_deref().unwrap())
        .unwrap();
    assert!(photo_bytes == photo, "the photo's bytes differ");

    // The customer blocked the bot: the next file fails with a sentence; after they unblock
    // it, "Send again" (through sb_apply too) sends it.
    sandbox.telegram().block_bot(TOKEN, 42).unwrap();
    let again = apply(
        &mut bob,
        "send_file",
        json!({"chat": chat, "text": "One more", "file": file("document", "b.pdf", "application/pdf", &invoice)}),
    )
    .await
    .unwrap();
    assert_eq!(again["applied"], json!(true));
    count_reaches(
        &db,
        "file failed",
        "SELECT COUNT(*) FROM messages WHERE delivery = 'failed'",
        1,
    )
    .await;
    let (failed_id, reason): (String, String) =
        sqlx::query_as("SELECT id, failure_reason FROM messages WHERE delivery = 'failed'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert!(reason.contains("blocked the bot"), "{reason}");
    sandbox.telegram().unblock_bot(TOKEN, 42).unwrap();
    let not_mine = apply(
        &mut ann,
        "retry_send",
        json!({"chat": chat, "message": failed_id}),
    )
    .await
    .unwrap();
    assert_eq!(not_mine["code"], json!("SB005"), "{not_mine}");
    let retried = apply(
        &mut bob,
        "retry_send",
        json!({"chat": chat, "message": failed_id}),
    )
    .await
    .unwrap();
    assert_eq!(retried["applied"], json!(true), "{retried}");
    count_reaches(
        &db,
        "files sent",
        "SELECT COUNT(*) FROM messages WHERE kind = 'outbound' AND delivery = 'sent'",
        3,
    )
    .await;
    let sent = sandbox.telegram().sent_messages(TOKEN);
    assert_eq!(sent.last().unwrap().text, "One more");
    poller.stop().await;
    sandbox.shutdown().await;
}
