//! Two operators' desktops on one Postgres, headless, with the relay's router and the sandbox's
//! bots: a `to_all` offer vanishes from Bob's panel when Ann accepts; Bob sees Ann's reply in the
//! history, sent by whichever desktop holds the bot; `freest` goes to the operator with fewer
//! chats; a desktop that stops hands its bots over at once.

mod shared_db;

use std::sync::Arc;
use std::time::{Duration, Instant};

use shared_db::SharedDb;
use sqlx::SqlitePool;
use switchboard_engine::clock::SystemClock;
use switchboard_sandbox::{CustomerMessage, Sandbox, SandboxConfig};
use switchboard_sync::desktop::{DesktopConfig, SharedDesktop, check_login};
use switchboard_sync::follower::FollowerConfig;
use switchboard_sync::outbox::Change;
use switchboard_sync::router::{RouterClock, SharedRouter};
use switchboard_sync::telegram::{PollerConfig, PollerState};

const SUPPORT_BOT: &str = "7100001:support-bot-token";
const SALES_BOT: &str = "7100002:sales-bot-token";

async fn desktop(
    db: &SharedDb,
    who: &str,
    dir: &std::path::Path,
    sandbox: &Sandbox,
) -> SharedDesktop {
    let database = db
        .server
        .clone()
        .database(&db.name)
        .username(&db.role_of(who))
        .password(shared_db::PASSWORD);
    let login = check_login(&database).await.unwrap();
    assert_eq!(login.me.name, who);
    assert!(!login.is_admin);
    let config = DesktopConfig {
        cache_file: dir.join(format!("{who}.sqlite")),
        database,
        holder_id: format!("{who}-desktop"),
        me: login.me,
        follower: FollowerConfig {
            batch_size: 500,
            safety_net: Duration::from_secs(1),
            held_back_retry: Duration::from_millis(20),
        },
        poller: PollerConfig {
            long_poll: Duration::from_secs(1),
            ..PollerConfig::default()
        },
        outbox_retry: Duration::from_millis(200),
    };
    let desktop = SharedDesktop::start(config, Arc::new(SystemClock))
        .await
        .unwrap();
    for (channel, token) in [("tg", SUPPORT_BOT), ("tg2", SALES_BOT)] {
        let api = switchboard_telegram::BotApi::new(&sandbox.base_url(), token).unwrap();
        desktop.add_bot(channel, api);
    }
    desktop
}

/// Waits until the desktop's panel answers `sql` with `want` (the cache follows Postgres).
async fn panel_shows(panel: &SqlitePool, sql: &'static str, want: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(panel).await.unwrap();
        if rows == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{sql} shows {rows:?}, not {want:?}"
        );
        // Polling the cache, bounded by the deadline above.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_desktops_share_the_offers_the_history_and_the_bots() {
    let db = SharedDb::create("to_all").await;
    for sql in [
        "INSERT INTO queues (id, name, rule) VALUES ('q2', 'Sales', 'freest')",
        "INSERT INTO channels (id, provider, name, queue_id, api_base, external_id, created_at)
         VALUES ('tg2', 'telegram', 'Sales bot', 'q2', 'http://127.0.0.1:1', '2', 0)",
    ] {
        sqlx::query(sql).execute(&db.owner).await.unwrap();
    }
    for who in ["ann", "bob"] {
        let user = db.operator(who).await;
        sqlx::query("INSERT INTO queue_operators (queue_id, user_id) VALUES ('q2', $1)")
            .bind(user)
            .execute(&db.owner)
            .await
            .unwrap();
    }
    let sandbox = Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        telegram_bots: vec![SUPPORT_BOT.into(), SALES_BOT.into()],
        simulate_customers: false,
    })
    .await
    .unwrap();
    // The relay's router, next to Postgres.
    let (stop_router, stopped) = tokio::sync::watch::channel(false);
    let router = SharedRouter::new(db.owner.clone(), RouterClock::Database);
    let routing = tokio::spawn(router.run(
        Duration::from_millis(500),
        stopped,
        tokio::sync::watch::channel(0).0,
    ));
    let dir = tempfile::tempdir().unwrap();
    let ann = desktop(&db, "ann", dir.path(), &sandbox).await;
    let bob = desktop(&db, "bob", dir.path(), &sandbox).await;

    let write = |token: &str, user: i64, text: &str| {
        sandbox
            .telegram()
            .customer_writes(
                token,
                CustomerMessage {
                    user_id: user,
                    first_name: format!("Customer {user}"),
                    last_name: None,
                    username: None,
                    text: text.into(),
                },
            )
            .unwrap();
    };

    // to_all: offered on both desktops; Ann accepts; it vanishes from Bob's panel.
    write(SUPPORT_BOT, 41, "Where is my parcel?");
    let offers = "SELECT user_id FROM chat_offers ORDER BY user_id";
    panel_shows(&ann.panel, offers, &["u-ann", "u-bob"]).await;
    panel_shows(&bob.panel, offers, &["u-ann", "u-bob"]).await;
    let chat: String = sqlx::query_scalar("SELECT id FROM chats")
        .fetch_one(&ann.panel)
        .await
        .unwrap();
    ann.outbox
        .push(Change::Accept { chat: chat.clone() })
        .await
        .unwrap();
    panel_shows(&bob.panel, offers, &[]).await;
    panel_shows(&bob.panel, "SELECT operator_id FROM chats", &["u-ann"]).await;

    // Ann answers; Bob sees it in the history, sent by whichever desktop holds the bot.
    ann.outbox
        .push(Change::Send {
            chat: chat.clone(),
            text: "It ships today.".into(),
        })
        .await
        .unwrap();
    panel_shows(
        &bob.panel,
        "SELECT text || ' ' || delivery FROM messages WHERE kind = 'outbound'",
        &["It ships today. sent"],
    )
    .await;
    let sent = sandbox.telegram().sent_messages(SUPPORT_BOT);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].chat_id, sent[0].text.as_str()),
        (41, "It ships today.")
    );

    // freest: Ann has one chat, Bob none: the sales customer is offered to Bob.
    write(SALES_BOT, 77, "I want to buy");
    panel_shows(
        &ann.panel,
        "SELECT o.user_id FROM chat_offers o JOIN chats c ON c.id = o.chat_id WHERE c.queue_id = 'q2'",
        &["u-bob"],
    )
    .await;

    // Whoever polls the support bot stops its desktop: the other takes the bot over at once
    // (a stopped desktop releases its leases), and the next customer's message arrives.
    let support_holder = if matches!(
        *ann.bot_state("tg").unwrap().borrow(),
        PollerState::Polling { .. }
    ) {
        "ann"
    } else {
        "bob"
    };
    let (leaving, staying) = if support_holder == "ann" {
        (ann, bob)
    } else {
        (bob, ann)
    };
    leaving.stop().await;
    let mut state = staying.bot_state("tg").unwrap();
    tokio::time::timeout(
        Duration::from_secs(15),
        state.wait_for(|s| matches!(s, PollerState::Polling { .. })),
    )
    .await
    .expect("the staying desktop polls the support bot")
    .unwrap();
    write(SUPPORT_BOT, 42, "Hello?");
    panel_shows(
        &staying.panel,
        "SELECT text FROM messages WHERE kind = 'inbound' ORDER BY text",
        &["Hello?", "I want to buy", "Where is my parcel?"],
    )
    .await;

    staying.stop().await;
    let _ = stop_router.send(true);
    routing.await.unwrap().unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_login_is_checked_in_words() {
    let db = SharedDb::create("to_all").await;
    db.operator("ann").await;
    let ann = db
        .server
        .clone()
        .database(&db.name)
        .username(&db.role_of("ann"));
    let wrong = check_login(&ann.clone().password("not the password"))
        .await
        .unwrap_err();
    assert_eq!(
        wrong.to_string(),
        "The shared database refused this user name or password."
    );
    let missing = check_login(
        &ann.clone()
            .password(shared_db::PASSWORD)
            .database("t_nothing_here"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        missing.to_string(),
        "There is no such database on the server."
    );
    // The harness's superuser is no operator of this workspace.
    let owner = check_login(&db.server.clone().database(&db.name))
        .await
        .unwrap_err();
    assert!(
        owner.to_string().contains("not a Switchboard operator"),
        "{owner}"
    );
    let unreachable = check_login(&ann.clone().password(shared_db::PASSWORD).port(1))
        .await
        .unwrap_err();
    assert!(
        unreachable.to_string().contains("cannot be reached"),
        "{unreachable}"
    );
    let ok = check_login(&ann.password(shared_db::PASSWORD))
        .await
        .unwrap();
    assert_eq!(ok.me.user_id, "u-ann");
    assert!(
        ok.server_version.starts_with("PostgreSQL "),
        "{}",
        ok.server_version
    );
    // TLS whenever the server offers it (the test harness's cluster does, as servers do).
    let offered: String = sqlx::query_scalar("SHOW ssl")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(ok.encrypted, offered == "on", "server ssl = {offered}");
    if std::env::var_os("SWITCHBOARD_TEST_PG_TLS").is_some() {
        assert!(ok.encrypted, "the harness's cluster offers TLS");
    }
}

#[tokio::test]
async fn a_desktop_opened_while_the_database_is_down_shows_its_cache_and_queues_changes() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = sqlx::postgres::PgConnectOptions::new()
        .host("127.0.0.1")
        .port(1)
        .username("ann")
        .password("x")
        .database("switchboard");
    let config = DesktopConfig {
        cache_file: dir.path().join("cache.sqlite"),
        database: nowhere,
        holder_id: "ann-desktop".into(),
        me: switchboard_sync::outbox::Me {
            user_id: "u-ann".into(),
            name: "Ann".into(),
        },
        follower: FollowerConfig::default(),
        poller: PollerConfig::default(),
        outbox_retry: Duration::from_millis(100),
    };
    let mut desktop = SharedDesktop::start(config, Arc::new(SystemClock))
        .await
        .unwrap();
    let id = desktop
        .outbox
        .push(Change::Status { active: false })
        .await
        .unwrap();
    let offline = tokio::time::timeout(
        Duration::from_secs(10),
        desktop
            .connection
            .wait_for(|c| matches!(c, switchboard_sync::outbox::Connection::Offline { .. })),
    )
    .await
    .expect("the desktop says it is offline")
    .unwrap()
    .clone();
    assert!(
        format!("{offline:?}").contains("cannot be reached"),
        "{offline:?}"
    );
    let (state, _) = desktop.outbox.entry(&id).await.unwrap().unwrap();
    assert_eq!(state, "pending");
    let chats: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chats")
        .fetch_one(&desktop.panel)
        .await
        .unwrap();
    assert_eq!(chats, 0, "the (empty) cache is readable");
    desktop.stop().await;
}
