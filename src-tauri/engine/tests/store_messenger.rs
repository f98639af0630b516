//! Messenger's additions to a conversation in the store: bot-held chats,
//! echoes, receipts and the customer's last message.

mod common;

use common::{NOW, assign_to_me, hello, store_with_channel};
use switchboard_engine::domain::{ChatState, Delivery, MessageKind};
use switchboard_engine::store::{Echo, Receipt};

#[tokio::test]
async fn a_bot_held_chat_waits_outside_routing_until_the_thread_is_passed() {
    let dir = tempfile::tempdir().unwrap();
    let (store, channel) = store_with_channel(&dir).await;
    let chats = store
        .ingest_inbound_as(
            &channel,
            &[hello("m_1", "psid-1", "hi bot")],
            None,
            ChatState::Bot,
            NOW,
        )
        .await
        .unwrap();
    let chat = store.chat(&chats[0]).await.unwrap();
    assert_eq!((chat.state, chat.operator_id), (ChatState::Bot, None));
    assert!(
        store.load_routing_state().await.unwrap().chats.is_empty(),
        "not routed"
    );

    let released = store
        .release_bot_chat(&channel, "psid-1", NOW + 1)
        .await
        .unwrap();
    assert_eq!(released.as_deref(), Some(chats[0].as_str()));
    assert_eq!(
        store.chat(&chats[0]).await.unwrap().state,
        ChatState::Queued
    );
    assert!(
        store
            .load_routing_state()
            .await
            .unwrap()
            .chats
            .contains_key(&chats[0])
    );
    assert_eq!(
        store
            .release_bot_chat(&channel, "psid-1", NOW + 2)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn echoes_are_stored_once_and_receipts_mark_what_the_customer_got() {
    let dir = tempfile::tempdir().unwrap();
    let (store, channel) = store_with_channel(&dir).await;
    let chat = store
        .ingest_inbound(&channel, &[hello("m_in", "psid-2", "hello")], None, NOW)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        store.last_customer_message_at(&chat).await.unwrap(),
        Some(NOW)
    );
    let echo = Echo {
        psid: "psid-2".into(),
        mid: "m_echo".into(),
        text: "Answered from Page Inbox".into(),
        sent_at: NOW + 10,
        author: "Page Inbox".into(),
    };
    assert_eq!(
        store
            .record_echo(&channel, &echo, NOW + 10)
            .await
            .unwrap()
            .as_deref(),
        Some(chat.as_str())
    );
    assert_eq!(
        store.record_echo(&channel, &echo, NOW + 11).await.unwrap(),
        None,
        "redelivered"
    );

    assign_to_me(&store, &chat).await;
    let reply = store
        .queue_reply(&chat, "Our reply", NOW + 20)
        .await
        .unwrap();
    store.mark_sent(&reply.id, "m_reply").await.unwrap();
    // Our own message echoes back with a mid we know: not stored twice.
    let own = Echo {
        mid: "m_reply".into(),
        ..echo.clone()
    };
    assert_eq!(
        store.record_echo(&channel, &own, NOW + 21).await.unwrap(),
        None
    );

    let delivered = store
        .record_receipt(&channel, "psid-2", NOW + 30, Receipt::Delivered)
        .await
        .unwrap();
    assert_eq!(delivered.as_deref(), Some(chat.as_str()));
    store
        .record_receipt(&channel, "psid-2", NOW + 40, Receipt::Read)
        .await
        .unwrap();
    let outbound: Vec<_> = store
        .messages(&chat)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == MessageKind::Outbound)
        .collect();
    assert_eq!(outbound.len(), 2);
    assert!(outbound.iter().all(|m| m.delivery == Some(Delivery::Sent)));
    assert!(
        outbound
            .iter()
            .all(|m| m.delivered_at == Some(NOW + 30) && m.read_at == Some(NOW + 40))
    );
}
