//! Facebook page selection through the application API, against the
//! sandbox's Facebook: settings, the login (walked like the webview would),
//! the picker, connecting pages — and every way it can end badly without
//! leaving anything half-created.

mod common;

#[path = "../../messenger/tests/dialog/mod.rs"]
mod dialog;

use std::sync::Arc;

use dialog::{APP_ID, APP_SECRET, Fb, JOBS, Person, SALES, SUPPORT};
use switchboard_engine::clock::SystemClock;
use switchboard_engine::secrets::{MemorySecrets, SecretKey, SecretStore};
use switchboard_ipc::{
    ConnectPages, ErrorCode, FacebookLogin, FacebookSettingsUpdate, PagePicker, Provider,
};
use switchboard_runtime::{FacebookEndpoints, Runtime, RuntimeConfig};
use switchboard_sandbox::SubscribeFault;

struct Setup {
    fb: Fb,
    dir: tempfile::TempDir,
    secrets: MemorySecrets,
    runtime: Arc<Runtime>,
}

/// A workspace whose Facebook is the sandbox (demo app, person and pages),
/// with the app's id and secret filled in.
async fn setup() -> Setup {
    let fb = dialog::start().await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemorySecrets::default();
    let base = fb.sandbox.base_url();
    let runtime = Runtime::start(
        RuntimeConfig {
            data_dir: dir.path().to_owned(),
            seed_telegram: None,
            telegram_api_base: base.clone(),
            facebook: FacebookEndpoints {
                graph_base: base.clone(),
                www_base: base,
            },
            messenger_listen: None,
        },
        Arc::new(secrets.clone()),
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    runtime
        .update_facebook_settings(FacebookSettingsUpdate {
            app_id: APP_ID.into(),
            app_secret: Some(APP_SECRET.into()),
            redirect_uri: None,
        })
        .await
        .unwrap();
    Setup {
        fb,
        dir,
        secrets,
        runtime,
    }
}

fn ticking(pages: &'static [&'static str]) -> Person<'static> {
    Person {
        pages: Some(pages),
        ..Person::admin_allowing_all()
    }
}

/// Runs the login as the shell would: open the dialog, catch the redirect, finish.
async fn log_in(
    s: &Setup,
    person: &Person<'_>,
) -> Result<FacebookLogin, switchboard_ipc::IpcError> {
    let start = s.runtime.begin_facebook_login().await?;
    let redirect =
        s.fb.log_in_at(
            &start.url,
            |url| s.runtime.is_facebook_redirect(&start.login_id, url),
            person,
        )
        .await;
    s.runtime
        .finish_facebook_login(&start.login_id, &redirect)
        .await
}

async fn picker(s: &Setup, person: &Person<'_>) -> PagePicker {
    match log_in(s, person).await.unwrap() {
        FacebookLogin::Pages(picker) => picker,
        FacebookLogin::Cancelled => panic!("cancelled"),
    }
}

fn token_of(s: &Setup, channel_id: &str) -> Option<String> {
    let workspace = s.runtime_workspace();
    s.secrets
        .get(&SecretKey::channel_token(&workspace, channel_id))
        .ok()
}

impl Setup {
    fn runtime_workspace(&self) -> String {
        self.runtime.workspace_id().to_owned()
    }
}

#[tokio::test]
async fn settings_keep_the_secret_out_of_sight_and_refuse_bad_input() {
    let s = setup().await;
    let settings = s.runtime.facebook_settings().await.unwrap();
    assert_eq!(settings.app_id, APP_ID);
    assert!(settings.app_secret_set);
    assert!(
        !serde_json::to_string(&settings)
            .unwrap()
            .contains(APP_SECRET)
    );
    let bad = s
        .runtime
        .update_facebook_settings(FacebookSettingsUpdate {
            app_id: "my-app".into(),
            app_secret: None,
            redirect_uri: None,
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidInput);
    let db = common::database_bytes(s.dir.path());
    assert!(
        !db.windows(APP_SECRET.len())
            .any(|w| w == APP_SECRET.as_bytes())
    );

    // Without an app id, "Add Facebook" says what to fill in first.
    s.runtime
        .update_facebook_settings(FacebookSettingsUpdate {
            app_id: String::new(),
            app_secret: None,
            redirect_uri: None,
        })
        .await
        .unwrap();
    let missing = s.runtime.begin_facebook_login().await.unwrap_err();
    assert!(
        missing.message.contains("App ID and App secret"),
        "{}",
        missing.message
    );
}

#[tokio::test]
async fn two_of_three_pages_become_inactive_subscribed_channels_with_tokens_in_the_keychain() {
    let s = setup().await;
    let picker = picker(&s, &ticking(&[SUPPORT, SALES])).await;
    let mut offered: Vec<&str> = picker.pages.iter().map(|p| p.id.as_str()).collect();
    offered.sort_unstable();
    assert_eq!(offered, [SUPPORT, SALES], "the pages granted in the dialog");
    assert!(
        picker
            .pages
            .iter()
            .all(|p| p.can_message && p.connected_channel_id.is_none())
    );
    assert!(picker.pages.iter().all(|p| {
        p.picture
            .as_deref()
            .is_some_and(|u| u.starts_with("data:image/png;base64,"))
    }));

    let results = s
        .runtime
        .connect_facebook_pages(ConnectPages {
            login_id: picker.login_id.clone(),
            page_ids: vec![SUPPORT.into(), SALES.into()],
        })
        .await
        .unwrap();
    assert!(
        results.iter().all(|r| r.error.is_none() && !r.refreshed),
        "{results:?}"
    );
    let channels = s.runtime.list_channels().await.unwrap();
    let mut names: Vec<&str> = channels.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Acme Sales", "Acme Support"]);
    assert!(
        channels
            .iter()
            .all(|c| c.provider == Provider::Messenger && !c.active)
    );

    let db = common::database_bytes(s.dir.path());
    for channel in &channels {
        let subscriptions =
            s.fb.sandbox
                .facebook()
                .subscriptions(&channel.external_id)
                .unwrap();
        assert_eq!(
            subscriptions.len(),
            1,
            "page {} subscribed once",
            channel.name
        );
        assert!(
            subscriptions[0]
                .subscribed_fields
                .iter()
                .any(|f| f == "standby")
        );
        let token = token_of(&s, &channel.id).expect("the page token is in the keychain");
        assert!(
            !db.windows(token.len()).any(|w| w == token.as_bytes()),
            "not in SQLite"
        );
        assert!(
            !serde_json::to_string(&results).unwrap().contains(&token),
            "not over IPC"
        );
    }

    // Running the flow again for a connected page refreshes it, no duplicate.
    let again = picker_again(&s).await;
    assert!(again.pages.iter().all(|p| p.connected_channel_id.is_some()));
    let refreshed = s
        .runtime
        .connect_facebook_pages(ConnectPages {
            login_id: again.login_id,
            page_ids: vec![SUPPORT.into()],
        })
        .await
        .unwrap();
    assert!(refreshed[0].refreshed);
    assert_eq!(s.runtime.list_channels().await.unwrap().len(), 2);
}

async fn picker_again(s: &Setup) -> PagePicker {
    picker(s, &ticking(&[SUPPORT, SALES])).await
}

#[tokio::test]
async fn a_failed_subscription_leaves_no_channel_and_no_secret_for_that_page() {
    let s = setup().await;
    s.fb.sandbox
        .facebook()
        .fail_next_subscription(SALES, SubscribeFault::missing_permission())
        .unwrap();
    let picker = picker(&s, &ticking(&[SUPPORT, SALES, JOBS])).await;
    let jobs = picker.pages.iter().find(|p| p.id == JOBS).unwrap();
    assert!(!jobs.can_message, "Acme Jobs lacks the MESSAGING task");
    let results = s
        .runtime
        .connect_facebook_pages(ConnectPages {
            login_id: picker.login_id,
            page_ids: vec![SUPPORT.into(), SALES.into(), JOBS.into()],
        })
        .await
        .unwrap();
    let outcome = |id: &str| results.iter().find(|r| r.page_id == id).unwrap();
    assert!(outcome(SUPPORT).channel.is_some());
    let sales = outcome(SALES)
        .error
        .as_ref()
        .expect("the refusal, in words");
    assert!(
        sales.message.contains("pages_manage_metadata"),
        "{}",
        sales.message
    );
    assert!(
        outcome(JOBS)
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("MESSAGING")
    );
    let channels = s.runtime.list_channels().await.unwrap();
    assert_eq!(channels.len(), 1, "only the subscribed page has a channel");
    assert!(
        s.fb.sandbox
            .facebook()
            .subscriptions(SALES)
            .unwrap()
            .is_empty()
    );
    assert!(token_of(&s, &channels[0].id).is_some());
}

#[tokio::test]
async fn cancel_wrong_state_and_an_expired_code_change_nothing() {
    let s = setup().await;
    let cancelled = log_in(
        &s,
        &Person {
            allow: false,
            ..Person::admin_allowing_all()
        },
    )
    .await
    .unwrap();
    assert_eq!(cancelled, FacebookLogin::Cancelled);

    let start = s.runtime.begin_facebook_login().await.unwrap();
    let forged = "https://www.facebook.com/connect/login_success.html?code=abc&state=forged#_=_";
    assert!(s.runtime.is_facebook_redirect(&start.login_id, forged));
    let refused = s
        .runtime
        .finish_facebook_login(&start.login_id, forged)
        .await
        .unwrap_err();
    assert!(
        refused.message.contains("wrong state"),
        "{}",
        refused.message
    );
    // The attempt is used up: replaying the answer is refused too.
    let replay = s
        .runtime
        .finish_facebook_login(&start.login_id, forged)
        .await
        .unwrap_err();
    assert_eq!(replay.code, ErrorCode::Conflict);

    let start = s.runtime.begin_facebook_login().await.unwrap();
    let redirect =
        s.fb.log_in_at(
            &start.url,
            |url| s.runtime.is_facebook_redirect(&start.login_id, url),
            &Person::admin_allowing_all(),
        )
        .await;
    s.fb.sandbox.facebook().expire_codes();
    let expired = s
        .runtime
        .finish_facebook_login(&start.login_id, &redirect)
        .await
        .unwrap_err();
    assert!(
        expired.message.to_lowercase().contains("expired"),
        "{}",
        expired.message
    );
    assert!(s.runtime.list_channels().await.unwrap().is_empty());
}
