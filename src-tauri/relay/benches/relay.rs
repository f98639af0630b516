//! Throughput and latency of the webhook endpoint: signed POSTs of one event
//! each (distinct mids) over N keep-alive connections for a few seconds.
//! The load comes from a second process (this bench re-executed with
//! `--load`), so the server's measurements are not bent by sharing its
//! runtime with the client. Baseline in the same run: the same axum stack
//! whose handler answers 200 at once. Run with `cargo xtask bench relay`.
//!
//! Sinks: SQLite in a temp file (the desktop's store: WAL, synchronous=NORMAL)
//! with and without group commit; Postgres too when `--database-url URL` or
//! SWITCHBOARD_TEST_PG_URL is given. Knobs: RELAY_BENCH_SECONDS (5),
//! RELAY_BENCH_CONNECTIONS (32), RELAY_BENCH_WINDOW_US (0: the group commit takes
//! what queued during the previous commit, without waiting).

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use switchboard_engine::Store;
use switchboard_relay::{
    EVENT_RECEIVED, GroupCommit, MAX_BODY_BYTES, PostgresSink, RelaySecrets, SqliteSink,
    WEBHOOK_PATH, router, signature,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const APP_SECRET: &str = "bench-app-secret";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--load") {
        load_generator(&args[at + 1..]);
        return;
    }
    let database_url = args
        .iter()
        .position(|a| a == "--database-url")
        .and_then(|at| args.get(at + 1).cloned())
        .or_else(|| std::env::var("SWITCHBOARD_TEST_PG_URL").ok());
    let seconds: f64 = env_or("RELAY_BENCH_SECONDS", 5.0);
    let connections: usize = env_or("RELAY_BENCH_CONNECTIONS", 32);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench(database_url, seconds, connections));
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Row {
    case: String,
    result: LoadResult,
    stored: Option<i64>,
}

async fn bench(database_url: Option<String>, seconds: f64, connections: usize) {
    let window = Duration::from_micros(env_or("RELAY_BENCH_WINDOW_US", 0));
    let secrets = || RelaySecrets::new(APP_SECRET, "bench-verify-token").unwrap();
    let mut rows = Vec::new();

    let baseline = Router::new()
        .route(WEBHOOK_PATH, post(|_body: Bytes| async { EVENT_RECEIVED }))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    rows.push(Row {
        case: "baseline: same axum stack, 200 at once".into(),
        result: run(baseline, "base", seconds, connections).await,
        stored: None,
    });

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.sqlite"), 0)
        .await
        .unwrap();
    let sqlite_group = GroupCommit::new(SqliteSink::new(store.clone()), window, 2000);
    let result = run(
        router(secrets(), sqlite_group),
        "sqlg",
        seconds,
        connections,
    )
    .await;
    rows.push(Row {
        case: "relay → SQLite, group commit".into(),
        stored: Some(count_sqlite(&dir).await),
        result,
    });

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.sqlite"), 0)
        .await
        .unwrap();
    let result = run(
        router(secrets(), SqliteSink::new(store)),
        "sql1",
        seconds,
        connections,
    )
    .await;
    rows.push(Row {
        case: "relay → SQLite, one transaction per POST".into(),
        stored: Some(count_sqlite(&dir).await),
        result,
    });

    if let Some(url) = database_url {
        let sink = PostgresSink::connect(&url)
            .await
            .expect("the bench's Postgres");
        let prefix = format!("pg{}", std::process::id());
        let group = GroupCommit::new(sink.clone(), window, 2000);
        let result = run(router(secrets(), group), &prefix, seconds, connections).await;
        let stored: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM messenger_inbox WHERE dedupe_key LIKE 'mid:' || $1 || '%'",
        )
        .bind(&prefix)
        .fetch_one(sink.pool())
        .await
        .unwrap();
        rows.push(Row {
            case: "relay → Postgres, group commit".into(),
            result,
            stored: Some(stored),
        });
        sink.close().await;
    }
    print_table(&rows, seconds, connections);
}

async fn count_sqlite(dir: &tempfile::TempDir) -> i64 {
    let url = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let n = sqlx::query_scalar("SELECT count(*) FROM messenger_inbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

/// Serves `app` on a free port while the load generator process runs.
async fn run(app: Router, prefix: &str, seconds: f64, connections: usize) -> LoadResult {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let exe = std::env::current_exe().unwrap();
    let args = [
        "--load".to_owned(),
        addr.to_string(),
        seconds.to_string(),
        connections.to_string(),
        prefix.to_owned(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        Command::new(exe)
            .args(args)
            .stderr(Stdio::inherit())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    server.abort();
    assert!(output.status.success(), "the load generator failed");
    LoadResult::parse(&String::from_utf8_lossy(&output.stdout))
}

fn print_table(rows: &[Row], seconds: f64, connections: usize) {
    let base = &rows[0].result;
    println!(
        "\nrelay webhook POSTs, 1 event each, {connections} keep-alive connections, {seconds} s per case, load from a second process on the same machine ({} cores)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "| case | requests/s | p50 ms | p99 ms | non-200 | 200s / rows stored | throughput vs baseline | p99 vs baseline |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let r = &row.result;
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {} | {} | {:.2} | {:.1}× |",
            row.case,
            r.per_second(),
            r.p50_us as f64 / 1000.0,
            r.p99_us as f64 / 1000.0,
            r.errors,
            row.stored
                .map_or("–".into(), |n| format!("{} / {n}", r.all_ok)),
            r.per_second() / base.per_second(),
            r.p99_us as f64 / base.p99_us.max(1) as f64,
        );
    }
    println!(
        "\n200s include the 0.5 s warm-up; rows stored may exceed them by the requests cut off at the end, never fall short (each 200 follows its commit)."
    );
    for row in rows {
        if let Some(stored) = row.stored {
            assert!(
                u64::try_from(stored).unwrap_or(0) >= row.result.all_ok,
                "{}: fewer rows than 200s",
                row.case
            );
        }
    }
    let _ = std::io::stdout().flush();
}

#[derive(Debug)]
struct LoadResult {
    ok: u64,
    /// 200s including the warm-up, to compare with the rows stored.
    all_ok: u64,
    errors: u64,
    measured_seconds: f64,
    p50_us: u64,
    p99_us: u64,
}

impl LoadResult {
    fn per_second(&self) -> f64 {
        self.ok as f64 / self.measured_seconds
    }

    fn parse(line: &str) -> Self {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.len(), 6, "load generator said {line:?}");
        Self {
            ok: fields[0].parse().unwrap(),
            all_ok: fields[1].parse().unwrap(),
            errors: fields[2].parse().unwrap(),
            measured_seconds: fields[3].parse().unwrap(),
            p50_us: fields[4].parse().unwrap(),
            p99_us: fields[5].parse().unwrap(),
        }
    }
}

// ---- the load generator (second process) ----

/// `--load ADDR SECONDS CONNECTIONS PREFIX`: prints
/// `ok all_ok errors measured_seconds p50_us p99_us`.
fn load_generator(args: &[String]) {
    let addr: SocketAddr = args[0].parse().unwrap();
    let seconds: f64 = args[1].parse().unwrap();
    let connections: usize = args[2].parse().unwrap();
    let prefix = args[3].clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let warmup = Duration::from_millis(500);
    let measured = Duration::from_secs_f64(seconds);
    let (ok, all_ok, errors, mut latencies) = runtime.block_on(async move {
        let start = Instant::now();
        let measure_from = start + warmup;
        let stop = measure_from + measured;
        let mut tasks = tokio::task::JoinSet::new();
        for conn in 0..connections {
            let prefix = prefix.clone();
            tasks.spawn(connection(addr, conn, prefix, measure_from, stop));
        }
        let (mut ok, mut all_ok, mut errors, mut latencies) = (0, 0, 0, Vec::new());
        while let Some(done) = tasks.join_next().await {
            let (o, a, e, l) = done.unwrap();
            ok += o;
            all_ok += a;
            errors += e;
            latencies.extend(l);
        }
        (ok, all_ok, errors, latencies)
    });
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    println!(
        "{ok} {all_ok} {errors} {} {} {}",
        measured.as_secs_f64(),
        pct(0.50),
        pct(0.99)
    );
}

/// One keep-alive connection sending requests back to back; counts and
/// times those that complete inside the measured window.
async fn connection(
    addr: SocketAddr,
    conn: usize,
    prefix: String,
    measure_from: Instant,
    stop: Instant,
) -> (u64, u64, u64, Vec<u64>) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut ok, mut all_ok, mut errors, mut latencies) = (0u64, 0u64, 0u64, Vec::new());
    let mut buffer = Vec::with_capacity(4096);
    let mut i = 0u64;
    loop {
        let sent_at = Instant::now();
        if sent_at >= stop {
            break;
        }
        i += 1;
        let body = format!(
            r#"{{"object":"page","entry":[{{"id":"1234567890","time":1518479195594,"messaging":[{{"sender":{{"id":"2345678901"}},"recipient":{{"id":"1234567890"}},"timestamp":1518479195308,"message":{{"mid":"{prefix}_{conn}_{i}","text":"Hello, I have a question about my order n\u00b0 {i}"}}}}]}}]}}"#
        );
        let request = format!(
            "POST {WEBHOOK_PATH} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\nx-hub-signature-256: {}\r\ncontent-length: {}\r\n\r\n{body}",
            signature::sign(APP_SECRET.as_bytes(), body.as_bytes()),
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let status = read_response(&mut stream, &mut buffer).await;
        let done_at = Instant::now();
        all_ok += u64::from(status == 200);
        if sent_at >= measure_from {
            if status == 200 {
                ok += 1;
                latencies.push(
                    u64::try_from(done_at.duration_since(sent_at).as_micros()).unwrap_or(u64::MAX),
                );
            } else {
                errors += 1;
            }
        }
    }
    (ok, all_ok, errors, latencies)
}

/// Reads one HTTP/1.1 response with a Content-Length body; returns its status.
async fn read_response(stream: &mut tokio::net::TcpStream, buffer: &mut Vec<u8>) -> u16 {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buffer[..end])
                .unwrap()
                .to_ascii_lowercase();
            let status: u16 = head[9..12].parse().unwrap();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            let total = end + 4 + length;
            while buffer.len() < total {
                read_more(stream, buffer).await;
            }
            buffer.drain(..total);
            return status;
        }
        read_more(stream, buffer).await;
    }
}

async fn read_more(stream: &mut tokio::net::TcpStream, buffer: &mut Vec<u8>) {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await.unwrap();
    assert!(n > 0, "the server closed the connection");
    buffer.extend_from_slice(&chunk[..n]);
}
