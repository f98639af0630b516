//! The application API headless: what the UI calls, against the sandbox.

use std::sync::Arc;
use std::time::Duration;

use switchboard_engine::clock::SystemClock;
use switchboard_engine::secrets::MemorySecrets;
use switchboard_ipc::{DeliveryState, ErrorCode, MessageKind};
use switchboard_runtime::{DATABASE_FILE, Runtime, RuntimeConfig, SeedTelegramBot};
use switchboard_sandbox::{CustomerMessage, Sandbox, SandboxConfig};

const TOKEN: &str = "6660001:runtime-secret-token-value";

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        telegram_bots: vec![TOKEN.into()],
        simulate_customers: false,
    })
    .await
    .unwrap()
}

async fn start(
    sandbox: &Sandbox,
    dir: &tempfile::TempDir,
    token: &str,
) -> Result<Arc<Runtime>, switchboard_ipc::IpcError> {
    Runtime::start(
        RuntimeConfig {
            data_dir: dir.path().to_owned(),
            seed_telegram: Some(SeedTelegramBot {
                api_base: sandbox.base_url(),
                token: token.into(),
            }),
            telegram_api_base: sandbox.base_url(),
            facebook: Default::default(),
            messenger_listen: None,
        },
        Arc::new(MemorySecrets::default()),
        Arc::new(SystemClock),
    )
    .await
}

async fn next_change(rx: &mut tokio::sync::broadcast::Receiver<Vec<String>>) -> Vec<String> {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("no change within 20 s")
        .unwrap()
}

#[tokio::test]
async fn an_operator_reads_and_answers_a_chat_through_the_api() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let runtime = start(&sandbox, &dir, TOKEN).await.unwrap();
    let mut changes = runtime.subscribe();
    sandbox
        .telegram()
        .customer_writes(
            TOKEN,
            CustomerMessage {
                user_id: 77,
                first_name: "Olga".into(),
                last_name: Some("Ivanova".into()),
                username: None,
                text: "Где мой заказ?".into(),
            },
        )
        .unwrap();
    // The router offers the new chat before the UI hears of it.
    let changed = next_change(&mut changes).await;
    let chats = runtime.list_chats().await.unwrap();
    assert_eq!(chats.len(), 1);
    assert!(changed.contains(&chats[0].id));
    assert!(chats[0].offered_to_me);
    runtime.accept_chat(&chats[0].id).await.unwrap();
    assert_eq!(
        (chats[0].contact_name.as_str(), chats[0].unread_count),
        ("Olga Ivanova", 1)
    );

    let detail = runtime.read_chat(&chats[0].id).await.unwrap();
    assert_eq!(detail.chat.unread_count, 0);
    let texts: Vec<&str> = detail.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["Где мой заказ?", "Chat assigned to Me"]);
    assert_eq!(runtime.list_chats().await.unwrap()[0].unread_count, 0);

    let reply = runtime
        .send_reply(&chats[0].id, "Уже в пути!")
        .await
        .unwrap();
    assert_eq!(
        (reply.kind, reply.delivery),
        (MessageKind::Outbound, Some(DeliveryState::Pending))
    );
    loop {
        next_change(&mut changes).await;
        let detail = runtime.read_chat(&chats[0].id).await.unwrap();
        if detail.messages.last().unwrap().delivery == Some(DeliveryState::Sent) {
            break;
        }
    }
    let sent = sandbox.telegram().sent_messages(TOKEN);
    assert_eq!(
        (sent[0].chat_id, sent[0].text.as_str()),
        (77, "Уже в пути!")
    );
    let channels = runtime.list_channels().await.unwrap();
    assert_eq!(channels.len(), 1);
    runtime.shutdown().await;
}

#[tokio::test]
async fn the_bot_token_is_never_written_to_the_database() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let runtime = start(&sandbox, &dir, TOKEN).await.unwrap();
    runtime.shutdown().await;
    let secret_part = TOKEN.split_once(':').unwrap().1;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let found = bytes
            .windows(secret_part.len())
            .any(|w| w == secret_part.as_bytes());
        assert!(!found, "the token leaked into {}", path.display());
    }
    assert!(dir.path().join(DATABASE_FILE).exists());
}

#[tokio::test]
async fn bad_input_from_the_ui_gets_clear_errors() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let runtime = start(&sandbox, &dir, TOKEN).await.unwrap();
    let bad_id = runtime
        .read_chat("'; DROP TABLE chats; --")
        .await
        .unwrap_err();
    assert_eq!(
        (bad_id.code, bad_id.message.as_str()),
        (ErrorCode::InvalidInput, "That is not a valid chat id.")
    );
    let missing = runtime
        .send_reply("00000000-0000-0000-0000-000000000000", "hi")
        .await
        .unwrap_err();
    assert_eq!(
        (missing.code, missing.message.as_str()),
        (ErrorCode::NotFound, "This chat no longer exists.")
    );
    runtime.shutdown().await;
}

#[tokio::test]
async fn a_wrong_bot_token_is_refused_in_words_without_echoing_it() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let Err(err) = start(&sandbox, &dir, "6660001:wrong-secret").await else {
        panic!("accepted a wrong token")
    };
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert_eq!(
        err.message,
        "Telegram does not recognise this bot token: it was revoked or is wrong. Copy it again from @BotFather."
    );
    assert!(!format!("{err:?}").contains("wrong-secret"));
}
