//! The Facebook side of shared mode, through the runtime's API against the sandbox's Facebook: an
//! admin connects pages from a shared desktop (Facebook Login; the tokens stay in that desktop's
//! keychain), operators take conversations from bots through the page's lease holder, and a dead
//! page token shows on the card.

mod common;

#[path = "../../messenger/tests/dialog/mod.rs"]
mod dialog;
mod shared_pages;

use shared_pages::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_connects_pages_from_a_shared_desktop_whose_keychain_alone_keeps_their_tokens() {
    let fb = dialog::start().await;
    let db = bare_database().await;
    let clock = ManualClock::at(now_ms());
    let (ann_dir, bob_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ann_keychain, bob_keychain) = (MemorySecrets::default(), MemorySecrets::default());
    let ann = desktop(&db, &fb, ann_dir.path(), "ann", &ann_keychain, &clock).await;
    let bob = desktop(&db, &fb, bob_dir.path(), "bob", &bob_keychain, &clock).await;
    let app = FacebookSettingsUpdate {
        app_id: APP_ID.into(),
        app_secret: Some(APP_SECRET.into()),
        redirect_uri: None,
    };

    // An operator is refused in words: the app, page selection.
    let refused = bob.update_facebook_settings(app.clone()).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    assert!(
        refused.message.starts_with("Only an admin"),
        "{}",
        refused.message
    );
    let refused = bob.begin_facebook_login().await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    assert!(
        refused
            .message
            .starts_with("Only an admin (with the CanManageChats permission) can connect"),
        "{}",
        refused.message
    );

    // The admin fills in the app: its id for every desktop (and the relay), its secret here.
    let settings = ann.update_facebook_settings(app).await.unwrap();
    assert_eq!(settings.app_id, APP_ID);
    assert!(settings.app_secret_set);
    let app_id: String =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'FacebookAppId'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(app_id, APP_ID);
    assert_eq!(rows_containing(&db.owner, APP_SECRET).await, 0);
    let key = SecretKey::facebook_app_secret(switchboard_runtime::shared::SHARED_WORKSPACE);
    assert!(
        bob_keychain.get(&key).is_err(),
        "the app secret stays on Ann's desktop"
    );

    // Facebook Login: three pages offered, two connected.
    let offered = picker(&ann, &fb, &Person::admin_allowing_all()).await;
    let mut ids: Vec<&str> = offered.pages.iter().map(|p| p.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, [SUPPORT, SALES, JOBS]);
    assert!(
        offered
            .pages
            .iter()
            .all(|p| p.connected_channel_id.is_none())
    );
    let results = ann
        .connect_facebook_pages(ConnectPages {
            login_id: offered.login_id.clone(),
            page_ids: vec![SUPPORT.into(), SALES.into()],
        })
        .await
        .unwrap();
    assert!(
        results
            .iter()
            .all(|r| r.error.is_none() && !r.refreshed && r.channel.is_some()),
        "{results:?}"
    );
    let channels: Vec<(String, String, bool, String)> = sqlx::query_as(
        "SELECT id, name, active, external_id FROM channels WHERE provider = 'messenger'
         ORDER BY name",
    )
    .fetch_all(&db.owner)
    .await
    .unwrap();
    let named: Vec<(&str, bool, &str)> = channels
        .iter()
        .map(|(_, name, active, page)| (name.as_str(), *active, page.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            ("Acme Sales", false, SALES),
            ("Acme Support", false, SUPPORT)
        ],
        "inactive channels named after the pages, in Postgres"
    );
    for page in [SUPPORT, SALES] {
        assert_eq!(fb.sandbox.facebook().subscriptions(page).unwrap().len(), 1);
    }
    eventually("Bob's cache has both pages", || async {
        let mut names: Vec<String> = bob
            .list_channels()
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        names.sort_unstable();
        names == ["Acme Sales", "Acme Support"]
    })
    .await;

    // The tokens: in Ann's keychain only; nowhere in Postgres, in any SQLite file or over IPC.
    let (support, sales) = (channels[1].0.clone(), channels[0].0.clone());
    let mut tokens = Vec::new();
    for channel in [&support, &sales] {
        let token = ann_keychain
            .get(&token_key(channel))
            .expect("the page token is in Ann's keychain");
        assert!(bob_keychain.get(&token_key(channel)).is_err());
        tokens.push(token);
    }
    let files = [sqlite_bytes(ann_dir.path()), sqlite_bytes(bob_dir.path())];
    assert!(files.iter().all(|bytes| !bytes.is_empty()));
    for token in &tokens {
        assert_eq!(
            rows_containing(&db.owner, token).await,
            0,
            "not in Postgres"
        );
        for bytes in &files {
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "not in SQLite"
            );
        }
        assert!(
            !serde_json::to_string(&results)
                .unwrap()
                .contains(token.as_str())
        );
    }

    // Running the flow again refreshes the token on this desktop and creates nothing.
    let again = picker(&ann, &fb, &Person::admin_allowing_all()).await;
    let connected = |page: &str| {
        again
            .pages
            .iter()
            .find(|p| p.id == page)
            .unwrap()
            .connected_channel_id
            .clone()
    };
    assert_eq!(connected(SUPPORT), Some(support.clone()));
    assert_eq!(connected(SALES), Some(sales.clone()));
    assert_eq!(connected(JOBS), None);
    let refreshed = ann
        .connect_facebook_pages(ConnectPages {
            login_id: again.login_id,
            page_ids: vec![SUPPORT.into()],
        })
        .await
        .unwrap();
    assert!(
        refreshed[0].refreshed && refreshed[0].error.is_none(),
        "{refreshed:?}"
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM channels")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(count, 2, "no duplicate");
    assert!(ann_keychain.get(&token_key(&support)).is_ok());

    // Switched on, the page is worked for by Ann's desktop, the one with its token; Bob's card
    // says his desktop has no token.
    ann.update_channel(
        &support,
        ChannelChanges {
            active: Some(true),
            ..ChannelChanges::default()
        },
    )
    .await
    .unwrap();
    eventually("Ann's desktop holds the page's lease", || async {
        db.lease_held(&support).await
    })
    .await;
    let card = |channels: Vec<switchboard_ipc::ChannelView>| {
        channels.into_iter().find(|c| c.id == support).unwrap()
    };
    assert_eq!(
        card(ann.list_channels().await.unwrap()).health,
        ChannelHealthState::Running
    );
    eventually(
        "Bob's card says the token is not on his desktop",
        || async {
            card(bob.list_channels().await.unwrap()).problem == Some(ChannelProblem::Keychain)
        },
    )
    .await;

    ann.shutdown().await;
    bob.shutdown().await;
    fb.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_a_bot_holds_is_taken_over_from_a_shared_desktop_and_routed() {
    let s = setup().await;
    let (ann, control) = (&s.ann, s.fb.sandbox.facebook());
    eventually("Ann's desktop holds the page's lease", || async {
        s.db.lease_held(CHANNEL).await
    })
    .await;
    let psid = s.customer("Lena");
    control
        .bot_holds_thread(SUPPORT, &psid, "555000111")
        .unwrap();
    control
        .customer_writes(SUPPORT, &psid, "I want to talk to the bot")
        .unwrap();
    eventually("the bot's chat reaches Ann's cache", || async {
        ann.list_chats().await.unwrap().len() == 1
    })
    .await;
    let chat = ann.list_chats().await.unwrap().remove(0);
    assert_eq!(
        (
            chat.state,
            chat.operator_name.as_deref(),
            chat.offered_to_me
        ),
        (ChatState::Bot, None, false)
    );

    // Postgres's rule: only an operator of the chat's queue takes it over (Carl is in none).
    let carl = s.db.login("carl").await;
    let outcome: String = sqlx::query_scalar(
        "SELECT sb_apply($1, 'take_thread', jsonb_build_object('chat', $2))::TEXT",
    )
    .bind(switchboard_engine::domain::new_id())
    .bind(&chat.id)
    .fetch_one(&carl)
    .await
    .unwrap();
    let outcome: serde_json::Value = serde_json::from_str(&outcome).unwrap();
    assert_eq!(outcome["applied"], false);
    assert_eq!(
        outcome["message"],
        "Only an operator of this chat's queue can take it over from the bot."
    );
    // …and the lease holder's functions are fenced: Carl's desktop holds no lease.
    let fenced = sqlx::query("SELECT sb_messenger_thread_requests($1, 'carl-desktop', 1, 10)")
        .bind(CHANNEL)
        .execute(&carl)
        .await
        .unwrap_err();
    assert_eq!(
        fenced.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("SB009")
    );
    carl.close().await;

    // Ann takes it over: the lease holder takes the thread, the chat enters routing.
    ann.take_thread(&chat.id).await.unwrap();
    eventually("the chat is offered to Ann", || async {
        ann.list_chats()
            .await
            .unwrap()
            .first()
            .is_some_and(|c| c.id == chat.id && c.offered_to_me)
    })
    .await;
    assert_eq!(
        control.thread_owner(SUPPORT, &psid).as_deref(),
        Some(APP_ID),
        "Switchboard holds the thread"
    );
    let lines = |detail: switchboard_ipc::ChatDetail| -> Vec<String> {
        detail
            .messages
            .into_iter()
            .filter(|m| m.kind == MessageKind::System)
            .map(|m| m.text)
            .collect()
    };
    assert!(
        lines(ann.read_chat(&chat.id).await.unwrap())
            .contains(&"Conversation taken over from the bot by Ann".to_owned())
    );
    let again = ann.take_thread(&chat.id).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::Conflict, "no longer a bot's");

    // Accepted, answered, and given back to Page Inbox: the chat is completed.
    ann.accept_chat(&chat.id).await.unwrap();
    eventually("the chat is Ann's", || async {
        ann.read_chat(&chat.id).await.unwrap().chat.state == ChatState::Active
    })
    .await;
    ann.pass_thread_back(&chat.id).await.unwrap();
    eventually("the chat is completed", || async {
        ann.read_chat(&chat.id).await.unwrap().chat.state == ChatState::Completed
    })
    .await;
    assert_eq!(
        control.thread_owner(SUPPORT, &psid).as_deref(),
        Some("263902037430900"),
        "Page Inbox holds the thread"
    );
    assert!(
        lines(ann.read_chat(&chat.id).await.unwrap())
            .contains(&"Conversation given back to Page Inbox by Ann".to_owned())
    );
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM messenger_thread_requests")
        .fetch_one(&s.db.owner)
        .await
        .unwrap();
    assert_eq!(waiting, 0);

    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_page_token_shows_on_the_card_and_its_desktop_lets_go_of_the_page() {
    let s = setup().await;
    let ann = &s.ann;
    eventually("Ann's desktop holds the page's lease", || async {
        s.db.lease_held(CHANNEL).await
    })
    .await;
    // The app secret on Ann's desktop: the token is checked (debug_token), and it is alive.
    ann.update_facebook_settings(FacebookSettingsUpdate {
        app_id: APP_ID.into(),
        app_secret: Some(APP_SECRET.into()),
        redirect_uri: None,
    })
    .await
    .unwrap();
    let card = || async { ann.list_channels().await.unwrap().remove(0) };
    assert_eq!(card().await.health, ChannelHealthState::Running);

    // Revoked at Facebook: "Try again" checks it at once (as the daily check would).
    s.fb.sandbox
        .facebook()
        .revoke_token(s.token.expose())
        .unwrap();
    ann.restart_channel(CHANNEL).await.unwrap();
    eventually("the card shows the dead token", || async {
        card().await.problem == Some(ChannelProblem::TokenRejected)
    })
    .await;
    let reason = card().await.health_reason.unwrap();
    assert!(
        reason.ends_with("Reconnect the page: Chat settings → Channels → Add → Facebook."),
        "{reason}"
    );
    eventually(
        "the page's lease is free for a desktop whose token works",
        || async { !s.db.lease_held(CHANNEL).await },
    )
    .await;

    s.stop().await;
}
