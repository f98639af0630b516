//! Runtime changes → one batched `chats-changed` event per burst,
//! `channels-changed` when a channel's health or settings change, and
//! `database-changed` (with the view) when the shared database connection changes.

use std::sync::Arc;

use switchboard_ipc::{
    CHANNELS_CHANGED_EVENT, CHATS_CHANGED_EVENT, ChatsChanged, DATABASE_CHANGED_EVENT,
};
use switchboard_runtime::Runtime;
use tauri::Emitter;
use tokio::sync::broadcast::{self, error::RecvError};

pub fn forward_chat_changes(app: tauri::AppHandle, mut changes: broadcast::Receiver<Vec<String>>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let mut chat_ids = match changes.recv().await {
                Ok(ids) => ids,
                // Fell behind: tell the UI everything may have changed.
                Err(RecvError::Lagged(_)) => Vec::new(),
                Err(RecvError::Closed) => return,
            };
            // Coalesce whatever else is already waiting into the same event. An empty list means
            // "everything may have changed" and stays empty whatever it is merged with.
            let mut everything = chat_ids.is_empty();
            loop {
                match changes.try_recv() {
                    Ok(more) => {
                        everything |= more.is_empty();
                        chat_ids.extend(more);
                    }
                    Err(broadcast::error::TryRecvError::Lagged(_)) => everything = true,
                    Err(_) => break,
                }
            }
            if everything {
                chat_ids.clear();
            }
            chat_ids.sort();
            chat_ids.dedup();
            if let Err(err) = app.emit(CHATS_CHANGED_EVENT, ChatsChanged { chat_ids }) {
                tracing::warn!(error = %err, "could not notify the window");
            }
        }
    });
}

pub fn forward_channel_changes(app: tauri::AppHandle, mut changes: broadcast::Receiver<()>) {
    tauri::async_runtime::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(()) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
            while changes.try_recv().is_ok() {}
            if let Err(err) = app.emit(CHANNELS_CHANGED_EVENT, ()) {
                tracing::warn!(error = %err, "could not notify the window");
            }
        }
    });
}

pub fn forward_database_changes(app: tauri::AppHandle, runtime: Arc<Runtime>) {
    let mut changes = runtime.subscribe_database();
    tauri::async_runtime::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(()) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
            while changes.try_recv().is_ok() {}
            match runtime.shared_database().await {
                Ok(view) => {
                    if let Err(err) = app.emit(DATABASE_CHANGED_EVENT, view) {
                        tracing::warn!(error = %err, "could not notify the window");
                    }
                }
                Err(err) => tracing::warn!(error = %err, "reading the shared database view"),
            }
        }
    });
}
