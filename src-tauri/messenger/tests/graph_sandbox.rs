//! Facebook Login for pages against the sandbox's Facebook: the dialog driven
//! through its HTML, the token exchanges, the page list, subscribing and
//! token checks, and each failure in the words a person reads.

mod dialog;

use dialog::{APP_ID, APP_SECRET, EMAIL, Fb, JOBS, Person, REDIRECT, SALES, SUPPORT, start};
use switchboard_messenger::{
    GraphError, LoginAttempt, LoginError, PageAccount, Problem, SUBSCRIBED_FIELDS, Secret,
    UserToken, classify, details, explain,
};
use switchboard_sandbox::{FacebookPage, Revocation, SubscribeFault};

fn secret() -> Secret {
    Secret::new(APP_SECRET)
}

fn attempt() -> LoginAttempt {
    LoginAttempt::new(APP_ID, REDIRECT, &mut rand::rng()).expect("a web redirect URI")
}

/// Logs in through the dialog and returns the code from the redirect.
async fn code(fb: &Fb, person: &Person<'_>) -> String {
    let attempt = attempt();
    let redirect = fb.log_in(&attempt, person).await;
    attempt.parse_redirect(&redirect).expect("a code")
}

/// The whole login: dialog, code exchange, long-lived token, pages.
async fn logged_in(fb: &Fb) -> (UserToken, Vec<PageAccount>) {
    let code = code(fb, &Person::admin_allowing_all()).await;
    let short = fb
        .graph
        .exchange_code(APP_ID, &secret(), REDIRECT, &code)
        .await
        .expect("code exchange");
    let long = fb
        .graph
        .long_lived(APP_ID, &secret(), &short.access_token)
        .await
        .expect("long-lived exchange");
    let pages = fb.graph.pages(&long.access_token).await.expect("pages");
    (long, pages)
}

fn page<'a>(pages: &'a [PageAccount], id: &str) -> &'a PageAccount {
    pages.iter().find(|p| p.id == id).expect("the page")
}

#[tokio::test]
async fn a_login_yields_a_long_lived_token_and_the_granted_pages_with_tasks_and_pictures() {
    let fb = start().await;
    let attempt = attempt();
    let person = Person {
        pages: Some(&[SUPPORT, JOBS]),
        ..Person::admin_allowing_all()
    };
    let redirect = fb.log_in(&attempt, &person).await;
    assert!(redirect.ends_with("#_=_"), "{redirect}");
    let code = attempt.parse_redirect(&redirect).expect("a code");

    let short = fb
        .graph
        .exchange_code(APP_ID, &secret(), attempt.redirect_uri(), &code)
        .await
        .expect("code exchange");
    assert_eq!(short.expires_in, Some(5183));
    let long = fb
        .graph
        .long_lived(APP_ID, &secret(), &short.access_token)
        .await
        .expect("long-lived exchange");
    assert_eq!(long.expires_in, Some(60 * 24 * 3600));
    assert_ne!(long.access_token, short.access_token);

    let pages = fb.graph.pages(&long.access_token).await.expect("pages");
    let names: Vec<&str> = pages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Acme Support", "Acme Jobs"]);
    assert!(page(&pages, SUPPORT).can_message());
    assert!(page(&pages, SUPPORT).tasks.iter().any(|t| t == "MANAGE"));
    // Jobs: the person may moderate but not answer messages.
    assert!(!page(&pages, JOBS).can_message());
    assert!(!page(&pages, JOBS).access_token.is_empty());

    for page in &pages {
        let url = page.picture_url.as_deref().expect("a picture URL");
        let (bytes, content_type) = fb.graph.picture(url).await.expect("the picture");
        assert_eq!(content_type, "image/png");
        assert!(bytes.starts_with(b"\x89PNG"), "{} bytes", bytes.len());
    }
}

#[tokio::test]
async fn a_code_works_once_and_reuse_is_explained() {
    let fb = start().await;
    let code = code(&fb, &Person::admin_allowing_all()).await;
    fb.graph
        .exchange_code(APP_ID, &secret(), REDIRECT, &code)
        .await
        .expect("first exchange");
    let error = fb
        .graph
        .exchange_code(APP_ID, &secret(), REDIRECT, &code)
        .await
        .expect_err("a used code");
    assert_eq!((error.code(), error.subcode()), (Some(100), Some(36009)));
    assert_eq!(classify(&error), Problem::CodeAlreadyUsed);
    assert!(
        explain(&error).contains("already used"),
        "{}",
        explain(&error)
    );
    assert!(
        details(&error)
            .unwrap()
            .contains("This authorization code has been used.")
    );
}

#[tokio::test]
async fn exchange_failures_point_at_what_to_fix() {
    let fb = start().await;
    let code = code(&fb, &Person::admin_allowing_all()).await;
    let exchange = |app_id: &'static str, secret: &'static str, redirect: &'static str| {
        let graph = fb.graph.clone();
        let code = code.clone();
        async move {
            graph
                .exchange_code(app_id, &Secret::new(secret), redirect, &code)
                .await
                .expect_err("refused")
        }
    };
    let wrong_secret = exchange(APP_ID, "ffffffffffffffff", REDIRECT).await;
    assert_eq!(classify(&wrong_secret), Problem::WrongAppSecret);
    assert!(explain(&wrong_secret).contains("The Facebook app secret in Settings is wrong"));
    assert!(!format!("{wrong_secret:?}").contains("ffffffffffffffff"));

    let wrong_app = exchange("999", APP_SECRET, REDIRECT).await;
    assert_eq!(classify(&wrong_app), Problem::InvalidAppId);

    let other_redirect = exchange(APP_ID, APP_SECRET, "https://example.com/cb").await;
    assert_eq!(classify(&other_redirect), Problem::RedirectMismatch);

    // None of those used the code up; ten minutes later it is gone.
    fb.sandbox.facebook().expire_codes();
    let expired = exchange(APP_ID, APP_SECRET, REDIRECT).await;
    assert_eq!(classify(&expired), Problem::CodeExpired);
    assert!(explain(&expired).contains("expired"));
}

#[tokio::test]
async fn cancelling_the_dialog_or_another_attempts_answer_is_refused_in_words() {
    let fb = start().await;
    let attempt = attempt();
    let person = Person {
        allow: false,
        ..Person::admin_allowing_all()
    };
    let redirect = fb.log_in(&attempt, &person).await;
    let error = attempt.parse_redirect(&redirect).expect_err("cancelled");
    assert_eq!(error, LoginError::Cancelled);
    assert_eq!(
        error.to_string(),
        "Facebook Login was cancelled; nothing was changed."
    );

    let first = dialog::Person::admin_allowing_all();
    let redirect = fb.log_in(&attempt, &first).await;
    let other = self::attempt();
    assert_eq!(
        other.parse_redirect(&redirect),
        Err(LoginError::StateMismatch)
    );
}

#[tokio::test]
async fn pages_follow_paging_until_the_last_one() {
    let fb = start().await;
    let control = fb.sandbox.facebook();
    for n in 0..30 {
        control
            .add_page(FacebookPage {
                id: None,
                name: format!("Branch {n:02}"),
                manager_email: EMAIL.into(),
                tasks: vec!["MESSAGING".into()],
                category: None,
            })
            .expect("a page");
    }
    let (_, pages) = logged_in(&fb).await;
    // The sandbox answers 25 per request: this took two.
    assert_eq!(pages.len(), 33);
    let mut ids: Vec<&str> = pages.iter().map(|p| p.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 33);
    assert!(pages.iter().all(|p| p.picture_url.is_some()));
}

#[tokio::test]
async fn subscribing_records_our_fields_and_a_refusal_is_explained() {
    let fb = start().await;
    let (_, pages) = logged_in(&fb).await;
    let control = fb.sandbox.facebook();
    let support = page(&pages, SUPPORT);
    fb.graph
        .subscribe_app(SUPPORT, &support.access_token)
        .await
        .expect("subscribed");
    let subscriptions = control.subscriptions(SUPPORT).expect("subscriptions");
    assert_eq!(subscriptions.len(), 1);
    assert_eq!(subscriptions[0].app_id, APP_ID);
    assert_eq!(
        subscriptions[0].subscribed_fields.join(","),
        SUBSCRIBED_FIELDS
    );

    control
        .fail_next_subscription(SALES, SubscribeFault::missing_permission())
        .expect("a fault");
    let sales = page(&pages, SALES);
    let error = fb
        .graph
        .subscribe_app(SALES, &sales.access_token)
        .await
        .expect_err("refused");
    assert_eq!(
        classify(&error),
        Problem::MissingPermission(Some("pages_manage_metadata"))
    );
    assert!(explain(&error).contains("pages_manage_metadata"));
    assert!(
        control
            .subscriptions(SALES)
            .expect("subscriptions")
            .is_empty()
    );

    control
        .fail_next_subscription(
            SALES,
            SubscribeFault {
                code: 613,
                error_subcode: None,
                message: None,
                http_status: None,
            },
        )
        .expect("a fault");
    let error = fb
        .graph
        .subscribe_app(SALES, &sales.access_token)
        .await
        .expect_err("rate limited");
    assert_eq!(classify(&error), Problem::RateLimited);
    // The fault is used up: the next try works.
    fb.graph
        .subscribe_app(SALES, &sales.access_token)
        .await
        .expect("subscribed after the fault");
}

#[tokio::test]
async fn debug_token_says_valid_then_revoked_in_words() {
    let fb = start().await;
    let (long, pages) = logged_in(&fb).await;
    let token = &page(&pages, SUPPORT).access_token;
    let info = fb
        .graph
        .debug_token(APP_ID, &secret(), token)
        .await
        .expect("token info");
    assert!(info.is_valid);
    assert_eq!(info.kind.as_deref(), Some("PAGE"));
    assert_eq!(
        info.expires_at(),
        None,
        "page tokens from a long-lived token never expire"
    );
    assert_eq!(info.app_id.as_deref(), Some(APP_ID));
    assert_eq!(info.profile_id.as_deref(), Some(SUPPORT));
    assert!(info.has_scopes(&["pages_messaging", "pages_manage_metadata"]));
    assert_eq!(info.problem(), None);

    fb.sandbox
        .facebook()
        .revoke_token(token.expose())
        .expect("revoked");
    let info = fb
        .graph
        .debug_token(APP_ID, &secret(), token)
        .await
        .expect("token info");
    assert!(!info.is_valid);
    let problem = info.problem().expect("a reason");
    assert_eq!((problem.code(), problem.subcode()), (Some(190), Some(467)));
    assert!(explain(&problem).starts_with("Facebook no longer accepts this login"));

    // The page token itself is now refused by the API, in the same words.
    let error = fb
        .graph
        .subscribe_app(SUPPORT, token)
        .await
        .expect_err("a revoked token");
    assert_eq!(classify(&error), classify(&problem));

    // A password change ends the user token too, and says so.
    fb.sandbox
        .facebook()
        .revoke_token_because(long.access_token.expose(), Revocation::PasswordChanged)
        .expect("revoked");
    let error = fb.graph.pages(&long.access_token).await.expect_err("dead");
    assert!(
        explain(&error).contains("password was changed"),
        "{}",
        explain(&error)
    );
}

#[tokio::test]
async fn tokens_meta_quotes_back_never_reach_errors() {
    let fb = start().await;
    let fake = Secret::new(format!("EAA{}", "x".repeat(180)));
    let error = fb.graph.pages(&fake).await.expect_err("unknown token");
    assert!(
        matches!(error, GraphError::Api { code: 190, .. }),
        "{error:?}"
    );
    let shown = format!("{error} {error:?} {}", details(&error).unwrap());
    assert!(
        shown.contains("Malformed access token <redacted>"),
        "{shown}"
    );
    assert!(!shown.contains(fake.expose()), "{shown}");
}

#[tokio::test]
async fn a_token_check_with_a_wrong_app_secret_blames_the_secret() {
    let fb = start().await;
    let (long, _) = logged_in(&fb).await;
    let error = fb
        .graph
        .debug_token(APP_ID, &Secret::new("ffffffffffffffff"), &long.access_token)
        .await
        .expect_err("a wrong app secret");
    assert_eq!(classify(&error), Problem::WrongAppSecret, "{error:?}");
    assert!(!details(&error).unwrap().contains("ffffffffffffffff"));
}
