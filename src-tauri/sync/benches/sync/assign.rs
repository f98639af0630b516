//! 3. Assignments per second with racing engines, and the bare claim loop.

use super::*;

/// The bare claim loop: `n` queued rows, 8 connections claiming one at a time until none is left.
pub(crate) async fn claim_loop(made: &mut Made, n: i64) -> f64 {
    let db = made.database("to_all").await;
    for sql in [
        "CREATE TABLE bench_claims (id BIGINT PRIMARY KEY, state TEXT NOT NULL, claimed_by INTEGER)",
        "CREATE INDEX bench_claims_queued ON bench_claims (id) WHERE state = 'queued'",
    ] {
        sqlx::query(sql).execute(&db.owner).await.unwrap();
    }
    sqlx::query(
        "INSERT INTO bench_claims (id, state) SELECT g, 'queued' FROM generate_series(1, $1) g",
    )
    .bind(n)
    .execute(&db.owner)
    .await
    .unwrap();
    sqlx::query("VACUUM ANALYZE bench_claims")
        .execute(&db.owner)
        .await
        .unwrap();
    let mut connections = Vec::new();
    for _ in 0..ENGINES {
        connections.push(
            PgConnection::connect_with(&db.server.clone().database(&db.name))
                .await
                .unwrap(),
        );
    }
    let started = Instant::now();
    let workers: Vec<_> = connections
        .into_iter()
        .enumerate()
        .map(|(worker, mut conn)| {
            tokio::spawn(async move {
                loop {
                    let claimed: Option<i64> = sqlx::query_scalar(
                        "UPDATE bench_claims SET state = 'claimed', claimed_by = $1
                         WHERE id = (SELECT id FROM bench_claims WHERE state = 'queued'
                                     ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
                         RETURNING id",
                    )
                    .bind(worker as i32)
                    .fetch_optional(&mut conn)
                    .await
                    .unwrap();
                    if claimed.is_none() {
                        return;
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    let claimed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM bench_claims WHERE state = 'claimed'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(claimed, n, "the claim loop claimed every row");
    seconds
}

pub(crate) struct Assignments {
    pub(crate) seconds: f64,
    pub(crate) completed: usize,
    pub(crate) passes: u64,
    pub(crate) accepted: u64,
    pub(crate) lost: u64,
    pub(crate) accept: Latency,
    pub(crate) complete: Latency,
    pub(crate) assign_decisions: i64,
    pub(crate) diagnosis: Diagnosis,
}

/// Where the time goes, measured after the race (not timed with it), one thing at a time.
pub(crate) struct Diagnosis {
    /// One pass over `n` fresh queued chats (offers written), ms.
    pub(crate) first_pass: f64,
    /// The next pass, deciding nothing with the same open chats loaded and locked, ms.
    pub(crate) idle_pass: f64,
    /// `sb_accept_chat` then `sb_complete_chat` with no router running, one call at a time, on a
    /// warm session, ms (p50 over the operators).
    pub(crate) accept: f64,
    pub(crate) complete: f64,
}

pub(crate) async fn diagnose(db: &SharedDb, n: i64, names: &[String]) -> Diagnosis {
    for sql in [
        "INSERT INTO contacts (id, channel_id, provider_user_id, name, created_at)
         SELECT 'late-ct' || g, 'tg', 'late-u' || g, 'Customer ' || g, g FROM generate_series(1, $1) g",
        "INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id,
                            created_at, last_activity_at, last_message_at)
         SELECT 'late' || lpad(g::text, 6, '0'), 'tg', 'late-ct' || g, 'q', 'queued', 'late-u' || g,
                sb_now_ms(), sb_now_ms(), sb_now_ms()
         FROM generate_series(1, $1) g",
    ] {
        sqlx::query(sql).bind(n).execute(&db.owner).await.unwrap();
    }
    let router = SharedRouter::new(db.owner.clone(), RouterClock::Database);
    let timed = Instant::now();
    router.route_once().await.unwrap();
    let first_pass = timed.elapsed().as_secs_f64() * 1000.0;
    let timed = Instant::now();
    router.route_once().await.unwrap();
    let idle_pass = timed.elapsed().as_secs_f64() * 1000.0;
    let (mut accept, mut complete) = (Vec::new(), Vec::new());
    for name in names {
        let mut desktop = db.desktop_of(name).await;
        let offered: Vec<String> = sqlx::query_scalar(
            "SELECT chat_id FROM chat_offers WHERE user_id = $1 ORDER BY chat_id LIMIT 2",
        )
        .bind(format!("u-{name}"))
        .fetch_all(&mut desktop)
        .await
        .unwrap();
        // The first chat warms the session (plpgsql compiles and plans on first call); the
        // second is measured.
        for (round, chat) in offered.iter().enumerate() {
            for (sql, into) in [
                ("SELECT sb_accept_chat($1)", &mut accept),
                ("SELECT sb_complete_chat($1)", &mut complete),
            ] {
                let timed = Instant::now();
                sqlx::query(sql)
                    .bind(chat)
                    .execute(&mut desktop)
                    .await
                    .unwrap();
                if round == 1 {
                    into.push(timed.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }
        desktop.close().await.unwrap();
    }
    for v in [&mut accept, &mut complete] {
        v.sort_by(f64::total_cmp);
    }
    Diagnosis {
        first_pass,
        idle_pass,
        accept: percentile(&accept, 0.5),
        complete: percentile(&complete, 0.5),
    }
}

#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) completed: AtomicUsize,
    pub(crate) accepted: AtomicU64,
    pub(crate) lost: AtomicU64,
    pub(crate) accept_ms: Mutex<Vec<f64>>,
    pub(crate) complete_ms: Mutex<Vec<f64>>,
    pub(crate) all_done: Notify,
}

/// `n` customers who each wrote once, their chats queued in `q` and never routed.
pub(crate) async fn seed_queued(db: &SharedDb, n: i64) {
    for sql in [
        "INSERT INTO contacts (id, channel_id, provider_user_id, name, created_at)
         SELECT 'ct' || g, 'tg', 'u' || g, 'Customer ' || g, g FROM generate_series(1, $1) g",
        "INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id,
                            created_at, last_activity_at, last_message_at)
         SELECT 'chat' || lpad(g::text, 6, '0'), 'tg', 'ct' || g, 'q', 'queued', 'u' || g, g, g, g
         FROM generate_series(1, $1) g",
        "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at, provider_key)
         SELECT 'm' || g, 'chat' || lpad(g::text, 6, '0'), 'tg', 'inbound', 'Hello', 'Customer', g, 'k' || g
         FROM generate_series(1, $1) g",
    ] {
        sqlx::query(sql).bind(n).execute(&db.owner).await.unwrap();
    }
    sqlx::query("VACUUM ANALYZE")
        .execute(&db.owner)
        .await
        .unwrap();
}

pub(crate) async fn assignments(
    made: &mut Made,
    rule: &str,
    n: i64,
    operators: usize,
    capacity: i64,
    timeout: Duration,
) -> Assignments {
    let db = made.database(rule).await;
    db.set("SimultaneousChats", &capacity.to_string()).await;
    let names: Vec<String> = (0..operators).map(|i| format!("op{i}")).collect();
    for name in &names {
        db.operator(name).await;
        made.roles.push(db.role_of(name));
    }
    seed_queued(&db, n).await;

    let tally = Arc::new(Tally::default());
    let (stop_tx, stop) = watch::channel(false);
    let mut desks = Vec::new();
    for name in &names {
        let desktop = db.desktop_of(name).await;
        let listen_pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(
                db.server
                    .clone()
                    .database(&db.name)
                    .username(&db.role_of(name))
                    .password(shared_db::PASSWORD),
            )
            .await
            .unwrap();
        let mut listener = PgListener::connect_with(&listen_pool).await.unwrap();
        listener
            .listen(switchboard_sync::feed::CHANNEL)
            .await
            .unwrap();
        desks.push(tokio::spawn(operate(
            desktop,
            listener,
            format!("u-{name}"),
            n as usize,
            tally.clone(),
            stop.clone(),
        )));
    }

    let started = Instant::now();
    let mut routers = Vec::new();
    let mut pass_counts = Vec::new();
    for _ in 0..ENGINES {
        let pool = pool_of(&db, 2).await;
        let (passes, counted) = watch::channel(0);
        pass_counts.push(counted);
        routers.push(tokio::spawn(
            SharedRouter::new(pool, RouterClock::Database).run(
                ROUTER_SAFETY_NET,
                stop.clone(),
                passes,
            ),
        ));
    }
    let finished = tokio::time::timeout(timeout, async {
        while tally.completed.load(Ordering::SeqCst) < n as usize {
            tally.all_done.notified().await;
        }
    })
    .await;
    let seconds = started.elapsed().as_secs_f64();
    let _ = finished;
    stop_tx.send_replace(true);
    for router in routers {
        let _ = router.await;
    }
    for desk in desks {
        let _ = desk.await;
    }
    let assign_decisions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM routing_decisions WHERE kind = 'assign'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    let ms = |v: &Mutex<Vec<f64>>| {
        let mut v = v.lock().unwrap().clone();
        v.sort_by(f64::total_cmp);
        Latency {
            p50: percentile(&v, 0.5),
            p99: percentile(&v, 0.99),
            max: v.last().copied().unwrap_or(f64::NAN),
            sent: v.len(),
            seen: v.len(),
        }
    };
    let diagnosis = diagnose(&db, n, &names).await;
    Assignments {
        seconds,
        diagnosis,
        completed: tally.completed.load(Ordering::SeqCst),
        passes: pass_counts.iter().map(|p| *p.borrow()).sum(),
        accepted: tally.accepted.load(Ordering::SeqCst),
        lost: tally.lost.load(Ordering::SeqCst),
        accept: ms(&tally.accept_ms),
        complete: ms(&tally.complete_ms),
        assign_decisions,
    }
}

/// An operator at their desktop: accepts one of their offers (picked at random, as people do),
/// completes it at once, and when nothing is offered waits for the next change notification
/// (what their desktop's follower is woken by).
pub(crate) async fn operate(
    mut desktop: PgConnection,
    mut listener: PgListener,
    me: String,
    total: usize,
    tally: Arc<Tally>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let offered: Vec<String> =
            sqlx::query_scalar("SELECT chat_id FROM chat_offers WHERE user_id = $1")
                .bind(&me)
                .fetch_all(&mut desktop)
                .await
                .unwrap();
        if offered.is_empty() {
            tokio::select! {
                _ = stop.changed() => return,
                _ = listener.recv() => {}
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            while listener.next_buffered().is_some() {}
            continue;
        }
        let chat = offered[rand::rng().random_range(0..offered.len())].clone();
        let asked = Instant::now();
        match sqlx::query("SELECT sb_accept_chat($1)")
            .bind(&chat)
            .execute(&mut desktop)
            .await
        {
            Ok(_) => {
                tally
                    .accept_ms
                    .lock()
                    .unwrap()
                    .push(asked.elapsed().as_secs_f64() * 1000.0);
                tally.accepted.fetch_add(1, Ordering::SeqCst);
            }
            Err(error) => {
                expected_refusal(&error);
                tally.lost.fetch_add(1, Ordering::SeqCst);
                continue;
            }
        }
        let asked = Instant::now();
        sqlx::query("SELECT sb_complete_chat($1)")
            .bind(&chat)
            .execute(&mut desktop)
            .await
            .unwrap();
        tally
            .complete_ms
            .lock()
            .unwrap()
            .push(asked.elapsed().as_secs_f64() * 1000.0);
        if tally.completed.fetch_add(1, Ordering::SeqCst) + 1 >= total {
            tally.all_done.notify_one();
        }
    }
}

/// Refusals a race gives (taken by another, offer withdrawn, at capacity, already completed by
/// whoever took it); anything else is a bug.
pub(crate) fn expected_refusal(error: &sqlx::Error) {
    let code = error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    assert!(
        matches!(
            code.as_deref(),
            Some("SB002" | "SB003" | "SB004" | "SB006" | "SB007")
        ),
        "unexpected error from sb_accept_chat: {error}"
    );
}
