//! The local store against a real SQLite file.

mod common;

use common::{NOW, assign_to_me, hello, ingest_one, store_with_channel};

use switchboard_engine::StoreError;

use switchboard_engine::domain::{ChatState, Delivery, MessageKind};
use switchboard_engine::routing::RoutedState;
use switchboard_engine::store::Store;

#[tokio::test]
async fn first_run_creates_the_workspace_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.sqlite");
    let first = Store::open(&path, NOW).await.unwrap();
    let workspace = first.workspace_id().to_owned();
    let user = first.local_user().clone();
    assert_eq!(first.setting_u32("SimultaneousChats").await.unwrap(), 2);
    assert_eq!(
        first
            .setting_u32("OperatorAcceptChatTimeout")
            .await
            .unwrap(),
        5
    );
    first.close().await;
    let again = Store::open(&path, NOW + 1).await.unwrap();
    assert_eq!(again.workspace_id(), workspace);
    assert_eq!(again.local_user(), &user);
}

#[tokio::test]
async fn a_new_customer_opens_a_queued_chat_that_the_panel_lists_once_assigned() {
    let dir = tempfile::tempdir().unwrap();
    let (store, channel) = store_with_channel(&dir).await;
    let chat_id = ingest_one(&store, &channel, "Hello").await;
    let chat = store.chat(&chat_id).await.unwrap();
    assert_eq!((chat.state, chat.unread_count), (ChatState::Queued, 1));
    assert_eq!(chat.queue_name, "All operators");
    assert!(
        store.list_chats().await.unwrap().is_empty(),
        "a waiting chat is not in my panel"
    );
    let state = store.load_routing_state().await.unwrap();
    assert_eq!(state.chats[&chat_id].state, RoutedState::Queued);

    assign_to_me(&store, &chat_id).await;
    let chats = store.list_chats().await.unwrap();
    assert_eq!(chats.len(), 1);
    assert_eq!(chats[0].operator_name.as_deref(), Some("Me"));
    assert_eq!(chats[0].last_message_text.as_deref(), Some("Hello"));
    let kinds: Vec<_> = store
        .messages(&chat_id)
        .await
        .unwrap()
        .iter()
        .map(|m| (m.kind, m.text.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (MessageKind::Inbound, "Hello".to_owned()),
            (MessageKind::System, "Chat assigned to Me".to_owned()),
        ]
    );
    let state = store.load_routing_state().await.unwrap();
    assert_eq!(state.operators[&store.local_user().id].active_chats, 1);
    assert!(store.mark_read(&chat_id).await.unwrap());
    assert_eq!(store.chat(&chat_id).await.unwrap().unread_count, 0);
}

#[tokio::test]
async fn redelivered_updates_are_stored_once_and_the_offset_moves_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let (store, channel) = store_with_channel(&dir).await;
    assert_eq!(store.telegram_offset(&channel).await.unwrap(), None);
    let batch = [hello("7/1", "7", "one"), hello("7/2", "7", "two")];
    store
        .ingest_inbound(&channel, &batch, Some(12), NOW)
        .await
        .unwrap();
    // The same updates again (e.g. the offset confirmation was lost).
    let changed = store
        .ingest_inbound(&channel, &batch, Some(12), NOW)
        .await
        .unwrap();
    assert!(changed.is_empty());
    assert_eq!(store.telegram_offset(&channel).await.unwrap(), Some(12));
    let state = store.load_routing_state().await.unwrap();
    let chat_id = state.chats.keys().next().unwrap();
    let inbound = store
        .messages(chat_id)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == MessageKind::Inbound)
        .count();
    assert_eq!(inbound, 2);
}

#[tokio::test]
async fn a_failed_batch_stores_neither_messages_nor_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _channel) = store_with_channel(&dir).await;
    let err = store
        .ingest_inbound("no-such-channel", &[hello("7/1", "7", "x")], Some(5), NOW)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                what: "channel",
                ..
            }
        ),
        "{err}"
    );
    assert!(store.load_routing_state().await.unwrap().chats.is_empty());
}

#[tokio::test]
async fn replies_wait_in_the_outbox_until_marked_sent_or_failed() {
    let dir = tempfile::tempdir().unwrap();
    let (store, channel) = store_with_channel(&dir).await;
    let chat_id = ingest_one(&store, &channel, "Hello").await;
    assign_to_me(&store, &chat_id).await;
    let chat = store.chat(&chat_id).await.unwrap();
    let reply = store
        .queue_reply(&chat.id, "Hi there", NOW + 5)
        .await
        .unwrap();
    assert_eq!(reply.delivery, Some(Delivery::Pending));
    let due = store.due_outbox(&channel, NOW + 5).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].provider_chat_id.as_str(), due[0].text.as_str()),
        ("7", "Hi there")
    );

    store
        .retry_later(&reply.id, NOW + 1000, "Network error")
        .await
        .unwrap();
    assert!(
        store
            .due_outbox(&channel, NOW + 999)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.next_outbox_due(&channel).await.unwrap(),
        Some(NOW + 1000)
    );
    store.mark_sent(&reply.id, "7/2").await.unwrap();
    let sent = store.messages(&chat.id).await.unwrap().pop().unwrap();
    assert_eq!(
        (sent.delivery, sent.failure_reason),
        (Some(Delivery::Sent), None)
    );
    assert!(
        store
            .due_outbox(&channel, NOW + 5000)
            .await
            .unwrap()
            .is_empty()
    );

    let second = store
        .queue_reply(&chat.id, "Still there?", NOW + 6)
        .await
        .unwrap();
    store
        .mark_failed(&second.id, "The customer blocked the bot.")
        .await
        .unwrap();
    let failed = store.messages(&chat.id).await.unwrap().pop().unwrap();
    assert_eq!(failed.delivery, Some(Delivery::Failed));
    assert_eq!(
        failed.failure_reason.as_deref(),
        Some("The customer blocked the bot.")
    );
}

#[tokio::test]
async fn bad_replies_are_refused_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let (store, channel) = store_with_channel(&dir).await;
    let chat_id = ingest_one(&store, &channel, "Hello").await;
    assign_to_me(&store, &chat_id).await;
    let chat = store.chat(&chat_id).await.unwrap();
    let empty = store.queue_reply(&chat.id, "  \n ", NOW).await.unwrap_err();
    assert_eq!(empty.to_string(), "The reply is empty.");
    let huge = "x".repeat(20_001);
    let too_long = store.queue_reply(&chat.id, &huge, NOW).await.unwrap_err();
    assert!(matches!(too_long, StoreError::Invalid(_)), "{too_long}");
    let missing = store.queue_reply("nope", "hi", NOW).await.unwrap_err();
    assert!(matches!(missing, StoreError::NotFound { what: "chat", .. }));
}

#[tokio::test]
async fn queues_are_validated_and_served_by_the_local_operator() {
    use switchboard_engine::domain::RoutingRule;
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = store_with_channel(&dir).await;
    let billing = store
        .create_queue(" Billing ", RoutingRule::Freest, Some(30))
        .await
        .unwrap();
    assert_eq!(
        (billing.name.as_str(), billing.operator_names.clone()),
        ("Billing", vec!["Me".to_owned()])
    );
    let dup = store
        .create_queue("billing", RoutingRule::ToAll, None)
        .await
        .unwrap_err();
    assert_eq!(dup.to_string(), "A queue named “billing” already exists.");
    let empty = store
        .create_queue("  ", RoutingRule::ToAll, None)
        .await
        .unwrap_err();
    assert_eq!(empty.to_string(), "Give the queue a name.");
    let zero = store
        .create_queue("Sales", RoutingRule::ToAll, Some(0))
        .await
        .unwrap_err();
    assert!(
        zero.to_string()
            .starts_with("The completion timeout must be between 1 and")
    );
    let names: Vec<_> = store
        .list_queues()
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.name)
        .collect();
    assert_eq!(names, ["All operators", "Billing"]);
    let state = store.load_routing_state().await.unwrap();
    assert_eq!(
        state.queues[&billing.id].completion_timeout,
        Some(30 * 60_000)
    );
}
