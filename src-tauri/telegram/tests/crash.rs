//! The connector process is killed between receiving updates and committing
//! them (and, separately, right after committing); on restart nothing is lost
//! or repeated.
//!
//! The test binary runs itself as the child (`crash_child`, selected by an
//! environment variable) so the kill is a real SIGKILL of a real process. To
//! stop the child exactly between getUpdates and the commit without hooks in
//! shipped code, the parent holds SQLite's write lock (`BEGIN IMMEDIATE` on
//! its own connection): the child receives the batch, logs it, and cannot
//! commit (it retries, then would back off and poll the same batch again).
//! The parent kills it on that log line — no sleeps.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{Fixture, TOKEN};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use switchboard_engine::clock::{Clock, SystemClock};
use switchboard_engine::store::Store;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, Command};

const CHILD_ENV: &str = "SWITCHBOARD_TELEGRAM_CRASH_CHILD";

#[tokio::test]
async fn killed_between_receiving_and_committing_loses_and_repeats_nothing() {
    let fx = Fixture::real_time().await;
    let texts = customer_writes_three(&fx);
    let (mut child, mut log) = start_child(&fx).await;
    let mut lock = write_lock(&fx.dir.path().join("db.sqlite")).await;
    go(&mut child).await;
    wait_for_line(&mut log, "received updates").await;
    kill(&mut child).await;
    // The batch was handed out but never committed: neither the messages nor
    // the offset are in the store, so Telegram still holds the updates.
    assert!(fx.inbound().await.is_empty());
    assert_eq!(
        fx.store.telegram_offset(&fx.channel.id).await.unwrap(),
        None
    );
    sqlx::raw_sql("ROLLBACK").execute(&mut lock).await.unwrap();
    lock.close().await.unwrap();

    restart_and_check(&fx, &texts).await;
}

#[tokio::test]
async fn killed_after_committing_before_confirming_repeats_nothing() {
    let fx = Fixture::real_time().await;
    let texts = customer_writes_three(&fx);
    let (mut child, mut log) = start_child(&fx).await;
    go(&mut child).await;
    wait_for_line(&mut log, "stored updates").await;
    kill(&mut child).await;
    assert_eq!(fx.inbound_texts().await, texts);

    // Telegram may redeliver the batch if the child did not poll again; the
    // stored offset skips it.
    restart_and_check(&fx, &texts).await;
}

/// The child: runs the connector against the database and sandbox the parent
/// names, until it is killed. Ignored in normal runs.
#[tokio::test]
#[ignore = "run by the crash tests as their child process"]
async fn crash_child() {
    let Ok(config) = std::env::var(CHILD_ENV) else {
        return;
    };
    let [db, base_url, channel_id]: [&str; 3] = config
        .split('\n')
        .collect::<Vec<_>>()
        .try_into()
        .expect("db, base url, channel id");
    tracing_subscriber::fmt()
        .with_env_filter("switchboard_telegram=debug")
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let store = Store::open(Path::new(db), SystemClock.now()).await.unwrap();
    let channel = store.channel(channel_id).await.unwrap();
    eprintln!("child ready");
    // The parent may take the write lock now; it says when to start polling.
    let mut go = String::new();
    let stdin = tokio::io::stdin();
    BufReader::new(stdin).read_line(&mut go).await.unwrap();
    let (changes, _changed) = tokio::sync::broadcast::channel(16);
    let starting = switchboard_engine::domain::ChannelHealth::Starting;
    let (health, _health) = tokio::sync::watch::channel(starting);
    let _tasks = switchboard_telegram::spawn(switchboard_telegram::ChannelContext {
        store,
        channel,
        api: switchboard_telegram::BotApi::new(base_url, TOKEN).unwrap(),
        clock: std::sync::Arc::new(SystemClock),
        changes,
        health,
        outbox: Default::default(),
        files: Default::default(),
        cancel: Default::default(),
    });
    std::future::pending::<()>().await;
}

fn customer_writes_three(fx: &Fixture) -> Vec<String> {
    let texts: Vec<String> = ["one", "two", "three"].map(String::from).to_vec();
    for text in &texts {
        fx.customer_writes(42, text);
    }
    texts
}

async fn start_child(fx: &Fixture) -> (Child, Lines<BufReader<ChildStderr>>) {
    let db = fx.dir.path().join("db.sqlite");
    let config = format!(
        "{}\n{}\n{}",
        db.display(),
        fx.sandbox.base_url(),
        fx.channel.id
    );
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, config)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut log = BufReader::new(child.stderr.take().unwrap()).lines();
    wait_for_line(&mut log, "child ready").await;
    (child, log)
}

async fn go(child: &mut Child) {
    let stdin = child.stdin.as_mut().unwrap();
    stdin.write_all(b"go\n").await.unwrap();
    stdin.flush().await.unwrap();
}

/// Holds SQLite's write lock until the returned connection rolls back.
async fn write_lock(db: &Path) -> SqliteConnection {
    let options = SqliteConnectOptions::new().filename(db);
    let mut connection = SqliteConnection::connect_with(&options).await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut connection)
        .await
        .unwrap();
    connection
}

async fn wait_for_line(log: &mut Lines<BufReader<ChildStderr>>, marker: &str) {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = log.next_line().await.unwrap() {
            let hit = line.contains(marker);
            seen.push(line);
            if hit {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        found == Ok(true),
        "the child never logged {marker:?}; it logged:\n{}",
        seen.join("\n")
    );
}

async fn kill(child: &mut Child) {
    child.start_kill().unwrap(); // SIGKILL: no destructor, no rollback, no goodbye
    child.wait().await.unwrap();
}

/// Restarts the connector in-process: every message is stored exactly once,
/// Telegram's queue is confirmed, and the stored offset is past the batch.
async fn restart_and_check(fx: &Fixture, texts: &[String]) {
    let running = fx.start();
    fx.wait_for_inbound(texts.len()).await;
    // The next long poll confirms everything stored.
    fx.tg().wait_for_long_poll(TOKEN).await.unwrap();
    assert_eq!(fx.tg().pending_update_count(TOKEN).unwrap(), 0);
    running.stop().await;
    assert_eq!(fx.inbound_texts().await, texts);
    let offset = fx.store.telegram_offset(&fx.channel.id).await.unwrap();
    let last = fx.customer_writes(42, "after");
    let last_id = last["update_id"].as_i64().unwrap();
    assert_eq!(offset, Some(last_id), "the offset is just past the batch");
}
