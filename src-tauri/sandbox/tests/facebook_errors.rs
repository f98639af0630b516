//! Graph's error envelopes for bad tokens, missing tokens and unknown paths; Telegram's paths
//! are unaffected by Facebook sharing the server.

mod fb;

use fb::{SUPPORT, assert_graph_error, start};
use reqwest::StatusCode;

#[tokio::test]
async fn bad_and_missing_tokens_get_graphs_errors() {
    let fb = start().await;
    let (status, body) = fb
        .graph_get("me/accounts", &[("access_token", "garbage!")])
        .await;
    assert_graph_error(
        status,
        &body,
        190,
        None,
        "Invalid OAuth access token - Cannot parse access token",
    );
    assert_eq!(body["error"]["type"], "OAuthException");
    let (status, body) = fb
        .graph_get("me/accounts", &[("access_token", "EAAunknown")])
        .await;
    assert_graph_error(
        status,
        &body,
        190,
        None,
        "Malformed access token EAAunknown",
    );
    let (status, body) = fb.graph_get("me/accounts", &[]).await;
    assert_graph_error(
        status,
        &body,
        2500,
        None,
        "An active access token must be used to query information about the current user.",
    );
    let (status, body) = fb
        .graph_get(&format!("{SUPPORT}/subscribed_apps"), &[])
        .await;
    assert_graph_error(
        status,
        &body,
        104,
        None,
        "An access token is required to request this resource.",
    );
}

#[tokio::test]
async fn trace_ids_differ_between_errors() {
    let fb = start().await;
    let (_, first) = fb.graph_get("me", &[]).await;
    let (_, second) = fb.graph_get("me", &[]).await;
    assert_ne!(first["error"]["fbtrace_id"], second["error"]["fbtrace_id"]);
}

#[tokio::test]
async fn unknown_paths_and_objects() {
    let fb = start().await;
    let user = fb.user_token(&[SUPPORT]).await;
    let (status, body) = fb
        .graph_get("me/accounts/extra", &[("access_token", &user)])
        .await;
    assert_graph_error(status, &body, 2500, None, "Unknown path components: /extra");
    let (status, body) = fb.graph_get("me/friendz", &[("access_token", &user)]).await;
    assert_graph_error(
        status,
        &body,
        100,
        None,
        "(#100) Tried accessing nonexisting field (friendz) on node type (User)",
    );
    let (status, body) = fb.graph_get("999999999", &[("access_token", &user)]).await;
    assert_graph_error(
        status,
        &body,
        100,
        Some(33),
        "Unsupported get request. Object with ID '999999999' does not exist, cannot be loaded \
         due to missing permissions, or does not support this operation. Please read the Graph \
         API documentation at https://developers.facebook.com/docs/graph-api",
    );
    assert_eq!(body["error"]["type"], "GraphMethodException");
    // A granted page is visible as a node; unversioned paths work as on graph.facebook.com.
    let response = fb
        .get(&format!(
            "{}{SUPPORT}?access_token={user}",
            fb.sandbox.base_url()
        ))
        .await;
    let (status, body) = fb::read(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Acme Support");
}

#[tokio::test]
async fn telegram_paths_still_belong_to_telegram() {
    let fb = start().await;
    let response = fb.get(&fb.url("nothing/here")).await;
    let (status, body) = fb::read(response).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["description"], "Not Found");
    let response = fb.get(&fb.url("bot1:abc/getMe")).await;
    let (status, body) = fb::read(response).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["ok"], false);
}
