//! Helpers shared by the store tests: a store on a real SQLite file with one
//! Telegram channel, customers' messages, and assigning a chat to the local operator.
#![allow(dead_code)] // each test file uses a different subset

use std::collections::BTreeSet;

use switchboard_engine::domain::{InboundMessage, Provider};
use switchboard_engine::routing::{Decision, RoutedState};
use switchboard_engine::store::{RoutingChanges, Store};

pub const NOW: i64 = 1_790_000_000_000;

pub fn hello(key: &str, user: &str, text: &str) -> InboundMessage {
    InboundMessage {
        provider_key: key.into(),
        provider_chat_id: user.into(),
        provider_user_id: user.into(),
        contact_name: format!("Customer {user}"),
        contact_username: None,
        text: text.into(),
        sent_at: NOW,
        edited_at: None,
        attachment: None,
    }
}

pub async fn store_with_channel(dir: &tempfile::TempDir) -> (Store, String) {
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

/// Makes the chat the local operator's, through the routing persistence path.
pub async fn assign_to_me(store: &Store, chat_id: &str) {
    let me = store.local_user().id.clone();
    let mut state = store.load_routing_state().await.unwrap();
    let chat = state.chats.get_mut(chat_id).unwrap();
    chat.state = RoutedState::Active;
    chat.operator = Some(me.clone());
    chat.offered_to.clear();
    state.operators.get_mut(&me).unwrap().active_chats += 1;
    let changes = RoutingChanges {
        chats: BTreeSet::from([chat_id.to_owned()]),
        operators: BTreeSet::from([me]),
        decisions: &[] as &[Decision],
        system_lines: vec![(chat_id.to_owned(), "Chat assigned to Me".into())],
    };
    store.persist_routing(&state, &changes, NOW).await.unwrap();
}

pub async fn ingest_one(store: &Store, channel: &str, text: &str) -> String {
    let changed = store
        .ingest_inbound(channel, &[hello("7/1", "7", text)], Some(2), NOW)
        .await
        .unwrap();
    changed.into_iter().next().unwrap()
}
