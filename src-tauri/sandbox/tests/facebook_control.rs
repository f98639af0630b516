//! The Facebook control API over HTTP (`/_sandbox/facebook/…`) and the binary's
//! `--facebook-app` flag.

mod fb;

use std::process::Stdio;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

async fn control(fb: &fb::Fb, path: &str, body: Value) -> (StatusCode, Value) {
    let response = fb
        .http
        .post(fb.url(&format!("_sandbox/facebook/{path}")))
        .json(&body)
        .send()
        .await
        .expect("control request");
    fb::read(response).await
}

#[tokio::test]
async fn apps_people_and_pages_can_be_set_up_over_http() {
    let fb = fb::start().await;
    let (status, body) = control(
        &fb,
        "apps",
        json!({ "app_id": "555", "app_secret": "s", "redirect_uris": ["http://127.0.0.1:1/cb"] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = control(
        &fb,
        "users",
        json!({ "email": "eve@example.com", "password": "pw", "name": "Eve" }),
    )
    .await;
    assert_eq!(
        body["result"]["id"].as_str().map(str::len),
        Some(15),
        "{body}"
    );
    let (_, body) = control(
        &fb,
        "pages",
        json!({ "id": "202", "name": "Eve's Shop", "manager_email": "eve@example.com",
                "tasks": ["MODERATE", "MESSAGING"] }),
    )
    .await;
    assert_eq!(body["result"]["id"], "202", "{body}");

    // Unknown manager, bad input and unknown pages are refused.
    let (status, body) = control(
        &fb,
        "pages",
        json!({ "name": "X", "manager_email": "nobody@example.com", "tasks": [] }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["ok"], false);
    let (status, _) = control(&fb, "users", json!({ "email": "x" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = control(&fb, "pages/999/subscription-faults", json!({ "code": 200 })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Eve goes through the dialog of app 555 and sees her page only.
    let url = fb.url(&format!(
        "v25.0/dialog/oauth?client_id=555&redirect_uri={}&scope=pages_show_list",
        fb::urlencode("http://127.0.0.1:1/cb")
    ));
    let (_, html) = fb.get_html(&url).await;
    let session = fb::session_of(&html);
    let response = fb
        .submit(
            "dialog/oauth/login",
            &[
                ("session", &session),
                ("email", "eve@example.com"),
                ("pass", "pw"),
            ],
        )
        .await;
    let html = response.text().await.expect("body");
    assert!(
        html.contains("Eve&#39;s Shop") && !html.contains("Acme"),
        "{html}"
    );
    fb.submit(
        "dialog/oauth/pages",
        &[("session", &session), ("page", "202")],
    )
    .await;
    let response = fb
        .submit(
            "dialog/oauth/grant",
            &[("session", &session), ("decision", "allow")],
        )
        .await;
    let code = fb::param(&fb::query_of(&fb::location(&response)), "code")
        .expect("code")
        .to_owned();

    // Codes expire on request; the clock moves forward.
    let (_, body) = control(&fb, "codes/expire", json!({})).await;
    assert_eq!(body["result"], true);
    let (_, body) = fb
        .graph_get(
            "oauth/access_token",
            &[
                ("client_id", "555"),
                ("client_secret", "s"),
                ("redirect_uri", "http://127.0.0.1:1/cb"),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(body["error"]["error_subcode"], 36007, "{body}");
    let before = fb.facebook().now();
    let (_, body) = control(&fb, "clock", json!({ "advance_secs": 3600 })).await;
    assert!(
        body["result"]["now"].as_i64().expect("now") >= before + 3600,
        "{body}"
    );

    // Tokens: look one up, revoke it with a reason.
    let token = fb.user_token(&[fb::SUPPORT]).await;
    let info: Value = fb
        .get(&fb.url(&format!("_sandbox/facebook/tokens/{token}")))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(info["result"]["type"], "USER", "{info}");
    assert_eq!(info["result"]["user_id"], "100000000000001");
    let (status, _) = control(
        &fb,
        "tokens/revoke",
        json!({ "token": token, "reason": "password_changed" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = fb.graph_get("me", &[("access_token", &token)]).await;
    assert_eq!(body["error"]["error_subcode"], 460, "{body}");
    let (status, _) = control(&fb, "tokens/revoke", json!({ "token": "EAAnope" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_binary_serves_the_demo_with_facebook_app() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard-sandbox"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--facebook-app",
            "4242:demo-secret",
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
        .expect("the only stdout line")
        .to_owned();
    let dialog = format!(
        "{url}v25.0/dialog/oauth?client_id=4242&redirect_uri={}&state=a&scope=pages_show_list",
        fb::urlencode(fb::REDIRECT)
    );
    let html = reqwest::get(&dialog)
        .await
        .expect("dialog")
        .text()
        .await
        .expect("html");
    let session = fb::session_of(&html);
    let html = reqwest::Client::new()
        .post(format!("{url}dialog/oauth/login"))
        .form(&[
            ("session", session.as_str()),
            ("email", fb::EMAIL),
            ("pass", fb::PASSWORD),
        ])
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("html");
    for name in ["Acme Support", "Acme Sales", "Acme Jobs"] {
        assert!(html.contains(name), "{name}: {html}");
    }
    child.kill().await.expect("kill");
    assert!(
        lines.next_line().await.expect("read").is_none(),
        "nothing else on stdout"
    );
}

#[tokio::test]
async fn the_clock_moves_forward_or_back_and_refuses_ambiguous_requests() {
    let fb = fb::start().await;
    let before = fb.sandbox.facebook().now();
    let (status, body) = control(&fb, "clock", json!({ "shift_secs": -90_000 })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = body["result"]["now"].as_i64().unwrap();
    assert!((before - 90_000 - after).abs() <= 1, "{before} → {after}");
    let (status, _) = control(&fb, "clock", json!({ "advance_secs": 1, "shift_secs": 1 })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
