//! 2. Change-to-screen lag between two desktops.

use super::*;

#[derive(Default, Clone, Copy)]
pub(crate) struct Latency {
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) max: f64,
    pub(crate) sent: usize,
    pub(crate) seen: usize,
}

pub(crate) fn latency(sent: &HashMap<String, Instant>, seen: &HashMap<String, Instant>) -> Latency {
    let mut lags: Vec<f64> = sent
        .iter()
        .filter_map(|(id, at)| {
            let got = seen.get(id)?;
            // Desktop A's task may record its commit a moment after B saw it: 0, not negative.
            Some(got.saturating_duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect();
    lags.sort_by(f64::total_cmp);
    Latency {
        p50: percentile(&lags, 0.50),
        p99: percentile(&lags, 0.99),
        max: lags.last().copied().unwrap_or(f64::NAN),
        sent: sent.len(),
        seen: lags.len(),
    }
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

pub(crate) struct Lag {
    pub(crate) switchboard: Latency,
    pub(crate) baseline: Latency,
}

pub(crate) async fn lag(made: &mut Made, rate: f64, seconds: f64, safety_net: Duration) -> Lag {
    let db = made.database("to_all").await;
    db.customer_writes("lag", 0).await;
    let count = (rate * seconds).round() as usize;
    let period = Duration::from_secs_f64(1.0 / rate);
    let desktop_a = pool_of(&db, 2).await;
    let dir = tempfile::tempdir().unwrap();

    // Baseline: A notifies with the id as payload, B's listener receives it.
    let baseline = {
        let mut listener = PgListener::connect_with(&db.owner).await.unwrap();
        listener.listen("bench_lag").await.unwrap();
        let seen = Arc::new(Mutex::new(HashMap::new()));
        let receiver = {
            let seen = seen.clone();
            tokio::spawn(async move {
                loop {
                    let notification = listener.recv().await.unwrap();
                    let now = Instant::now();
                    let mut seen = seen.lock().unwrap();
                    seen.insert(notification.payload().to_owned(), now);
                    if seen.len() == count {
                        return;
                    }
                }
            })
        };
        let sent = write_paced(count, period, |id| {
            let pg = desktop_a.clone();
            async move {
                sqlx::query("SELECT pg_notify('bench_lag', $1)")
                    .bind(id)
                    .execute(&pg)
                    .await
                    .unwrap();
            }
        })
        .await;
        let _ = tokio::time::timeout(Duration::from_secs(10), receiver).await;
        let seen = seen.lock().unwrap().clone();
        latency(&sent, &seen)
    };

    // Switchboard: A commits a message per transaction, B's follower stores it in its cache.
    let switchboard = {
        let sqlite = open_cache(&dir.path().join("desktop-b.sqlite")).await;
        let desktop_b = pool_of(&db, 4).await;
        let applied = Arc::new(Mutex::new(HashMap::new()));
        let cache = Arc::new(Cache {
            pg: desktop_b.clone(),
            sqlite,
            applied: Some(applied.clone()),
            rows_per_statement: 0,
        });
        let config = FollowerConfig {
            batch_size: 500,
            safety_net,
            held_back_retry: Duration::from_millis(20),
        };
        let follower = Follower::start(desktop_b.clone(), cache, Cursor::START, config)
            .await
            .unwrap();
        let mut rounds = follower.rounds.clone();
        rounds.wait_for(|n| *n >= 1).await.unwrap();
        let sent = write_paced(count, period, |id| {
            let pg = desktop_a.clone();
            async move {
                sqlx::query(
                    "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at, provider_key)
                     VALUES ($1, 'chat-lag', 'tg', 'inbound', 'Are you there?', 'lag', sb_now_ms(), $1)",
                )
                .bind(id)
                .execute(&pg)
                .await
                .unwrap();
            }
        })
        .await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let done = {
                let applied = applied.lock().unwrap();
                sent.keys().all(|id| applied.contains_key(id))
            };
            if done {
                break;
            }
            // Waiting for the last stragglers after the measurement, not part of it.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        follower.stop().await;
        desktop_b.close().await;
        let applied = applied.lock().unwrap().clone();
        latency(&sent, &applied)
    };
    desktop_a.close().await;
    Lag {
        switchboard,
        baseline,
    }
}

/// Runs `write(id)` `count` times, one every `period`, each awaited; returns when each returned.
pub(crate) async fn write_paced<F, Fut>(
    count: usize,
    period: Duration,
    write: F,
) -> HashMap<String, Instant>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sent = HashMap::with_capacity(count);
    for i in 0..count {
        ticks.tick().await;
        let id = format!("lag-{i}");
        write(id.clone()).await;
        sent.insert(id, Instant::now());
    }
    sent
}
