//! `debug_token`: user and page tokens, revoked and unknown ones; revocation reasons and a
//! password change as Graph reports them.

mod fb;

use fb::{APP_ID, APP_SECRET, EMAIL, SALES, SUPPORT, assert_graph_error, start};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_sandbox::Revocation;

async fn debug(fb: &fb::Fb, input: &str) -> (StatusCode, Value) {
    let app_token = format!("{APP_ID}|{APP_SECRET}");
    fb.graph_get(
        "debug_token",
        &[("input_token", input), ("access_token", &app_token)],
    )
    .await
}

#[tokio::test]
async fn debug_token_describes_user_and_page_tokens() {
    let fb = start().await;
    let user = fb.long_lived_token(&[SUPPORT, SALES]).await;
    let (status, body) = debug(&fb, &user).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["app_id"], APP_ID);
    assert_eq!(data["type"], "USER");
    assert_eq!(data["application"], "Switchboard");
    assert_eq!(data["is_valid"], true);
    assert_eq!(data["user_id"], "100000000000001");
    let now = fb.facebook().now();
    let expires_at = data["expires_at"].as_i64().expect("expires_at");
    assert!((expires_at - now - 5_184_000).abs() < 5, "{data}");
    assert!(data["issued_at"].as_i64().expect("issued_at") <= now);
    assert!(
        data["data_access_expires_at"]
            .as_i64()
            .expect("data access")
            > expires_at
    );
    for scope in [
        "public_profile",
        "pages_show_list",
        "pages_messaging",
        "pages_manage_metadata",
    ] {
        assert!(
            data["scopes"]
                .as_array()
                .expect("scopes")
                .contains(&json!(scope)),
            "{scope}"
        );
    }
    let granular = data["granular_scopes"].as_array().expect("granular");
    let messaging = granular
        .iter()
        .find(|g| g["scope"] == "pages_messaging")
        .expect("pages_messaging");
    assert_eq!(messaging["target_ids"], json!([SUPPORT, SALES]));
    assert!(data.get("profile_id").is_none());

    let (_, page_token) = fb.page_tokens(&user).await.remove(0);
    let (_, body) = debug(&fb, &page_token).await;
    let data = &body["data"];
    assert_eq!(data["type"], "PAGE");
    assert_eq!(data["profile_id"], SUPPORT);
    assert_eq!(data["expires_at"], 0);
    assert_eq!(data["is_valid"], true);
}

#[tokio::test]
async fn a_revoked_token_is_refused_and_debug_token_says_why() {
    let fb = start().await;
    let user = fb.long_lived_token(&[SUPPORT]).await;
    let (_, page_token) = fb.page_tokens(&user).await.remove(0);
    fb.facebook().revoke_token(&page_token).expect("known");
    let path = format!("{SUPPORT}/subscribed_apps");
    let (status, body) = fb.graph_get(&path, &[("access_token", &page_token)]).await;
    assert_graph_error(
        status,
        &body,
        190,
        Some(467),
        "Error validating access token: The session is invalid because the user logged out.",
    );
    let (status, body) = debug(&fb, &page_token).await;
    assert_eq!(status, StatusCode::OK);
    let data = &body["data"];
    assert_eq!(data["is_valid"], false, "{body}");
    assert_eq!(data["type"], "PAGE");
    assert_eq!(data["error"]["code"], 190);
    assert_eq!(data["error"]["subcode"], 467);
    // The user token is untouched; removing the app is reported with 458.
    assert_eq!(debug(&fb, &user).await.1["data"]["is_valid"], true);
    fb.facebook()
        .revoke_token_because(&user, Revocation::AppRemoved)
        .expect("known");
    let (status, body) = fb
        .graph_get("me/accounts", &[("access_token", &user)])
        .await;
    assert_graph_error(
        status,
        &body,
        190,
        Some(458),
        &format!(
            "Error validating access token: The user has not authorized application {APP_ID}."
        ),
    );
}

#[tokio::test]
async fn a_password_change_kills_every_token_of_that_person() {
    let fb = start().await;
    let user = fb.long_lived_token(&[SUPPORT]).await;
    let (_, page_token) = fb.page_tokens(&user).await.remove(0);
    fb.facebook()
        .change_password(EMAIL, "new-password")
        .expect("known");
    for token in [&user, &page_token] {
        let (status, body) = fb.graph_get("me", &[("access_token", token)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["error_subcode"], 460, "{body}");
        let data = debug(&fb, token).await.1;
        assert_eq!(data["data"]["error"]["subcode"], 460, "{data}");
    }
    // Logging in with the new password at once gives working tokens again.
    let (_, html) = fb.get_html(&fb.dialog_url("s", fb::SCOPES)).await;
    let session = fb::session_of(&html);
    let response = fb
        .submit(
            "dialog/oauth/login",
            &[
                ("session", &session),
                ("email", EMAIL),
                ("pass", "new-password"),
            ],
        )
        .await;
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("fb-page-checkbox")
    );
    fb.submit(
        "dialog/oauth/pages",
        &[("session", &session), ("page", SUPPORT)],
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
    let (_, body) = fb.exchange(&code, fb::REDIRECT, APP_SECRET).await;
    let fresh = body["access_token"].as_str().expect("token");
    let (status, body) = fb.graph_get("me", &[("access_token", fresh)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn unknown_input_tokens_and_bad_app_tokens() {
    let fb = start().await;
    let (status, body) = debug(&fb, "EAAnotatoken").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({ "data": {
            "error": { "code": 190, "message": "Invalid OAuth access token." },
            "is_valid": false,
            "scopes": [],
        } })
    );
    let (status, body) = fb
        .graph_get(
            "debug_token",
            &[
                ("input_token", "EAAx"),
                ("access_token", &format!("{APP_ID}|wrong")),
            ],
        )
        .await;
    assert_graph_error(
        status,
        &body,
        190,
        None,
        "Invalid OAuth access token signature.",
    );
    let (status, body) = fb
        .graph_get(
            "debug_token",
            &[("access_token", &format!("{APP_ID}|{APP_SECRET}"))],
        )
        .await;
    assert_graph_error(
        status,
        &body,
        100,
        None,
        "(#100) The parameter input_token is required",
    );
}
