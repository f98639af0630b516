//! `/{page-id}/subscribed_apps`: subscribing the app to a page's webhooks, bad fields, the
//! wrong kind of token, and a forced failure for one page out of three.

mod fb;

use fb::{APP_ID, JOBS, SALES, SUPPORT, assert_graph_error, start};
use reqwest::StatusCode;
use serde_json::json;
use switchboard_sandbox::{SubscribeFault, Subscription};

const FIELDS: &str = "messages,messaging_postbacks,message_echoes,messaging_handovers,standby";

#[tokio::test]
async fn subscribing_records_the_fields_and_lists_them() {
    let fb = start().await;
    let user = fb.long_lived_token(&[SUPPORT]).await;
    let (_, page_token) = fb.page_tokens(&user).await.remove(0);
    let path = format!("{SUPPORT}/subscribed_apps");
    let (status, body) = fb
        .graph_post(
            &path,
            &[("subscribed_fields", FIELDS), ("access_token", &page_token)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "success": true }));

    let (status, body) = fb.graph_get(&path, &[("access_token", &page_token)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let fields: Vec<&str> = FIELDS.split(',').collect();
    assert_eq!(
        body,
        json!({ "data": [{ "name": "Switchboard", "id": APP_ID, "subscribed_fields": fields }] })
    );
    assert_eq!(
        fb.facebook().subscriptions(SUPPORT).expect("page"),
        vec![Subscription {
            app_id: APP_ID.to_owned(),
            subscribed_fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        }]
    );
    // Over the control API too.
    let control: serde_json::Value = fb
        .get(&fb.url(&format!("_sandbox/facebook/pages/{SUPPORT}/subscriptions")))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(control["result"][0]["app_id"], APP_ID, "{control}");

    // JSON-array syntax and DELETE.
    let (status, _) = fb
        .graph_post(
            &path,
            &[
                ("subscribed_fields", "[\"messages\"]"),
                ("access_token", &page_token),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        fb.facebook().subscriptions(SUPPORT).expect("page")[0].subscribed_fields,
        ["messages"]
    );
    let response = fb
        .http
        .delete(fb.url(&format!("v25.0/{path}")))
        .query(&[("access_token", &page_token)])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        fb.facebook()
            .subscriptions(SUPPORT)
            .expect("page")
            .is_empty()
    );
}

#[tokio::test]
async fn an_unknown_field_is_refused_with_the_list_of_valid_ones() {
    let fb = start().await;
    let user = fb.user_token(&[SUPPORT]).await;
    let (_, page_token) = fb.page_tokens(&user).await.remove(0);
    let (status, body) = fb
        .graph_post(
            &format!("{SUPPORT}/subscribed_apps"),
            &[
                ("subscribed_fields", "messages,x"),
                ("access_token", &page_token),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 100);
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.starts_with("(#100) Param subscribed_fields[1] must be one of {feed, "),
        "{message}"
    );
    assert!(message.contains(", messages, "), "{message}");
    assert!(message.ends_with("} - got \"x\""), "{message}");
    assert!(
        fb.facebook()
            .subscriptions(SUPPORT)
            .expect("page")
            .is_empty()
    );

    let (status, body) = fb
        .graph_post(
            &format!("{SUPPORT}/subscribed_apps"),
            &[("access_token", &page_token)],
        )
        .await;
    assert_graph_error(
        status,
        &body,
        100,
        None,
        "(#100) The parameter subscribed_fields is required",
    );
}

#[tokio::test]
async fn one_of_three_pages_fails_when_a_failure_is_forced() {
    let fb = start().await;
    let user = fb.long_lived_token(&[SUPPORT, SALES, JOBS]).await;
    fb.facebook()
        .fail_next_subscription(SALES, SubscribeFault::missing_permission())
        .expect("page");
    let mut outcomes = Vec::new();
    for (page_id, token) in fb.page_tokens(&user).await {
        let (status, body) = fb
            .graph_post(
                &format!("{page_id}/subscribed_apps"),
                &[("subscribed_fields", FIELDS), ("access_token", &token)],
            )
            .await;
        if page_id == SALES {
            assert_graph_error(
                status,
                &body,
                200,
                None,
                "(#200) Requires pages_manage_metadata permission to manage the object",
            );
        }
        outcomes.push((page_id, status));
    }
    assert_eq!(
        outcomes,
        [
            (SUPPORT.to_owned(), StatusCode::OK),
            (SALES.to_owned(), StatusCode::BAD_REQUEST),
            (JOBS.to_owned(), StatusCode::OK),
        ]
    );
    assert!(fb.facebook().subscriptions(SALES).expect("page").is_empty());

    // The fault is used up: a retry succeeds. A 190 fault armed over HTTP carries subcode 460.
    let sales_token = fb.page_tokens(&user).await.remove(1).1;
    let post = |fields: &'static str| {
        let token = sales_token.clone();
        let fb = &fb;
        async move {
            fb.graph_post(
                &format!("{SALES}/subscribed_apps"),
                &[("subscribed_fields", fields), ("access_token", &token)],
            )
            .await
        }
    };
    assert_eq!(post("messages").await.0, StatusCode::OK);
    let response = fb
        .http
        .post(fb.url(&format!(
            "_sandbox/facebook/pages/{SALES}/subscription-faults"
        )))
        .json(&json!({ "code": 190 }))
        .send()
        .await
        .expect("control");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, body) = post("messages").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 190, "{body}");
    assert_eq!(body["error"]["error_subcode"], 460, "{body}");
}

#[tokio::test]
async fn subscribing_needs_that_pages_token_and_pages_manage_metadata() {
    let fb = start().await;
    let user = fb.user_token(&[SUPPORT, SALES]).await;
    let tokens = fb.page_tokens(&user).await;
    let path = format!("{SUPPORT}/subscribed_apps");
    let (status, body) = fb
        .graph_post(
            &path,
            &[("subscribed_fields", "messages"), ("access_token", &user)],
        )
        .await;
    assert_graph_error(
        status,
        &body,
        210,
        None,
        "(#210) A page access token is required to request this resource.",
    );
    let sales_token = &tokens[1].1;
    let (status, body) = fb
        .graph_post(
            &path,
            &[
                ("subscribed_fields", "messages"),
                ("access_token", sales_token),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 100);
    assert_eq!(body["error"]["error_subcode"], 33);
    assert_eq!(body["error"]["type"], "GraphMethodException");

    // Granted without pages_manage_metadata.
    let (session, _) = fb.log_in("s", "pages_show_list,pages_messaging").await;
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
    let (_, body) = fb.exchange(&code, fb::REDIRECT, fb::APP_SECRET).await;
    let weak_user = body["access_token"].as_str().expect("token").to_owned();
    let (_, weak_page) = fb.page_tokens(&weak_user).await.remove(0);
    let (status, body) = fb
        .graph_post(
            &path,
            &[
                ("subscribed_fields", "messages"),
                ("access_token", &weak_page),
            ],
        )
        .await;
    assert_graph_error(
        status,
        &body,
        200,
        None,
        "(#200) Requires pages_manage_metadata permission to manage the object",
    );
}
