//! The webhook endpoint over real HTTP, storing into a desktop's SQLite
//! store (the engine's `Store` on a temp file).

mod common;

use std::time::Duration;

use common::{APP_SECRET, body, message, start};
use switchboard_engine::Store;
use switchboard_engine::inbox::{InboxChannel, InboxEvent, InboxEventKind, StoredInboxEvent};
use switchboard_relay::{
    EVENT_RECEIVED, EventSink, GroupCommit, MAX_BODY_BYTES, SinkError, SqliteSink, signature,
};

async fn sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("switchboard.sqlite"), 0)
        .await
        .unwrap();
    (dir, store)
}

async fn stored(store: &Store) -> Vec<StoredInboxEvent> {
    store.pending_inbox_events(10_000).await.unwrap()
}

#[tokio::test]
async fn verification_answers_the_challenge_when_the_token_matches() {
    let (_dir, store) = sqlite().await;
    let relay = start(SqliteSink::new(store)).await;
    let (status, body) = relay
        .get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=test-verify-token")
        .await;
    assert_eq!((status, body.as_str()), (200, "1158201444"));
}

#[tokio::test]
async fn verification_is_refused_for_a_wrong_token_or_mode() {
    let (_dir, store) = sqlite().await;
    let relay = start(SqliteSink::new(store)).await;
    for query in [
        "hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong",
        "hub.mode=subscribe&hub.challenge=1&hub.verify_token=test-verify-token-and-more",
        "hub.mode=subscribe&hub.challenge=1&hub.verify_token=",
        "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=test-verify-token",
        "hub.mode=subscribe&hub.challenge=1",
        "hub.challenge=1&hub.verify_token=test-verify-token",
        "",
    ] {
        let (status, body) = relay.get(query).await;
        assert_eq!(status, 403, "{query}");
        assert!(!body.contains('1'), "the challenge is not echoed: {body}");
    }
}

#[tokio::test]
async fn a_signed_post_is_stored_before_the_200() {
    let (_dir, store) = sqlite().await;
    let relay = start(SqliteSink::new(store.clone())).await;
    let (status, answer) = relay
        .post_signed(&body("messaging", &[&message("m_1", "hi")]))
        .await;
    assert_eq!((status, answer.as_str()), (200, EVENT_RECEIVED));
    let events = stored(&store).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].page_id, "P1");
    assert_eq!(events[0].kind, InboxEventKind::Message);
    assert_eq!(events[0].event_json, message("m_1", "hi"));
}

#[tokio::test]
async fn a_forged_signature_is_refused_and_nothing_is_stored() {
    let (_dir, store) = sqlite().await;
    let relay = start(SqliteSink::new(store.clone())).await;
    let body = body("messaging", &[&message("m_1", "hi")]);
    let forged = signature::sign(b"not-the-app-secret", body.as_bytes());
    assert_eq!(relay.post(&body, Some(&forged)).await.0, 403);
    // Right secret, other bytes: a signature for a different body.
    let other = signature::sign(APP_SECRET.as_bytes(), b"{}");
    assert_eq!(relay.post(&body, Some(&other)).await.0, 403);
    assert!(stored(&store).await.is_empty());
}

#[tokio::test]
async fn a_signature_over_re_encoded_json_is_refused() {
    let (_dir, store) = sqlite().await;
    let relay = start(SqliteSink::new(store.clone())).await;
    // Meta escapes non-ASCII; a body parsed and written again is other bytes.
    let original = body("messaging", &[&message("m_1", r"caf\u00e9")]);
    let reencoded =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&original).unwrap())
            .unwrap();
    assert!(reencoded.contains("café"));
    let signed_over_reencoded = signature::sign(APP_SECRET.as_bytes(), reencoded.as_bytes());
    assert_eq!(
        relay.post(&original, Some(&signed_over_reencoded)).await.0,
        403
    );
    assert!(stored(&store).await.is_empty());

    assert_eq!(relay.post_signed(&original).await.0, 200);
    let events = stored(&store).await;
    assert!(events[0].event_json.contains(r"caf\u00e9"), "kept as sent");
}

#[tokio::test]
async fn a_missing_or_malformed_signature_header_is_refused() {
    let (_dir, store) = sqlite().await;
    let relay = start(SqliteSink::new(store.clone())).await;
    let body = body("messaging", &[&message("m_1", "hi")]);
    let sha1_style = format!("sha1={}", "0".repeat(40));
    let good = signature::sign(APP_SECRET.as_bytes(), body.as_bytes());
    let bare_hex = good.trim_start_matches("sha256=").to_owned();
    for header in [
        None,
        Some(sha1_style.as_str()),
        Some(bare_hex.as_str()),
        Some("sha256=xyz"),
    ] {
        assert_eq!(relay.post(&body, header).await.0, 403, "{header:?}");
    }
    assert!(stored(&store).await.is_empty());
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_and_nothing_is_stored() {
    let (_dir, store) = sqlite().await;
    let relay = start(SqliteSink::new(store.clone())).await;
    let padding = "x".repeat(MAX_BODY_BYTES);
    let body = body("messaging", &[&message("m_big", &padding)]);
    assert!(body.len() > MAX_BODY_BYTES);
    assert_eq!(relay.post_signed(&body).await.0, 413);
    assert!(stored(&store).await.is_empty());

    // Just under the limit still goes through.
    let fits = "x".repeat(MAX_BODY_BYTES - 300);
    assert_eq!(relay.post_signed(&body_with("m_fits", &fits)).await.0, 200);
    assert_eq!(stored(&store).await.len(), 1);
}

#[tokio::test]
async fn an_oversized_chunked_body_without_a_length_is_refused_with_413() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_dir, store) = sqlite().await;
    let relay = start(SqliteSink::new(store.clone())).await;
    let addr = relay
        .url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /webhooks/messenger HTTP/1.1\r\nhost: {addr}\r\ntransfer-encoding: chunked\r\nx-hub-signature-256: sha256={}\r\n\r\n",
        "0".repeat(64)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 256 * 1024];
    // Up to 5 MiB; the server may answer and close before it is all sent.
    for _ in 0..20 {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0u8; 64];
    let n = stream.read(&mut answer).await.unwrap();
    let status_line = String::from_utf8_lossy(&answer[..n]).into_owned();
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");
    assert!(stored(&store).await.is_empty());
}

fn body_with(mid: &str, text: &str) -> String {
    body("messaging", &[&message(mid, text)])
}

#[tokio::test]
async fn a_signed_body_that_is_not_a_webhook_is_400_and_nothing_is_stored() {
    let (_dir, store) = sqlite().await;
    let relay = start(SqliteSink::new(store.clone())).await;
    for bad in [
        "{not json",
        r#"{"entry":[]}"#,
        r#"{"object":"page","entry":[{"messaging":[]}]}"#,
    ] {
        let (status, answer) = relay.post_signed(bad).await;
        assert_eq!(status, 400, "{bad}");
        assert!(
            !answer.contains("not json"),
            "the body is not echoed: {answer}"
        );
    }
    // Another product's webhook (e.g. Instagram) is acknowledged, not stored.
    let instagram =
        r#"{"object":"instagram","entry":[{"id":"1","messaging":[{"message":{"mid":"x"}}]}]}"#;
    assert_eq!(relay.post_signed(instagram).await.0, 200);
    assert!(stored(&store).await.is_empty());
}

#[tokio::test]
async fn a_redelivered_message_is_stored_once() {
    let (_dir, store) = sqlite().await;
    let relay = start(SqliteSink::new(store.clone())).await;
    let first = message("m_same", "hello");
    // Twice in one POST, then the whole POST again (Meta retries batches).
    let batch = body(
        "messaging",
        &[&first, &first, &message("m_other", "second")],
    );
    assert_eq!(relay.post_signed(&batch).await.0, 200);
    assert_eq!(relay.post_signed(&batch).await.0, 200);
    let events = stored(&store).await;
    let keys: Vec<_> = events.iter().map(|e| e.event_json.clone()).collect();
    assert_eq!(keys, [first, message("m_other", "second")]);
}

#[tokio::test]
async fn reads_deliveries_and_handovers_are_stored_once_each() {
    let (_dir, store) = sqlite().await;
    let relay = start(SqliteSink::new(store.clone())).await;
    let read = r#"{"sender":{"id":"U1"},"recipient":{"id":"P1"},"timestamp":2,"read":{"watermark":1458668856253}}"#;
    let delivery = r#"{"sender":{"id":"U1"},"recipient":{"id":"P1"},"timestamp":3,"delivery":{"mids":["m_1"],"watermark":1458668856253}}"#;
    let pass = r#"{"sender":{"id":"U1"},"recipient":{"id":"P1"},"timestamp":4,"pass_thread_control":{"new_owner_app_id":"123","metadata":"over to you"}}"#;
    let take = r#"{"sender":{"id":"U1"},"recipient":{"id":"P1"},"timestamp":4,"take_thread_control":{"previous_owner_app_id":"123"}}"#;
    let batch = body("messaging", &[read, delivery, pass, take]);
    for _ in 0..2 {
        assert_eq!(relay.post_signed(&batch).await.0, 200);
    }
    let kinds: Vec<_> = stored(&store).await.iter().map(|e| e.kind).collect();
    use InboxEventKind::*;
    assert_eq!(kinds, [Read, Delivery, Handover, Handover]);
}

#[tokio::test]
async fn unknown_event_types_are_stored_as_unknown_with_200() {
    let (_dir, store) = sqlite().await;
    let relay = start(SqliteSink::new(store.clone())).await;
    let reaction = r#"{"sender":{"id":"U1"},"recipient":{"id":"P1"},"timestamp":5,"reaction":{"mid":"m_1","action":"react","emoji":"\u2764"}}"#;
    let future = r#"{"sender":{"id":"U1"},"timestamp":6,"something_new":{"x":[1,2,3]}}"#;
    let batch = body("messaging", &[reaction, future]);
    let (status, answer) = relay.post_signed(&batch).await;
    assert_eq!((status, answer.as_str()), (200, EVENT_RECEIVED));
    assert_eq!(
        relay.post_signed(&batch).await.0,
        200,
        "a retry is fine too"
    );
    let events = stored(&store).await;
    assert_eq!(events.len(), 2, "stored once each");
    assert!(events.iter().all(|e| e.kind == InboxEventKind::Unknown));
    assert_eq!(events[0].event_json, reaction);
    assert_eq!(events[1].event_json, future);
}

#[tokio::test]
async fn standby_and_messaging_events_are_told_apart() {
    let (_dir, store) = sqlite().await;
    let relay = start(SqliteSink::new(store.clone())).await;
    let both = r#"{"object":"page","entry":[{"id":"P1","time":1,"standby":[{"sender":{"id":"U1"},"recipient":{"id":"P1"},"timestamp":1,"message":{"mid":"m_bot","text":"bot talk"}}]},{"id":"P2","time":1,"messaging":[{"sender":{"id":"P2"},"recipient":{"id":"U2"},"timestamp":1,"message":{"mid":"m_echo","is_echo":true,"app_id":1,"text":"hi"}}]}]}"#;
    assert_eq!(relay.post_signed(both).await.0, 200);
    let events = stored(&store).await;
    let seen: Vec<_> = events
        .iter()
        .map(|e| (e.page_id.as_str(), e.channel, e.kind))
        .collect();
    assert_eq!(
        seen,
        [
            ("P1", InboxChannel::Standby, InboxEventKind::Message),
            ("P2", InboxChannel::Messaging, InboxEventKind::Echo),
        ]
    );
}

#[tokio::test]
async fn new_events_wake_the_processor() {
    let (_dir, store) = sqlite().await;
    let sink = SqliteSink::new(store);
    let wake = sink.notify();
    let relay = start(sink).await;
    assert_eq!(relay.post_signed(&body_with("m_1", "hi")).await.0, 200);
    tokio::time::timeout(Duration::from_secs(5), wake.notified())
        .await
        .expect("notified after the commit");
}

struct BrokenSink;

impl EventSink for BrokenSink {
    async fn store(&self, _events: Vec<InboxEvent>) -> Result<usize, SinkError> {
        Err(SinkError("disk full".into()))
    }
}

#[tokio::test]
async fn a_sink_failure_answers_500_so_meta_delivers_again() {
    let relay = start(BrokenSink).await;
    let (status, answer) = relay.post_signed(&body_with("m_1", "hi")).await;
    assert_eq!(status, 500);
    assert!(!answer.contains(EVENT_RECEIVED));
    // The same through a group commit: every waiting POST hears the failure.
    let relay = start(GroupCommit::new(BrokenSink, Duration::from_millis(1), 100)).await;
    assert_eq!(relay.post_signed(&body_with("m_1", "hi")).await.0, 500);
}

#[tokio::test]
async fn concurrent_posts_share_group_commits_and_each_is_stored_once() {
    let (_dir, store) = sqlite().await;
    let sink = GroupCommit::new(
        SqliteSink::new(store.clone()),
        Duration::from_millis(2),
        500,
    );
    let relay = std::sync::Arc::new(start(sink).await);
    let mut posts = tokio::task::JoinSet::new();
    for i in 0..100 {
        let relay = relay.clone();
        // Every message is sent twice, concurrently.
        let body = body_with(&format!("m_{}", i % 50), "hi");
        posts.spawn(async move { relay.post_signed(&body).await.0 });
    }
    while let Some(status) = posts.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    assert_eq!(stored(&store).await.len(), 50);
}
