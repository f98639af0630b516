//! Connector leases (migration 0008) on a real Postgres: one holder per bot among racing
//! desktops, renewal, takeover after expiry with a larger fencing token that shuts the old holder
//! out, release, bad input, what an operator's own login role may do, and a real process killed
//! with SIGKILL whose bot another process takes over from the stored offset.
//!
//! Tests that need a lease to expire use the shortest lease (1000 ms) and wait on the database's
//! own verdict (`expires_at <= sb_now_ms()`), never a fixed sleep.

mod common;

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgPool;
use sqlx::{Connection, PgConnection, PgExecutor};
use switchboard_sync::lease::{LeaseEvent, LeaseHolder, LeasePolicy};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::Barrier;

const CHANNEL: &str = "ch";
const SHORTEST: i64 = 1000;
const LONG: i64 = 60_000;
const NOT_HELD: &str = "SB009";
const BAD_INPUT: &str = "SB008";
const PERMISSION_DENIED: &str = "42501";

async fn acquire<'e>(
    pg: impl PgExecutor<'e>,
    holder: &str,
    ttl_ms: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT sb_acquire_lease($1, $2, $3)")
        .bind(CHANNEL)
        .bind(holder)
        .bind(ttl_ms)
        .fetch_one(pg)
        .await
}

async fn renew<'e>(
    pg: impl PgExecutor<'e>,
    holder: &str,
    fencing: i64,
    ttl_ms: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT sb_renew_lease($1, $2, $3, $4)")
        .bind(CHANNEL)
        .bind(holder)
        .bind(fencing)
        .bind(ttl_ms)
        .fetch_one(pg)
        .await
}

async fn release<'e>(
    pg: impl PgExecutor<'e>,
    holder: &str,
    fencing: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT sb_release_lease($1, $2, $3)")
        .bind(CHANNEL)
        .bind(holder)
        .bind(fencing)
        .fetch_one(pg)
        .await
}

/// The poller's fenced offset write (in real use, inside the batch's transaction).
async fn store_offset<'e>(
    pg: impl PgExecutor<'e>,
    holder: &str,
    fencing: i64,
    offset: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT sb_store_telegram_offset($1, $2, $3, $4)")
        .bind(CHANNEL)
        .bind(holder)
        .bind(fencing)
        .bind(offset)
        .execute(pg)
        .await
        .map(|_| ())
}

async fn stored_offset(pg: &PgPool) -> Option<i64> {
    sqlx::query_scalar("SELECT next_offset FROM telegram_cursors WHERE channel_id = $1")
        .bind(CHANNEL)
        .fetch_optional(pg)
        .await
        .unwrap()
}

async fn lease_row(pg: &PgPool) -> (String, i64) {
    sqlx::query_as("SELECT holder, fencing FROM connector_leases WHERE channel_id = $1")
        .bind(CHANNEL)
        .fetch_one(pg)
        .await
        .unwrap()
}

/// The SQLSTATE of a refusal (panics on success or a non-database error).
fn code<T: std::fmt::Debug>(result: Result<T, sqlx::Error>) -> String {
    let err = result.expect_err("expected a refusal");
    err.as_database_error()
        .and_then(|e| e.code())
        .unwrap_or_else(|| panic!("not a database error: {err}"))
        .into_owned()
}

/// Waits until the database itself says the lease has expired; fails after 30 s.
async fn wait_until_expired(pg: &PgPool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let expired: bool = sqlx::query_scalar(
            "SELECT expires_at <= sb_now_ms() FROM connector_leases WHERE channel_id = $1",
        )
        .bind(CHANNEL)
        .fetch_one(pg)
        .await
        .unwrap();
        if expired {
            return;
        }
        assert!(Instant::now() < deadline, "the lease never expired");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn fresh() -> PgPool {
    let pg = common::postgres().await;
    common::seed(&pg).await;
    pg
}

#[tokio::test]
async fn of_eight_desktops_racing_for_one_bot_exactly_one_gets_a_token() {
    let pg = fresh().await;
    let url = common::database_url(&pg).await;
    // Round 1 races to insert the lease row; round 2 races to update a released one.
    for round in 1..=2_i64 {
        let barrier = Arc::new(Barrier::new(8));
        let mut racers = Vec::new();
        for i in 0..8 {
            let mut conn = PgConnection::connect(&url).await.unwrap();
            let barrier = barrier.clone();
            racers.push(tokio::spawn(async move {
                let holder = format!("desktop-{round}-{i}");
                barrier.wait().await;
                let token = acquire(&mut conn, &holder, LONG).await.unwrap();
                conn.close().await.unwrap();
                token.map(|t| (holder, t))
            }));
        }
        let mut winners = Vec::new();
        for racer in racers {
            winners.extend(racer.await.unwrap());
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        let (holder, token) = winners.pop().unwrap();
        assert_eq!(token, round, "a new holder gets the next token");
        assert_eq!(lease_row(&pg).await, (holder.clone(), token));
        assert!(release(&pg, &holder, token).await.unwrap());
    }
}

#[tokio::test]
async fn the_holder_renews_with_the_same_token_and_others_are_refused_while_it_lives() {
    let pg = fresh().await;
    let token = acquire(&pg, "a", LONG).await.unwrap().unwrap();
    assert_eq!(token, 1);
    assert!(renew(&pg, "a", token, LONG).await.unwrap());
    // Asking again while holding is a renewal too (a retried call whose answer was lost).
    assert_eq!(acquire(&pg, "a", LONG).await.unwrap(), Some(token));
    assert_eq!(acquire(&pg, "b", LONG).await.unwrap(), None);
    assert!(!renew(&pg, "b", token, LONG).await.unwrap());
    assert!(!renew(&pg, "a", token + 1, LONG).await.unwrap());
    assert!(!release(&pg, "b", token).await.unwrap());
    assert_eq!(code(store_offset(&pg, "b", token, 5).await), NOT_HELD);
    store_offset(&pg, "a", token, 5).await.unwrap();
    assert_eq!(stored_offset(&pg).await, Some(5));
    assert_eq!(lease_row(&pg).await, ("a".into(), token));
}

#[tokio::test]
async fn a_takeover_after_expiry_gets_a_larger_token_and_the_old_holder_is_fenced_out() {
    let pg = fresh().await;
    let old = acquire(&pg, "a", SHORTEST).await.unwrap().unwrap();
    store_offset(&pg, "a", old, 10).await.unwrap();
    wait_until_expired(&pg).await;

    // Expired but not yet taken: not silently renewed, and no more writes.
    assert!(!renew(&pg, "a", old, SHORTEST).await.unwrap());
    assert_eq!(code(store_offset(&pg, "a", old, 11).await), NOT_HELD);

    let new = acquire(&pg, "b", LONG).await.unwrap().unwrap();
    assert!(new > old, "{new} > {old}");
    // The new holder continues from the stored offset.
    assert_eq!(stored_offset(&pg).await, Some(10));
    store_offset(&pg, "b", new, 12).await.unwrap();

    // The old holder wakes up (a paused process, a partition): everything is refused.
    assert!(!renew(&pg, "a", old, SHORTEST).await.unwrap());
    let refused = store_offset(&pg, "a", old, 13).await;
    let message = refused
        .as_ref()
        .unwrap_err()
        .as_database_error()
        .unwrap()
        .message()
        .to_owned();
    assert_eq!(code(refused), NOT_HELD);
    assert!(message.contains("no longer holds the lease"), "{message}");
    assert!(!release(&pg, "a", old).await.unwrap());
    assert_eq!(acquire(&pg, "a", SHORTEST).await.unwrap(), None);
    assert_eq!(stored_offset(&pg).await, Some(12));
    assert_eq!(lease_row(&pg).await, ("b".into(), new));

    // The same holder coming back after its lease expired starts a new tenure.
    wait_until_expired_after_release(&pg, "b", new).await;
    assert_eq!(acquire(&pg, "b", LONG).await.unwrap(), Some(new + 1));
}

async fn wait_until_expired_after_release(pg: &PgPool, holder: &str, token: i64) {
    assert!(release(pg, holder, token).await.unwrap());
    wait_until_expired(pg).await;
}

#[tokio::test]
async fn a_takeover_waits_for_the_old_holders_open_store_transaction() {
    let pg = fresh().await;
    let old = acquire(&pg, "a", SHORTEST).await.unwrap().unwrap();
    // The old holder's batch transaction passed the fence while the lease was live.
    let mut batch = pg.begin().await.unwrap();
    store_offset(&mut *batch, "a", old, 20).await.unwrap();
    wait_until_expired(&pg).await;

    let contender = {
        let pg = pg.clone();
        tokio::spawn(async move { acquire(&pg, "b", LONG).await.unwrap() })
    };
    // The takeover waits on the lease row the batch holds FOR SHARE.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&pg)
        .await
        .unwrap();
        if waiting == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the takeover never waited");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!contender.is_finished());
    batch.commit().await.unwrap();
    let new = contender.await.unwrap().unwrap();
    assert!(new > old);
    // So the new holder reads the offset of the batch that committed before it took over.
    assert_eq!(stored_offset(&pg).await, Some(20));
}

#[tokio::test]
async fn a_released_lease_is_taken_at_once() {
    let pg = fresh().await;
    let first = acquire(&pg, "a", LONG).await.unwrap().unwrap();
    assert_eq!(acquire(&pg, "b", LONG).await.unwrap(), None);
    assert!(release(&pg, "a", first).await.unwrap());
    let second = acquire(&pg, "b", LONG).await.unwrap().unwrap();
    assert!(second > first);
    assert!(!release(&pg, "a", first).await.unwrap());
    assert_eq!(code(store_offset(&pg, "a", first, 1).await), NOT_HELD);
}

#[tokio::test]
async fn bad_input_is_refused_with_sb008() {
    let pg = fresh().await;
    let long_name = "x".repeat(201);
    for (holder, ttl) in [
        ("a", 0),
        ("a", 999),
        ("a", 300_001),
        ("", SHORTEST),
        (long_name.as_str(), SHORTEST),
    ] {
        assert_eq!(
            code(acquire(&pg, holder, ttl).await),
            BAD_INPUT,
            "{holder:?} {ttl}"
        );
    }
    assert_eq!(
        acquire(&pg, &"x".repeat(200), 300_000).await.unwrap(),
        Some(1)
    );
    assert_eq!(code(renew(&pg, "a", 1, 0).await), BAD_INPUT);
    assert_eq!(code(release(&pg, "", 1).await), BAD_INPUT);
    let unknown_channel =
        sqlx::query_scalar::<_, Option<i64>>("SELECT sb_acquire_lease('nope', 'a', 1000)")
            .fetch_one(&pg)
            .await;
    assert_eq!(code(unknown_channel), BAD_INPUT);
    let no_offset = sqlx::query("SELECT sb_store_telegram_offset('ch', 'a', 1, NULL)")
        .execute(&pg)
        .await;
    assert_eq!(code(no_offset), BAD_INPUT);
}

#[tokio::test]
async fn an_operator_role_runs_connectors_through_the_functions_but_cannot_write_leases() {
    let pg = fresh().await;
    let ann = common::operator_role(&pg, "ann").await;
    let bob = common::operator_role(&pg, "bob").await;
    let mut ann_desk = common::connect_as(&pg, &ann).await;
    let mut bob_desk = common::connect_as(&pg, &bob).await;

    let token = acquire(&mut ann_desk, "ann-desk", LONG)
        .await
        .unwrap()
        .unwrap();
    assert!(renew(&mut ann_desk, "ann-desk", token, LONG).await.unwrap());
    store_offset(&mut ann_desk, "ann-desk", token, 7)
        .await
        .unwrap();
    let seen: (String, i64) =
        sqlx::query_as("SELECT holder, fencing FROM connector_leases WHERE channel_id = 'ch'")
            .fetch_one(&mut ann_desk)
            .await
            .unwrap();
    assert_eq!(seen, ("ann-desk".into(), token));

    for sql in [
        "UPDATE connector_leases SET expires_at = 0",
        "UPDATE connector_leases SET holder = 'bob-desk', fencing = fencing + 1",
        "DELETE FROM connector_leases",
        "INSERT INTO connector_leases (channel_id, holder, holder_role, fencing, expires_at)
         VALUES ('ch', 'x', 'x', 99, 0)",
        "UPDATE telegram_cursors SET next_offset = 0",
    ] {
        for desk in [&mut ann_desk, &mut bob_desk] {
            let result = sqlx::query(sql).execute(desk).await;
            assert_eq!(code(result), PERMISSION_DENIED, "{sql}");
        }
    }

    // Another operator's desktop can read the holder and token but not use them.
    assert_eq!(
        acquire(&mut bob_desk, "ann-desk", LONG).await.unwrap(),
        None
    );
    assert!(!renew(&mut bob_desk, "ann-desk", token, LONG).await.unwrap());
    assert_eq!(
        code(store_offset(&mut bob_desk, "ann-desk", token, 8).await),
        NOT_HELD
    );
    assert!(!release(&mut bob_desk, "ann-desk", token).await.unwrap());
    assert_eq!(stored_offset(&pg).await, Some(7));

    // After a graceful release, bob's desktop takes over.
    assert!(release(&mut ann_desk, "ann-desk", token).await.unwrap());
    assert_eq!(
        acquire(&mut bob_desk, "bob-desk", LONG).await.unwrap(),
        Some(token + 1)
    );

    ann_desk.close().await.unwrap();
    bob_desk.close().await.unwrap();
    common::drop_role(&pg, &ann).await;
    common::drop_role(&pg, &bob).await;
}

// ---------------------------------------------------------------------------------------------
// A real process, killed.

const CHILD_ENV: &str = "SWITCHBOARD_LEASE_CHILD";

/// The lease the process test uses: takeover within ttl + retry = 1.7 s.
fn short_policy() -> LeasePolicy {
    LeasePolicy {
        ttl: Duration::from_millis(1500),
        renew_every: Duration::from_millis(300),
        retry_every: Duration::from_millis(200),
        safety_margin: Duration::from_millis(500),
    }
}

fn policy_named(name: &str) -> LeasePolicy {
    match name {
        "short" => short_policy(),
        "default" => LeasePolicy::default(),
        other => panic!("no policy {other}"),
    }
}

#[tokio::test]
async fn a_killed_holder_is_taken_over_by_another_process_from_the_stored_offset() {
    takeover_after_sigkill("short").await;
}

#[tokio::test]
#[ignore = "takes about 10 s: the default policy's takeover time (run with --ignored)"]
async fn a_killed_holder_is_taken_over_within_15_seconds_with_the_default_policy() {
    let took = takeover_after_sigkill("default").await;
    assert!(took < Duration::from_secs(15), "took {took:?}");
}

/// The child: keeps the lease as its own desktop would, stores an offset with its token once
/// it holds it, and says so on stdout. Runs until killed. Ignored in normal runs.
#[tokio::test]
#[ignore = "run by the takeover tests as their child process"]
async fn lease_child() {
    let Ok(config) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (url, policy) = config.split_once('\n').expect("url, policy");
    let pg = PgPool::connect(url).await.unwrap();
    let holder = format!("child-{}", std::process::id());
    let mut lease = LeaseHolder::start(
        pg.clone(),
        CHANNEL.into(),
        holder.clone(),
        policy_named(policy),
    );
    while let Some(event) = lease.events.recv().await {
        match event {
            LeaseEvent::Acquired { fencing } => {
                // A batch's offset, fenced: where the next holder continues.
                store_offset(&pg, &holder, fencing, 100).await.unwrap();
                println!("acquired {fencing} {holder}");
            }
            LeaseEvent::Lost => println!("lost"),
        }
    }
}

/// Starts a child holding the lease, SIGKILLs it, and takes over with a LeaseHolder of this
/// process. Returns how long the takeover took after the kill.
async fn takeover_after_sigkill(policy: &str) -> Duration {
    let pg = fresh().await;
    let url = common::database_url(&pg).await;
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lease_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{url}\n{policy}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let acquired = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = out.next_line().await.unwrap() {
            seen.push(line.clone());
            // The test harness's "test lease_child ... " may open the line.
            if let Some((_, rest)) = line.split_once("acquired ") {
                let (token, holder) = rest.split_once(' ').unwrap();
                return Some((token.parse::<i64>().unwrap(), holder.to_owned()));
            }
        }
        None
    })
    .await;
    let Ok(Some((child_token, child_holder))) = acquired else {
        panic!(
            "the child never acquired the lease; it wrote:\n{}",
            seen.join("\n")
        );
    };
    assert_eq!(lease_row(&pg).await, (child_holder.clone(), child_token));

    child.start_kill().unwrap(); // SIGKILL: no release, no goodbye
    child.wait().await.unwrap();
    let killed = Instant::now();

    let mut lease = LeaseHolder::start(
        pg.clone(),
        CHANNEL.into(),
        "parent".into(),
        policy_named(policy),
    );
    let event = tokio::time::timeout(Duration::from_secs(30), lease.events.recv())
        .await
        .expect("no takeover within 30 s")
        .unwrap();
    let took = killed.elapsed();
    let LeaseEvent::Acquired { fencing } = event else {
        panic!("expected the lease, got {event:?}");
    };
    println!(
        "takeover after SIGKILL took {took:?} ({policy} policy, worst case {:?})",
        policy_named(policy).worst_case_takeover()
    );
    assert!(fencing > child_token, "{fencing} > {child_token}");
    // Continues from the offset the dead holder stored; the dead holder's token is worthless.
    assert_eq!(stored_offset(&pg).await, Some(100));
    assert_eq!(
        code(store_offset(&pg, &child_holder, child_token, 50).await),
        NOT_HELD
    );
    store_offset(&pg, "parent", fencing, 101).await.unwrap();
    assert_eq!(stored_offset(&pg).await, Some(101));

    // Stopping releases the lease gracefully.
    lease.stop().await;
    let (_, expired): (String, bool) = sqlx::query_as(
        "SELECT holder, expires_at <= sb_now_ms() FROM connector_leases WHERE channel_id = $1",
    )
    .bind(CHANNEL)
    .fetch_one(&pg)
    .await
    .unwrap();
    assert!(expired, "released on stop");
    took
}
