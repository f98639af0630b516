//! Customer messages in: long polling into the store, edits, stop and resume,
//! and what the channel says when polling fails.

mod common;

use common::{Fixture, TOKEN};
use switchboard_engine::domain::{ChannelHealth, ChannelProblem};
use switchboard_sandbox::{CustomerEdit, Fault};

fn is_problem(wanted: ChannelProblem) -> impl FnMut(&ChannelHealth) -> bool {
    move |h| matches!(h, ChannelHealth::Problem { problem, .. } if *problem == wanted)
}

#[tokio::test]
async fn a_stopped_channel_resumes_from_the_stored_offset_and_stores_each_message_once() {
    let fx = Fixture::new().await;
    let running = fx.start();
    fx.customer_writes(42, "one");
    fx.wait_for_inbound(1).await;
    // Stopped mid long-poll: every task must end promptly (`stop` checks).
    fx.tg().wait_for_long_poll(TOKEN).await.unwrap();
    running.stop().await;

    // Written while nobody polls; must arrive exactly once after the restart.
    fx.customer_writes(42, "two");
    let running = fx.start();
    fx.wait_for_inbound(2).await;
    fx.customer_writes(42, "three");
    fx.wait_for_inbound(3).await;
    // The next long poll confirms the last batch.
    fx.tg().wait_for_long_poll(TOKEN).await.unwrap();
    assert_eq!(fx.tg().pending_update_count(TOKEN).unwrap(), 0);
    running.stop().await;
    assert_eq!(fx.inbound_texts().await, ["one", "two", "three"]);
    assert_eq!(fx.chat_ids().await.len(), 1);
}

#[tokio::test]
async fn an_edited_message_replaces_the_stored_text() {
    let fx = Fixture::new().await;
    let running = fx.start();
    let update = fx.customer_writes(42, "Helo, my order is late");
    fx.wait_for_inbound(1).await;
    let message_id = update["message"]["message_id"].as_i64().unwrap();
    fx.tg()
        .customer_edits(
            TOKEN,
            CustomerEdit {
                user_id: 42,
                message_id,
                text: "Hello, my order is late".into(),
            },
        )
        .unwrap();
    common::eventually("the edit", || async {
        fx.inbound().await[0].edited_at.is_some()
    })
    .await;
    let stored = fx.inbound().await;
    assert_eq!(stored.len(), 1, "an edit is not a new message");
    assert_eq!(stored[0].text, "Hello, my order is late");
    running.stop().await;
}

#[tokio::test]
async fn a_wrong_token_marks_the_channel_token_rejected_in_words() {
    let fx = Fixture::new().await;
    let mut running = fx.start_at(&fx.sandbox.base_url(), "5550001:not-the-right-secret");
    let health = running
        .wait_for_health("TokenRejected", is_problem(ChannelProblem::TokenRejected))
        .await;
    let ChannelHealth::Problem { reason, .. } = health else {
        unreachable!()
    };
    assert!(
        reason.starts_with("Telegram rejected the bot token"),
        "{reason}"
    );
    assert!(
        !reason.contains("not-the-right-secret"),
        "token leaked: {reason}"
    );
    running.stop().await;
}

#[tokio::test]
async fn a_webhook_on_the_bot_shows_it_is_used_elsewhere() {
    let fx = Fixture::new().await;
    fx.tg()
        .set_webhook(TOKEN, Some("https://example.com/hook"))
        .unwrap();
    let mut running = fx.start();
    let health = running
        .wait_for_health("UsedElsewhere", is_problem(ChannelProblem::UsedElsewhere))
        .await;
    let ChannelHealth::Problem { reason, .. } = health else {
        unreachable!()
    };
    assert!(reason.contains("used elsewhere"), "{reason}");
    running.stop().await;
}

#[tokio::test]
async fn a_server_error_while_polling_is_retried_without_losing_messages() {
    let fx = Fixture::new().await;
    fx.tg()
        .inject_fault(
            TOKEN,
            Fault {
                method: "getUpdates".into(),
                error_code: 502,
                description: String::new(),
                retry_after: None,
                times: 1,
            },
        )
        .unwrap();
    fx.customer_writes(42, "are you open?");
    let mut running = fx.start();
    fx.wait_for_inbound(1).await;
    assert_eq!(fx.inbound_texts().await, ["are you open?"]);
    running
        .wait_for_health("Running", |h| *h == ChannelHealth::Running)
        .await;
    running.stop().await;
}
