//! Runtime changes → one batched `chats-changed` event per burst.

use switchboard_ipc::{CHATS_CHANGED_EVENT, ChatsChanged};
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
            // Coalesce whatever else is already waiting into the same event.
            while let Ok(more) = changes.try_recv() {
                chat_ids.extend(more);
            }
            chat_ids.sort();
            chat_ids.dedup();
            if let Err(err) = app.emit(CHATS_CHANGED_EVENT, ChatsChanged { chat_ids }) {
                tracing::warn!(error = %err, "could not notify the window");
            }
        }
    });
}
