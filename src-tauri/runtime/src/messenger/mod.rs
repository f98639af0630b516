//! Messenger conversations in the desktop (standalone mode): the webhook
//! receiver on a local port (`receiver.rs`, the same code as
//! `switchboard-relay`), the processor that turns stored webhook events into
//! chats (`processor.rs`), the per-page sender and token check (`page.rs`),
//! the reply window (`window.rs`) and thread control (`thread.rs`). In shared
//! mode the relay processes the webhooks, and a desktop holding a page's token
//! works for the page while it holds its lease (`shared_page.rs`); the reply
//! window is the same, read from the cache.

mod page;
mod processor;
mod receiver;
mod shared_page;
mod thread;
mod window;

pub(crate) use page::spawn_page;
pub(crate) use processor::spawn_processor;
pub use receiver::MessengerReceiver;
pub(crate) use shared_page::SharedPages;
pub(crate) use window::reply_window;

/// Page Inbox (Meta Business Suite): the app a page's people answer from.
pub(crate) use switchboard_relay::conversation::PAGE_INBOX_APP_ID;

use std::sync::Arc;

use switchboard_engine::domain::{Channel, ChannelHealth, ChannelProblem, Provider};
use switchboard_engine::secrets::SecretKey;
use switchboard_ipc::{IpcError, MessengerWebhook};
use switchboard_messenger::Secret;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::Runtime;

impl Runtime {
    /// The inbox processor, and the webhook endpoint when configured.
    pub(crate) async fn start_messenger(&self) -> Result<(), IpcError> {
        spawn_processor(
            processor::Processor {
                store: self.store.clone(),
                secrets: self.secrets.clone(),
                graph: self.graph()?,
                clock: self.clock.clone(),
                ingested: self.ingested.clone(),
                files: self.messenger_files.clone(),
            },
            self.inbox.clone(),
            self.cancel.child_token(),
        );
        self.restart_messenger_receiver().await;
        Ok(())
    }

    /// (Re)starts the webhook endpoint, e.g. after the app secret changed.
    pub(crate) async fn restart_messenger_receiver(&self) {
        if let Some(listen) = self.messenger_listen {
            self.messenger
                .start(
                    listen,
                    &self.store,
                    self.secrets.as_ref(),
                    self.inbox.clone(),
                    &self.cancel,
                )
                .await;
        }
    }

    /// Callback URL and verify token to paste into the Facebook app.
    pub async fn messenger_webhook(&self) -> Result<MessengerWebhook, IpcError> {
        self.require_admin().await?;
        if self.shared.is_some() {
            // No desktop has a public address: the relay receives the webhooks.
            return Ok(MessengerWebhook {
                callback_url: String::new(),
                verify_token: String::new(),
                listening: false,
                problem: Some(
                    "In shared mode the relay receives the pages' webhooks, not this desktop: \
                     paste the relay's callback URL and verify token (from the relay's \
                     configuration, which also holds the app secret) into the Facebook app."
                        .into(),
                ),
            });
        }
        let mut view = self
            .messenger
            .view(self.secrets.as_ref(), self.store.workspace_id());
        if self.messenger_listen.is_none() {
            view.problem = Some("This installation runs no Messenger webhook endpoint.".into());
        }
        Ok(view)
    }

    /// Where the local webhook endpoint listens (tests and the designer).
    pub fn messenger_address(&self) -> Option<std::net::SocketAddr> {
        self.messenger.address()
    }

    /// Starts a connected page's sender, file downloads and token check.
    pub(crate) fn start_page(
        &self,
        channel: Channel,
        health: &watch::Sender<ChannelHealth>,
        outbox: Arc<Notify>,
        cancel: CancellationToken,
    ) {
        let key = SecretKey::channel_token(self.store.workspace_id(), &channel.id);
        let token = match self.secrets.get(&key) {
            Ok(token) => Secret::new(token),
            Err(_) => {
                health.send_replace(ChannelHealth::problem(
                    ChannelProblem::Keychain,
                    "The page's token is not in this computer's keychain. Reconnect the page: Add → Facebook.",
                ));
                return;
            }
        };
        let graph = match self.graph() {
            Ok(graph) => graph,
            Err(err) => {
                health.send_replace(ChannelHealth::problem(ChannelProblem::Other, err.message));
                return;
            }
        };
        let app_secret = self
            .secrets
            .get(&SecretKey::facebook_app_secret(self.store.workspace_id()))
            .ok()
            .map(Secret::new);
        spawn_page(
            page::Page {
                store: self.store.clone(),
                channel,
                token,
                graph,
                clock: self.clock.clone(),
                changes: self.ingested.clone(),
                health: health.clone(),
                app_secret,
            },
            outbox,
            self.messenger_files.clone(),
            cancel,
        );
    }
}

impl Runtime {
    /// Shared mode: this desktop follows the lease of every active page whose token is in its
    /// keychain (under the shared namespace) and, holding it, sends the page's replies, downloads
    /// customers' files and asks for their names (`shared_page.rs`); it stops following pages
    /// switched off. Customers' messages reach Postgres through the relay whatever this does.
    pub(crate) async fn start_shared_pages(&self, channels: &[Channel]) {
        let Some(run) = &self.shared else {
            return;
        };
        for channel in channels
            .iter()
            .filter(|c| c.provider == Provider::Messenger)
        {
            if !channel.active {
                self.shared_pages.stop(&channel.id).await;
                continue;
            }
            if self.shared_pages.is_running(&channel.id) {
                continue;
            }
            let key = SecretKey::channel_token(crate::shared::SHARED_WORKSPACE, &channel.id);
            let Ok(token) = self.secrets.get(&key) else {
                continue;
            };
            let graph = match self.graph() {
                Ok(graph) => graph,
                Err(error) => {
                    tracing::warn!(channel = %channel.id, error = %error.message, "shared mode: page");
                    continue;
                }
            };
            self.shared_pages.start(shared_page::PageWork {
                pg: run.desktop.database().clone(),
                channel: channel.clone(),
                token: Secret::new(token),
                graph,
                clock: self.clock.clone(),
                store: self.store.clone(),
                secrets: self.secrets.clone(),
                recheck: Default::default(),
            });
        }
    }
}
