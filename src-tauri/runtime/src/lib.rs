//! The application API: what the UI can ask and be told, on top of the store,
//! the connectors and the keychain. The Tauri shell only wraps these calls in
//! commands; tests drive the very same API headless.

mod admin;
mod channels;
mod convert;
mod errors;
mod facebook;
mod files;
mod instance_lock;
mod messenger;
mod operations;
mod router;
pub mod shared;
mod shared_admin;
mod shared_designer;
mod shared_facebook;
mod shared_ops;
mod shared_upload;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use switchboard_engine::clock::Clock;
use switchboard_engine::domain::{ChannelHealth, Id};
use switchboard_engine::secrets::SecretStore;
use switchboard_engine::store::Store;
use switchboard_ipc::{ChatDetail, ChatSummary, IpcError, MessageView};
use tokio::sync::{Notify, broadcast, watch};
use tokio_util::sync::CancellationToken;

pub use errors::to_ipc;
pub use facebook::{DEFAULT_REDIRECT_URI, FacebookEndpoints, LoginStart};
pub use instance_lock::{InstanceLock, LOCK_FILE};

/// A Telegram bot to connect at start-up (the demo and the tests use this
/// until channels are added from the designer).
#[derive(Clone)]
pub struct SeedTelegramBot {
    pub api_base: String,
    pub token: String,
}

impl std::fmt::Debug for SeedTelegramBot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedTelegramBot")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

pub struct RuntimeConfig {
    /// Folder of the SQLite file (the platform's app-data folder in the app).
    pub data_dir: PathBuf,
    pub seed_telegram: Option<SeedTelegramBot>,
    /// Bot API server used by "Add Telegram" (https://api.telegram.org/, or
    /// the sandbox in the demo and the tests).
    pub telegram_api_base: String,
    /// Facebook Login and the Graph API (the real ones, or the sandbox).
    pub facebook: FacebookEndpoints,
    /// Where the Messenger webhook endpoint listens (standalone mode; behind
    /// a tunnel); `None` runs none.
    pub messenger_listen: Option<std::net::SocketAddr>,
}

/// The real Bot API.
pub const TELEGRAM_API: &str = "https://api.telegram.org/";

struct RunningChannel {
    health: watch::Receiver<ChannelHealth>,
    outbox: Arc<Notify>,
    /// Poked when a customer's file should be fetched again.
    files: Arc<Notify>,
    /// Stops this channel's connector tasks (deactivation, new token, restart).
    cancel: CancellationToken,
}

pub struct Runtime {
    _instance: InstanceLock,
    store: Store,
    router: Arc<router::Router>,
    /// Chats the connectors stored something in; the router looks first.
    ingested: broadcast::Sender<Vec<Id>>,
    secrets: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
    changes: broadcast::Sender<Vec<Id>>,
    channels: Mutex<HashMap<Id, RunningChannel>>,
    /// A channel's health or settings changed (for the UI's `channels-changed`).
    channel_events: broadcast::Sender<()>,
    telegram_api_base: String,
    facebook: FacebookEndpoints,
    facebook_logins: facebook::FacebookLogins,
    messenger: messenger::MessengerReceiver,
    messenger_listen: Option<std::net::SocketAddr>,
    /// Wakes the inbox processor (the receiver stored events).
    inbox: Arc<Notify>,
    /// Wakes the pages' file downloads (the processor stored a file to fetch).
    messenger_files: Arc<Notify>,
    cancel: CancellationToken,
    data_dir: std::path::PathBuf,
    /// The shared-mode desktop this runtime runs (`None`: standalone).
    shared: Option<shared::SharedRun>,
    /// Shared mode: the Messenger pages whose token this desktop has.
    shared_pages: messenger::SharedPages,
    shared_state: shared::SharedState,
    /// The shared database view may have changed (connection, pending changes, setting).
    database_events: broadcast::Sender<()>,
}

/// File name of the local database inside the data folder.
pub const DATABASE_FILE: &str = "switchboard.sqlite";

impl Runtime {
    /// Opens the store and starts every active channel.
    pub async fn start(
        config: RuntimeConfig,
        secrets: Arc<dyn SecretStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, IpcError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            IpcError::new(
                switchboard_ipc::ErrorCode::Storage,
                format!(
                    "Switchboard cannot create its data folder {}: {e}",
                    config.data_dir.display()
                ),
            )
        })?;
        let instance = InstanceLock::acquire(&config.data_dir)?;
        let configured = shared::SharedSettings::load(&config.data_dir)?;
        let mut problem = None;
        let mut desktop = None;
        if let Some(settings) = &configured {
            match shared::start_desktop(&config.data_dir, settings, secrets.as_ref(), clock.clone())
                .await
            {
                Ok(running) => desktop = Some(running),
                // Shared mode cannot start: work standalone and say why in Settings.
                Err(why) => problem = Some(why),
            }
        }
        let store = match (&desktop, &configured) {
            (Some(desktop), Some(settings)) => Store::attach(
                desktop.panel.clone(),
                shared::SHARED_WORKSPACE.into(),
                switchboard_engine::domain::LocalUser {
                    id: settings.user_id.clone(),
                    name: settings.name.clone(),
                },
            )
            .await
            .map_err(to_ipc)?,
            _ => Store::open(&config.data_dir.join(DATABASE_FILE), clock.now())
                .await
                .map_err(to_ipc)?,
        };
        let shared_run = match (desktop, &configured) {
            (Some(desktop), Some(settings)) => Some(shared::SharedRun {
                settings: settings.clone(),
                desktop: Arc::new(desktop),
            }),
            _ => None,
        };
        let (changes, _) = broadcast::channel(256);
        let (ingested, ingested_rx) = broadcast::channel(256);
        let router = router::Router::load(store.clone(), clock.clone(), changes.clone()).await?;
        let cancel = CancellationToken::new();
        // In shared mode the relay routes; this desktop's router only answers questions about
        // the state (its timers and events stay off).
        if shared_run.is_none() {
            tokio::spawn(router.clone().run_timers(cancel.child_token()));
            tokio::spawn(route_ingested(
                router.clone(),
                ingested_rx,
                changes.clone(),
                cancel.child_token(),
            ));
        }
        let runtime = Arc::new(Self {
            _instance: instance,
            store,
            router,
            ingested,
            secrets,
            clock,
            changes,
            channels: Mutex::new(HashMap::new()),
            channel_events: broadcast::channel(64).0,
            telegram_api_base: config.telegram_api_base.clone(),
            facebook: config.facebook.clone(),
            facebook_logins: facebook::FacebookLogins::default(),
            messenger: messenger::MessengerReceiver::default(),
            messenger_listen: config.messenger_listen,
            inbox: Arc::new(Notify::new()),
            messenger_files: Arc::new(Notify::new()),
            cancel,
            data_dir: config.data_dir.clone(),
            shared: shared_run,
            shared_pages: messenger::SharedPages::new(format!(
                "messenger-{}-{}",
                std::process::id(),
                switchboard_engine::domain::new_id()
            )),
            shared_state: shared::SharedState {
                configured: std::sync::Mutex::new(configured),
                problem,
                reconnected: Default::default(),
                uploaded: Default::default(),
            },
            database_events: broadcast::channel(64).0,
        });
        if runtime.shared.is_some() {
            runtime.follow_shared(config.seed_telegram.clone());
            return Ok(runtime);
        }
        let connected = match &config.seed_telegram {
            Some(seed) => runtime
                .connect_telegram_bot(&seed.api_base, &seed.token)
                .await
                .map(drop),
            None => Ok(()),
        };
        runtime.start_messenger().await?;
        if let Err(err) = connected.and(runtime.start_channels().await) {
            // Do not leave the router's tasks running for a runtime nobody holds.
            runtime.cancel.cancel();
            return Err(err);
        }
        Ok(runtime)
    }

    /// Batches of changed chat ids, for the UI's `chats-changed` event.
    pub fn subscribe(&self) -> broadcast::Receiver<Vec<Id>> {
        self.changes.subscribe()
    }

    /// The workspace's id (secrets are keyed by it).
    pub fn workspace_id(&self) -> &str {
        self.store.workspace_id()
    }

    /// Pings when a channel's health or settings change.
    pub fn subscribe_channels(&self) -> broadcast::Receiver<()> {
        self.channel_events.subscribe()
    }

    pub async fn list_chats(&self) -> Result<Vec<ChatSummary>, IpcError> {
        let chats = self.store.list_chats().await.map_err(to_ipc)?;
        Ok(chats.iter().map(convert::chat_summary).collect())
    }

    /// The conversation; opening it marks its messages read.
    pub async fn read_chat(&self, chat_id: &str) -> Result<ChatDetail, IpcError> {
        let chat_id = errors::validate_id("chat", chat_id)?;
        if self.store.mark_read(chat_id).await.map_err(to_ipc)? {
            let _ = self.changes.send(vec![chat_id.to_owned()]);
        }
        let chat = self.store.chat(chat_id).await.map_err(to_ipc)?;
        let messages = self.store.messages(chat_id).await.map_err(to_ipc)?;
        Ok(ChatDetail {
            chat: convert::chat_summary(&chat),
            messages: messages.iter().map(convert::message_view).collect(),
            window: messenger::reply_window(self, &chat).await?,
            contact_picture: self.contact_picture(chat_id).await?,
        })
    }

    /// Puts the reply in the outbox and wakes the channel's sender.
    pub async fn send_reply(&self, chat_id: &str, text: &str) -> Result<MessageView, IpcError> {
        let chat_id = errors::validate_id("chat", chat_id)?;
        self.refuse_outside_window(chat_id).await?;
        if self.shared.is_some() {
            let text = text.trim();
            if text.is_empty() {
                return Err(IpcError::new(
                    switchboard_ipc::ErrorCode::InvalidInput,
                    "An empty message cannot be sent.",
                ));
            }
            let change = switchboard_sync::outbox::Change::Send {
                chat: chat_id.into(),
                text: text.into(),
            };
            if let Some(id) = self.push_shared(change).await? {
                return self.shared_reply_view(chat_id, &id).await;
            }
        }
        let message = self
            .store
            .queue_reply(chat_id, text, self.clock.now())
            .await
            .map_err(to_ipc)?;
        self.outbound_queued(chat_id).await?;
        Ok(convert::message_view(&message))
    }

    /// A message was queued in the chat: wake the sender, restart the
    /// completion timeout (it counts from the last outgoing message), tell the UI.
    async fn outbound_queued(&self, chat_id: &str) -> Result<(), IpcError> {
        let chat = self.store.chat(chat_id).await.map_err(to_ipc)?;
        self.wake_sender(&chat.channel_id);
        self.router
            .handle(
                switchboard_engine::routing::Event::MessageRecorded {
                    chat_id: chat_id.to_owned(),
                    outbound: true,
                },
                Vec::new(),
            )
            .await?;
        let _ = self.changes.send(vec![chat_id.to_owned()]);
        Ok(())
    }

    async fn contact_picture(&self, chat_id: &str) -> Result<Option<String>, IpcError> {
        use base64::Engine as _;
        let picture = self.store.contact_picture(chat_id).await.map_err(to_ipc)?;
        Ok(picture.map(|(bytes, kind)| {
            format!(
                "data:{kind};base64,{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            )
        }))
    }

    /// Messenger: a reply the window does not allow is refused before it is
    /// queued, with the composer's words.
    pub(crate) async fn refuse_outside_window(&self, chat_id: &str) -> Result<(), IpcError> {
        let chat = self.store.chat(chat_id).await.map_err(to_ipc)?;
        if let Some(window) = messenger::reply_window(self, &chat).await?
            && window.state == switchboard_ipc::ReplyWindowState::Closed
        {
            return Err(IpcError::new(
                switchboard_ipc::ErrorCode::Conflict,
                window
                    .reason
                    .unwrap_or_else(|| "Messenger does not allow a reply now.".into()),
            ));
        }
        Ok(())
    }

    fn wake_sender(&self, channel_id: &str) {
        if let Some(running) = self.lock_channels().get(channel_id) {
            running.outbox.notify_one();
        }
    }

    fn wake_fetcher(&self, channel_id: &str) {
        if let Some(running) = self.lock_channels().get(channel_id) {
            running.files.notify_one();
        }
    }

    /// Stops every connector and closes the store.
    pub async fn shutdown(&self) {
        if let Some(run) = &self.shared {
            run.desktop.release_bots().await;
            self.shared_pages.stop_all().await;
        }
        self.cancel.cancel();
        self.store.close().await;
    }

    fn lock_channels(&self) -> std::sync::MutexGuard<'_, HashMap<Id, RunningChannel>> {
        // Entries are replaced whole; a poisoned lock holds consistent data.
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Connectors' writes go through the router first (a new chat must be routed
/// before the UI hears of it), then on to the UI.
async fn route_ingested(
    router: Arc<router::Router>,
    mut ingested: broadcast::Receiver<Vec<Id>>,
    changes: broadcast::Sender<Vec<Id>>,
    cancel: CancellationToken,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        let ids = tokio::select! {
            _ = cancel.cancelled() => return,
            received = ingested.recv() => match received {
                Ok(ids) => ids,
                // Missed some: the store is the truth, so start over from it.
                Err(RecvError::Lagged(_)) => {
                    if let Err(err) = router.reload().await {
                        tracing::warn!(error = %err, "reloading the routing state failed");
                    }
                    let _ = changes.send(Vec::new());
                    continue;
                }
                Err(RecvError::Closed) => return,
            },
        };
        router.sync_chats(&ids).await;
        let _ = changes.send(ids);
    }
}
