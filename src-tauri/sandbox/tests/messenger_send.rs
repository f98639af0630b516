//! The Send API: answers, recording, the 24-hour window and HUMAN_AGENT's 7 days with time
//! travel, Meta's errors (2000 characters, 551, unknown PSID, tokens, injected rate limits).

mod fb;
mod msgr;

use std::time::Duration;

use fb::{APP_ID, SUPPORT, assert_graph_error};
use msgr::{ALL_FIELDS, setup};
use serde_json::json;
use switchboard_sandbox::SubscribeFault;

const HOUR: u64 = 3600;
const WINDOW: &str = "(#10) This message is sent outside of allowed window.";

#[tokio::test]
async fn a_reply_in_the_window_is_answered_recorded_and_echoed() {
    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    control.customer_writes(SUPPORT, &env.psid, "hi").unwrap();
    let (status, body) = env
        .send_text(
            "Hello Anna",
            json!({ "message": { "text": "Hello Anna", "metadata": "op-7" } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["recipient_id"], env.psid.as_str());
    let mid = body["message_id"].as_str().unwrap();
    assert!(mid.starts_with("m_"));

    let sent = control.sent_messenger_messages(SUPPORT);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].text.as_deref(), Some("Hello Anna"));
    assert_eq!(
        (
            sent[0].messaging_type.as_str(),
            &sent[0].tag,
            sent[0].app_id.as_str()
        ),
        ("RESPONSE", &None, APP_ID)
    );
    assert_eq!(sent[0].metadata.as_deref(), Some("op-7"));
    assert!((sent[0].sent_at - control.now()).abs() <= 1);

    let echo = env.receiver.wait_for(2).await[1].event().1;
    assert_eq!(echo["message"]["mid"], mid);
    assert_eq!(echo["message"]["is_echo"], true);
    assert_eq!(echo["message"]["app_id"], APP_ID.parse::<u64>().unwrap());
    assert_eq!(echo["message"]["metadata"], "op-7");

    // `/me/messages` with the page token is the same endpoint.
    let body = json!({ "recipient": { "id": env.psid }, "message": { "text": "again" } });
    let (status, answer) = env.post_json("me/messages", body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(control.sent_messenger_messages(SUPPORT).len(), 2);
}

#[tokio::test]
async fn response_and_update_stop_24_hours_after_the_customers_last_message() {
    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    let (status, body) = env.send_text("cold open", json!({})).await;
    assert_graph_error(status, &body, 10, Some(2_018_278), WINDOW);

    control.customer_writes(SUPPORT, &env.psid, "hi").unwrap();
    control.advance_clock(Duration::from_secs(23 * HOUR));
    let update = json!({ "messaging_type": "UPDATE" });
    let (status, body) = env.send_text("still in time", update.clone()).await;
    assert_eq!(status, 200, "{body}");
    control.advance_clock(Duration::from_secs(2 * HOUR));
    for extra in [json!({}), update] {
        let (status, body) = env.send_text("too late", extra).await;
        assert_graph_error(status, &body, 10, Some(2_018_278), WINDOW);
    }
    // A new message (or a postback) opens the window again.
    control
        .customer_postback(SUPPORT, &env.psid, "Help", "HELP")
        .unwrap();
    let (status, body) = env.send_text("welcome back", json!({})).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn human_agent_reaches_seven_days_only_for_an_approved_app() {
    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    control.customer_writes(SUPPORT, &env.psid, "hi").unwrap();
    control.advance_clock(Duration::from_secs(3 * 24 * HOUR));
    let tagged = json!({ "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT" });
    let (status, body) = env.send_text("not approved", tagged.clone()).await;
    assert_graph_error(status, &body, 10, Some(2_018_278), WINDOW);

    control.approve_human_agent(APP_ID, true);
    let (status, body) = env.send_text("approved", tagged.clone()).await;
    assert_eq!(status, 200, "{body}");
    let sent = control.sent_messenger_messages(SUPPORT);
    assert_eq!(sent[0].messaging_type, "MESSAGE_TAG");
    assert_eq!(sent[0].tag.as_deref(), Some("HUMAN_AGENT"));

    control.advance_clock(Duration::from_secs(4 * 24 * HOUR + 60));
    let (status, body) = env.send_text("a week later", tagged).await;
    assert_graph_error(status, &body, 10, Some(2_018_278), WINDOW);

    let untagged = json!({ "messaging_type": "MESSAGE_TAG" });
    let (status, body) = env.send_text("no tag", untagged).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], 100);
}

#[tokio::test]
async fn bad_sends_get_metas_errors() {
    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    control.customer_writes(SUPPORT, &env.psid, "hi").unwrap();

    let (status, body) = env.send_text(&"é".repeat(2001), json!({})).await;
    let long = "(#100) Length of param message[text] must be less than or equal to 2000";
    assert_graph_error(status, &body, 100, None, long);
    let (status, body) = env.send_text(&"é".repeat(2000), json!({})).await;
    assert_eq!(status, 200, "{body}");

    let stranger = json!({ "recipient": { "id": "1234567890123456" }, "message": { "text": "x" } });
    let (status, body) = env
        .post_json(&format!("{SUPPORT}/messages"), stranger)
        .await;
    assert_graph_error(
        status,
        &body,
        100,
        Some(2_018_001),
        "(#100) No matching user found",
    );

    let nothing = json!({ "recipient": { "id": env.psid } });
    let (status, body) = env.post_json(&format!("{SUPPORT}/messages"), nothing).await;
    assert_graph_error(
        status,
        &body,
        100,
        None,
        "(#100) Must send either message or sender action",
    );

    control
        .set_customer_available(SUPPORT, &env.psid, false)
        .unwrap();
    let (status, body) = env.send_text("anyone?", json!({})).await;
    assert_graph_error(
        status,
        &body,
        551,
        Some(1_545_041),
        "This person isn't available right now.",
    );
    control
        .set_customer_available(SUPPORT, &env.psid, true)
        .unwrap();
    let (status, _) = env.send_text("there you are", json!({})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn injected_rate_limits_fail_the_next_sends_then_pass() {
    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    control.customer_writes(SUPPORT, &env.psid, "hi").unwrap();
    let fault = |code| SubscribeFault {
        code,
        error_subcode: None,
        message: None,
        http_status: None,
    };
    control.fail_next_sends(SUPPORT, fault(613), 2).unwrap();
    control.fail_next_sends(SUPPORT, fault(32), 1).unwrap();
    let limit = "(#613) Calls to this api have exceeded the rate limit.";
    for _ in 0..2 {
        let (status, body) = env.send_text("x", json!({})).await;
        assert_graph_error(status, &body, 613, None, limit);
    }
    let (status, body) = env.send_text("x", json!({})).await;
    assert_graph_error(status, &body, 32, None, "(#32) Page request limit reached");
    // Over HTTP: code 17 (user) once.
    let url = env
        .fb
        .url(&format!("_sandbox/facebook/pages/{SUPPORT}/send-faults"));
    let response = env
        .fb
        .http
        .post(url)
        .json(&json!({ "code": 17, "times": 1 }));
    assert_eq!(response.send().await.unwrap().status(), 200);
    let (status, body) = env.send_text("x", json!({})).await;
    assert_graph_error(status, &body, 17, None, "(#17) User request limit reached");
    let (status, body) = env.send_text("finally", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(control.sent_messenger_messages(SUPPORT).len(), 1);
}

#[tokio::test]
async fn revoked_or_expired_page_tokens_get_190() {
    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    control.customer_writes(SUPPORT, &env.psid, "hi").unwrap();
    control.expire_token(&env.page_token).unwrap();
    let (status, body) = env.send_text("x", json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        (
            body["error"]["code"].as_i64(),
            body["error"]["error_subcode"].as_i64()
        ),
        (Some(190), Some(463))
    );

    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    control.customer_writes(SUPPORT, &env.psid, "hi").unwrap();
    control.revoke_token(&env.page_token).unwrap();
    let (status, body) = env.send_text("x", json!({})).await;
    let revoked =
        "Error validating access token: The session is invalid because the user logged out.";
    assert_graph_error(status, &body, 190, Some(467), revoked);
    assert!(control.sent_messenger_messages(SUPPORT).is_empty());
}
