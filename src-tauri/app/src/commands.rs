//! IPC commands: each is one call into the runtime. Errors cross as
//! `IpcError {code, message, details}`.

use std::sync::Arc;

use switchboard_ipc::{
    AttachmentData, ChannelChanges, ChannelView, ChatDetail, ChatSummary, IpcError, MemberKind,
    MessageView, MyStatus, NewQueue, NewTelegramChannel, OperatorStatus, OperatorView, QueueView,
    RoleView, RoutingExplanation, SendFile, WorkspaceSettings,
};
use switchboard_ipc::{
    ConnectPages, FacebookLogin, FacebookSettings, FacebookSettingsUpdate, MessengerWebhook,
    PageConnection,
};
use switchboard_ipc::{
    NewOperatorLogin, OperatorLogin, SharedDatabaseCheck, SharedDatabaseLogin, SharedDatabaseView,
};
use switchboard_runtime::Runtime;

pub enum AppState {
    Ready(Arc<Runtime>),
    /// The store could not be opened; every command reports why.
    Failed(IpcError),
}

impl AppState {
    fn runtime(&self) -> Result<&Arc<Runtime>, IpcError> {
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

#[tauri::command]
pub async fn accept_chat(state: State<'_>, chat_id: String) -> Result<ChatSummary, IpcError> {
    state.runtime()?.accept_chat(&chat_id).await
}

#[tauri::command]
pub async fn decline_chat(state: State<'_>, chat_id: String) -> Result<(), IpcError> {
    state.runtime()?.decline_chat(&chat_id).await
}

#[tauri::command]
pub async fn complete_chat(state: State<'_>, chat_id: String) -> Result<(), IpcError> {
    state.runtime()?.complete_chat(&chat_id).await
}

#[tauri::command]
pub async fn transfer_to_queue(
    state: State<'_>,
    chat_id: String,
    queue_id: String,
) -> Result<(), IpcError> {
    state
        .runtime()?
        .transfer_to_queue(&chat_id, &queue_id)
        .await
}

#[tauri::command]
pub async fn transfer_to_operator(
    state: State<'_>,
    chat_id: String,
    operator_id: String,
) -> Result<(), IpcError> {
    state
        .runtime()?
        .transfer_to_operator(&chat_id, &operator_id)
        .await
}

#[tauri::command]
pub async fn my_status(state: State<'_>) -> Result<MyStatus, IpcError> {
    state.runtime()?.my_status().await
}

#[tauri::command]
pub async fn set_my_status(state: State<'_>, status: OperatorStatus) -> Result<MyStatus, IpcError> {
    state.runtime()?.set_my_status(status).await
}

#[tauri::command]
pub async fn list_queues(state: State<'_>) -> Result<Vec<QueueView>, IpcError> {
    state.runtime()?.list_queues().await
}

#[tauri::command]
pub async fn create_queue(state: State<'_>, queue: NewQueue) -> Result<QueueView, IpcError> {
    state.runtime()?.create_queue(queue).await
}

#[tauri::command]
pub async fn list_operators(state: State<'_>) -> Result<Vec<OperatorView>, IpcError> {
    state.runtime()?.list_operators().await
}

#[tauri::command]
pub async fn explain_routing(
    state: State<'_>,
    chat_id: String,
) -> Result<RoutingExplanation, IpcError> {
    state.runtime()?.explain_routing(&chat_id).await
}

#[tauri::command]
pub async fn get_settings(state: State<'_>) -> Result<WorkspaceSettings, IpcError> {
    state.runtime()?.get_settings().await
}

#[tauri::command]
pub async fn update_settings(
    state: State<'_>,
    settings: WorkspaceSettings,
) -> Result<WorkspaceSettings, IpcError> {
    state.runtime()?.update_settings(settings).await
}

#[tauri::command]
pub async fn list_roles(state: State<'_>) -> Result<Vec<RoleView>, IpcError> {
    state.runtime()?.list_roles().await
}

#[tauri::command]
pub async fn create_role(state: State<'_>, name: String) -> Result<RoleView, IpcError> {
    state.runtime()?.create_role(&name).await
}

#[tauri::command]
pub async fn set_role_member(
    state: State<'_>,
    role_id: String,
    user_id: String,
    member: bool,
) -> Result<RoleView, IpcError> {
    state
        .runtime()?
        .set_role_member(&role_id, &user_id, member)
        .await
}

#[tauri::command]
pub async fn add_queue_member(
    state: State<'_>,
    queue_id: String,
    kind: MemberKind,
    member_id: String,
) -> Result<QueueView, IpcError> {
    state
        .runtime()?
        .add_queue_member(&queue_id, kind, &member_id)
        .await
}

#[tauri::command]
pub async fn remove_queue_member(
    state: State<'_>,
    queue_id: String,
    kind: MemberKind,
    member_id: String,
) -> Result<QueueView, IpcError> {
    state
        .runtime()?
        .remove_queue_member(&queue_id, kind, &member_id)
        .await
}

#[tauri::command]
pub async fn update_queue(
    state: State<'_>,
    queue_id: String,
    queue: NewQueue,
) -> Result<QueueView, IpcError> {
    state.runtime()?.update_queue(&queue_id, queue).await
}

#[tauri::command]
pub async fn add_telegram_channel(
    state: State<'_>,
    channel: NewTelegramChannel,
) -> Result<ChannelView, IpcError> {
    state.runtime()?.add_telegram_channel(channel).await
}

#[tauri::command]
pub async fn update_channel(
    state: State<'_>,
    channel_id: String,
    changes: ChannelChanges,
) -> Result<ChannelView, IpcError> {
    state.runtime()?.update_channel(&channel_id, changes).await
}

#[tauri::command]
pub async fn replace_channel_token(
    state: State<'_>,
    channel_id: String,
    token: String,
) -> Result<ChannelView, IpcError> {
    state
        .runtime()?
        .replace_channel_token(&channel_id, &token)
        .await
}

#[tauri::command]
pub async fn restart_channel(
    state: State<'_>,
    channel_id: String,
) -> Result<ChannelView, IpcError> {
    state.runtime()?.restart_channel(&channel_id).await
}

#[tauri::command]
pub async fn send_file(state: State<'_>, file: SendFile) -> Result<MessageView, IpcError> {
    state.runtime()?.send_file(file).await
}

#[tauri::command]
pub async fn read_attachment(
    state: State<'_>,
    attachment_id: String,
) -> Result<AttachmentData, IpcError> {
    state.runtime()?.read_attachment(&attachment_id).await
}

#[tauri::command]
pub async fn retry_message(state: State<'_>, message_id: String) -> Result<(), IpcError> {
    state.runtime()?.retry_message(&message_id).await
}

#[tauri::command]
pub async fn retry_attachment(state: State<'_>, attachment_id: String) -> Result<(), IpcError> {
    state.runtime()?.retry_attachment(&attachment_id).await
}

#[tauri::command]
pub async fn get_facebook_settings(state: State<'_>) -> Result<FacebookSettings, IpcError> {
    state.runtime()?.facebook_settings().await
}

#[tauri::command]
pub async fn update_facebook_settings(
    state: State<'_>,
    settings: FacebookSettingsUpdate,
) -> Result<FacebookSettings, IpcError> {
    state.runtime()?.update_facebook_settings(settings).await
}

/// Resolves when the login window is done: pages to pick, or cancelled.
#[tauri::command]
pub async fn start_facebook_login(
    app: tauri::AppHandle,
    state: State<'_>,
) -> Result<FacebookLogin, IpcError> {
    let runtime = state.runtime()?.clone();
    crate::facebook_login::run(app, runtime).await
}

#[tauri::command]
pub fn cancel_facebook_login(app: tauri::AppHandle) {
    crate::facebook_login::cancel(&app);
}

#[tauri::command]
pub async fn connect_facebook_pages(
    state: State<'_>,
    request: ConnectPages,
) -> Result<Vec<PageConnection>, IpcError> {
    state.runtime()?.connect_facebook_pages(request).await
}

#[tauri::command]
pub async fn messenger_webhook(state: State<'_>) -> Result<MessengerWebhook, IpcError> {
    state.runtime()?.messenger_webhook().await
}

#[tauri::command]
pub async fn take_thread(state: State<'_>, chat_id: String) -> Result<(), IpcError> {
    state.runtime()?.take_thread(&chat_id).await
}

#[tauri::command]
pub async fn pass_thread_back(state: State<'_>, chat_id: String) -> Result<(), IpcError> {
    state.runtime()?.pass_thread_back(&chat_id).await
}

#[tauri::command]
pub async fn shared_database(state: State<'_>) -> Result<SharedDatabaseView, IpcError> {
    state.runtime()?.shared_database().await
}

#[tauri::command]
pub async fn test_shared_database(
    state: State<'_>,
    login: SharedDatabaseLogin,
) -> Result<SharedDatabaseCheck, IpcError> {
    state.runtime()?.test_shared_database(login).await
}

#[tauri::command]
pub async fn connect_shared_database(
    state: State<'_>,
    login: SharedDatabaseLogin,
) -> Result<SharedDatabaseView, IpcError> {
    state.runtime()?.connect_shared_database(login).await
}

#[tauri::command]
pub async fn leave_shared_database(state: State<'_>) -> Result<SharedDatabaseView, IpcError> {
    state.runtime()?.leave_shared_database().await
}

/// Restarts Switchboard (after switching between standalone and shared mode). The exit handler
/// stops the runtime first, releasing this desktop's bots to the others.
#[tauri::command]
pub fn restart_app(app: tauri::AppHandle) {
    app.restart();
}

#[tauri::command]
pub async fn list_operator_logins(state: State<'_>) -> Result<Vec<OperatorLogin>, IpcError> {
    state.runtime()?.list_operator_logins().await
}

#[tauri::command]
pub async fn create_operator_login(
    state: State<'_>,
    login: NewOperatorLogin,
) -> Result<OperatorLogin, IpcError> {
    state.runtime()?.create_operator_login(login).await
}

#[tauri::command]
pub async fn disable_operator_login(
    state: State<'_>,
    login: String,
) -> Result<Vec<OperatorLogin>, IpcError> {
    state.runtime()?.disable_operator_login(&login).await
}
