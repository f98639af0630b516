//! The `switchboard-sandbox` binary: starts, announces its URL on stdout, serves the Bot API.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn binary_prints_its_url_when_ready_and_serves_the_bots() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard-sandbox"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--telegram-bot",
            "4242:bin_test",
            "--telegram-bot",
            "4343:other",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.next_line().await.expect("read").expect("a line");
    let url = line
        .strip_prefix("switchboard-sandbox listening on ")
        .expect("ready line")
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
        "{url}"
    );
    for (token, id) in [("4242:bin_test", 4242), ("4343:other", 4343)] {
        let body: serde_json::Value = reqwest::get(format!("{url}bot{token}/getMe"))
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        assert_eq!(body["result"]["id"], id);
    }
    child.kill().await.expect("kill");
}

#[tokio::test]
async fn binary_refuses_a_malformed_token() {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--telegram-bot", "oops"])
        .output()
        .await
        .expect("binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid bot token"), "{stderr}");
}
