//! Replies out: delivery, splitting, pacing, and refusals that fail a message
//! with words for the operator. Transient failures are in `outbound_faults.rs`.

mod common;

use common::{Fixture, TOKEN};
use switchboard_engine::domain::Delivery;

#[tokio::test]
async fn a_reply_reaches_the_customer_and_is_marked_sent() {
    let fx = Fixture::new().await;
    let running = fx.start();
    let chat = fx.chat_with(42).await;
    let reply = fx
        .store
        .queue_reply(&chat, "Hi! How can I help?", fx.now())
        .await
        .unwrap();
    running.outbox.notify_one();
    common::eventually("the reply sent", || async {
        fx.message(&chat, &reply.id).await.delivery == Some(Delivery::Sent)
    })
    .await;
    let sent = fx.tg().sent_messages(TOKEN);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].chat_id, sent[0].text.as_str()),
        (42, "Hi! How can I help?")
    );
    running.stop().await;
}

#[tokio::test]
async fn a_long_reply_is_split_into_parts_a_second_apart() {
    let fx = Fixture::new().await;
    let running = fx.start();
    let chat = fx.chat_with(42).await;
    let text = format!("{}\n{}", "a".repeat(4000), "b".repeat(3000));
    let reply = fx.store.queue_reply(&chat, &text, fx.now()).await.unwrap();
    running.outbox.notify_one();
    common::eventually("the reply sent", || async {
        fx.message(&chat, &reply.id).await.delivery == Some(Delivery::Sent)
    })
    .await;
    let sent = fx.tg().sent_messages(TOKEN);
    let parts: Vec<&str> = sent.iter().map(|m| m.text.as_str()).collect();
    // Split at the newline; Telegram trims whitespace around each message.
    assert!(
        parts == [&text[..4000], &text[4001..]],
        "parts of {:?} chars",
        parts.iter().map(|p| p.len()).collect::<Vec<_>>()
    );
    // Telegram allows about one message a second per chat (the limiter's own
    // tests check the arithmetic; this checks the sender uses it).
    let gap = sent[1].sent_at_ms - sent[0].sent_at_ms;
    assert!(gap >= 900, "parts only {gap} ms apart");
    running.stop().await;
}

#[tokio::test]
async fn a_reply_to_a_customer_who_blocked_the_bot_fails_with_a_reason() {
    let fx = Fixture::new().await;
    let mut running = fx.start();
    let chat = fx.chat_with(42).await;
    fx.tg().block_bot(TOKEN, 42).unwrap();
    let reply = fx
        .store
        .queue_reply(&chat, "Are you there?", fx.now())
        .await
        .unwrap();
    running.outbox.notify_one();
    common::eventually("the reply failed", || async {
        fx.message(&chat, &reply.id).await.delivery == Some(Delivery::Failed)
    })
    .await;
    let failed = fx.message(&chat, &reply.id).await;
    let reason = failed.failure_reason.unwrap();
    assert!(
        reason.starts_with("The customer blocked the bot"),
        "{reason}"
    );
    // One customer's block is not a channel problem.
    running
        .wait_for_health("Running", |h| {
            *h == switchboard_engine::domain::ChannelHealth::Running
        })
        .await;
    running.stop().await;
}

#[tokio::test]
async fn a_reply_telegram_refuses_fails_with_its_description() {
    let fx = Fixture::new().await;
    let running = fx.start();
    let chat = fx.chat_with(42).await;
    fx.tg()
        .inject_fault(
            TOKEN,
            switchboard_sandbox::Fault {
                method: "sendMessage".into(),
                error_code: 400,
                description: "Bad Request: can't parse entities".into(),
                retry_after: None,
                times: 1,
            },
        )
        .unwrap();
    let reply = fx
        .store
        .queue_reply(&chat, "*oops", fx.now())
        .await
        .unwrap();
    running.outbox.notify_one();
    common::eventually("the reply failed", || async {
        fx.message(&chat, &reply.id).await.delivery == Some(Delivery::Failed)
    })
    .await;
    assert_eq!(
        fx.message(&chat, &reply.id).await.failure_reason.as_deref(),
        Some("Telegram refused the message: Bad Request: can't parse entities.")
    );
    running.stop().await;
}

#[tokio::test]
async fn a_failed_reply_sent_again_goes_once_the_customer_unblocks() {
    let fx = Fixture::new().await;
    let running = fx.start();
    let chat = fx.chat_with(42).await;
    fx.tg().block_bot(TOKEN, 42).unwrap();
    let reply = fx
        .store
        .queue_reply(&chat, "Hello?", fx.now())
        .await
        .unwrap();
    running.outbox.notify_one();
    common::eventually("the reply failed", || async {
        fx.message(&chat, &reply.id).await.delivery == Some(Delivery::Failed)
    })
    .await;
    fx.tg().unblock_bot(TOKEN, 42).unwrap();
    fx.store.retry_message(&reply.id, fx.now()).await.unwrap();
    running.outbox.notify_one();
    common::eventually("the reply sent", || async {
        fx.message(&chat, &reply.id).await.delivery == Some(Delivery::Sent)
    })
    .await;
    assert_eq!(fx.tg().sent_messages(TOKEN).len(), 1);
    running.stop().await;
}
