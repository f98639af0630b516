//! Messenger webhooks: Meta's verification handshake, signed bodies in Meta's encoding,
//! retries with backoff, order per page, and delivery only for subscribed fields.

mod fb;
mod msgr;

use fb::{APP_ID, SUPPORT};
use msgr::{ALL_FIELDS, Receiver, VERIFY_TOKEN, expected_signature, setup};
use serde_json::{Value, json};
use switchboard_sandbox::{AttachmentKind, CustomerAttachment, CustomerMessengerMessage, PageEcho};

#[tokio::test]
async fn the_handshake_must_echo_the_challenge_or_the_webhook_is_refused() {
    let fb = fb::start().await;
    let receiver = Receiver::start().await;
    let control = fb.facebook();
    let error = control
        .set_webhook(APP_ID, &receiver.url, "wrong token")
        .await
        .expect_err("a 403 fails verification");
    assert!(error.to_string().contains("HTTP 403"), "{error}");
    assert_eq!(control.webhook_url(APP_ID), None);

    // Over HTTP: a refusal is 400 with the reason, success is `true`.
    let url = fb.url(&format!("_sandbox/facebook/apps/{APP_ID}/webhook"));
    let refused = fb
        .http
        .post(&url)
        .json(&json!({ "callback_url": "http://127.0.0.1:9/nowhere", "verify_token": "x" }))
        .send()
        .await
        .unwrap();
    let (status, body) = fb::read(refused).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("couldn't be validated")
    );
    let accepted = fb
        .http
        .post(&url)
        .json(&json!({ "callback_url": receiver.url, "verify_token": VERIFY_TOKEN }))
        .send()
        .await
        .unwrap();
    let (status, body) = fb::read(accepted).await;
    assert_eq!(
        (status.as_u16(), &body["result"]),
        (200, &json!(true)),
        "{body}"
    );
    assert_eq!(control.webhook_url(APP_ID), Some(receiver.url.clone()));
    assert!(
        receiver.posts().is_empty(),
        "verification is a GET, not a delivery"
    );
}

#[tokio::test]
async fn bodies_are_signed_over_raw_bytes_that_escape_non_ascii_like_meta() {
    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    let event = control
        .customer_writes(SUPPORT, &env.psid, "Привет 👋 a/b")
        .unwrap();
    let post = env.receiver.wait_for(1).await.remove(0);
    let raw = String::from_utf8(post.body.clone()).unwrap();
    assert!(raw.is_ascii(), "{raw}");
    assert!(
        raw.contains(r"\u041f\u0440\u0438\u0432\u0435\u0442 \ud83d\udc4b a\/b"),
        "{raw}"
    );
    assert_eq!(post.signature_256, expected_signature(&post.body));
    assert!(post.signature_sha1.starts_with("sha1=") && post.signature_sha1.len() == 45);

    // Re-encoding the parsed JSON gives other bytes, so the signature must be checked raw.
    let reencoded = serde_json::to_vec(&post.json()).unwrap();
    assert_ne!(post.signature_256, expected_signature(&reencoded));

    let body = post.json();
    assert_eq!(body["object"], "page");
    let entry = &body["entry"][0];
    assert_eq!(entry["id"], SUPPORT);
    assert!(entry["time"].as_i64().unwrap() > 1_700_000_000_000);
    let message = &entry["messaging"][0];
    assert_eq!(message, &event);
    assert_eq!(message["sender"]["id"], env.psid.as_str());
    assert_eq!(message["recipient"]["id"], SUPPORT);
    assert_eq!(message["message"]["text"], "Привет 👋 a/b");
    assert!(
        message["message"]["mid"]
            .as_str()
            .unwrap()
            .starts_with("m_")
    );

    let attempts = control.webhook_deliveries(APP_ID);
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].body, raw);
    assert_eq!(attempts[0].signature_256, post.signature_256);
    assert_eq!(
        (attempts[0].status, attempts[0].delivered),
        (Some(200), true)
    );
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_growing_delays_then_succeed() {
    let env = setup(ALL_FIELDS).await;
    env.receiver.answer_with(&[500, 503]);
    let started = std::time::Instant::now();
    env.fb
        .facebook()
        .customer_writes(SUPPORT, &env.psid, "are you there?")
        .unwrap();
    let posts = env.receiver.wait_for(3).await;
    // 20 ms, then 40 ms between tries (setup's retry policy).
    assert!(started.elapsed().as_millis() >= 60);
    assert!(
        posts.windows(2).all(|w| w[0].body == w[1].body),
        "same bytes each time"
    );
    let attempts = env.fb.facebook().webhook_deliveries(APP_ID);
    let statuses: Vec<_> = attempts.iter().map(|a| (a.attempt, a.status)).collect();
    assert_eq!(statuses, [(1, Some(500)), (2, Some(503)), (3, Some(200))]);
    assert!(attempts.iter().all(|a| a.event == attempts[0].event));
    assert!(attempts[2].delivered);
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_is_given_up_and_the_next_event_follows() {
    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    env.receiver.answer_with(&[500, 500, 500, 500]);
    control.customer_writes(SUPPORT, &env.psid, "lost").unwrap();
    control
        .customer_writes(SUPPORT, &env.psid, "found")
        .unwrap();
    let posts = env.receiver.wait_for(5).await;
    assert_eq!(posts[4].event().1["message"]["text"], "found");
    let attempts = control.webhook_deliveries(APP_ID);
    assert_eq!(attempts.iter().filter(|a| !a.delivered).count(), 4);
    assert_eq!(control.pending_deliveries(APP_ID), 0);
}

#[tokio::test]
async fn events_of_a_page_arrive_in_order_even_across_retries() {
    let env = setup(ALL_FIELDS).await;
    env.receiver.answer_with(&[500]);
    let control = env.fb.facebook();
    for n in 0..6 {
        control
            .customer_writes(SUPPORT, &env.psid, &format!("message {n}"))
            .unwrap();
    }
    let posts = env.receiver.wait_for(7).await;
    let texts: Vec<Value> = posts[1..]
        .iter()
        .map(|p| p.event().1["message"]["text"].clone())
        .collect();
    let expected: Vec<Value> = (0..6).map(|n| json!(format!("message {n}"))).collect();
    assert_eq!(texts, expected);
}

#[tokio::test]
async fn every_event_type_has_meta_shape_and_needs_its_field() {
    let env = setup("messages,messaging_postbacks,message_echoes").await;
    let control = env.fb.facebook();
    let (psid, page) = (env.psid.as_str(), SUPPORT);
    let first = control.customer_writes(page, psid, "hi").unwrap();
    let mid = first["message"]["mid"].as_str().unwrap().to_owned();
    let sticker = CustomerAttachment {
        kind: AttachmentKind::Sticker,
        bytes: Vec::new(),
        file_name: None,
        mime_type: None,
        sticker_id: Some(369_239_263_222_822),
    };
    let reply = CustomerMessengerMessage {
        text: None,
        reply_to: Some(mid.clone()),
        attachments: vec![sticker],
        quick_reply_payload: None,
    };
    control.customer_sends(page, psid, reply).unwrap();
    control
        .customer_postback(page, psid, "Start", "GET_STARTED")
        .unwrap();
    // Not subscribed to message_reads / message_deliveries: nothing is sent for them.
    control.customer_reads(page, psid).unwrap();
    control.customer_receives(page, psid).unwrap();
    let echo = PageEcho {
        psid: psid.to_owned(),
        text: "Hello from the inbox".into(),
        app_id: None,
        metadata: Some("note".into()),
    };
    control.page_echo(page, echo).unwrap();
    let posts = env.receiver.wait_for(4).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        env.receiver.posts().len(),
        4,
        "reads and deliveries are not subscribed"
    );

    let sticker = posts[1].event().1;
    assert_eq!(sticker["message"]["reply_to"]["mid"], mid.as_str());
    assert_eq!(sticker["message"]["sticker_id"], 369_239_263_222_822u64);
    let attachment = &sticker["message"]["attachments"][0];
    assert!(attachment["type"] == "image" || attachment["type"] == "sticker");
    let url = attachment["payload"]["url"].as_str().unwrap();
    let png = env
        .fb
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        png.starts_with(b"\x89PNG"),
        "the sticker's bytes are served"
    );

    let postback = posts[2].event().1;
    assert_eq!(postback["postback"]["payload"], "GET_STARTED");
    assert_eq!(postback["postback"]["title"], "Start");

    let echo = posts[3].event().1;
    assert_eq!(echo["sender"]["id"], SUPPORT);
    assert_eq!(echo["recipient"]["id"], psid);
    assert_eq!(echo["message"]["is_echo"], true);
    assert_eq!(echo["message"]["app_id"], 263_902_037_430_900u64);
    assert_eq!(echo["message"]["metadata"], "note");
}

#[tokio::test]
async fn reads_and_deliveries_report_watermarks_and_the_pages_mids() {
    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    control.customer_writes(SUPPORT, &env.psid, "hi").unwrap();
    let (_, sent) = env.send_text("Hello Anna", json!({})).await;
    let delivery = control.customer_receives(SUPPORT, &env.psid).unwrap();
    let read = control.customer_reads(SUPPORT, &env.psid).unwrap();
    let posts = env.receiver.wait_for(4).await;
    let kinds: Vec<String> = posts
        .iter()
        .map(|p| {
            let (_, event) = p.event();
            ["message", "delivery", "read"]
                .into_iter()
                .find(|k| event.get(*k).is_some())
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(kinds, ["message", "message", "delivery", "read"]);
    assert_eq!(
        posts[1].event().1["message"]["is_echo"],
        true,
        "sends are echoed"
    );
    assert_eq!(delivery["delivery"]["mids"], json!([sent["message_id"]]));
    assert!(read["read"]["watermark"].as_i64().unwrap() >= delivery["timestamp"].as_i64().unwrap());
    assert_eq!(posts[2].event().1, delivery);
}
