//! Connecting chosen pages: for each, subscribe the app to the page, keep its
//! token in the keychain and create (or refresh) its channel. A page is either
//! fully connected or left untouched: no channel without a subscribed page, no
//! secret without a channel.

use switchboard_engine::domain::Provider;
use switchboard_engine::secrets::SecretKey;
use switchboard_ipc::{ConnectPages, ErrorCode, IpcError, PageConnection};
use switchboard_messenger::PageAccount;
use tracing::{info, warn};

use super::logins::{can_message, graph_error};
use super::settings::keychain;
use crate::Runtime;
use crate::errors::{to_ipc, validate_id};

impl Runtime {
    pub async fn connect_facebook_pages(
        &self,
        request: ConnectPages,
    ) -> Result<Vec<PageConnection>, IpcError> {
        self.require_page_admin().await?;
        let login_id = validate_id("login", &request.login_id)?;
        if request.page_ids.is_empty() {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "Choose at least one page.",
            ));
        }
        let pages = self.facebook_logins.pages(login_id).ok_or_else(|| {
            IpcError::new(
                ErrorCode::Conflict,
                "This Facebook Login is over or took too long. Log in with Facebook again.",
            )
        })?;
        let mut results = Vec::with_capacity(request.page_ids.len());
        for page_id in &request.page_ids {
            let Some(page) = pages.iter().find(|p| &p.id == page_id) else {
                return Err(IpcError::new(
                    ErrorCode::InvalidInput,
                    "One of the chosen pages was not offered by this login.",
                ));
            };
            let outcome = self.connect_page(page).await;
            results.push(match outcome {
                Ok((channel_id, refreshed)) => PageConnection {
                    page_id: page.id.clone(),
                    page_name: page.name.clone(),
                    channel: Some(self.channel_view_of(&channel_id).await?),
                    refreshed,
                    error: None,
                },
                Err(error) => PageConnection {
                    page_id: page.id.clone(),
                    page_name: page.name.clone(),
                    channel: None,
                    refreshed: false,
                    error: Some(error),
                },
            });
        }
        self.notify_channels();
        Ok(results)
    }

    /// Subscribe, then keychain, then channel; each failure undoes the steps before it. The
    /// channel's id, and whether it existed (the token was refreshed). In shared mode the channel
    /// is the shared database's and the token this desktop's (`shared_facebook.rs`).
    async fn connect_page(&self, page: &PageAccount) -> Result<(String, bool), IpcError> {
        if !can_message(page) {
            return Err(IpcError::new(
                ErrorCode::Forbidden,
                format!(
                    "You lack the MESSAGING task on {}, so Switchboard could not answer its customers. Ask a page admin to give it to you.",
                    page.name
                ),
            ));
        }
        let graph = self.graph()?;
        graph
            .subscribe_app(&page.id, &page.access_token)
            .await
            .map_err(graph_error)?;
        if self.shared.is_some() {
            return self.connect_shared_page(page, graph.graph_base()).await;
        }
        let existing = self
            .store
            .channel_by_external_id(Provider::Messenger, &page.id)
            .await
            .map_err(to_ipc)?;
        let refreshed = existing.is_some();
        let channel = match existing {
            Some(channel) => channel,
            None => self
                .store
                .create_channel(
                    Provider::Messenger,
                    &page.name,
                    graph.graph_base(),
                    &page.id,
                    false,
                    self.clock.now(),
                )
                .await
                .map_err(to_ipc)?,
        };
        let key = SecretKey::channel_token(self.store.workspace_id(), &channel.id);
        if let Err(err) = self.secrets.put(&key, page.access_token.expose()) {
            if !refreshed && let Err(undo) = self.store.delete_channel(&channel.id).await {
                warn!(channel = %channel.id, error = %undo, "could not remove the channel of a page whose token was not saved");
            }
            return Err(keychain(err));
        }
        if refreshed {
            // The running page still holds the old (perhaps dead) token; what
            // waited for a working one goes now.
            if let Err(err) = self
                .store
                .outbox_due_now(&channel.id, self.clock.now())
                .await
            {
                warn!(channel = %channel.id, error = %err, "rescheduling the outbox failed");
            }
            self.restart(channel.clone());
        }
        info!(channel = %channel.id, page = %page.id, refreshed, "connected a Facebook page");
        Ok((channel.id, refreshed))
    }
}
