//! Facebook Messenger in shared mode, through the runtime's API against the sandbox's Facebook:
//! the relay stores the page's webhooks in Postgres and turns them into chats there; the router
//! offers the chat; the operator's desktop — which has the page's token in its keychain and so
//! holds the page's lease — shows it from its cache, names the customer from the profile API and
//! sends the reply through the Send API under the 24-hour window. An admin connects pages from a
//! shared desktop (Facebook Login; the tokens stay in that desktop's keychain), operators take
//! conversations from bots through the page's lease holder, and a dead page token shows on the
//! card.

mod common;

use common::eventually;

#[path = "../../messenger/tests/dialog/mod.rs"]
mod dialog;

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dialog::{APP_ID, APP_SECRET, Fb, JOBS, Person, REDIRECT, SALES, SUPPORT};
use sqlx::postgres::{PgConnectOptions, PgPool};
use switchboard_engine::clock::ManualClock;
use switchboard_engine::secrets::{MemorySecrets, SecretKey, SecretStore};
use switchboard_ipc::{
    AttachmentKind, AttachmentState, ChannelChanges, ChannelHealthState, ChannelProblem, ChatState,
    ConnectPages, DeliveryState, ErrorCode, FacebookLogin, FacebookSettingsUpdate, MessageKind,
    PagePicker, ReplyWindowState, SendFile, SharedDatabaseLogin, WorkMode,
};
use switchboard_messenger::{LoginAttempt, Secret};
use switchboard_relay::{InboxProcessor, PostgresSink, RelaySecrets, WEBHOOK_PATH, router};
use switchboard_runtime::{FacebookEndpoints, Runtime, RuntimeConfig};
use switchboard_sandbox::{CustomerAttachment, CustomerMessengerMessage, MessengerCustomer};
use switchboard_sync::router::{RouterClock, SharedRouter};

const PASSWORD: &str = "correct horse battery";
const VERIFY_TOKEN: &str = "shared-verify-token";
/// The Acme Support page's channel (ids are UUIDs, as the designer makes them).
const CHANNEL: &str = "5e0c1d2a-3b4c-4d5e-8f60-718293a4b5c6";
const ANN: &str = "00000000-0000-4000-8000-000000000001";
/// An operator (not an admin) of the same queue.
const BOB: &str = "00000000-0000-4000-8000-000000000002";
/// An operator of no queue.
const CARL: &str = "00000000-0000-4000-8000-000000000003";
const HOUR: i64 = 60 * 60 * 1000;

/// The Support page's token, from a Facebook Login as its admin, with the app subscribed.
async fn page_token(fb: &Fb) -> Secret {
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

struct Shared {
    owner: PgPool,
    address: String,
    name: String,
    server: PgConnectOptions,
}

/// A migrated database with a `to_all` queue, the page's channel, the workspace's Facebook app
/// id, and Ann (an admin) with her own login.
async fn shared_database(fb: &Fb) -> Shared {
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
async fn bare_database() -> Shared {
    let url = std::env::var("SWITCHBOARD_TEST_PG_URL").expect(
        "SWITCHBOARD_TEST_PG_URL is not set: run the tests with `cargo xtask test`, which starts a throwaway Postgres",
    );
    let server = PgConnectOptions::from_str(&url).unwrap();
    let name = format!(
        "t_{}",
        &switchboard_engine::domain::new_id().replace('-', "")[..16]
    );
    let cluster = PgPool::connect_with(server.clone()).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&cluster)
        .await
        .unwrap();
    let db_url = format!("{}/{name}", url.rsplit_once('/').unwrap().0);
    let owner = switchboard_engine::postgres::connect_and_migrate(&db_url)
        .await
        .unwrap();
    sqlx::query("INSERT INTO queues (id, name, rule) VALUES ('q', 'Support', 'to_all')")
        .execute(&owner)
        .await
        .unwrap();
    for (id, who, admin, in_queue) in [
        (ANN, "ann", true, true),
        (BOB, "bob", false, true),
        (CARL, "carl", false, false),
    ] {
        let mut display = who.to_owned();
        display[..1].make_ascii_uppercase();
        sqlx::query("INSERT INTO users (id, name, created_at) VALUES ($1, $2, 0)")
            .bind(id)
            .bind(&display)
            .execute(&owner)
            .await
            .unwrap();
        if in_queue {
            sqlx::query("INSERT INTO queue_operators (queue_id, user_id) VALUES ('q', $1)")
                .bind(id)
                .execute(&owner)
                .await
                .unwrap();
        }
        sqlx::query("SELECT sb_create_operator_role($1, $2, $3, $4)")
            .bind(format!("{name}_{who}"))
            .bind(PASSWORD)
            .bind(id)
            .bind(admin)
            .execute(&owner)
            .await
            .unwrap();
    }
    Shared {
        owner,
        address: format!("{}:{}/{name}", server.get_host(), server.get_port()),
        name,
        server,
    }
}

impl Shared {
    /// A connection as one of the operators' own login roles.
    async fn login(&self, who: &str) -> PgPool {
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
    async fn lease_held(&self, channel: &str) -> bool {
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
struct Relay {
    url: String,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

async fn relay(db: &Shared) -> Relay {
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

fn config(dir: &std::path::Path, fb: &Fb) -> RuntimeConfig {
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
async fn ann_desktop(
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
async fn desktop(
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

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

struct Setup {
    fb: Fb,
    db: Shared,
    relay: Relay,
    clock: ManualClock,
    ann: Arc<Runtime>,
    /// The page token in Ann's keychain.
    token: Secret,
    _dir: tempfile::TempDir,
}

/// The sandbox's Facebook delivering the page's webhooks to the relay, and Ann's shared desktop
/// holding the page's token.
async fn setup() -> Setup {
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
    fn customer(&self, first_name: &str) -> String {
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
    async fn accept_the_chat(&self) -> String {
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

    async fn stop(self) {
        self.ann.shutdown().await;
        let _ = self.relay.stop.send(true);
        for task in self.relay.tasks {
            task.abort();
        }
        self.fb.sandbox.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_messenger_customer_is_answered_from_a_shared_desktop_within_the_window() {
    let s = setup().await;
    let (ann, control, clock) = (&s.ann, s.fb.sandbox.facebook(), &s.clock);
    let psid = s.customer("Maria");
    control
        .customer_writes(SUPPORT, &psid, "Hola, ¿dónde está mi pedido?")
        .unwrap();
    let chat = s.accept_the_chat().await;
    eventually(
        "the customer's name and picture come from the profile API",
        || async {
            ann.list_chats().await.unwrap()[0].contact_name == "Maria Doe"
                && ann
                    .read_chat(&chat)
                    .await
                    .unwrap()
                    .contact_picture
                    .is_some()
        },
    )
    .await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM messages WHERE kind = 'inbound'")
        .fetch_one(&s.db.owner)
        .await
        .unwrap();
    assert_eq!(stored, 1, "once");
    let detail = ann.read_chat(&chat).await.unwrap();
    let asked = detail
        .messages
        .iter()
        .find(|m| m.kind == MessageKind::Inbound)
        .unwrap();
    assert_eq!(asked.text, "Hola, ¿dónde está mi pedido?");
    assert_eq!(asked.author, "Maria Doe");
    let picture = detail
        .contact_picture
        .clone()
        .expect("the profile picture is kept");
    assert!(
        picture.starts_with("data:image/png;base64,"),
        "{picture:.40}"
    );
    let window = detail.window.expect("a Messenger chat has a window");
    assert_eq!(window.state, ReplyWindowState::Open);
    assert!(window.closes_at.is_some());

    let reply = ann.send_reply(&chat, "Está en camino.").await.unwrap();
    assert_eq!(reply.delivery, Some(DeliveryState::Pending));
    let sent = || control.sent_messenger_messages(SUPPORT);
    eventually("the page sends the reply", || async { !sent().is_empty() }).await;
    assert_eq!(sent()[0].text.as_deref(), Some("Está en camino."));
    assert_eq!(sent()[0].messaging_type, "RESPONSE");
    assert_eq!(sent()[0].recipient_id, psid);
    eventually("marked sent in Ann's cache", || async {
        ann.read_chat(&chat)
            .await
            .unwrap()
            .messages
            .iter()
            .any(|m| m.kind == MessageKind::Outbound && m.delivery == Some(DeliveryState::Sent))
    })
    .await;
    control.customer_reads(SUPPORT, &psid).unwrap();
    eventually("the read receipt reaches Ann's cache", || async {
        ann.read_chat(&chat)
            .await
            .unwrap()
            .messages
            .iter()
            .any(|m| m.kind == MessageKind::Outbound && m.read_at.is_some())
    })
    .await;
    let outbound = ann
        .read_chat(&chat)
        .await
        .unwrap()
        .messages
        .into_iter()
        .filter(|m| m.kind == MessageKind::Outbound)
        .count();
    assert_eq!(outbound, 1, "our own echo is not shown twice");

    // 25 hours later the window is closed: the composer says so and the reply is refused.
    clock.advance(25 * HOUR);
    control.advance_clock(Duration::from_secs(25 * 3600));
    let window = ann.read_chat(&chat).await.unwrap().window.unwrap();
    assert_eq!(window.state, ReplyWindowState::Closed);
    let refused = ann
        .send_reply(&chat, "Sorry for the wait")
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Conflict);
    assert!(
        refused
            .message
            .contains("Messenger allows replies only within 24 hours"),
        "{}",
        refused.message
    );
    assert_eq!(Some(refused.message), window.reason);

    // With the Human Agent tag on for the channel, an operator may still answer (7 days).
    ann.update_channel(
        CHANNEL,
        ChannelChanges {
            human_agent: Some(true),
            ..ChannelChanges::default()
        },
    )
    .await
    .unwrap();
    control.approve_human_agent(APP_ID, true);
    eventually("the window follows the channel's setting", || async {
        ann.read_chat(&chat).await.unwrap().window.unwrap().state == ReplyWindowState::HumanAgent
    })
    .await;
    ann.send_reply(&chat, "Sorry for the wait").await.unwrap();
    eventually("the tagged reply reaches Messenger", || async {
        sent().len() == 2
    })
    .await;
    assert_eq!(
        (sent()[1].messaging_type.as_str(), sent()[1].tag.as_deref()),
        ("MESSAGE_TAG", Some("HUMAN_AGENT"))
    );
    let card = ann.list_channels().await.unwrap().remove(0);
    assert_eq!(card.health, switchboard_ipc::ChannelHealthState::Running);

    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_go_both_ways_through_the_shared_database() {
    use base64::Engine as _;
    let s = setup().await;
    let (ann, control) = (&s.ann, s.fb.sandbox.facebook());
    let psid = s.customer("Ivo");
    control
        .customer_sends(
            SUPPORT,
            &psid,
            CustomerMessengerMessage {
                text: Some("this one".into()),
                attachments: vec![CustomerAttachment {
                    kind: switchboard_sandbox::AttachmentKind::Image,
                    bytes: Vec::new(),
                    file_name: None,
                    mime_type: None,
                    sticker_id: None,
                }],
                ..CustomerMessengerMessage::default()
            },
        )
        .unwrap();
    let chat = s.accept_the_chat().await;
    let photo = || async {
        ann.read_chat(&chat)
            .await
            .unwrap()
            .messages
            .into_iter()
            .find(|m| m.kind == MessageKind::Inbound)
            .and_then(|m| m.attachments.first().cloned())
    };
    eventually(
        "the page's holder downloads the customer's photo",
        || async {
            photo()
                .await
                .is_some_and(|a| a.state == AttachmentState::Stored)
        },
    )
    .await;
    let data = ann
        .read_attachment(&photo().await.unwrap().id)
        .await
        .unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&data.base64)
        .unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "the sandbox's picture");

    let pdf = b"%PDF-1.4 invoice for Ivo".to_vec();
    ann.send_file(SendFile {
        chat_id: chat.clone(),
        kind: AttachmentKind::Document,
        file_name: "invoice.pdf".into(),
        mime_type: Some("application/pdf".into()),
        base64: base64::engine::general_purpose::STANDARD.encode(&pdf),
        caption: "Here it is".into(),
    })
    .await
    .unwrap();
    let sent = || control.sent_messenger_messages(SUPPORT);
    eventually("the file and its text reach Messenger", || async {
        sent().len() == 2
    })
    .await;
    let id = sent()[0]
        .attachment_id
        .clone()
        .expect("sent by attachment id");
    assert_eq!(control.attachment_bytes(&id).unwrap(), pdf);
    assert_eq!(sent()[1].text.as_deref(), Some("Here it is"));
    eventually("marked sent in Ann's cache", || async {
        ann.read_chat(&chat)
            .await
            .unwrap()
            .messages
            .iter()
            .any(|m| m.kind == MessageKind::Outbound && m.delivery == Some(DeliveryState::Sent))
    })
    .await;
    s.stop().await;
}

/// Facebook Login on a desktop, walked as the shell would: the dialog, the redirect, the picker.
async fn picker(runtime: &Runtime, fb: &Fb, person: &Person<'_>) -> PagePicker {
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
fn sqlite_bytes(dir: &std::path::Path) -> Vec<u8> {
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
async fn rows_containing(owner: &PgPool, needle: &str) -> i64 {
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

fn token_key(channel: &str) -> SecretKey {
    SecretKey::channel_token(switchboard_runtime::shared::SHARED_WORKSPACE, channel)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_connects_pages_from_a_shared_desktop_whose_keychain_alone_keeps_their_tokens() {
    let fb = dialog::start().await;
    let db = bare_database().await;
    let clock = ManualClock::at(now_ms());
    let (ann_dir, bob_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ann_keychain, bob_keychain) = (MemorySecrets::default(), MemorySecrets::default());
    let ann = desktop(&db, &fb, ann_dir.path(), "ann", &ann_keychain, &clock).await;
    let bob = desktop(&db, &fb, bob_dir.path(), "bob", &bob_keychain, &clock).await;
    let app = FacebookSettingsUpdate {
        app_id: APP_ID.into(),
        app_secret: Some(APP_SECRET.into()),
        redirect_uri: None,
    };

    // An operator is refused in words: the app, page selection.
    let refused = bob.update_facebook_settings(app.clone()).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    assert!(
        refused.message.starts_with("Only an admin"),
        "{}",
        refused.message
    );
    let refused = bob.begin_facebook_login().await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    assert!(
        refused
            .message
            .starts_with("Only an admin (with the CanManageChats permission) can connect"),
        "{}",
        refused.message
    );

    // The admin fills in the app: its id for every desktop (and the relay), its secret here.
    let settings = ann.update_facebook_settings(app).await.unwrap();
    assert_eq!(settings.app_id, APP_ID);
    assert!(settings.app_secret_set);
    let app_id: String =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'FacebookAppId'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(app_id, APP_ID);
    assert_eq!(rows_containing(&db.owner, APP_SECRET).await, 0);
    let key = SecretKey::facebook_app_secret(switchboard_runtime::shared::SHARED_WORKSPACE);
    assert!(
        bob_keychain.get(&key).is_err(),
        "the app secret stays on Ann's desktop"
    );

    // Facebook Login: three pages offered, two connected.
    let offered = picker(&ann, &fb, &Person::admin_allowing_all()).await;
    let mut ids: Vec<&str> = offered.pages.iter().map(|p| p.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, [SUPPORT, SALES, JOBS]);
    assert!(
        offered
            .pages
            .iter()
            .all(|p| p.connected_channel_id.is_none())
    );
    let results = ann
        .connect_facebook_pages(ConnectPages {
            login_id: offered.login_id.clone(),
            page_ids: vec![SUPPORT.into(), SALES.into()],
        })
        .await
        .unwrap();
    assert!(
        results
            .iter()
            .all(|r| r.error.is_none() && !r.refreshed && r.channel.is_some()),
        "{results:?}"
    );
    let channels: Vec<(String, String, bool, String)> = sqlx::query_as(
        "SELECT id, name, active, external_id FROM channels WHERE provider = 'messenger'
         ORDER BY name",
    )
    .fetch_all(&db.owner)
    .await
    .unwrap();
    let named: Vec<(&str, bool, &str)> = channels
        .iter()
        .map(|(_, name, active, page)| (name.as_str(), *active, page.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            ("Acme Sales", false, SALES),
            ("Acme Support", false, SUPPORT)
        ],
        "inactive channels named after the pages, in Postgres"
    );
    for page in [SUPPORT, SALES] {
        assert_eq!(fb.sandbox.facebook().subscriptions(page).unwrap().len(), 1);
    }
    eventually("Bob's cache has both pages", || async {
        let mut names: Vec<String> = bob
            .list_channels()
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        names.sort_unstable();
        names == ["Acme Sales", "Acme Support"]
    })
    .await;

    // The tokens: in Ann's keychain only; nowhere in Postgres, in any SQLite file or over IPC.
    let (support, sales) = (channels[1].0.clone(), channels[0].0.clone());
    let mut tokens = Vec::new();
    for channel in [&support, &sales] {
        let token = ann_keychain
            .get(&token_key(channel))
            .expect("the page token is in Ann's keychain");
        assert!(bob_keychain.get(&token_key(channel)).is_err());
        tokens.push(token);
    }
    let files = [sqlite_bytes(ann_dir.path()), sqlite_bytes(bob_dir.path())];
    assert!(files.iter().all(|bytes| !bytes.is_empty()));
    for token in &tokens {
        assert_eq!(
            rows_containing(&db.owner, token).await,
            0,
            "not in Postgres"
        );
        for bytes in &files {
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "not in SQLite"
            );
        }
        assert!(
            !serde_json::to_string(&results)
                .unwrap()
                .contains(token.as_str())
        );
    }

    // Running the flow again refreshes the token on this desktop and creates nothing.
    let again = picker(&ann, &fb, &Person::admin_allowing_all()).await;
    let connected = |page: &str| {
        again
            .pages
            .iter()
            .find(|p| p.id == page)
            .unwrap()
            .connected_channel_id
            .clone()
    };
    assert_eq!(connected(SUPPORT), Some(support.clone()));
    assert_eq!(connected(SALES), Some(sales.clone()));
    assert_eq!(connected(JOBS), None);
    let refreshed = ann
        .connect_facebook_pages(ConnectPages {
            login_id: again.login_id,
            page_ids: vec![SUPPORT.into()],
        })
        .await
        .unwrap();
    assert!(
        refreshed[0].refreshed && refreshed[0].error.is_none(),
        "{refreshed:?}"
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM channels")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(count, 2, "no duplicate");
    assert!(ann_keychain.get(&token_key(&support)).is_ok());

    // Switched on, the page is worked for by Ann's desktop, the one with its token; Bob's card
    // says his desktop has no token.
    ann.update_channel(
        &support,
        ChannelChanges {
            active: Some(true),
            ..ChannelChanges::default()
        },
    )
    .await
    .unwrap();
    eventually("Ann's desktop holds the page's lease", || async {
        db.lease_held(&support).await
    })
    .await;
    let card = |channels: Vec<switchboard_ipc::ChannelView>| {
        channels.into_iter().find(|c| c.id == support).unwrap()
    };
    assert_eq!(
        card(ann.list_channels().await.unwrap()).health,
        ChannelHealthState::Running
    );
    eventually(
        "Bob's card says the token is not on his desktop",
        || async {
            card(bob.list_channels().await.unwrap()).problem == Some(ChannelProblem::Keychain)
        },
    )
    .await;

    ann.shutdown().await;
    bob.shutdown().await;
    fb.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_a_bot_holds_is_taken_over_from_a_shared_desktop_and_routed() {
    let s = setup().await;
    let (ann, control) = (&s.ann, s.fb.sandbox.facebook());
    eventually("Ann's desktop holds the page's lease", || async {
        s.db.lease_held(CHANNEL).await
    })
    .await;
    let psid = s.customer("Lena");
    control
        .bot_holds_thread(SUPPORT, &psid, "555000111")
        .unwrap();
    control
        .customer_writes(SUPPORT, &psid, "I want to talk to the bot")
        .unwrap();
    eventually("the bot's chat reaches Ann's cache", || async {
        ann.list_chats().await.unwrap().len() == 1
    })
    .await;
    let chat = ann.list_chats().await.unwrap().remove(0);
    assert_eq!(
        (
            chat.state,
            chat.operator_name.as_deref(),
            chat.offered_to_me
        ),
        (ChatState::Bot, None, false)
    );

    // Postgres's rule: only an operator of the chat's queue takes it over (Carl is in none).
    let carl = s.db.login("carl").await;
    let outcome: String = sqlx::query_scalar(
        "SELECT sb_apply($1, 'take_thread', jsonb_build_object('chat', $2))::TEXT",
    )
    .bind(switchboard_engine::domain::new_id())
    .bind(&chat.id)
    .fetch_one(&carl)
    .await
    .unwrap();
    let outcome: serde_json::Value = serde_json::from_str(&outcome).unwrap();
    assert_eq!(outcome["applied"], false);
    assert_eq!(
        outcome["message"],
        "Only an operator of this chat's queue can take it over from the bot."
    );
    // …and the lease holder's functions are fenced: Carl's desktop holds no lease.
    let fenced = sqlx::query("SELECT sb_messenger_thread_requests($1, 'carl-desktop', 1, 10)")
        .bind(CHANNEL)
        .execute(&carl)
        .await
        .unwrap_err();
    assert_eq!(
        fenced.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("SB009")
    );
    carl.close().await;

    // Ann takes it over: the lease holder takes the thread, the chat enters routing.
    ann.take_thread(&chat.id).await.unwrap();
    eventually("the chat is offered to Ann", || async {
        ann.list_chats()
            .await
            .unwrap()
            .first()
            .is_some_and(|c| c.id == chat.id && c.offered_to_me)
    })
    .await;
    assert_eq!(
        control.thread_owner(SUPPORT, &psid).as_deref(),
        Some(APP_ID),
        "Switchboard holds the thread"
    );
    let lines = |detail: switchboard_ipc::ChatDetail| -> Vec<String> {
        detail
            .messages
            .into_iter()
            .filter(|m| m.kind == MessageKind::System)
            .map(|m| m.text)
            .collect()
    };
    assert!(
        lines(ann.read_chat(&chat.id).await.unwrap())
            .contains(&"Conversation taken over from the bot by Ann".to_owned())
    );
    let again = ann.take_thread(&chat.id).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::Conflict, "no longer a bot's");

    // Accepted, answered, and given back to Page Inbox: the chat is completed.
    ann.accept_chat(&chat.id).await.unwrap();
    eventually("the chat is Ann's", || async {
        ann.read_chat(&chat.id).await.unwrap().chat.state == ChatState::Active
    })
    .await;
    ann.pass_thread_back(&chat.id).await.unwrap();
    eventually("the chat is completed", || async {
        ann.read_chat(&chat.id).await.unwrap().chat.state == ChatState::Completed
    })
    .await;
    assert_eq!(
        control.thread_owner(SUPPORT, &psid).as_deref(),
        Some("263902037430900"),
        "Page Inbox holds the thread"
    );
    assert!(
        lines(ann.read_chat(&chat.id).await.unwrap())
            .contains(&"Conversation given back to Page Inbox by Ann".to_owned())
    );
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM messenger_thread_requests")
        .fetch_one(&s.db.owner)
        .await
        .unwrap();
    assert_eq!(waiting, 0);

    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_page_token_shows_on_the_card_and_its_desktop_lets_go_of_the_page() {
    let s = setup().await;
    let ann = &s.ann;
    eventually("Ann's desktop holds the page's lease", || async {
        s.db.lease_held(CHANNEL).await
    })
    .await;
    // The app secret on Ann's desktop: the token is checked (debug_token), and it is alive.
    ann.update_facebook_settings(FacebookSettingsUpdate {
        app_id: APP_ID.into(),
        app_secret: Some(APP_SECRET.into()),
        redirect_uri: None,
    })
    .await
    .unwrap();
    let card = || async { ann.list_channels().await.unwrap().remove(0) };
    assert_eq!(card().await.health, ChannelHealthState::Running);

    // Revoked at Facebook: "Try again" checks it at once (as the daily check would).
    s.fb.sandbox
        .facebook()
        .revoke_token(s.token.expose())
        .unwrap();
    ann.restart_channel(CHANNEL).await.unwrap();
    eventually("the card shows the dead token", || async {
        card().await.problem == Some(ChannelProblem::TokenRejected)
    })
    .await;
    let reason = card().await.health_reason.unwrap();
    assert!(
        reason.ends_with("Reconnect the page: Chat settings → Channels → Add → Facebook."),
        "{reason}"
    );
    eventually(
        "the page's lease is free for a desktop whose token works",
        || async { !s.db.lease_held(CHANNEL).await },
    )
    .await;

    s.stop().await;
}
