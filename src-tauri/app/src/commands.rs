//! IPC commands: each is one call into the runtime. Errors cross as
//! `IpcError {code, message, details}`.

use std::sync::Arc;

use switchboard_ipc::{ChannelView, ChatDetail, ChatSummary, IpcError, MessageView};
use switchboard_runtime::Runtime;

pub enum AppState {
    Ready(Arc<Runtime>),
    /// The store could not be opened; every command reports why.
    Failed(IpcError),
}

impl AppState {
    fn runtime(&self) -> Result<&Runtime, IpcError> {
        match self {
            Self::Ready(runtime) => Ok(runtime),
            Self::Failed(err) => Err(err.clone()),
        }
    }
}

type State<'a> = tauri::State<'a, AppState>;

#[tauri::command]
pub async fn list_chats(state: State<'_>) -> Result<Vec<ChatSummary>, IpcError> {
    state.runtime()?.list_chats().await
}

#[tauri::command]
pub async fn read_chat(state: State<'_>, chat_id: String) -> Result<ChatDetail, IpcError> {
    state.runtime()?.read_chat(&chat_id).await
}

#[tauri::command]
pub async fn send_reply(
    state: State<'_>,
    chat_id: String,
    text: String,
) -> Result<MessageView, IpcError> {
    state.runtime()?.send_reply(&chat_id, &text).await
}

#[tauri::command]
pub async fn list_channels(state: State<'_>) -> Result<Vec<ChannelView>, IpcError> {
    state.runtime()?.list_channels().await
}
