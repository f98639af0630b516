//! The OAuth dialog as a person (or WebDriver) goes through it: HTML pages with test ids,
//! plain forms, and the redirect back to the app.

mod fb;

use fb::{
    APP_ID, EMAIL, JOBS, REDIRECT, SALES, SCOPES, SUPPORT, location, param, query_of, session_of,
    start, urlencode,
};
use reqwest::StatusCode;
use switchboard_sandbox::FacebookPage;

#[tokio::test]
async fn dialog_walks_login_pages_and_grant_then_redirects_with_code_and_state() {
    let fb = start().await;
    let (status, html) = fb.get_html(&fb.dialog_url("s-42", SCOPES)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"fb-login\""), "{html}");
    assert!(html.contains("type=\"password\""), "{html}");
    let session = session_of(&html);

    let response = fb
        .submit(
            "dialog/oauth/login",
            &[("session", &session), ("email", EMAIL), ("pass", "sandbox")],
        )
        .await;
    let html = response.text().await.expect("body");
    for (id, name) in [
        (SUPPORT, "Acme Support"),
        (SALES, "Acme Sales"),
        (JOBS, "Acme Jobs"),
    ] {
        assert!(html.contains(&format!("data-page-id=\"{id}\"")), "{html}");
        assert!(html.contains(name), "{html}");
    }
    assert_eq!(html.matches("data-testid=\"fb-page-checkbox\"").count(), 3);
    assert!(html.contains("data-testid=\"fb-continue\""), "{html}");

    let response = fb
        .submit(
            "dialog/oauth/pages",
            &[("session", &session), ("page", SUPPORT), ("page", JOBS)],
        )
        .await;
    let html = response.text().await.expect("body");
    assert!(html.contains("data-testid=\"fb-allow\""), "{html}");
    assert!(html.contains("data-testid=\"fb-cancel\""), "{html}");
    for scope in SCOPES.split(',') {
        assert!(
            html.contains(&format!("data-scope=\"{scope}\"")),
            "{scope}: {html}"
        );
    }
    assert!(
        html.contains("Acme Jobs") && !html.contains("Acme Sales"),
        "{html}"
    );

    let response = fb
        .submit(
            "dialog/oauth/grant",
            &[("session", &session), ("decision", "allow")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = location(&response);
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    assert!(location.ends_with("&state=s-42#_=_"), "{location}");
    let code = param(&query_of(&location), "code")
        .expect("code")
        .to_owned();
    assert!(code.len() > 100, "{code}");
}

#[tokio::test]
async fn a_wrong_password_shows_an_error_on_the_login_page() {
    let fb = start().await;
    let (_, html) = fb.get_html(&fb.dialog_url("s", SCOPES)).await;
    let session = session_of(&html);
    let response = fb
        .submit(
            "dialog/oauth/login",
            &[("session", &session), ("email", EMAIL), ("pass", "nope")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("body");
    assert!(html.contains("data-testid=\"fb-login-error\""), "{html}");
    assert!(
        html.contains("The password that you&#39;ve entered is incorrect."),
        "{html}"
    );
    assert!(html.contains("data-testid=\"fb-login\""), "{html}");
    // The same session can try again.
    let response = fb
        .submit(
            "dialog/oauth/login",
            &[("session", &session), ("email", EMAIL), ("pass", "sandbox")],
        )
        .await;
    let html = response.text().await.expect("body");
    assert!(html.contains("fb-page-checkbox"), "{html}");
}

#[tokio::test]
async fn cancel_redirects_with_access_denied_and_the_state() {
    let fb = start().await;
    let (session, _) = fb.log_in("xyz", SCOPES).await;
    fb.submit(
        "dialog/oauth/pages",
        &[("session", &session), ("page", SUPPORT)],
    )
    .await;
    let response = fb
        .submit(
            "dialog/oauth/grant",
            &[("session", &session), ("decision", "cancel")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        location(&response),
        format!(
            "{REDIRECT}?error=access_denied&error_code=200&error_description=Permissions+error\
             &error_reason=user_denied&state=xyz#_=_"
        )
    );
    // The dialog is over: its session cannot be used again.
    let response = fb
        .submit(
            "dialog/oauth/grant",
            &[("session", &session), ("decision", "allow")],
        )
        .await;
    let html = response.text().await.expect("body");
    assert!(html.contains("data-testid=\"fb-error\""), "{html}");
}

#[tokio::test]
async fn bad_requests_get_an_error_page_and_no_redirect() {
    let fb = start().await;
    let cases = [
        (
            format!("client_id=999&redirect_uri={}", urlencode(REDIRECT)),
            "Invalid App ID",
        ),
        (
            format!("redirect_uri={}", urlencode(REDIRECT)),
            "Invalid App ID",
        ),
        (
            format!(
                "client_id={APP_ID}&redirect_uri={}",
                urlencode("https://evil.example/cb")
            ),
            "URL Blocked",
        ),
        (
            format!("client_id={APP_ID}"),
            "Missing redirect_uri parameter.",
        ),
    ];
    for (query, expected) in cases {
        let response = fb
            .get(&fb.url(&format!("v25.0/dialog/oauth?{query}")))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        assert!(response.headers().get("location").is_none(), "{query}");
        let html = response.text().await.expect("body");
        assert!(html.contains("data-testid=\"fb-error\""), "{query}: {html}");
        assert!(html.contains(expected), "{query}: {html}");
        assert!(!html.contains("fb-login"), "{query}: {html}");
    }
}

#[tokio::test]
async fn the_unversioned_dialog_path_and_other_allowed_redirects_work() {
    let fb = start().await;
    let callback = "http://127.0.0.1:9/callback";
    fb.facebook()
        .add_app(switchboard_sandbox::FacebookApp {
            app_id: APP_ID.to_owned(),
            app_secret: fb::APP_SECRET.to_owned(),
            name: Some("Switchboard Dev".to_owned()),
            redirect_uris: vec![REDIRECT.to_owned(), callback.to_owned()],
        })
        .expect("app");
    let url = fb.url(&format!(
        "dialog/oauth?client_id={APP_ID}&redirect_uri={}&scope=email",
        urlencode(callback)
    ));
    let (status, html) = fb.get_html(&url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Switchboard Dev"), "{html}");
    // Without page permissions there is no page step: login leads to the grant page.
    let session = session_of(&html);
    let response = fb
        .submit(
            "dialog/oauth/login",
            &[("session", &session), ("email", EMAIL), ("pass", "sandbox")],
        )
        .await;
    let html = response.text().await.expect("body");
    assert!(
        html.contains("fb-allow") && !html.contains("fb-page-checkbox"),
        "{html}"
    );
    let response = fb
        .submit(
            "dialog/oauth/grant",
            &[("session", &session), ("decision", "allow")],
        )
        .await;
    let location = location(&response);
    assert!(
        location.starts_with(&format!("{callback}?code=")),
        "{location}"
    );
    assert!(
        !location.contains("state="),
        "no state was given: {location}"
    );
}

#[tokio::test]
async fn unknown_scopes_are_shown_to_the_developer_and_ignored() {
    let fb = start().await;
    let (_, html) = fb
        .get_html(&fb.dialog_url("s", "pages_show_list,manage_pages"))
        .await;
    assert!(html.contains("data-testid=\"fb-invalid-scopes\""), "{html}");
    assert!(html.contains("Invalid Scopes: manage_pages"), "{html}");
}

#[tokio::test]
async fn page_names_and_typed_values_are_escaped_in_the_html() {
    let fb = start().await;
    fb.facebook()
        .add_page(FacebookPage {
            id: Some("109999999999999".to_owned()),
            name: "<script>alert(\"pwned\")</script> & Co".to_owned(),
            manager_email: EMAIL.to_owned(),
            tasks: vec!["MANAGE".to_owned(), "MESSAGING".to_owned()],
            category: None,
        })
        .expect("page");
    let (session, html) = fb.log_in("s", SCOPES).await;
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; Co"),
        "{html}"
    );
    // A typed email comes back escaped too.
    let (_, page) = fb.get_html(&fb.dialog_url("s", SCOPES)).await;
    let other = session_of(&page);
    let response = fb
        .submit(
            "dialog/oauth/login",
            &[
                ("session", &other),
                ("email", "\"><script>x</script>"),
                ("pass", "x"),
            ],
        )
        .await;
    let html = response.text().await.expect("body");
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""),
        "{html}"
    );
    // The escaped page still works as a choice.
    let response = fb
        .submit(
            "dialog/oauth/pages",
            &[("session", &session), ("page", "109999999999999")],
        )
        .await;
    let html = response.text().await.expect("body");
    assert!(html.contains("fb-granted-page\">&lt;script&gt;"), "{html}");
}
