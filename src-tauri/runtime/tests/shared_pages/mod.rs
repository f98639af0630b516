//! Fixtures of the shared-mode Messenger tests: a shared database with the sandbox's page, the
//! relay turning webhooks into chats, and desktops with or without the page's token.
#![allow(dead_code, unused_imports)] // each test file uses a different subset

pub use crate::common::eventually;
use crate::common::shared_db::SharedDb;
use crate::dialog;

pub use std::net::SocketAddr;
pub use std::str::FromStr;
pub use std::sync::Arc;
pub use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use dialog::{APP_ID, APP_SECRET, Fb, JOBS, Person, REDIRECT, SALES, SUPPORT};
pub use sqlx::postgres::{PgConnectOptions, PgPool};
pub use switchboard_engine::clock::ManualClock;
pub use switchboard_engine::secrets::{MemorySecrets, SecretKey, SecretStore};
pub use switchboard_ipc::{
    AttachmentKind, AttachmentState, ChannelChanges, ChannelHealthState, ChannelProblem, ChatState,
    ConnectPages, DeliveryState, ErrorCode, FacebookLogin, FacebookSettingsUpdate, MessageKind,
    PagePicker, ReplyWindowState, SendFile, SharedDatabaseLogin, WorkMode,
};
pub use switchboard_messenger::{LoginAttempt, Secret};
pub use switchboard_relay::{InboxProcessor, PostgresSink, RelaySecrets, WEBHOOK_PATH, router};
pub use switchboard_runtime::{FacebookEndpoints, Runtime, RuntimeConfig};
pub use switchboard_sandbox::{CustomerAttachment, CustomerMessengerMessage, MessengerCustomer};
pub use switchboard_sync::router::{RouterClock, SharedRouter};

pub use crate::common::shared_db::PASSWORD;
pub const VERIFY_TOKEN: &str = "shared-verify-token";
/// The Acme Support page's channel (ids are UUIDs, as the designer makes them).
pub const CHANNEL: &str = "5e0c1d2a-3b4c-4d5e-8f60-718293a4b5c6";
pub const ANN: &str = "00000000-0000-4000-8000-000000000001";
/// An operator (not an admin) of the same queue.
pub const BOB: &str = "00000000-0000-4000-8000-000000000002";
/// An operator of no queue.
pub const CARL: &str = "00000000-0000-4000-8000-000000000003";
pub const HOUR: i64 = 60 * 60 * 1000;

/// The Support page's token, from a Facebook Login as its admin, with the app subscribed.
pub async fn page_token(fb: &Fb) -> Secret {
    let attempt = LoginAttempt::new(APP_ID, REDIRECT, &mut rand::rng()).unwrap();
    let redirect = fb.log_in(&attempt, &Person::admin_allowing_all()).await;
    let code = attempt.parse_redirect(&redirect).unwrap();
    let secret = Secret::new(APP_SECRET);
    let short = fb
        .graph
        .exchange_code(APP_ID, &secret, REDIRECT, &code)
        .await
        .unwrap();
    let long = fb
        .graph
        .long_lived(APP_ID, &secret, &short.access_token)
        .await
        .unwrap();
    let token = fb
        .graph
        .pages(&long.access_token)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.id == SUPPORT)
        .unwrap()
        .access_token;
    fb.graph.subscribe_app(SUPPORT, &token).await.unwrap();
    token
}

pub struct Shared {
    pub owner: PgPool,
    pub address: String,
    pub name: String,
    pub server: PgConnectOptions,
}

/// A migrated database with a `to_all` queue, the page's channel, the workspace's Facebook app
/// id, and Ann (an admin) with her own login.
pub async fn shared_database(fb: &Fb) -> Shared {
    let db = bare_database().await;
    sqlx::query(
        "INSERT INTO channels (id, provider, name, queue_id, api_base, external_id, created_at)
         VALUES ($1, 'messenger', 'Acme Support', 'q', $2, $3, 0)",
    )
    .bind(CHANNEL)
    .bind(fb.sandbox.base_url())
    .bind(SUPPORT)
    .execute(&db.owner)
    .await
    .unwrap();
    sqlx::query("INSERT INTO settings (key, value) VALUES ('FacebookAppId', $1)")
        .bind(APP_ID)
        .execute(&db.owner)
        .await
        .unwrap();
    db
}

/// A migrated database with a `to_all` queue, Ann (an admin) and Bob (an operator) in it, and
/// Carl (an operator of no queue), each with their own login; no channel, no Facebook app.
pub async fn bare_database() -> Shared {
    let db = SharedDb::create().await;
    sqlx::query("INSERT INTO queues (id, name, rule) VALUES ('q', 'Support', 'to_all')")
        .execute(&db.owner)
        .await
        .unwrap();
    for (id, who, admin, queues) in [
        (ANN, "ann", true, &["q"][..]),
        (BOB, "bob", false, &["q"][..]),
        (CARL, "carl", false, &[][..]),
    ] {
        db.person(who, id, admin, queues).await;
    }
    let url = std::env::var("SWITCHBOARD_TEST_PG_URL").unwrap();
    Shared {
        owner: db.owner,
        address: db.address,
        name: db.name,
        server: PgConnectOptions::from_str(&url).unwrap(),
    }
}

impl Shared {
    /// A connection as one of the operators' own login roles.
    pub async fn login(&self, who: &str) -> PgPool {
        PgPool::connect_with(
            self.server
                .clone()
                .database(&self.name)
                .username(&format!("{}_{who}", self.name))
                .password(PASSWORD),
        )
        .await
        .unwrap()
    }

    /// Whether some desktop holds the channel's live lease.
    pub async fn lease_held(&self, channel: &str) -> bool {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT FROM connector_leases
                            WHERE channel_id = $1 AND expires_at > sb_now_ms())",
        )
        .bind(channel)
        .fetch_one(&self.owner)
        .await
        .unwrap()
    }
}

/// The relay as the binary runs it: the webhook endpoint storing into Postgres, the Messenger
/// processor and the router.
pub struct Relay {
    pub url: String,
    pub stop: tokio::sync::watch::Sender<bool>,
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

pub async fn relay(db: &Shared) -> Relay {
    let sink = PostgresSink::from_pool(db.owner.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let app = router(
        RelaySecrets::new(APP_SECRET, VERIFY_TOKEN).unwrap(),
        sink.clone(),
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let tasks = vec![
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() }),
        tokio::spawn({
            let run = InboxProcessor::new(db.owner.clone()).run(
                Duration::from_millis(500),
                sink.notify(),
                stopped.clone(),
                tokio::sync::watch::channel(0).0,
            );
            async move { run.await.unwrap() }
        }),
        tokio::spawn({
            let run = SharedRouter::new(db.owner.clone(), RouterClock::Database).run(
                Duration::from_millis(500),
                stopped,
                tokio::sync::watch::channel(0).0,
            );
            async move { run.await.unwrap() }
        }),
    ];
    Relay {
        url: format!("http://{addr}{WEBHOOK_PATH}"),
        stop,
        tasks,
    }
}

pub fn config(dir: &std::path::Path, fb: &Fb) -> RuntimeConfig {
    let base = fb.sandbox.base_url();
    RuntimeConfig {
        data_dir: dir.to_owned(),
        seed_telegram: None,
        telegram_api_base: base.clone(),
        facebook: FacebookEndpoints {
            graph_base: base.clone(),
            www_base: base,
        },
        messenger_listen: None,
    }
}

/// Ann's desktop: connected in Settings, the page's token put in its keychain (shared
/// namespace, as uploading a standalone desktop does), restarted in shared mode.
pub async fn ann_desktop(
    db: &Shared,
    fb: &Fb,
    dir: &std::path::Path,
    token: &Secret,
    clock: &ManualClock,
) -> Arc<Runtime> {
    let secrets = MemorySecrets::default();
    secrets
        .put(
            &SecretKey::channel_token(switchboard_runtime::shared::SHARED_WORKSPACE, CHANNEL),
            token.expose(),
        )
        .unwrap();
    desktop(db, fb, dir, "ann", &secrets, clock).await
}

/// `who`'s desktop with this keychain: connected in Settings, restarted in shared mode.
pub async fn desktop(
    db: &Shared,
    fb: &Fb,
    dir: &std::path::Path,
    who: &str,
    secrets: &MemorySecrets,
    clock: &ManualClock,
) -> Arc<Runtime> {
    let standalone = Runtime::start(
        config(dir, fb),
        Arc::new(secrets.clone()),
        Arc::new(clock.clone()),
    )
    .await
    .unwrap();
    standalone
        .connect_shared_database(SharedDatabaseLogin {
            address: db.address.clone(),
            user: format!("{}_{who}", db.name),
            password: PASSWORD.into(),
            upload: None,
        })
        .await
        .unwrap();
    standalone.shutdown().await;
    drop(standalone);
    let shared = Runtime::start(
        config(dir, fb),
        Arc::new(secrets.clone()),
        Arc::new(clock.clone()),
    )
    .await
    .unwrap();
    assert_eq!(
        shared.shared_database().await.unwrap().mode,
        WorkMode::Shared
    );
    shared
}

pub fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

pub struct Setup {
    pub fb: Fb,
    pub db: Shared,
    pub relay: Relay,
    pub clock: ManualClock,
    pub ann: Arc<Runtime>,
    /// The page token in Ann's keychain.
    pub token: Secret,
    pub _dir: tempfile::TempDir,
}

/// The sandbox's Facebook delivering the page's webhooks to the relay, and Ann's shared desktop
/// holding the page's token.
pub async fn setup() -> Setup {
    let fb = dialog::start().await;
    let token = page_token(&fb).await;
    let db = shared_database(&fb).await;
    let relay = relay(&db).await;
    fb.sandbox
        .facebook()
        .set_webhook(APP_ID, &relay.url, VERIFY_TOKEN)
        .await
        .expect("the sandbox verifies the relay's endpoint");
    let clock = ManualClock::at(now_ms());
    let dir = tempfile::tempdir().unwrap();
    let ann = ann_desktop(&db, &fb, dir.path(), &token, &clock).await;
    Setup {
        fb,
        db,
        relay,
        clock,
        ann,
        token,
        _dir: dir,
    }
}

impl Setup {
    pub fn customer(&self, first_name: &str) -> String {
        self.fb
            .sandbox
            .facebook()
            .add_customer(
                SUPPORT,
                MessengerCustomer {
                    psid: None,
                    first_name: first_name.into(),
                    last_name: "Doe".into(),
                },
            )
            .unwrap()
    }

    /// The chat offered to Ann, accepted. Its id.
    pub async fn accept_the_chat(&self) -> String {
        let ann = &self.ann;
        eventually("the relay's chat is offered in Ann's cache", || async {
            let chats = ann.list_chats().await.unwrap();
            chats.len() == 1 && chats[0].offered_to_me
        })
        .await;
        let chat = ann.list_chats().await.unwrap().remove(0).id;
        ann.accept_chat(&chat).await.unwrap();
        eventually("the chat is Ann's", || async {
            ann.list_chats().await.unwrap()[0].state == ChatState::Active
        })
        .await;
        chat
    }

    pub async fn stop(self) {
        self.ann.shutdown().await;
        let _ = self.relay.stop.send(true);
        for task in self.relay.tasks {
            task.abort();
        }
        self.fb.sandbox.shutdown().await;
    }
}

/// Facebook Login on a desktop, walked as the shell would: the dialog, the redirect, the picker.
pub async fn picker(runtime: &Runtime, fb: &Fb, person: &Person<'_>) -> PagePicker {
    let start = runtime.begin_facebook_login().await.unwrap();
    let redirect = fb
        .log_in_at(
            &start.url,
            |url| runtime.is_facebook_redirect(&start.login_id, url),
            person,
        )
        .await;
    match runtime
        .finish_facebook_login(&start.login_id, &redirect)
        .await
        .unwrap()
    {
        FacebookLogin::Pages(picker) => picker,
        FacebookLogin::Cancelled => panic!("cancelled"),
    }
}

/// Every byte each SQLite file in the folder holds (databases, write-ahead logs).
pub fn sqlite_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() && path.to_string_lossy().contains(".sqlite") {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    bytes
}

/// How many rows of the shared database's tables contain `needle` anywhere.
pub async fn rows_containing(owner: &PgPool, needle: &str) -> i64 {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::TEXT FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(owner)
    .await
    .unwrap();
    let mut found = 0;
    for table in tables {
        let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM \"{table}\" t WHERE strpos(t::TEXT, $1) > 0"
        )))
        .bind(needle)
        .fetch_one(owner)
        .await
        .unwrap();
        found += rows;
    }
    found
}

pub fn token_key(channel: &str) -> SecretKey {
    SecretKey::channel_token(switchboard_runtime::shared::SHARED_WORKSPACE, channel)
}
