//! Shared mode's Messenger inbound: the relay stores signed webhooks in Postgres and its processor
//! turns them into contacts, chats and messages there, once per `mid` and in commit order, with
//! echoes, receipts and a bot's handover (SWITCHBOARD_TEST_PG_URL, from `cargo xtask test`).

mod common;

use common::{body, fresh_postgres, message, start};
use sqlx::postgres::PgPool;
use switchboard_relay::{InboxPass, InboxProcessor, PostgresSink};

/// A migrated database with a queue and the channel of page P1, and a relay storing into it.
async fn setup() -> (PostgresSink, common::Relay, InboxProcessor) {
    let url = fresh_postgres().await;
    let sink = PostgresSink::connect(&url).await.unwrap();
    for sql in [
        "INSERT INTO queues (id, name, rule) VALUES ('q', 'Support', 'to_all')",
        "INSERT INTO channels (id, provider, name, queue_id, api_base, external_id, created_at)
         VALUES ('fb', 'messenger', 'Acme Support', 'q', 'http://127.0.0.1:1', 'P1', 0)",
        "INSERT INTO settings (key, value) VALUES ('FacebookAppId', '4242')",
    ] {
        sqlx::query(sql).execute(sink.pool()).await.unwrap();
    }
    let relay = start(sink.clone()).await;
    let processor = InboxProcessor::new(sink.pool().clone());
    (sink, relay, processor)
}

/// Passes until nothing waits behind a running transaction (transaction ids are cluster-wide:
/// other tests' transactions hold the horizon back for a moment too). The sum of the passes.
async fn process(processor: &InboxProcessor) -> InboxPass {
    let mut total = InboxPass::default();
    for _ in 0..500 {
        let pass = processor.pass().await.unwrap();
        total.events += pass.events;
        total.messages += pass.messages;
        if !pass.held_back && !pass.more {
            return total;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the inbox stayed held back");
}

fn event(sender: &str, at: i64, payload: &str) -> String {
    format!(
        r#"{{"sender":{{"id":"{sender}"}},"recipient":{{"id":"P1"}},"timestamp":{at},{payload}}}"#
    )
}

async fn chats(pg: &PgPool) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT c.provider_chat_id, c.state, ct.name FROM chats c
         JOIN contacts ct ON ct.id = c.contact_id ORDER BY c.provider_chat_id, c.created_at",
    )
    .fetch_all(pg)
    .await
    .unwrap()
}

async fn messages(pg: &PgPool) -> Vec<(String, String, String, Option<String>)> {
    sqlx::query_as(
        "SELECT kind, text, author, provider_key FROM messages ORDER BY created_at, provider_key",
    )
    .fetch_all(pg)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_signed_webhook_becomes_a_chat_and_a_message_once() {
    let (sink, relay, processor) = setup().await;
    let pg = sink.pool();
    let hello = body("messaging", &[&message("m_1", "hi")]);
    assert_eq!(relay.post_signed(&hello).await.0, 200);
    let pass = process(&processor).await;
    assert_eq!((pass.events, pass.messages), (1, 1));
    assert_eq!(
        chats(pg).await,
        [("U1".into(), "queued".into(), "Messenger user …U1".into())]
    );
    assert_eq!(
        messages(pg).await,
        [(
            "inbound".into(),
            "hi".into(),
            "Messenger user …U1".into(),
            Some("m_1".into())
        )]
    );
    // Every desktop's cache follows the change feed: the chat, its contact and the message are
    // in it, and the router will route the chat (arrival 0).
    let fed: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT table_name FROM change_log WHERE table_name IN ('chats', 'contacts', 'messages')
         ORDER BY 1",
    )
    .fetch_all(pg)
    .await
    .unwrap();
    assert_eq!(fed, ["chats", "contacts", "messages"]);
    let arrival: i64 = sqlx::query_scalar("SELECT arrival FROM chats")
        .fetch_one(pg)
        .await
        .unwrap();
    assert_eq!(arrival, 0, "waiting for the router's first pass");
    let due: i64 = sqlx::query_scalar("SELECT count(*) FROM messenger_profiles_due")
        .fetch_one(pg)
        .await
        .unwrap();
    assert_eq!(
        due, 1,
        "the name is asked of the profile API by a token holder"
    );

    // Meta delivers the same POST again (and the same mid within one): nothing is stored twice.
    assert_eq!(relay.post_signed(&hello).await.0, 200);
    let twice = body(
        "messaging",
        &[&message("m_1", "hi"), &message("m_2", "still there?")],
    );
    assert_eq!(relay.post_signed(&twice).await.0, 200);
    let pass = process(&processor).await;
    assert_eq!((pass.events, pass.messages), (1, 1), "only m_2 is new");
    assert_eq!(messages(pg).await.len(), 2);
    assert_eq!(chats(pg).await.len(), 1, "the customer's open chat");
    assert_eq!(process(&processor).await, InboxPass::default());

    // After the chat is completed, the customer's next message opens a new one.
    sqlx::query("UPDATE chats SET state = 'completed', completed_at = 1")
        .execute(pg)
        .await
        .unwrap();
    relay
        .post_signed(&body("messaging", &[&message("m_3", "me again")]))
        .await;
    assert_eq!(process(&processor).await.messages, 1);
    let states: Vec<String> = chats(pg).await.into_iter().map(|c| c.1).collect();
    assert_eq!(states, ["completed", "queued"]);
    sink.close().await;
}

#[tokio::test]
async fn receipts_mark_outbound_messages_and_echoes_are_stored_once() {
    let (sink, relay, processor) = setup().await;
    let pg = sink.pool();
    relay
        .post_signed(&body("messaging", &[&message("m_1", "hi")]))
        .await;
    process(&processor).await;
    // An operator's reply, sent (as sb_messenger_reply_sent leaves it), at 2,000.
    sqlx::query(
        "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at,
                               provider_key, delivery)
         SELECT 'reply', id, 'fb', 'outbound', 'On its way', 'Ann', 2000, 'm_reply', 'sent'
         FROM chats",
    )
    .execute(pg)
    .await
    .unwrap();
    let marks = || async {
        sqlx::query_as::<_, (Option<i64>, Option<i64>)>(
            "SELECT delivered_at, read_at FROM messages WHERE id = 'reply'",
        )
        .fetch_one(pg)
        .await
        .unwrap()
    };
    // A watermark before the reply confirms nothing; a later one delivers, then reads it.
    let early = event("U1", 1_500, r#""read":{"watermark":1500}"#);
    let delivered = event("U1", 3_000, r#""delivery":{"mids":[],"watermark":3000}"#);
    let read = event("U1", 4_000, r#""read":{"watermark":4000}"#);
    relay.post_signed(&body("messaging", &[&early])).await;
    process(&processor).await;
    assert_eq!(marks().await, (None, None));
    relay
        .post_signed(&body("messaging", &[&delivered, &read]))
        .await;
    process(&processor).await;
    assert_eq!(marks().await, (Some(3000), Some(4000)));

    // Echoes: ours (our app id) is the reply itself; Page Inbox's is a line of its own, once.
    let echo = |mid: &str, app: &str, text: &str| {
        format!(
            r#"{{"sender":{{"id":"P1"}},"recipient":{{"id":"U1"}},"timestamp":5000,"message":{{"mid":"{mid}","text":"{text}","is_echo":true,"app_id":{app}}}}}"#
        )
    };
    let ours = echo("m_reply", "4242", "On its way");
    let inbox = echo("m_inbox", "263902037430900", "Hello from the office");
    relay
        .post_signed(&body("messaging", &[&ours, &inbox]))
        .await;
    relay.post_signed(&body("messaging", &[&inbox])).await;
    process(&processor).await;
    let outbound: Vec<(String, String)> = sqlx::query_as(
        "SELECT author, text FROM messages WHERE kind = 'outbound' ORDER BY created_at",
    )
    .fetch_all(pg)
    .await
    .unwrap();
    assert_eq!(
        outbound,
        [
            ("Ann".into(), "On its way".into()),
            ("Page Inbox".into(), "Hello from the office".into())
        ]
    );
    let (outbound_last, ignored): (bool, i64) = sqlx::query_as(
        "SELECT (SELECT last_message_outbound FROM chats),
                (SELECT count(*) FROM messenger_inbox WHERE state = 'ignored')",
    )
    .fetch_one(pg)
    .await
    .unwrap();
    assert!(outbound_last, "the completion timer counts from the echo");
    assert_eq!(ignored, 1, "our own echo, with its reason");
    sink.close().await;
}

#[tokio::test]
async fn a_bot_chat_enters_routing_when_the_bot_passes_the_thread_to_us() {
    let (sink, relay, processor) = setup().await;
    let pg = sink.pool();
    let standby = body("standby", &[&message("m_1", "I want the bot")]);
    relay.post_signed(&standby).await;
    process(&processor).await;
    assert_eq!(chats(pg).await[0].1, "bot");
    let to_someone_else = event(
        "U1",
        2_000,
        r#""pass_thread_control":{"new_owner_app_id":"777"}"#,
    );
    let to_us = event(
        "U1",
        3_000,
        r#""pass_thread_control":{"new_owner_app_id":"4242","metadata":"needs a human"}"#,
    );
    relay
        .post_signed(&body("messaging", &[&to_someone_else]))
        .await;
    process(&processor).await;
    assert_eq!(chats(pg).await[0].1, "bot");
    relay.post_signed(&body("messaging", &[&to_us])).await;
    process(&processor).await;
    assert_eq!(chats(pg).await[0].1, "queued");
    sink.close().await;
}

#[tokio::test]
async fn events_are_processed_in_commit_order_and_a_switched_off_page_keeps_them() {
    let (sink, relay, processor) = setup().await;
    let pg = sink.pool();
    // Another relay takes the first inbox id for a standby message and has not committed yet.
    let mut slow = pg.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO messenger_inbox (page_id, channel, dedupe_key, kind, event_json, received_at)
         VALUES ('P1', 'standby', 'mid:m_1', 'message', $1, 0)",
    )
    .bind(message("m_1", "bot talk"))
    .execute(&mut *slow)
    .await
    .unwrap();
    // This relay stores the customer's next message, which commits first.
    relay
        .post_signed(&body("messaging", &[&message("m_2", "hello?")]))
        .await;
    let pass = processor.pass().await.unwrap();
    assert_eq!(pass.events, 0, "behind a transaction still running");
    assert!(pass.held_back);
    slow.commit().await.unwrap();
    let pass = process(&processor).await;
    assert_eq!(pass.events, 2);
    // The standby message came first: the chat is the bot's, with both messages.
    assert_eq!(chats(pg).await[0].1, "bot");
    assert_eq!(messages(pg).await.len(), 2);

    sqlx::query("UPDATE channels SET active = FALSE")
        .execute(pg)
        .await
        .unwrap();
    relay
        .post_signed(&body("messaging", &[&message("m_3", "anyone?")]))
        .await;
    assert_eq!(process(&processor).await.events, 0);
    sqlx::query("UPDATE channels SET active = TRUE")
        .execute(pg)
        .await
        .unwrap();
    assert_eq!(process(&processor).await.messages, 1);
    sink.close().await;
}
