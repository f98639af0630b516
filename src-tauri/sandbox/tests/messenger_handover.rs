//! Conversation Routing: a bot app holding the thread (standby, refused sends), passing it to
//! our app (`pass_thread_control` events), passing to Page Inbox, taking it back.

mod fb;
mod msgr;

use fb::{APP_ID, SUPPORT};
use msgr::{ALL_FIELDS, setup};
use serde_json::json;
use switchboard_sandbox::PAGE_INBOX_APP_ID;

const BOT: &str = "777000111222333";

#[tokio::test]
async fn while_a_bot_holds_the_thread_our_app_gets_standby_and_cannot_send() {
    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    control.customer_writes(SUPPORT, &env.psid, "hi").unwrap();
    control.bot_holds_thread(SUPPORT, &env.psid, BOT).unwrap();
    control
        .customer_writes(SUPPORT, &env.psid, "talking to the bot")
        .unwrap();
    let posts = env.receiver.wait_for(2).await;
    assert_eq!(posts[0].event().0, "messaging");
    let (key, event) = posts[1].event();
    assert_eq!(key, "standby");
    assert_eq!(event["message"]["text"], "talking to the bot");

    let (status, body) = env
        .fb
        .graph_get(
            &format!("{SUPPORT}/thread_owner"),
            &[("recipient", &env.psid), ("access_token", &env.page_token)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({ "data": [{ "thread_owner": { "app_id": BOT } }] })
    );

    let (status, body) = env.send_text("may I?", json!({})).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_i64()),
        (400, Some(10)),
        "{body}"
    );
    assert!(body["error"]["message"].as_str().unwrap().contains(BOT));
    assert!(control.sent_messenger_messages(SUPPORT).is_empty());
}

#[tokio::test]
async fn a_bot_passing_the_thread_emits_a_handover_event_and_messaging_resumes() {
    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    control.customer_writes(SUPPORT, &env.psid, "hi").unwrap();
    control.bot_holds_thread(SUPPORT, &env.psid, BOT).unwrap();
    // Over HTTP, as a test in another language would.
    let url = env.fb.url(&format!(
        "_sandbox/facebook/pages/{SUPPORT}/customers/{}/thread/pass",
        env.psid
    ));
    let pass = json!({ "target_app_id": APP_ID, "metadata": "wants a human" });
    let response = env.fb.http.post(url).json(&pass).send().await.unwrap();
    assert_eq!(response.status(), 200);
    control
        .customer_writes(SUPPORT, &env.psid, "hello human")
        .unwrap();
    let posts = env.receiver.wait_for(3).await;
    let (key, handover) = posts[1].event();
    assert_eq!(key, "messaging");
    assert_eq!(handover["sender"]["id"], env.psid.as_str());
    assert_eq!(handover["recipient"]["id"], SUPPORT);
    assert_eq!(
        handover["pass_thread_control"],
        json!({ "previous_owner_app_id": BOT, "new_owner_app_id": APP_ID,
                "metadata": "wants a human" })
    );
    assert_eq!(posts[2].event().0, "messaging");
    let (status, body) = env.send_text("I'm here", json!({})).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn our_app_passes_to_page_inbox_and_takes_the_thread_back() {
    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    control.customer_writes(SUPPORT, &env.psid, "hi").unwrap();
    let handover = |target: Option<&str>| {
        let mut body = json!({ "recipient": { "id": env.psid }, "metadata": "shift over" });
        if let Some(target) = target {
            body["target_app_id"] = json!(target);
        }
        body
    };
    let (status, body) = env
        .post_json(
            &format!("{SUPPORT}/pass_thread_control"),
            handover(Some(PAGE_INBOX_APP_ID)),
        )
        .await;
    assert_eq!((status.as_u16(), &body), (200, &json!({ "success": true })));
    assert_eq!(
        control.thread_owner(SUPPORT, &env.psid).as_deref(),
        Some(PAGE_INBOX_APP_ID)
    );
    control
        .customer_writes(SUPPORT, &env.psid, "to the inbox")
        .unwrap();

    // Passing a thread one does not hold is refused.
    let (status, body) = env
        .post_json(
            &format!("{SUPPORT}/pass_thread_control"),
            handover(Some(BOT)),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_i64()),
        (400, Some(10)),
        "{body}"
    );

    let (status, body) = env
        .post_json(&format!("{SUPPORT}/take_thread_control"), handover(None))
        .await;
    assert_eq!((status.as_u16(), &body), (200, &json!({ "success": true })));
    assert_eq!(
        control.thread_owner(SUPPORT, &env.psid).as_deref(),
        Some(APP_ID)
    );
    let (status, _) = env.send_text("back with you", json!({})).await;
    assert_eq!(status, 200);

    let posts = env.receiver.wait_for(3).await;
    assert_eq!(posts[1].event().0, "standby", "Page Inbox held the thread");
    assert_eq!(
        posts[2].event().0,
        "messaging",
        "the echo after taking it back"
    );
}

#[tokio::test]
async fn request_thread_control_asks_the_owner_and_unsubscribed_fields_stay_silent() {
    let env = setup("messages").await;
    let control = env.fb.facebook();
    control.customer_writes(SUPPORT, &env.psid, "hi").unwrap();
    control.bot_holds_thread(SUPPORT, &env.psid, BOT).unwrap();
    let request = json!({ "recipient": { "id": env.psid }, "metadata": "please" });
    let (status, body) = env
        .post_json(&format!("{SUPPORT}/request_thread_control"), request)
        .await;
    assert_eq!((status.as_u16(), &body), (200, &json!({ "success": true })));
    // Without `standby` and `messaging_handovers`, our app hears nothing more.
    control
        .customer_writes(SUPPORT, &env.psid, "bot only")
        .unwrap();
    control
        .bot_passes_thread(SUPPORT, &env.psid, APP_ID, None)
        .unwrap();
    env.receiver.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(env.receiver.posts().len(), 1);
}
