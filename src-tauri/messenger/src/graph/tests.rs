use super::*;

fn query(url: &Url) -> Vec<(String, String)> {
    url.query_pairs().into_owned().collect()
}

fn sandbox() -> GraphApi {
    GraphApi::new("http://127.0.0.1:9", "http://127.0.0.1:9/").unwrap()
}

#[test]
fn the_login_dialog_url_is_encoded_and_asks_for_the_page_scopes() {
    let graph = GraphApi::facebook().unwrap();
    let url = graph.login_dialog_url(
        "123",
        "https://www.facebook.com/connect/login_success.html",
        "s t&=",
    );
    assert!(
        url.starts_with("https://www.facebook.com/v25.0/dialog/oauth?client_id=123&redirect_uri=https%3A%2F%2Fwww.facebook.com%2Fconnect%2Flogin_success.html&state=s+t%26%3D&"),
        "{url}"
    );
    let parsed = Url::parse(&url).unwrap();
    assert_eq!(
        query(&parsed)[3..],
        [
            ("response_type".into(), "code".into()),
            (
                "scope".into(),
                "pages_show_list,pages_messaging,pages_manage_metadata,pages_read_engagement"
                    .into()
            ),
        ]
    );
}

#[test]
fn bases_gain_a_trailing_slash_and_keep_their_path() {
    let graph = GraphApi::new("http://127.0.0.1:9/fb", "http://127.0.0.1:9").unwrap();
    assert_eq!(graph.graph_base(), "http://127.0.0.1:9/fb/");
    let url = graph.endpoint(&["me", "accounts"], &[]);
    assert_eq!(url.as_str(), "http://127.0.0.1:9/fb/v25.0/me/accounts?");
    assert!(
        graph
            .login_dialog_url("1", "http://x/", "s")
            .starts_with("http://127.0.0.1:9/v25.0/dialog/oauth?")
    );
    assert!(GraphApi::new("mailto:a@b", "http://x/").is_err());
    assert!(GraphApi::new("not a url", "http://x/").is_err());
}

#[test]
fn a_page_id_cannot_change_the_path_or_query() {
    let url = sandbox().endpoint(&["1/../me?x=1", "subscribed_apps"], &[("a", "b")]);
    assert_eq!(
        url.as_str(),
        "http://127.0.0.1:9/v25.0/1%2F..%2Fme%3Fx=1/subscribed_apps?a=b"
    );
}

#[test]
fn paging_follows_next_on_our_host_and_otherwise_the_cursor() {
    let graph = sandbox();
    let token = Secret::new("USER-TOKEN");
    let paging = |next: Option<&str>, after: Option<&str>| {
        Some(Paging {
            next: next.map(Into::into),
            cursors: Some(Cursors {
                after: after.map(Into::into),
            }),
        })
    };
    let own = "http://127.0.0.1:9/v25.0/me/accounts?access_token=USER-TOKEN&after=QVFI";
    assert_eq!(
        graph
            .next_accounts_url(&token, paging(Some(own), Some("x")))
            .unwrap()
            .as_str(),
        own
    );
    // Another host would receive the token: rebuild from the cursor instead.
    let foreign = graph
        .next_accounts_url(
            &token,
            paging(Some("https://evil.example/?a=1"), Some("QVFI")),
        )
        .unwrap();
    assert_eq!(foreign.host_str(), Some("127.0.0.1"));
    assert!(query(&foreign).contains(&("after".into(), "QVFI".into())));
    assert!(query(&foreign).contains(&("access_token".into(), "USER-TOKEN".into())));
    // No `next`: the last page, even with a cursor.
    assert!(
        graph
            .next_accounts_url(&token, paging(None, Some("QVFI")))
            .is_none()
    );
    assert!(graph.next_accounts_url(&token, None).is_none());
}

#[test]
fn decoding_errors_do_not_quote_values() {
    let value = serde_json::json!({"access_token": 5, "expires_in": "SECRET-ISH"});
    let error = decode::<UserToken>("x", value).unwrap_err();
    assert!(!error.to_string().contains("SECRET-ISH"), "{error}");
    let error = decode::<UserToken>("x", serde_json::json!({})).unwrap_err();
    assert!(error.to_string().contains("missing field `access_token`"));
}

#[tokio::test]
async fn network_errors_never_show_the_url_or_secrets() {
    // Port 9 (discard) on localhost is closed on test machines: a refused connection.
    let graph = sandbox();
    let secret = Secret::new("APP-SECRET-VALUE");
    let error = graph
        .exchange_code("123", &secret, "http://r/", "CODE-VALUE")
        .await
        .unwrap_err();
    assert!(matches!(error, GraphError::Network(_)), "{error:?}");
    for shown in [
        error.to_string(),
        format!("{error:?}"),
        format!("{graph:?}"),
    ] {
        assert!(!shown.contains("APP-SECRET-VALUE"), "{shown}");
        assert!(!shown.contains("CODE-VALUE"), "{shown}");
        assert!(!shown.contains("127.0.0.1:9/v25.0"), "{shown}");
    }
}

#[tokio::test]
async fn a_picture_address_must_be_a_web_url() {
    let error = sandbox().picture("file:///etc/passwd").await.unwrap_err();
    assert!(matches!(error, GraphError::Protocol(_)));
}

#[test]
fn metas_messages_lose_the_credentials_they_quote() {
    let mut url = Url::parse("http://127.0.0.1:9/v25.0/debug_token").unwrap();
    url.query_pairs_mut()
        .append_pair("input_token", "EAAGbadtoken")
        .append_pair("access_token", "123|s3cr3t")
        .append_pair("fields", "id");
    let secrets = secrets_in(&url);
    assert_eq!(secrets, ["EAAGbadtoken", "123|s3cr3t", "s3cr3t"]);
    assert_eq!(
        redact(
            "Malformed access token EAAGbadtoken for 123|s3cr3t, s3cr3t",
            &secrets
        ),
        "Malformed access token <redacted> for <redacted>, <redacted>"
    );
}
