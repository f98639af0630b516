//! Channels from the designer, headless: adding a bot, the mini-card, a
//! revoked token, files both ways — against the sandbox and a real SQLite file.

mod common;

use common::eventually;

use std::sync::Arc;

use base64::Engine as _;
use switchboard_engine::clock::SystemClock;
use switchboard_engine::secrets::MemorySecrets;
use switchboard_ipc::{
    AttachmentKind, AttachmentState, ChannelChanges, ChannelHealthState, ChannelProblem, ErrorCode,
    NewTelegramChannel, SendFile,
};
use switchboard_runtime::{Runtime, RuntimeConfig};
use switchboard_sandbox::{CustomerMedia, CustomerMessage, MediaKind, Sandbox, SandboxConfig};

const TOKEN: &str = "6660002:designer-secret-token-value";

struct Setup {
    sandbox: Sandbox,
    dir: tempfile::TempDir,
    runtime: Arc<Runtime>,
}

/// An empty workspace whose "Add Telegram" talks to the sandbox.
async fn setup() -> Setup {
    let sandbox = Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        telegram_bots: vec![TOKEN.into()],
        simulate_customers: false,
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::start(
        RuntimeConfig {
            data_dir: dir.path().to_owned(),
            seed_telegram: None,
            telegram_api_base: sandbox.base_url(),
            facebook: Default::default(),
            messenger_listen: None,
        },
        Arc::new(MemorySecrets::default()),
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    Setup {
        sandbox,
        dir,
        runtime,
    }
}

fn add(token: &str) -> NewTelegramChannel {
    NewTelegramChannel {
        token: token.into(),
        queue_id: None,
        api_base: None,
    }
}

fn customer(text: &str) -> CustomerMessage {
    CustomerMessage {
        user_id: 501,
        first_name: "Nina".into(),
        last_name: None,
        username: None,
        text: text.into(),
    }
}

#[tokio::test]
async fn a_bad_token_is_refused_in_words_and_a_good_one_shows_the_bot_name() {
    let s = setup().await;
    let malformed = s
        .runtime
        .add_telegram_channel(add("not a token"))
        .await
        .unwrap_err();
    assert_eq!(malformed.code, ErrorCode::InvalidInput);
    assert!(
        malformed.message.contains("@BotFather"),
        "{}",
        malformed.message
    );

    let unknown = s
        .runtime
        .add_telegram_channel(add("6660099:no-such-bot-token"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::InvalidInput);
    assert!(
        unknown.message.contains("revoked or is wrong"),
        "{}",
        unknown.message
    );
    assert!(s.runtime.list_channels().await.unwrap().is_empty());

    let channel = s.runtime.add_telegram_channel(add(TOKEN)).await.unwrap();
    assert_eq!(channel.name, "Switchboard Demo Bot (@sandbox_6660002_bot)");
    assert_eq!(channel.external_id, "6660002");
    assert!(channel.active);
    // The token is in the keychain only: not in the database, not in the view.
    let db = common::database_bytes(s.dir.path());
    assert!(!db.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()));
    assert!(
        !serde_json::to_string(&channel)
            .unwrap()
            .contains("designer-secret")
    );

    // It polls: a customer's message becomes a chat.
    s.sandbox
        .telegram()
        .customer_writes(TOKEN, customer("Hi"))
        .unwrap();
    let runtime = &s.runtime;
    eventually("the chat arrives", || async {
        runtime.list_chats().await.unwrap().len() == 1
    })
    .await;
}

#[tokio::test]
async fn deactivating_stops_polling_and_reactivating_resumes_from_the_stored_offset() {
    let s = setup().await;
    let tg = s.sandbox.telegram();
    let channel = s.runtime.add_telegram_channel(add(TOKEN)).await.unwrap();
    tg.customer_writes(TOKEN, customer("first")).unwrap();
    let runtime = &s.runtime;
    eventually("the first message is stored", || async {
        runtime.list_chats().await.unwrap().len() == 1
    })
    .await;

    let stopped = runtime
        .update_channel(
            &channel.id,
            ChannelChanges {
                active: Some(false),
                ..ChannelChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (stopped.active, stopped.health),
        (false, ChannelHealthState::Stopped)
    );
    eventually("the long poll is abandoned", || async {
        !tg.long_poll_waiting(TOKEN).unwrap()
    })
    .await;
    tg.customer_writes(TOKEN, customer("second")).unwrap();
    assert_eq!(tg.pending_update_count(TOKEN).unwrap(), 1, "nobody took it");

    runtime
        .update_channel(
            &channel.id,
            ChannelChanges {
                active: Some(true),
                ..ChannelChanges::default()
            },
        )
        .await
        .unwrap();
    let chat_id = runtime.list_chats().await.unwrap()[0].id.clone();
    eventually("the second message arrives", || async {
        runtime.read_chat(&chat_id).await.unwrap().messages.len() >= 2
    })
    .await;
    let texts: Vec<String> = runtime
        .read_chat(&chat_id)
        .await
        .unwrap()
        .messages
        .into_iter()
        .filter(|m| m.kind == switchboard_ipc::MessageKind::Inbound)
        .map(|m| m.text)
        .collect();
    assert_eq!(texts, ["first", "second"], "each exactly once, in order");
}

#[tokio::test]
async fn the_mini_card_moves_new_chats_to_another_queue_and_checks_its_input() {
    let s = setup().await;
    let channel = s.runtime.add_telegram_channel(add(TOKEN)).await.unwrap();
    let vip = s
        .runtime
        .create_queue(switchboard_ipc::NewQueue {
            name: "VIP".into(),
            rule: switchboard_ipc::RoutingRule::ToAll,
            completion_timeout_min: None,
        })
        .await
        .unwrap();
    let changed = s
        .runtime
        .update_channel(
            &channel.id,
            ChannelChanges {
                queue_id: Some(vip.id.clone()),
                language: Some("ru".into()),
                ..ChannelChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (changed.queue_name.as_str(), changed.language.as_str()),
        ("VIP", "ru")
    );
    let bad_language = s
        .runtime
        .update_channel(
            &channel.id,
            ChannelChanges {
                language: Some("xx".into()),
                ..ChannelChanges::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad_language.code, ErrorCode::InvalidInput);
    let no_queue = s
        .runtime
        .update_channel(
            &channel.id,
            ChannelChanges {
                queue_id: Some("00000000-0000-0000-0000-000000000000".into()),
                ..ChannelChanges::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(no_queue.code, ErrorCode::NotFound);

    s.sandbox
        .telegram()
        .customer_writes(TOKEN, customer("Привет"))
        .unwrap();
    let runtime = &s.runtime;
    eventually("the chat is offered from VIP", || async {
        runtime
            .list_chats()
            .await
            .unwrap()
            .first()
            .is_some_and(|c| c.queue_name == "VIP")
    })
    .await;
}

#[tokio::test]
async fn a_revoked_token_shows_on_the_card_and_a_new_token_of_the_same_bot_fixes_it() {
    let s = setup().await;
    let tg = s.sandbox.telegram();
    let channel = s.runtime.add_telegram_channel(add(TOKEN)).await.unwrap();
    tg.revoke_token(TOKEN).unwrap();
    let runtime = &s.runtime;
    eventually("the card shows the revoked token", || async {
        runtime.list_channels().await.unwrap()[0].problem == Some(ChannelProblem::TokenRejected)
    })
    .await;
    let card = &runtime.list_channels().await.unwrap()[0];
    assert!(
        card.health_reason
            .as_deref()
            .unwrap()
            .contains("revoked or is wrong")
    );

    // Another bot's token is refused: it would silently become another channel.
    tg.add_bot("6660003:someone-elses-bot").unwrap();
    let other = runtime
        .replace_channel_token(&channel.id, "6660003:someone-elses-bot")
        .await
        .unwrap_err();
    assert!(other.message.contains("different bot"), "{}", other.message);

    tg.restore_token(TOKEN).unwrap();
    runtime
        .replace_channel_token(&channel.id, TOKEN)
        .await
        .unwrap();
    eventually("the channel runs again", || async {
        runtime.list_channels().await.unwrap()[0].health == ChannelHealthState::Running
    })
    .await;
}

#[tokio::test]
async fn a_customer_photo_is_stored_and_an_operator_document_reaches_the_customer() {
    let s = setup().await;
    let tg = s.sandbox.telegram();
    s.runtime.add_telegram_channel(add(TOKEN)).await.unwrap();
    let png = include_bytes!("../../../icons/32x32.png").to_vec();
    tg.customer_sends_media(
        TOKEN,
        CustomerMedia {
            user_id: 501,
            first_name: "Nina".into(),
            last_name: None,
            username: None,
            kind: MediaKind::Photo,
            bytes: png.clone(),
            file_name: None,
            mime_type: None,
            caption: Some("my receipt".into()),
            duration: None,
            emoji: None,
        },
    )
    .unwrap();
    let runtime = &s.runtime;
    eventually("the chat arrives", || async {
        runtime.list_chats().await.unwrap().len() == 1
    })
    .await;
    let chat_id = runtime.list_chats().await.unwrap()[0].id.clone();
    runtime.accept_chat(&chat_id).await.unwrap();
    eventually("the photo is downloaded", || async {
        runtime.read_chat(&chat_id).await.unwrap().messages[0]
            .attachments
            .first()
            .is_some_and(|a| a.state == AttachmentState::Stored)
    })
    .await;
    let message = &runtime.read_chat(&chat_id).await.unwrap().messages[0];
    assert_eq!(message.text, "my receipt");
    let photo = runtime
        .read_attachment(&message.attachments[0].id)
        .await
        .unwrap();
    assert_eq!(photo.mime_type, "image/png");
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(photo.base64)
            .unwrap(),
        png
    );

    let pdf = b"%PDF-1.4 invoice 42".to_vec();
    let sent = runtime
        .send_file(SendFile {
            chat_id: chat_id.clone(),
            kind: AttachmentKind::Document,
            file_name: "invoice.pdf".into(),
            mime_type: Some("application/pdf".into()),
            base64: base64::engine::general_purpose::STANDARD.encode(&pdf),
            caption: "Your invoice".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        sent.attachments[0].file_name.as_deref(),
        Some("invoice.pdf")
    );
    eventually("the document reaches the customer", || async {
        !tg.sent_messages(TOKEN).is_empty()
    })
    .await;
    let delivered = &tg.sent_messages(TOKEN)[0];
    assert_eq!(delivered.method, "sendDocument");
    assert_eq!(delivered.text, "Your invoice");
    assert_eq!(delivered.file_name.as_deref(), Some("invoice.pdf"));
    let file_id = delivered.file_id.clone().unwrap();
    assert_eq!(tg.sent_file_bytes(TOKEN, &file_id).unwrap(), pdf);

    // A "photo" that is not an image is refused before it is queued.
    let fake = runtime
        .send_file(SendFile {
            chat_id,
            kind: AttachmentKind::Photo,
            file_name: "x.png".into(),
            mime_type: Some("image/png".into()),
            base64: base64::engine::general_purpose::STANDARD.encode(b"<svg onload=alert(1)>"),
            caption: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(fake.code, ErrorCode::InvalidInput);
}
