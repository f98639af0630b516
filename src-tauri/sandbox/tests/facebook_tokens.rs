//! Code exchange (single use, 10-minute expiry, identical redirect_uri, client secret) and the
//! long-lived token exchange, with Meta's error envelopes.

mod fb;

use std::time::Duration;

use fb::{APP_ID, APP_SECRET, REDIRECT, SUPPORT, assert_graph_error, start};
use reqwest::StatusCode;

#[tokio::test]
async fn a_code_buys_a_short_lived_bearer_token() {
    let fb = start().await;
    let code = fb.code(&[SUPPORT]).await;
    let (status, body) = fb.exchange(&code, REDIRECT, APP_SECRET).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "bearer");
    let expires_in = body["expires_in"].as_i64().expect("expires_in");
    assert!((3600..=7200).contains(&expires_in), "{body}");
    let token = body["access_token"].as_str().expect("token");
    assert!(token.starts_with("EAA"), "{token}");
    let info = fb.facebook().token_info(token).expect("known token");
    assert_eq!(info.kind, "USER");
    assert!(!info.long_lived);
    assert_eq!(info.pages, vec![SUPPORT.to_owned()]);
}

#[tokio::test]
async fn a_code_works_once() {
    let fb = start().await;
    let code = fb.code(&[SUPPORT]).await;
    let (status, _) = fb.exchange(&code, REDIRECT, APP_SECRET).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = fb.exchange(&code, REDIRECT, APP_SECRET).await;
    assert_graph_error(
        status,
        &body,
        100,
        Some(36009),
        "This authorization code has been used.",
    );
    assert_eq!(body["error"]["type"], "OAuthException");
}

#[tokio::test]
async fn a_code_expires_after_ten_minutes() {
    let fb = start().await;
    let code = fb.code(&[SUPPORT]).await;
    fb.facebook().expire_codes();
    let (status, body) = fb.exchange(&code, REDIRECT, APP_SECRET).await;
    assert_graph_error(
        status,
        &body,
        100,
        Some(36007),
        "This authorization code has expired.",
    );

    let code = fb.code(&[SUPPORT]).await;
    fb.facebook().advance_clock(Duration::from_secs(9 * 60));
    let (status, _) = fb.exchange(&code, REDIRECT, APP_SECRET).await;
    assert_eq!(status, StatusCode::OK, "nine minutes is still in time");

    let code = fb.code(&[SUPPORT]).await;
    fb.facebook().advance_clock(Duration::from_secs(10 * 60));
    let (status, body) = fb.exchange(&code, REDIRECT, APP_SECRET).await;
    assert_graph_error(
        status,
        &body,
        100,
        Some(36007),
        "This authorization code has expired.",
    );
}

#[tokio::test]
async fn the_redirect_uri_must_be_identical_to_the_dialogs() {
    let fb = start().await;
    let code = fb.code(&[SUPPORT]).await;
    let (status, body) = fb
        .exchange(
            &code,
            "https://www.facebook.com/connect/login_success.html?x=1",
            APP_SECRET,
        )
        .await;
    assert_graph_error(
        status,
        &body,
        100,
        Some(36008),
        "Error validating verification code. Please make sure your redirect_uri is identical to \
         the one you used in the OAuth dialog request",
    );
    // A failed attempt does not use the code up.
    let (status, _) = fb.exchange(&code, REDIRECT, APP_SECRET).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn client_id_and_secret_are_checked_first() {
    let fb = start().await;
    let code = fb.code(&[SUPPORT]).await;
    let (status, body) = fb.exchange(&code, REDIRECT, "wrong").await;
    assert_graph_error(status, &body, 1, None, "Error validating client secret.");
    let (status, body) = fb
        .graph_get(
            "oauth/access_token",
            &[("client_secret", APP_SECRET), ("code", &code)],
        )
        .await;
    assert_graph_error(status, &body, 101, None, "Missing client_id parameter.");
    let (status, body) = fb.exchange("AQnot-a-code", REDIRECT, APP_SECRET).await;
    assert_graph_error(
        status,
        &body,
        100,
        None,
        "Invalid verification code format.",
    );
}

#[tokio::test]
async fn a_user_token_becomes_long_lived_for_sixty_days() {
    let fb = start().await;
    let short = fb.user_token(&[SUPPORT]).await;
    let (status, body) = fb
        .graph_get(
            "oauth/access_token",
            &[
                ("grant_type", "fb_exchange_token"),
                ("client_id", APP_ID),
                ("client_secret", APP_SECRET),
                ("fb_exchange_token", &short),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 5_184_000);
    let long = body["access_token"].as_str().expect("token");
    assert_ne!(long, short);
    let info = fb.facebook().token_info(long).expect("known");
    assert!(info.long_lived);
    assert_eq!(info.pages, vec![SUPPORT.to_owned()]);

    // The short-lived one runs out after about an hour and a half; the long-lived one does not.
    fb.facebook().advance_clock(Duration::from_secs(3 * 3600));
    let (status, body) = fb.graph_get("me", &[("access_token", &short)]).await;
    assert_eq!(body["error"]["error_subcode"], 463, "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.starts_with("Error validating access token: Session has expired on "),
        "{message}"
    );
    assert!(message.contains(". The current time is "), "{message}");
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = fb.graph_get("me", &[("access_token", long)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Sandbox Admin");

    // An expired token cannot be exchanged.
    let (status, body) = fb
        .graph_get(
            "oauth/access_token",
            &[
                ("grant_type", "fb_exchange_token"),
                ("client_id", APP_ID),
                ("client_secret", APP_SECRET),
                ("fb_exchange_token", &short),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 190, "{body}");
}
