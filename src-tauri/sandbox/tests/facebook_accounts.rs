//! `/me/accounts`: the granted pages with page tokens, `fields`, paging; page pictures.

mod fb;

use std::time::Duration;

use fb::{APP_ID, APP_SECRET, EMAIL, JOBS, SALES, SUPPORT, assert_graph_error, start};
use reqwest::StatusCode;
use serde_json::json;
use switchboard_sandbox::FacebookPage;

#[tokio::test]
async fn me_accounts_lists_the_granted_pages_with_the_requested_fields_only() {
    let fb = start().await;
    let token = fb.long_lived_token(&[SUPPORT, JOBS]).await;
    let (status, body) = fb
        .graph_get(
            "me/accounts",
            &[
                ("fields", "id,name,access_token,tasks,picture"),
                ("access_token", &token),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = body["data"].as_array().expect("data");
    assert_eq!(data.len(), 2, "Acme Sales was not chosen: {body}");
    let support = &data[0];
    assert_eq!(support["id"], SUPPORT);
    assert_eq!(support["name"], "Acme Support");
    let keys: Vec<&str> = support
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["access_token", "id", "name", "picture", "tasks"]);
    assert!(
        support["tasks"]
            .as_array()
            .expect("tasks")
            .contains(&json!("MESSAGING"))
    );
    let jobs = &data[1];
    assert_eq!(jobs["name"], "Acme Jobs");
    assert!(
        !jobs["tasks"]
            .as_array()
            .expect("tasks")
            .contains(&json!("MESSAGING")),
        "{jobs}"
    );
    let picture = &support["picture"]["data"];
    assert_eq!(picture["height"], 50);
    assert_eq!(picture["width"], 50);
    assert_eq!(picture["is_silhouette"], false);
    assert!(body["paging"]["cursors"]["before"].is_string(), "{body}");
    assert!(body["paging"]["cursors"]["after"].is_string(), "{body}");
    assert!(body["paging"].get("next").is_none(), "{body}");

    // The picture URL serves a PNG.
    let url = picture["url"].as_str().expect("url");
    assert!(url.starts_with(&fb.sandbox.base_url()), "{url}");
    let response = fb.get(url).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    let bytes = response.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"\x89PNG"));

    // Only what was asked for.
    let (_, body) = fb
        .graph_get(
            "me/accounts",
            &[("fields", "name"), ("access_token", &token)],
        )
        .await;
    assert_eq!(body["data"][0], json!({ "name": "Acme Support" }));
    // Without `fields`, Meta's defaults.
    let (_, body) = fb
        .graph_get("me/accounts", &[("access_token", &token)])
        .await;
    for key in [
        "access_token",
        "category",
        "category_list",
        "name",
        "id",
        "tasks",
    ] {
        assert!(body["data"][0].get(key).is_some(), "{key}: {body}");
    }
    assert!(body["data"][0].get("picture").is_none(), "{body}");
}

#[tokio::test]
async fn paging_follows_limit_and_after_cursors() {
    let fb = start().await;
    let facebook = fb.facebook();
    let mut all = vec![SUPPORT.to_owned(), SALES.to_owned(), JOBS.to_owned()];
    for n in 0..3 {
        let id = facebook
            .add_page(FacebookPage {
                id: None,
                name: format!("Extra {n}"),
                manager_email: EMAIL.to_owned(),
                tasks: vec!["MANAGE".to_owned()],
                category: None,
            })
            .expect("page");
        all.push(id);
    }
    let chosen: Vec<&str> = all.iter().map(String::as_str).collect();
    let token = fb.user_token(&chosen).await;
    let mut seen = Vec::new();
    let (status, mut body) = fb
        .graph_get(
            "me/accounts",
            &[("fields", "id"), ("limit", "4"), ("access_token", &token)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    loop {
        for page in body["data"].as_array().expect("data") {
            seen.push(page["id"].as_str().expect("id").to_owned());
        }
        let Some(next) = body["paging"]["next"].as_str() else {
            break;
        };
        assert!(next.contains("after="), "{next}");
        body = fb.get(next).await.json().await.expect("json");
    }
    assert_eq!(seen, all);

    // `after` by hand, and `previous` on a later page.
    let (_, first) = fb
        .graph_get(
            "me/accounts",
            &[("fields", "id"), ("limit", "2"), ("access_token", &token)],
        )
        .await;
    let after = first["paging"]["cursors"]["after"].as_str().expect("after");
    let (_, second) = fb
        .graph_get(
            "me/accounts",
            &[
                ("fields", "id"),
                ("limit", "2"),
                ("after", after),
                ("access_token", &token),
            ],
        )
        .await;
    assert_eq!(second["data"][0]["id"], all[2].as_str());
    assert!(second["paging"]["previous"].is_string(), "{second}");
}

#[tokio::test]
async fn page_tokens_from_a_long_lived_user_token_never_expire() {
    let fb = start().await;
    let long = fb.long_lived_token(&[SUPPORT]).await;
    let short = fb.user_token(&[SUPPORT]).await;
    let (_, long_page) = fb.page_tokens(&long).await.remove(0);
    let (_, short_page) = fb.page_tokens(&short).await.remove(0);
    assert_eq!(
        fb.page_tokens(&long).await[0].1,
        long_page,
        "stable per user token"
    );
    let app_token = format!("{APP_ID}|{APP_SECRET}");
    let (_, body) = fb
        .graph_get(
            "debug_token",
            &[("input_token", &long_page), ("access_token", &app_token)],
        )
        .await;
    assert_eq!(body["data"]["expires_at"], 0, "{body}");
    assert_eq!(body["data"]["type"], "PAGE");

    fb.facebook()
        .advance_clock(Duration::from_secs(70 * 24 * 3600));
    let (status, body) = fb
        .graph_get(
            &format!("{SUPPORT}/subscribed_apps"),
            &[("access_token", &long_page)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = fb
        .graph_get(
            &format!("{SUPPORT}/subscribed_apps"),
            &[("access_token", &short_page)],
        )
        .await;
    assert_eq!(body["error"]["error_subcode"], 463, "{body}");
}

#[tokio::test]
async fn me_accounts_needs_pages_show_list_and_a_user_token() {
    let fb = start().await;
    let location = {
        let (session, _) = fb.log_in("s", "pages_messaging").await;
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
        fb::location(&response)
    };
    let code = fb::param(&fb::query_of(&location), "code")
        .expect("code")
        .to_owned();
    let (_, body) = fb.exchange(&code, fb::REDIRECT, APP_SECRET).await;
    let token = body["access_token"].as_str().expect("token");
    let (status, body) = fb
        .graph_get("me/accounts", &[("access_token", token)])
        .await;
    assert_graph_error(
        status,
        &body,
        10,
        None,
        "(#10) This endpoint requires the 'pages_show_list' permission.",
    );

    let user = fb.user_token(&[SUPPORT]).await;
    let (_, page_token) = fb.page_tokens(&user).await.remove(0);
    let (status, body) = fb
        .graph_get("me/accounts", &[("access_token", &page_token)])
        .await;
    assert_graph_error(
        status,
        &body,
        100,
        None,
        "(#100) Tried accessing nonexisting field (accounts) on node type (Page)",
    );
    let (status, body) = fb
        .graph_get(
            "me/accounts",
            &[("fields", "id,fans"), ("access_token", &user)],
        )
        .await;
    assert_graph_error(
        status,
        &body,
        100,
        None,
        "(#100) Tried accessing nonexisting field (fans) on node type (Page)",
    );
}
