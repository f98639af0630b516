//! Replies and channel-wide failures (429, 5xx, a cut network, a revoked
//! token): the message waits, the channel says why, nothing is dropped or
//! sent twice.

mod common;

use common::proxy::Proxy;
use common::{Fixture, Running, TOKEN};
use switchboard_engine::domain::{ChannelHealth, ChannelProblem, Delivery, Message};
use switchboard_sandbox::Fault;

fn is_problem(wanted: ChannelProblem) -> impl FnMut(&ChannelHealth) -> bool {
    move |h| matches!(h, ChannelHealth::Problem { problem, .. } if *problem == wanted)
}

fn fault(method: &str, error_code: u16, retry_after: Option<u64>) -> Fault {
    Fault {
        method: method.into(),
        error_code,
        description: String::new(),
        retry_after,
        times: 1,
    }
}

async fn reply(fx: &Fixture, running: &Running, chat: &str, text: &str) -> Message {
    let message = fx.store.queue_reply(chat, text, fx.now()).await.unwrap();
    running.outbox.notify_one();
    message
}

async fn wait_delivery(fx: &Fixture, chat: &str, message: &Message, wanted: Delivery) -> Message {
    common::eventually(&format!("{wanted:?}"), || async {
        fx.message(chat, &message.id).await.delivery == Some(wanted)
    })
    .await;
    fx.message(chat, &message.id).await
}

/// Waits until the sender recorded a failed attempt (the reason is set).
async fn wait_retrying(fx: &Fixture, chat: &str, message: &Message) -> Message {
    common::eventually("a failed attempt", || async {
        fx.message(chat, &message.id).await.failure_reason.is_some()
    })
    .await;
    let pending = fx.message(chat, &message.id).await;
    assert_eq!(pending.delivery, Some(Delivery::Pending));
    pending
}

#[tokio::test]
async fn a_rate_limit_pauses_the_whole_channel_for_retry_after_and_drops_nothing() {
    let fx = Fixture::real_time().await;
    let mut running = fx.start();
    let ann = fx.chat_with(42).await;
    let bob = fx.chat_with(43).await;
    fx.tg()
        .inject_fault(TOKEN, fault("sendMessage", 429, Some(1)))
        .unwrap();
    let queued_at = u64::try_from(fx.now()).unwrap();
    let first = reply(&fx, &running, &ann, "One moment").await;
    let second = reply(&fx, &running, &bob, "Checking").await;
    running
        .wait_for_health("RateLimited", is_problem(ChannelProblem::RateLimited))
        .await;
    wait_delivery(&fx, &ann, &first, Delivery::Sent).await;
    wait_delivery(&fx, &bob, &second, Delivery::Sent).await;
    let sent = fx.tg().sent_messages(TOKEN);
    assert_eq!(sent.len(), 2, "each reply exactly once");
    // Neither reply, not even the other chat's, went before the second was up.
    for message in &sent {
        let after = message.sent_at_ms - queued_at;
        assert!(
            after >= 1000,
            "{:?} sent {after} ms after queueing",
            message.text
        );
    }
    running
        .wait_for_health("Running", |h| *h == ChannelHealth::Running)
        .await;
    running.stop().await;
}

#[tokio::test]
async fn a_rate_limited_reply_is_due_exactly_at_retry_after() {
    let fx = Fixture::new().await;
    let running = fx.start();
    let chat = fx.chat_with(42).await;
    fx.tg()
        .inject_fault(TOKEN, fault("sendMessage", 429, Some(7)))
        .unwrap();
    let message = reply(&fx, &running, &chat, "One moment").await;
    let pending = wait_retrying(&fx, &chat, &message).await;
    assert_eq!(
        pending.failure_reason.as_deref(),
        Some("Telegram asked to slow down; retrying in 7 s.")
    );
    let due = fx.store.next_outbox_due(&fx.channel.id).await.unwrap();
    assert_eq!(due, Some(fx.now() + 7000));

    // Not due a millisecond before; at the time it goes, once.
    fx.advance(6_999);
    let due_now = fx.store.due_outbox(&fx.channel.id, fx.now()).await.unwrap();
    assert!(due_now.is_empty());
    fx.advance(1);
    running.outbox.notify_one();
    wait_delivery(&fx, &chat, &message, Delivery::Sent).await;
    assert_eq!(fx.tg().sent_messages(TOKEN).len(), 1);
    running.stop().await;
}

#[tokio::test]
async fn a_server_error_is_retried_after_a_backoff_and_the_reply_goes_once() {
    let fx = Fixture::new().await;
    let mut running = fx.start();
    let chat = fx.chat_with(42).await;
    fx.tg()
        .inject_fault(TOKEN, fault("sendMessage", 500, None))
        .unwrap();
    let message = reply(&fx, &running, &chat, "Your order shipped").await;
    running
        .wait_for_health("Unreachable", is_problem(ChannelProblem::Unreachable))
        .await;
    wait_retrying(&fx, &chat, &message).await;
    // The back-off is about a second, with jitter.
    fx.advance(1_500);
    running.outbox.notify_one();
    wait_delivery(&fx, &chat, &message, Delivery::Sent).await;
    assert_eq!(fx.tg().sent_messages(TOKEN).len(), 1);
    running
        .wait_for_health("Running", |h| *h == ChannelHealth::Running)
        .await;
    running.stop().await;
}

#[tokio::test]
async fn a_cut_network_keeps_the_reply_pending_until_telegram_is_back() {
    let fx = Fixture::new().await;
    let proxy = Proxy::start(fx.sandbox.local_addr()).await;
    let mut running = fx.start_at(&proxy.base_url(), TOKEN);
    let chat = fx.chat_with(42).await;
    proxy.set_up(false);
    let message = reply(&fx, &running, &chat, "Are you still there?").await;
    running
        .wait_for_health("Unreachable", is_problem(ChannelProblem::Unreachable))
        .await;
    let pending = wait_retrying(&fx, &chat, &message).await;
    assert!(
        pending.failure_reason.unwrap().contains("retrying"),
        "the operator is told it will be retried"
    );
    proxy.set_up(true);
    fx.advance(1_500);
    running.outbox.notify_one();
    wait_delivery(&fx, &chat, &message, Delivery::Sent).await;
    assert_eq!(fx.tg().sent_messages(TOKEN).len(), 1);
    running.stop().await;
}

#[tokio::test]
async fn a_revoked_token_keeps_the_reply_pending_until_the_channel_restarts_with_a_good_one() {
    let fx = Fixture::new().await;
    let mut running = fx.start();
    let chat = fx.chat_with(42).await;
    fx.tg().revoke_token(TOKEN).unwrap();
    let message = reply(&fx, &running, &chat, "Thanks for waiting").await;
    running
        .wait_for_health("TokenRejected", is_problem(ChannelProblem::TokenRejected))
        .await;
    let pending = wait_retrying(&fx, &chat, &message).await;
    assert!(
        pending.failure_reason.unwrap().contains("token"),
        "the operator is told why it waits"
    );
    running.stop().await;

    // The admin fixes the token; the runtime starts the channel afresh.
    fx.tg().restore_token(TOKEN).unwrap();
    let running = fx.start();
    wait_delivery(&fx, &chat, &message, Delivery::Sent).await;
    assert_eq!(fx.tg().sent_messages(TOKEN).len(), 1);
    running.stop().await;
}
