//! The local store against a real SQLite file.

use switchboard_engine::StoreError;
use switchboard_engine::domain::{ChatState, Delivery, InboundMessage, MessageKind, Provider};
use switchboard_engine::store::Store;

const NOW: i64 = 1_790_000_000_000;

fn hello(key: &str, user: &str, text: &str) -> InboundMessage {
    InboundMessage {
        provider_key: key.into(),
        provider_chat_id: user.into(),
        provider_user_id: user.into(),
        contact_name: format!("Customer {user}"),
        contact_username: None,
        text: text.into(),
        sent_at: NOW,
    }
}

async fn store_with_channel(dir: &tempfile::TempDir) -> (Store, String) {
    let store = Store::open(&dir.path().join("switchboard.sqlite"), NOW)
        .await
        .unwrap();
    let channel = store
        .add_channel(
            Provider::Telegram,
            "Support bot",
            "http://127.0.0.1:1/",
            "42",
            NOW,
        )
        .await
        .unwrap();
    (store, channel.id)
}

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
async fn a_new_customer_gets_a_chat_assigned_to_the_local_operator() {
    let dir = tempfile::tempdir().unwrap();
    let (store, channel) = store_with_channel(&dir).await;
    let changed = store
        .ingest_inbound(&channel, &[hello("7/1", "7", "Hello")], Some(11), NOW)
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    let chats = store.list_chats().await.unwrap();
    assert_eq!(chats.len(), 1);
    let chat = &chats[0];
    assert_eq!(chat.state, ChatState::Active);
    assert_eq!(
        chat.operator_id.as_deref(),
        Some(store.local_user().id.as_str())
    );
    assert_eq!(chat.last_message_text.as_deref(), Some("Hello"));
    assert_eq!(chat.unread_count, 1);
    let kinds: Vec<_> = store
        .messages(&chat.id)
        .await
        .unwrap()
        .iter()
        .map(|m| (m.kind, m.text.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (MessageKind::System, "Chat assigned to Me".to_owned()),
            (MessageKind::Inbound, "Hello".to_owned())
        ]
    );
    assert!(store.mark_read(&chat.id).await.unwrap());
    assert_eq!(store.chat(&chat.id).await.unwrap().unread_count, 0);
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
    let chat = &store.list_chats().await.unwrap()[0];
    let inbound = store
        .messages(&chat.id)
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
    assert!(store.list_chats().await.unwrap().is_empty());
}

#[tokio::test]
async fn replies_wait_in_the_outbox_until_marked_sent_or_failed() {
    let dir = tempfile::tempdir().unwrap();
    let (store, channel) = store_with_channel(&dir).await;
    store
        .ingest_inbound(&channel, &[hello("7/1", "7", "Hello")], Some(2), NOW)
        .await
        .unwrap();
    let chat = store.list_chats().await.unwrap().remove(0);
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
    store
        .ingest_inbound(&channel, &[hello("7/1", "7", "Hello")], None, NOW)
        .await
        .unwrap();
    let chat = store.list_chats().await.unwrap().remove(0);
    let empty = store.queue_reply(&chat.id, "  \n ", NOW).await.unwrap_err();
    assert_eq!(empty.to_string(), "The reply is empty.");
    let huge = "x".repeat(20_001);
    let too_long = store.queue_reply(&chat.id, &huge, NOW).await.unwrap_err();
    assert!(matches!(too_long, StoreError::Invalid(_)), "{too_long}");
    let missing = store.queue_reply("nope", "hi", NOW).await.unwrap_err();
    assert!(matches!(missing, StoreError::NotFound { what: "chat", .. }));
}
