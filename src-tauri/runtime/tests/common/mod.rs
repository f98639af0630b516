//! Helpers shared by the runtime's integration tests.
#![allow(dead_code)] // each test file uses a different subset

use std::time::Duration;

/// Waits for a condition the runtime reaches asynchronously (a connector
/// stored something, a webhook was processed), failing after 20 s.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tick.tick().await;
    }
}

/// Everything SQLite keeps on disk for the workspace: the database file and
/// its write-ahead log, where fresh commits live until a checkpoint. A secret
/// scan must read both.
pub fn database_bytes(dir: &std::path::Path) -> Vec<u8> {
    let main = dir.join(switchboard_runtime::DATABASE_FILE);
    let mut bytes = std::fs::read(&main).expect("the database file");
    let mut wal = main.into_os_string();
    wal.push("-wal");
    if let Ok(log) = std::fs::read(wal) {
        bytes.extend(log);
    }
    bytes
}

pub mod shared_db;
