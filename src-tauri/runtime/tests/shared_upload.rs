//! Switching a standalone desktop to shared mode with its data (Settings → Shared database,
//! "Upload this desktop's data"), through the runtime's own API: the admin's bot, chat and history
//! reach the shared database, the bot's token moves to shared mode's keychain namespace (never to a
//! database), and after the restart the desktop shows the chat from its cache and polls the bot
//! from where the standalone desktop stopped.

mod common;

use std::sync::Arc;

use common::eventually;
use common::shared_db::{SharedDb, start_runtime};
use switchboard_engine::secrets::{MemorySecrets, SecretKey, SecretStore};
use switchboard_ipc::{ChatState, ErrorCode, MessageKind, SharedDatabaseLogin, WorkMode};
use switchboard_runtime::shared::SHARED_WORKSPACE;
use switchboard_runtime::{Runtime, SeedTelegramBot};
use switchboard_sandbox::{CustomerMessage, Sandbox, SandboxConfig};

const TOKEN: &str = "7300001:standalone-upload-token";

/// A migrated shared database with no channel yet, admin Ann and operator Bob.
async fn shared_database() -> SharedDb {
    let db = SharedDb::create().await;
    db.person("ann", "00000000-0000-4000-8000-0000000000a1", true, &[])
        .await;
    db.person("bob", "00000000-0000-4000-8000-0000000000b2", false, &[])
        .await;
    db
}

async fn start(
    dir: &std::path::Path,
    sandbox: &Sandbox,
    secrets: &MemorySecrets,
    seed: bool,
) -> Arc<Runtime> {
    let bot = seed.then(|| SeedTelegramBot {
        api_base: sandbox.base_url(),
        token: TOKEN.into(),
    });
    start_runtime(dir, &sandbox.base_url(), secrets, bot).await
}

fn customer(text: &str) -> CustomerMessage {
    CustomerMessage {
        user_id: 77,
        first_name: "Dana".into(),
        last_name: None,
        username: None,
        text: text.into(),
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standalone_admin_connects_with_upload_and_continues_in_shared_mode() {
    let sandbox = Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        telegram_bots: vec![TOKEN.into()],
        simulate_customers: false,
    })
    .await
    .unwrap();
    let db = shared_database().await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemorySecrets::default();

    // A standalone desktop with its bot: a customer writes, the person at the desk answers.
    let standalone = start(dir.path(), &sandbox, &secrets, true).await;
    let workspace = standalone.workspace_id().to_owned();
    sandbox
        .telegram()
        .customer_writes(TOKEN, customer("Is my parcel on its way?"))
        .unwrap();
    eventually("the chat is offered at the desk", || async {
        let chats = standalone.list_chats().await.unwrap();
        chats.len() == 1 && chats[0].state == ChatState::Offered
    })
    .await;
    let chat = standalone.list_chats().await.unwrap()[0].id.clone();
    standalone.accept_chat(&chat).await.unwrap();
    standalone
        .send_reply(&chat, "Yes, since this morning.")
        .await
        .unwrap();
    eventually("the reply went out", || async {
        sandbox.telegram().sent_messages(TOKEN).len() == 1
    })
    .await;
    let channel = standalone.list_channels().await.unwrap()[0].id.clone();
    let history = standalone.read_chat(&chat).await.unwrap().messages.len();

    // The offer: what this desktop would upload.
    let view = standalone.shared_database().await.unwrap();
    let offer = view.standalone_data.expect("the desktop has data to offer");
    assert_eq!(
        (offer.channels, offer.chats, offer.messages),
        (1, 1, history as u32)
    );
    assert_eq!(view.upload_result, None);

    let login = |who: &str| SharedDatabaseLogin {
        upload: Some(true),
        ..db.login(who)
    };
    // Bob is not an admin: refused in words, nothing recorded, nothing uploaded.
    let refused = standalone
        .connect_shared_database(login("bob"))
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    assert!(
        refused.message.starts_with("Only an admin can upload"),
        "{}",
        refused.message
    );
    let view = standalone.shared_database().await.unwrap();
    assert!(!view.restart_required);
    let chats_in_postgres = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM chats")
            .fetch_one(&db.owner)
            .await
            .unwrap()
    };
    assert_eq!(chats_in_postgres().await, 0);

    // Ann, an admin, connects with the upload.
    let view = standalone
        .connect_shared_database(login("ann"))
        .await
        .unwrap();
    assert_eq!(
        (view.mode, view.restart_required),
        (WorkMode::Standalone, true)
    );
    let result = view.upload_result.expect("the result in words");
    assert!(
        result.starts_with(&format!(
            "Uploaded 1 channel, 1 queue, 1 chat and {history} messages."
        )),
        "{result}"
    );
    assert_eq!(view.standalone_data, None, "offered no more");
    assert_eq!(chats_in_postgres().await, 1);
    let operator: Option<String> =
        sqlx::query_scalar("SELECT operator_id FROM chats WHERE id = $1")
            .bind(&chat)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(
        operator.as_deref(),
        Some("00000000-0000-4000-8000-0000000000a1"),
        "the chat at the desk is Ann's"
    );
    standalone.shutdown().await;
    drop(standalone);

    // After the restart: shared mode, the chat from the cache, the bot polled with the token
    // that was copied to shared mode's namespace (no seed this time).
    let shared = start(dir.path(), &sandbox, &secrets, false).await;
    let view = shared.shared_database().await.unwrap();
    assert_eq!((view.mode, view.problem), (WorkMode::Shared, None));
    assert_eq!(view.upload_result, None, "said once, before the restart");
    assert_eq!(
        secrets
            .get(&SecretKey::channel_token(SHARED_WORKSPACE, &channel))
            .unwrap(),
        TOKEN
    );
    assert_eq!(
        secrets
            .get(&SecretKey::channel_token(&workspace, &channel))
            .unwrap(),
        TOKEN,
        "nothing is deleted on this desktop"
    );
    eventually(
        "the uploaded chat and its history are in the cache",
        || async {
            let chats = shared.list_chats().await.unwrap();
            chats.len() == 1
                && chats[0].id == chat
                && chats[0].state == ChatState::Active
                && shared.read_chat(&chat).await.unwrap().messages.len() == history
        },
    )
    .await;
    sandbox
        .telegram()
        .customer_writes(TOKEN, customer("Thank you!"))
        .unwrap();
    eventually(
        "the bot is polled from where the desktop stopped",
        || async {
            let messages = shared.read_chat(&chat).await.unwrap().messages;
            messages.iter().any(|m| m.text == "Thank you!")
        },
    )
    .await;
    let inbound: Vec<String> = shared
        .read_chat(&chat)
        .await
        .unwrap()
        .messages
        .into_iter()
        .filter(|m| m.kind == MessageKind::Inbound)
        .map(|m| m.text)
        .collect();
    assert_eq!(
        inbound,
        ["Is my parcel on its way?", "Thank you!"],
        "none twice"
    );

    // The token is in the keychain only: in no file of the data folder, in no row of Postgres.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(
                !contains(&bytes, TOKEN),
                "the token is in {}",
                path.display()
            );
        }
    }
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::TEXT FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&db.owner)
    .await
    .unwrap();
    for table in tables {
        let found: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {table} AS t WHERE to_jsonb(t)::TEXT LIKE '%' || $1 || '%'"
        )))
        .bind(TOKEN.split(':').nth(1).unwrap())
        .fetch_one(&db.owner)
        .await
        .unwrap();
        assert_eq!(found, 0, "the token is in the shared table {table}");
    }
    shared.shutdown().await;
}
