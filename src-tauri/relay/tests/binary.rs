//! The `switchboard-relay` binary as an operator runs it: secrets from
//! private files, the shared Postgres, SIGTERM to stop.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{APP_SECRET, VERIFY_TOKEN, body, fresh_postgres, message};
use switchboard_relay::signature;

const BIN: &str = env!("CARGO_BIN_EXE_switchboard-relay");

fn secret_file(dir: &Path, name: &str, content: &str, mode: u32) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    path.display().to_string()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the binary to completion (it is expected to refuse to start).
fn refused(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(!out.status.success());
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_binary_receives_webhooks_into_postgres_and_stops_on_sigterm() {
    let url = fresh_postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let app = secret_file(dir.path(), "app-secret", &format!("{APP_SECRET}\n"), 0o600);
    let token = secret_file(dir.path(), "verify-token", VERIFY_TOKEN, 0o640);
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--database-url", &url])
        .args(["--app-secret-file", &app, "--verify-token-file", &token])
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // Read the logs as they come: at debug level they carry every migration's SQL, more than a
    // pipe holds, and a relay blocked writing its log would never start.
    let mut stderr = child.stderr.take().unwrap();
    let logs_read = std::thread::spawn(move || {
        let mut logs = String::new();
        stderr.read_to_string(&mut logs).unwrap();
        logs
    });
    let mut relay = Running(child);
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url_shown = line
        .trim()
        .strip_prefix("switchboard-relay listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(
        url_shown.starts_with("http://127.0.0.1:") && url_shown.ends_with("/webhooks/messenger")
    );

    let client = reqwest::Client::new();
    let verified = client
        .get(format!(
            "{url_shown}?hub.mode=subscribe&hub.challenge=42&hub.verify_token={VERIFY_TOKEN}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);
    assert_eq!(verified.text().await.unwrap(), "42");

    let text = "my card number is 4111";
    let posted = body("messaging", &[&message("m_bin", text)]);
    let answer = client
        .post(&url_shown)
        .header(
            "x-hub-signature-256",
            signature::sign(APP_SECRET.as_bytes(), posted.as_bytes()),
        )
        .body(posted.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let forged = client
        .post(&url_shown)
        .header(
            "x-hub-signature-256",
            signature::sign(b"wrong", posted.as_bytes()),
        )
        .body(posted.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let stored: Vec<String> = sqlx::query_scalar("SELECT event_json FROM messenger_inbox")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(stored, [message("m_bin", text)]);
    pool.close().await;

    let pid = relay.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = wait_for_exit(&mut relay.0, Duration::from_secs(10));
    assert!(status.success(), "graceful exit after SIGTERM: {status:?}");
    let logs = logs_read.join().unwrap();
    for secret in [APP_SECRET, VERIFY_TOKEN, text] {
        assert!(!logs.contains(secret), "logs reveal {secret:?}:\n{logs}");
    }
    assert!(
        logs.contains("refused"),
        "the forged POST is logged:\n{logs}"
    );
}

fn wait_for_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the relay did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_world_readable_secret_file_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let app = secret_file(dir.path(), "app-secret", APP_SECRET, 0o644);
    let token = secret_file(dir.path(), "verify-token", VERIFY_TOKEN, 0o600);
    let (code, stderr) = refused(&[
        "--database-url",
        "postgres://127.0.0.1:1/none",
        "--app-secret-file",
        &app,
        "--verify-token-file",
        &token,
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("every user on this machine can read it") && stderr.contains("chmod"),
        "{stderr}"
    );
    assert!(!stderr.contains(APP_SECRET), "{stderr}");
}

#[test]
fn secrets_as_command_line_values_are_refused() {
    let (code, stderr) = refused(&["--database-url", "postgres://x/y", "--app-secret", "s3cret"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--app-secret-file") && !stderr.contains("s3cret"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_database_it_cannot_use_is_named_without_its_password() {
    // A server that answers (an unreachable one is retried for 30 s first).
    let admin_url = fresh_postgres().await;
    let port = admin_url
        .rsplit_once(':')
        .unwrap()
        .1
        .split_once('/')
        .unwrap()
        .0;
    let url = format!("postgres://postgres:hunter2@127.0.0.1:{port}/no_such_database");
    let dir = tempfile::tempdir().unwrap();
    let app = secret_file(dir.path(), "app-secret", APP_SECRET, 0o600);
    let token = secret_file(dir.path(), "verify-token", VERIFY_TOKEN, 0o600);
    let (code, stderr) = refused(&[
        "--database-url",
        &url,
        "--app-secret-file",
        &app,
        "--verify-token-file",
        &token,
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("database"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn missing_arguments_are_explained() {
    let (_, stderr) = refused(&["--workspace", "w"]);
    assert!(stderr.contains("--database-url is required"), "{stderr}");
    let (_, stderr) = refused(&["--database-url", "postgres://x/y"]);
    assert!(stderr.contains("no secrets"), "{stderr}");
}
