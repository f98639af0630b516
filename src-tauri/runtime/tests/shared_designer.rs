//! The admin designer on a shared desktop, through the runtime's own API: an admin's queues,
//! queue members, roles and Telegram channels are written to the shared database and reach
//! every desktop's cache; an operator who is not an admin is refused in words and changes
//! nothing; the designer says so when the shared database is out of reach.

mod common;

use std::sync::Arc;

use common::eventually;
use common::shared_db::{PASSWORD, SharedDb, into_shared_mode, start_runtime};
use switchboard_engine::secrets::{MemorySecrets, SecretKey, SecretStore};
use switchboard_ipc::{
    ChannelChanges, ChannelHealthState, ErrorCode, MemberKind, NewQueue, NewTelegramChannel,
    RoutingRule, WorkMode,
};
use switchboard_runtime::Runtime;
use switchboard_sandbox::{CustomerMessage, Sandbox, SandboxConfig};

const BOT_TOKEN: &str = "7300001:designer-secret";
const ONLY_ADMINS: &str =
    "Only an admin (with the CanManageChats permission) can change chat settings.";

fn user_id(who: &str) -> String {
    let n = if who == "ann" { 1 } else { 2 };
    format!("00000000-0000-4000-8000-00000000000{n}")
}

/// A migrated database with one queue, Ann (an admin) and Bob (an operator), each with a login.
async fn shared_database() -> SharedDb {
    let db = SharedDb::create().await;
    sqlx::query(
        "INSERT INTO queues (id, name, rule)
         VALUES ('00000000-0000-4000-8000-0000000000a1', 'Support', 'to_all')",
    )
    .execute(&db.owner)
    .await
    .unwrap();
    for who in ["ann", "bob"] {
        db.person(who, &user_id(who), who == "ann", &[]).await;
    }
    db
}

async fn start(dir: &std::path::Path, sandbox: &Sandbox, secrets: &MemorySecrets) -> Arc<Runtime> {
    start_runtime(dir, &sandbox.base_url(), secrets, None).await
}

/// A desktop connected in Settings and restarted in shared mode, with its keychain.
async fn desktop(
    db: &SharedDb,
    who: &str,
    sandbox: &Sandbox,
    dir: &std::path::Path,
) -> (Arc<Runtime>, MemorySecrets) {
    let secrets = MemorySecrets::default();
    let shared = into_shared_mode(db, who, || start(dir, sandbox, &secrets)).await;
    (shared, secrets)
}

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        telegram_bots: vec![BOT_TOKEN.into()],
        simulate_customers: false,
    })
    .await
    .unwrap()
}

fn queue(name: &str, rule: RoutingRule, timeout: Option<u32>) -> NewQueue {
    NewQueue {
        name: name.into(),
        rule,
        completion_timeout_min: timeout,
    }
}

async fn count(db: &SharedDb, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&db.owner)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_builds_queues_and_roles_that_every_desktop_follows() {
    let sandbox = sandbox().await;
    let db = shared_database().await;
    let (ann_dir, bob_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ann, _) = desktop(&db, "ann", &sandbox, ann_dir.path()).await;
    let (bob, _) = desktop(&db, "bob", &sandbox, bob_dir.path()).await;

    // Bob is not an admin: refused in the standalone words, and the database is as it was.
    let refused = bob
        .create_queue(queue("Night shift", RoutingRule::ToAll, None))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code, refused.message.as_str()),
        (ErrorCode::Forbidden, ONLY_ADMINS)
    );
    let refused = bob.create_role("Seniors").await.unwrap_err();
    assert_eq!(refused.message, ONLY_ADMINS);
    assert_eq!(count(&db, "SELECT count(*) FROM queues").await, 1);
    assert_eq!(count(&db, "SELECT count(*) FROM roles").await, 0);

    // The standalone checks, word for word.
    let blank = ann
        .create_queue(queue("  ", RoutingRule::ToAll, None))
        .await
        .unwrap_err();
    assert_eq!(
        (blank.code, blank.message.as_str()),
        (ErrorCode::InvalidInput, "Give the queue a name.")
    );
    let never_zero = ann
        .create_queue(queue("Nights", RoutingRule::ToAll, Some(0)))
        .await
        .unwrap_err();
    assert!(
        never_zero.message.contains("completion timeout"),
        "{}",
        never_zero.message
    );
    let taken = ann
        .create_queue(queue("support", RoutingRule::ToAll, None))
        .await
        .unwrap_err();
    assert_eq!(taken.message, "A queue named “support” already exists.");

    // Ann's queue: the view she gets back is read from her cache, which already has it.
    let night = ann
        .create_queue(queue("Night shift", RoutingRule::Freest, Some(30)))
        .await
        .unwrap();
    assert_eq!(
        (
            night.name.as_str(),
            night.rule,
            night.completion_timeout_min
        ),
        ("Night shift", RoutingRule::Freest, Some(30))
    );
    assert!(night.operator_names.is_empty());
    let row: (String, String, Option<i32>) =
        sqlx::query_as("SELECT name, rule, completion_timeout_min FROM queues WHERE id = $1")
            .bind(&night.id)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(row, ("Night shift".into(), "freest".into(), Some(30)));

    let night = ann
        .add_queue_member(&night.id, MemberKind::User, &user_id("bob"))
        .await
        .unwrap();
    assert_eq!(night.operator_names, ["Bob"]);
    let refused = bob
        .add_queue_member(&night.id, MemberKind::User, &user_id("bob"))
        .await
        .unwrap_err();
    assert_eq!(refused.message, ONLY_ADMINS);
    let missing = ann
        .add_queue_member(
            "00000000-0000-4000-8000-0000000000ff",
            MemberKind::User,
            &user_id("bob"),
        )
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);

    // Bob's desktop follows: the queue, and he serves it.
    eventually("Bob's cache has the night shift with him in it", || async {
        bob.list_queues()
            .await
            .unwrap()
            .iter()
            .any(|q| q.id == night.id && q.operator_names == ["Bob"])
    })
    .await;

    let renamed = ann
        .update_queue(&night.id, queue("Nights", RoutingRule::ToAll, None))
        .await
        .unwrap();
    assert_eq!(
        (
            renamed.name.as_str(),
            renamed.rule,
            renamed.completion_timeout_min
        ),
        ("Nights", RoutingRule::ToAll, None)
    );
    let clash = ann
        .update_queue(&night.id, queue("SUPPORT", RoutingRule::ToAll, None))
        .await
        .unwrap_err();
    assert_eq!(clash.message, "A queue named “SUPPORT” already exists.");

    // Roles: created, given to Ann, added to the queue.
    let seniors = ann.create_role("Seniors").await.unwrap();
    assert_eq!(seniors.name, "Seniors");
    let again = ann.create_role("seniors").await.unwrap_err();
    assert_eq!(again.message, "A role named “seniors” already exists.");
    let seniors = ann
        .set_role_member(&seniors.id, &user_id("ann"), true)
        .await
        .unwrap();
    assert_eq!(seniors.user_names, ["Ann"]);
    let nights = ann
        .add_queue_member(&night.id, MemberKind::Role, &seniors.id)
        .await
        .unwrap();
    assert_eq!(nights.operator_names, ["Ann", "Bob"]);
    let nights = ann
        .remove_queue_member(&night.id, MemberKind::User, &user_id("bob"))
        .await
        .unwrap();
    assert_eq!(nights.operator_names, ["Ann"]);
    assert_eq!(
        count(&db, "SELECT count(*) FROM queue_operators").await,
        0,
        "Bob left the queue in Postgres too"
    );
    eventually("Bob's cache follows the role and the members", || async {
        let roles = bob.list_roles().await.unwrap();
        let queues = bob.list_queues().await.unwrap();
        roles
            .iter()
            .any(|r| r.name == "Seniors" && r.user_names == ["Ann"])
            && queues
                .iter()
                .any(|q| q.name == "Nights" && q.operator_names == ["Ann"])
    })
    .await;

    // Facebook Login needs the workspace's app first, in words.
    let facebook = ann.begin_facebook_login().await.unwrap_err();
    assert_eq!(
        facebook.message,
        "Fill in the Facebook App ID and App secret in Settings → Facebook app first."
    );

    ann.shutdown().await;
    bob.shutdown().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_adds_a_bot_and_switches_it_off_for_every_desktop() {
    let sandbox = sandbox().await;
    let db = shared_database().await;
    let (ann_dir, bob_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ann, ann_keychain) = desktop(&db, "ann", &sandbox, ann_dir.path()).await;
    let (bob, _) = desktop(&db, "bob", &sandbox, bob_dir.path()).await;
    let add = |token: &str| NewTelegramChannel {
        token: token.into(),
        queue_id: None,
        api_base: None,
    };

    let refused = bob.add_telegram_channel(add(BOT_TOKEN)).await.unwrap_err();
    assert_eq!(refused.message, ONLY_ADMINS);
    let unknown = ann
        .add_telegram_channel(add("7300099:no-such-bot"))
        .await
        .unwrap_err();
    assert!(
        unknown.message.contains("revoked or is wrong"),
        "{}",
        unknown.message
    );
    assert_eq!(count(&db, "SELECT count(*) FROM channels").await, 0);

    let channel = ann.add_telegram_channel(add(BOT_TOKEN)).await.unwrap();
    assert_eq!(
        (channel.external_id.as_str(), channel.active, channel.health),
        ("7300001", true, ChannelHealthState::Running)
    );
    assert_eq!(channel.queue_name, "Support", "the first queue");
    let (provider, active): (String, bool) =
        sqlx::query_as("SELECT provider, active FROM channels WHERE id = $1")
            .bind(&channel.id)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!((provider.as_str(), active), ("telegram", true));
    // The token is in Ann's keychain, under the shared workspace, and nowhere else.
    assert_eq!(
        ann_keychain
            .get(&SecretKey::channel_token("shared", &channel.id))
            .unwrap(),
        BOT_TOKEN
    );
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::TEXT FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&db.owner)
    .await
    .unwrap();
    for table in &tables {
        let found = count(
            &db,
            &format!("SELECT count(*) FROM {table} t WHERE t::TEXT LIKE '%designer-secret%'"),
        )
        .await;
        assert_eq!(found, 0, "the token is in Postgres table {table}");
    }
    for dir in [ann_dir.path(), bob_dir.path()] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap_or_default();
            assert!(
                !bytes.windows(15).any(|w| w == b"designer-secret"),
                "the token is in {}",
                path.display()
            );
        }
    }
    assert!(
        !serde_json::to_string(&channel)
            .unwrap()
            .contains("designer-secret")
    );

    // Ann's desktop polls the bot: a customer's message reaches the shared database.
    let writes = |text: &str| {
        sandbox
            .telegram()
            .customer_writes(
                BOT_TOKEN,
                CustomerMessage {
                    user_id: 77,
                    first_name: "Eve".into(),
                    last_name: None,
                    username: None,
                    text: text.into(),
                },
            )
            .unwrap();
    };
    let stored = |text: &'static str| {
        let owner = db.owner.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM messages WHERE text = $1")
                .bind(text)
                .fetch_one(&owner)
                .await
                .unwrap()
                == 1
        }
    };
    writes("Hello");
    eventually("the customer's message is stored", || stored("Hello")).await;
    eventually("Bob's cache has the channel", || async {
        bob.list_channels()
            .await
            .unwrap()
            .iter()
            .any(|c| c.id == channel.id && c.active)
    })
    .await;

    // Bob may not switch it off; Ann may, and every desktop follows.
    let refused = bob
        .update_channel(
            &channel.id,
            ChannelChanges {
                active: Some(false),
                ..ChannelChanges::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.message, ONLY_ADMINS);
    assert_eq!(
        count(&db, "SELECT count(*) FROM channels WHERE active").await,
        1
    );
    let off = ann
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
        (off.active, off.health),
        (false, ChannelHealthState::Stopped)
    );
    eventually("Bob's desktop sees the channel switched off", || async {
        bob.list_channels()
            .await
            .unwrap()
            .iter()
            .any(|c| c.id == channel.id && !c.active)
    })
    .await;
    // Ann's desktop stopped polling: it gave the bot's lease back.
    eventually("the bot's lease is released", || async {
        sqlx::query_scalar::<_, bool>(
            "SELECT COALESCE(bool_and(expires_at <= sb_now_ms()), TRUE) FROM connector_leases",
        )
        .fetch_one(&db.owner)
        .await
        .unwrap()
    })
    .await;

    // On again, to another queue and language: it polls again from where it stopped.
    let nights = ann
        .create_queue(queue("Nights", RoutingRule::ToAll, None))
        .await
        .unwrap();
    let bad = ann
        .update_channel(
            &channel.id,
            ChannelChanges {
                language: Some("xx".into()),
                ..ChannelChanges::default()
            },
        )
        .await
        .unwrap_err();
    assert!(bad.message.contains("Unknown language"), "{}", bad.message);
    let on = ann
        .update_channel(
            &channel.id,
            ChannelChanges {
                active: Some(true),
                queue_id: Some(nights.id.clone()),
                language: Some("ru".into()),
                ..ChannelChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (on.active, on.queue_name.as_str(), on.language.as_str()),
        (true, "Nights", "ru")
    );
    let row: (bool, String, String) =
        sqlx::query_as("SELECT active, queue_id, language FROM channels WHERE id = $1")
            .bind(&channel.id)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(row, (true, nights.id.clone(), "ru".into()));
    writes("Again");
    eventually("polling resumed", || stored("Again")).await;

    ann.shutdown().await;
    bob.shutdown().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_designer_says_it_needs_the_shared_database() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemorySecrets::default();
    // A desktop set up for a database nobody answers at (nothing listens on port 1).
    let settings = switchboard_runtime::shared::SharedSettings {
        address: "127.0.0.1:1/switchboard".into(),
        user: "ann".into(),
        user_id: user_id("ann"),
        name: "Ann".into(),
    };
    std::fs::write(
        dir.path()
            .join(switchboard_runtime::shared::SHARED_SETTINGS_FILE),
        serde_json::to_vec(&settings).unwrap(),
    )
    .unwrap();
    secrets
        .put(
            &SecretKey::shared_database_password(&settings.user, &settings.address),
            PASSWORD,
        )
        .unwrap();
    let ann = start(dir.path(), &sandbox, &secrets).await;
    assert_eq!(ann.shared_database().await.unwrap().mode, WorkMode::Shared);
    let offline = ann
        .create_queue(queue("Nights", RoutingRule::ToAll, None))
        .await
        .unwrap_err();
    assert_eq!(offline.code, ErrorCode::Storage);
    assert!(
        offline.message.contains("needs the shared database"),
        "{}",
        offline.message
    );
    ann.shutdown().await;
    sandbox.shutdown().await;
}
