//! Shared mode through the runtime's own API (what the app's commands call): an operator
//! connects their desktop to the shared database in Settings, restarts, and works with a
//! colleague on another desktop — offers, accepts, replies and the bot, with the relay's router.

mod common;

use std::sync::Arc;

use common::eventually;
use common::shared_db::{PASSWORD, Router, SharedDb, into_shared_mode, start_runtime};
use switchboard_engine::secrets::MemorySecrets;
use switchboard_ipc::{
    ChatState, DatabaseConnection, DeliveryState, OperatorStatus, SharedDatabaseLogin,
};
use switchboard_runtime::{Runtime, SeedTelegramBot};
use switchboard_sandbox::{CustomerMessage, Sandbox, SandboxConfig};

const TOKEN: &str = "7200001:shared-runtime-token";
/// The support bot's channel (ids are UUIDs, as the designer makes them).
const CHANNEL: &str = "0b6f3d0e-6b1c-4c5e-9a55-2f1d3c4b5a60";

/// A user id as the designer makes them (a UUID), one per operator of the test.
fn user_id(who: &str) -> String {
    let n = match who {
        "ann" => 1,
        "bob" => 2,
        _ => 3,
    };
    format!("00000000-0000-4000-8000-00000000000{n}")
}

/// A migrated database with a `to_all` queue, the sandbox bot's channel, and operators Ann (an
/// admin too), Bob and Cat with their own logins.
async fn shared_database(sandbox: &Sandbox) -> SharedDb {
    let db = SharedDb::create().await;
    sqlx::query("INSERT INTO queues (id, name, rule) VALUES ('q', 'Support', 'to_all')")
        .execute(&db.owner)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO channels (id, provider, name, queue_id, api_base, external_id, created_at)
         VALUES ($2, 'telegram', 'Support bot', 'q', $1, '7200001', 0)",
    )
    .bind(sandbox.base_url())
    .bind(CHANNEL)
    .execute(&db.owner)
    .await
    .unwrap();
    for who in ["ann", "bob", "cat"] {
        db.person(who, &user_id(who), who == "ann", &["q"]).await;
    }
    db
}

async fn start_seeded(
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

/// Ann's or Bob's desktop: started standalone, connected in Settings, restarted in shared mode.
async fn desktop(
    db: &SharedDb,
    who: &str,
    sandbox: &Sandbox,
    dir: &std::path::Path,
) -> Arc<Runtime> {
    desktop_seeded(db, who, sandbox, dir, true).await
}

async fn desktop_seeded(
    db: &SharedDb,
    who: &str,
    sandbox: &Sandbox,
    dir: &std::path::Path,
    seed: bool,
) -> Arc<Runtime> {
    let secrets = MemorySecrets::default();
    let standalone = start_seeded(dir, sandbox, &secrets, seed).await;
    let refused = standalone
        .test_shared_database(db.login_with(who, "wrong password"))
        .await
        .unwrap_err();
    assert_eq!(
        refused.message,
        "The shared database refused this user name or password."
    );
    let check = standalone
        .test_shared_database(db.login(who))
        .await
        .unwrap();
    assert_eq!(check.operator_name.to_lowercase(), who);
    standalone.shutdown().await;
    drop(standalone);
    let shared = into_shared_mode(db, who, || start_seeded(dir, sandbox, &secrets, seed)).await;
    assert_eq!(shared.shared_database().await.unwrap().problem, None);
    let password_in_files = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| std::fs::read(entry.unwrap().path()).ok())
        .any(|bytes| {
            bytes
                .windows(PASSWORD.len())
                .any(|w| w == PASSWORD.as_bytes())
        });
    assert!(!password_in_files, "the password is in the keychain only");
    shared
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_operators_work_together_on_one_shared_database() {
    let sandbox = Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        telegram_bots: vec![TOKEN.into()],
        simulate_customers: false,
    })
    .await
    .unwrap();
    let db = shared_database(&sandbox).await;
    let router = Router::start(&db);
    let (ann_dir, bob_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ann = desktop(&db, "ann", &sandbox, ann_dir.path()).await;
    let bob = desktop(&db, "bob", &sandbox, bob_dir.path()).await;
    eventually("Ann's desktop is online", || async {
        ann.shared_database().await.unwrap().connection == DatabaseConnection::Online
    })
    .await;
    eventually("both operators are Active in their caches", || async {
        ann.my_status().await.unwrap().status == OperatorStatus::Active
            && bob.my_status().await.unwrap().status == OperatorStatus::Active
    })
    .await;

    sandbox
        .telegram()
        .customer_writes(
            TOKEN,
            CustomerMessage {
                user_id: 55,
                first_name: "Dana".into(),
                last_name: None,
                username: None,
                text: "My order is late".into(),
            },
        )
        .unwrap();
    // Whichever desktop polls the bot stored it; the router offered it to both.
    let offered = |runtime: &Arc<Runtime>| {
        let runtime = runtime.clone();
        async move {
            let chats = runtime.list_chats().await.unwrap();
            chats.len() == 1 && chats[0].state == ChatState::Offered
        }
    };
    eventually("Ann is offered the chat", || offered(&ann)).await;
    eventually("Bob is offered the chat", || offered(&bob)).await;
    let chat = ann.list_chats().await.unwrap()[0].id.clone();

    ann.accept_chat(&chat).await.unwrap();
    eventually("the offer vanishes from Bob's panel", || async {
        bob.list_chats().await.unwrap().is_empty()
    })
    .await;
    let reply = ann.send_reply(&chat, "It ships today.").await.unwrap();
    assert_eq!(
        reply.delivery,
        Some(DeliveryState::Pending),
        "shown at once, pending"
    );
    eventually("Bob sees Ann's reply, sent, in the history", || async {
        bob.read_chat(&chat)
            .await
            .unwrap()
            .messages
            .iter()
            .any(|m| m.text == "It ships today." && m.delivery == Some(DeliveryState::Sent))
    })
    .await;
    let sent = sandbox.telegram().sent_messages(TOKEN);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].chat_id, sent[0].text.as_str()),
        (55, "It ships today.")
    );

    // Ann hands the chat to Bob: it leaves her panel and becomes his.
    ann.transfer_to_operator(&chat, &user_id("bob"))
        .await
        .unwrap();
    eventually("the chat is Bob's on his desktop", || async {
        let chats = bob.list_chats().await.unwrap();
        chats.len() == 1 && chats[0].state == ChatState::Active
    })
    .await;
    eventually("and gone from Ann's", || async {
        ann.list_chats().await.unwrap().is_empty()
    })
    .await;

    // Settings: an admin's change reaches every desktop; anyone else is refused in words.
    let three = switchboard_ipc::WorkspaceSettings {
        simultaneous_chats: 3,
        accept_timeout_min: 5,
    };
    let refused = bob.update_settings(three.clone()).await.unwrap_err();
    assert!(
        refused.message.starts_with("Only an admin"),
        "{}",
        refused.message
    );
    ann.update_settings(three.clone()).await.unwrap();
    eventually("Bob's desktop follows the new limit", || async {
        bob.get_settings().await.unwrap() == three && bob.my_status().await.unwrap().capacity == 3
    })
    .await;
    bob.complete_chat(&chat).await.unwrap();
    eventually("the completed chat leaves Bob's panel", || async {
        bob.list_chats().await.unwrap().is_empty()
    })
    .await;

    ann.shutdown().await;
    bob.shutdown().await;
    router.stop().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_without_the_bots_token_says_so_and_takes_it_on_the_card() {
    let sandbox = Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        telegram_bots: vec![TOKEN.into(), "7299999:another-bot".into()],
        simulate_customers: false,
    })
    .await
    .unwrap();
    let db = shared_database(&sandbox).await;
    let dir = tempfile::tempdir().unwrap();
    let cat = desktop_seeded(&db, "cat", &sandbox, dir.path(), false).await;
    eventually("the channel reaches Cat's cache", || async {
        !cat.list_channels().await.unwrap().is_empty()
    })
    .await;
    let card = cat.list_channels().await.unwrap().remove(0);
    assert_eq!(card.health, switchboard_ipc::ChannelHealthState::Error);
    assert_eq!(
        card.problem,
        Some(switchboard_ipc::ChannelProblem::Keychain)
    );
    assert!(
        card.health_reason
            .as_deref()
            .is_some_and(|r| r.contains("token is not on this computer")),
        "{card:?}"
    );
    let other = cat
        .replace_channel_token(&card.id, "7299999:another-bot")
        .await
        .unwrap_err();
    assert!(other.message.contains("different bot"), "{}", other.message);
    let fixed = cat.replace_channel_token(&card.id, TOKEN).await.unwrap();
    assert_eq!(fixed.health, switchboard_ipc::ChannelHealthState::Running);
    cat.shutdown().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_and_disables_an_operators_login() {
    let sandbox = Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        telegram_bots: vec![TOKEN.into()],
        simulate_customers: false,
    })
    .await
    .unwrap();
    let db = shared_database(&sandbox).await;
    let (ann_dir, bob_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ann = desktop(&db, "ann", &sandbox, ann_dir.path()).await;
    let bob = desktop(&db, "bob", &sandbox, bob_dir.path()).await;
    let dave = db.login_name("dave");
    let new_login = |login: &str, password: &str| switchboard_ipc::NewOperatorLogin {
        name: "Dave".into(),
        login: login.into(),
        password: password.into(),
        is_admin: false,
        queue_ids: vec!["q".into()],
    };

    let not_admin = bob
        .create_operator_login(new_login(&dave, PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(
        not_admin.message,
        "Only an admin can create or disable operator logins."
    );
    let bad_name = ann
        .create_operator_login(new_login("Dave!", PASSWORD))
        .await
        .unwrap_err();
    assert!(
        bad_name.message.contains("lower-case letters"),
        "{}",
        bad_name.message
    );
    let short = ann
        .create_operator_login(new_login(&dave, "short"))
        .await
        .unwrap_err();
    assert!(
        short.message.contains("at least 8 characters"),
        "{}",
        short.message
    );

    let created = ann
        .create_operator_login(new_login(&dave, PASSWORD))
        .await
        .unwrap();
    assert!(created.enabled && !created.is_admin);
    let taken = ann
        .create_operator_login(new_login(&dave, PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(taken.message, "That login is already taken.");
    let login = SharedDatabaseLogin {
        address: db.address.clone(),
        user: dave.clone(),
        password: PASSWORD.into(),
        upload: None,
    };
    let check = ann.test_shared_database(login.clone()).await.unwrap();
    assert_eq!(check.operator_name, "Dave");
    let serves: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM queue_operators WHERE user_id = $1")
        .bind(&created.user_id)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(serves, 1, "Dave serves the queue chosen for him");

    let logins = ann.disable_operator_login(&dave).await.unwrap();
    let listed = logins
        .iter()
        .find(|l| l.login.as_deref() == Some(dave.as_str()))
        .unwrap();
    assert!(!listed.enabled);
    let refused = ann.test_shared_database(login).await.unwrap_err();
    assert!(
        refused.message.contains("does not let this user in"),
        "{}",
        refused.message
    );

    ann.shutdown().await;
    bob.shutdown().await;
    sandbox.shutdown().await;
}
