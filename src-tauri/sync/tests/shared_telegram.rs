//! Connector ownership end to end, headless: two desktop processes run the shared Telegram poller
//! for one bot against the sandbox; only the lease holder polls. The holder is SIGKILLed while
//! customers keep writing; the other desktop takes over from the stored offset and every customer
//! message is stored exactly once.

mod shared_db;

use std::process::Stdio;
use std::str::FromStr;
use std::time::{Duration, Instant};

use shared_db::SharedDb;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use switchboard_sandbox::{CustomerEdit, CustomerMessage, Sandbox, SandboxConfig};
use switchboard_sync::telegram::{PollerConfig, PollerState};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, Command};

const TOKEN: &str = "7000001:shared-poller-token";
const CHILD_ENV: &str = "SWITCHBOARD_SHARED_POLLER_CHILD";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_desktops_bot_is_taken_over_with_no_message_lost_or_doubled() {
    let db = SharedDb::create("to_all").await;
    db.operator("ann").await;
    db.operator("bob").await;
    let sandbox = Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        telegram_bots: vec![TOKEN.into()],
        simulate_customers: false,
    })
    .await
    .unwrap();
    let base = sandbox.base_url();

    let (mut ann, mut ann_log) = desktop(&db, "ann", &base).await;
    wait_for_line(&mut ann_log, "Polling").await;
    let (mut bob, mut bob_log) = desktop(&db, "bob", &base).await;
    wait_for_line(&mut bob_log, "Standby").await;

    let write = |from: i64, to: i64| {
        for i in from..to {
            sandbox
                .telegram()
                .customer_writes(
                    TOKEN,
                    CustomerMessage {
                        user_id: 100 + i % 7,
                        first_name: format!("Customer {}", i % 7),
                        last_name: None,
                        username: None,
                        text: format!("message {i}"),
                    },
                )
                .unwrap();
        }
    };
    write(0, 20);
    stored_reaches(&db, 20).await;

    ann.kill().await.unwrap();
    let killed = Instant::now();
    // Customers go on writing while nobody polls the bot.
    write(20, 40);
    wait_for_line(&mut bob_log, "Polling").await;
    let took_over = killed.elapsed();
    stored_reaches(&db, 40).await;
    println!(
        "Bob's desktop took over the bot {:.1} s after Ann's was killed (lease policy: {:?})",
        took_over.as_secs_f64(),
        PollerConfig::default().lease
    );

    let (total, distinct): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT provider_key) FROM messages WHERE kind = 'inbound'",
    )
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!((total, distinct), (40, 40));
    let texts: Vec<String> = sqlx::query_scalar(
        "SELECT text FROM messages WHERE kind = 'inbound' ORDER BY created_at, provider_key",
    )
    .fetch_all(&db.owner)
    .await
    .unwrap();
    let mut expected: Vec<String> = (0..40).map(|i| format!("message {i}")).collect();
    let mut got = texts.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    let chats: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chats")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(chats, 7, "one chat per customer");
    bob.kill().await.unwrap();
    sandbox.shutdown().await;
}

async fn stored_reaches(db: &SharedDb, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stored: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE kind = 'inbound'")
                .fetch_one(&db.owner)
                .await
                .unwrap();
        if stored >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {stored} of {n} messages stored"
        );
        // Polling the database for a count, bounded by the deadline above.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn desktop(db: &SharedDb, who: &str, base: &str) -> (Child, Lines<BufReader<ChildStderr>>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "shared_poller_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{}\n{who}\n{base}", db.name))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let log = BufReader::new(child.stderr.take().unwrap()).lines();
    (child, log)
}

async fn wait_for_line(log: &mut Lines<BufReader<ChildStderr>>, wanted: &str) {
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = log.next_line().await.unwrap() {
            if line.contains(wanted) {
                return;
            }
        }
        panic!("the desktop process ended before saying {wanted:?}");
    })
    .await;
    assert!(found.is_ok(), "no {wanted:?} from the desktop in 60 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_written_on_one_desktop_goes_out_through_the_desktop_holding_the_bot() {
    let db = SharedDb::create("to_all").await;
    db.operator("ann").await;
    db.operator("bob").await;
    let sandbox = Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        telegram_bots: vec![TOKEN.into()],
        simulate_customers: false,
    })
    .await
    .unwrap();
    // Ann's desktop holds the bot.
    let options = db
        .server
        .clone()
        .database(&db.name)
        .username(&db.role_of("ann"))
        .password(shared_db::PASSWORD);
    let ann_pg = PgPoolOptions::new()
        .max_connections(3)
        .connect_with(options)
        .await
        .unwrap();
    let api = switchboard_telegram::BotApi::new(&sandbox.base_url(), TOKEN).unwrap();
    let mut poller = switchboard_sync::telegram::start(
        ann_pg,
        "tg".into(),
        "ann-1".into(),
        api,
        PollerConfig::default(),
    );
    poller
        .state
        .wait_for(|s| matches!(s, PollerState::Polling { .. }))
        .await
        .unwrap();
    let customer = |text: &str| -> serde_json::Value {
        sandbox
            .telegram()
            .customer_writes(
                TOKEN,
                CustomerMessage {
                    user_id: 42,
                    first_name: "Dana".into(),
                    last_name: None,
                    username: None,
                    text: text.into(),
                },
            )
            .unwrap()
    };
    let update = customer("Hi, my order is late");
    stored_reaches(&db, 1).await;
    // The customer corrects it: the stored text follows, marked edited (no second message).
    sandbox
        .telegram()
        .customer_edits(
            TOKEN,
            CustomerEdit {
                user_id: 42,
                message_id: update["message"]["message_id"].as_i64().unwrap(),
                text: "Hi, my order #12 is late".into(),
            },
        )
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (text, edited): (String, Option<i64>) =
            sqlx::query_as("SELECT text, edited_at FROM messages")
                .fetch_one(&db.owner)
                .await
                .unwrap();
        if edited.is_some() {
            assert_eq!(text, "Hi, my order #12 is late");
            break;
        }
        assert!(Instant::now() < deadline, "the edit never reached Postgres");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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

    // Bob, on his own desktop, accepts and answers: a short reply and one of two parts.
    let mut bob = db.desktop_of("bob").await;
    let long = "x".repeat(5000);
    for (kind, text) in [
        ("accept", None),
        ("send", Some("Hello from Bob")),
        ("send", Some(long.as_str())),
    ] {
        let mut args = serde_json::json!({"chat": chat});
        if let Some(text) = text {
            args["text"] = text.into();
        }
        sqlx::query("SELECT sb_apply($1, $2, $3::JSONB)")
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(kind)
            .bind(args.to_string())
            .execute(&mut bob)
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while sandbox.telegram().sent_messages(TOKEN).len() < 3 {
        assert!(
            Instant::now() < deadline,
            "the replies did not reach Telegram"
        );
        // Polling the sandbox's record, bounded by the deadline above.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sent = sandbox.telegram().sent_messages(TOKEN);
    let texts: Vec<&str> = sent.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts[0], "Hello from Bob");
    assert_eq!(
        texts[1].len() + texts[2].len(),
        5000,
        "the long reply in two parts"
    );
    assert!(sent.iter().all(|m| m.chat_id == 42));
    wait_for_delivery(&db, "sent", 2).await;
    let keys: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT provider_key FROM messages WHERE kind = 'outbound' ORDER BY created_at",
    )
    .fetch_all(&db.owner)
    .await
    .unwrap();
    assert!(
        keys.iter()
            .all(|k| k.as_deref().is_some_and(|k| k.starts_with("42/"))),
        "{keys:?}"
    );

    // The customer blocked the bot: the next reply fails with a sentence, nothing is retried.
    sandbox
        .telegram()
        .inject_fault(
            TOKEN,
            switchboard_sandbox::Fault {
                method: "sendMessage".into(),
                error_code: 403,
                description: "Forbidden: bot was blocked by the user".into(),
                retry_after: None,
                times: 1,
            },
        )
        .unwrap();
    sqlx::query("SELECT sb_apply($1, 'send', $2::JSONB)")
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(serde_json::json!({"chat": chat, "text": "Are you there?"}).to_string())
        .execute(&mut bob)
        .await
        .unwrap();
    wait_for_delivery(&db, "failed", 1).await;
    let reason: String =
        sqlx::query_scalar("SELECT failure_reason FROM messages WHERE delivery = 'failed'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert!(reason.contains("blocked the bot"), "{reason}");
    poller.stop().await;
    sandbox.shutdown().await;
}

async fn wait_for_delivery(db: &SharedDb, delivery: &str, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE kind = 'outbound' AND delivery = $1",
        )
        .bind(delivery)
        .fetch_one(&db.owner)
        .await
        .unwrap();
        if count >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{count} of {n} replies {delivery}"
        );
        // Polling the database for a count, bounded by the deadline above.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One desktop: the shared poller as this operator, reporting its state on stderr.
#[tokio::test]
#[ignore = "run by the takeover test as its child process"]
async fn shared_poller_child() {
    let Ok(config) = std::env::var(CHILD_ENV) else {
        return;
    };
    let [name, who, base]: [&str; 3] = config
        .split('\n')
        .collect::<Vec<_>>()
        .try_into()
        .expect("database, operator, sandbox URL");
    let url = std::env::var("SWITCHBOARD_TEST_PG_URL").unwrap();
    let options = PgConnectOptions::from_str(&url)
        .unwrap()
        .database(name)
        .username(&format!("{name}_{who}"))
        .password(shared_db::PASSWORD);
    let pg = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .unwrap();
    let api = switchboard_telegram::BotApi::new(base, TOKEN).unwrap();
    let holder = format!("{who}-{}", std::process::id());
    let mut poller =
        switchboard_sync::telegram::start(pg, "tg".into(), holder, api, PollerConfig::default());
    loop {
        let state = poller.state.borrow_and_update().clone();
        match state {
            PollerState::Polling { fencing } => eprintln!("Polling with token {fencing}"),
            other => eprintln!("{other:?}"),
        }
        if poller.state.changed().await.is_err() {
            return;
        }
    }
}
