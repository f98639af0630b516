//! Channels from the designer: connecting a bot (getMe, then the keychain),
//! the mini-card (active, queue, language), replacing a revoked token, and
//! starting/stopping connectors. Tokens go to the keychain only; the store
//! keeps the bot's id and API base URL.

use std::sync::Arc;

use switchboard_engine::domain::{Channel, ChannelHealth, ChannelProblem, ChannelUpdate, Provider};
use switchboard_engine::secrets::{SecretError, SecretKey};
use switchboard_ipc::{ChannelChanges, ChannelView, ErrorCode, IpcError, NewTelegramChannel};
use switchboard_telegram::{ApiError, BotApi, ChannelContext};
use tokio::sync::{Notify, watch};
use tracing::{info, warn};

use crate::errors::{to_ipc, validate_id};
use crate::{RunningChannel, Runtime};

impl Runtime {
    /// Designer → Channels → Add → Telegram. Validates the token with `getMe`,
    /// keeps it in the keychain, creates the channel and starts it.
    pub async fn add_telegram_channel(
        &self,
        request: NewTelegramChannel,
    ) -> Result<ChannelView, IpcError> {
        if self.shared.is_some() {
            return self.add_shared_telegram_channel(request).await;
        }
        self.require_admin().await?;
        let api_base = match request.api_base.as_deref().map(str::trim) {
            Some(base) if !base.is_empty() => validate_api_base(base)?,
            _ => self.telegram_api_base.clone(),
        };
        if let Some(queue_id) = &request.queue_id {
            validate_id("queue", queue_id)?;
        }
        let channel = self.connect_telegram_bot(&api_base, &request.token).await?;
        let channel = match request.queue_id {
            Some(queue_id) => self
                .store
                .update_channel(
                    &channel.id,
                    &ChannelUpdate {
                        queue_id: Some(queue_id),
                        ..ChannelUpdate::default()
                    },
                )
                .await
                .map_err(to_ipc)?,
            None => channel,
        };
        // Re-adding a known bot refreshes its token: restart it with the new one.
        self.stop_channel(&channel.id);
        if channel.active {
            self.start_channel(channel.clone());
        }
        self.channel_view_of(&channel.id).await
    }

    /// Validates a bot token with `getMe`, stores it in the keychain and
    /// creates (or refreshes) the bot's channel. Does not start it.
    pub async fn connect_telegram_bot(
        &self,
        api_base: &str,
        token: &str,
    ) -> Result<Channel, IpcError> {
        let (api, bot) = check_token(api_base, token).await?;
        let name = bot_channel_name(&bot);
        let channel = self
            .store
            .add_channel(
                Provider::Telegram,
                &name,
                api.base_url(),
                &bot.id.to_string(),
                self.clock.now(),
            )
            .await
            .map_err(to_ipc)?;
        let key = SecretKey::channel_token(self.store.workspace_id(), &channel.id);
        self.secrets
            .put(&key, token.trim())
            .map_err(keychain_error)?;
        info!(channel = %channel.id, "connected Telegram bot {}", bot.id);
        Ok(channel)
    }

    /// "Replace token" on a channel whose token was revoked: the new token must
    /// belong to the same bot (another bot would be another channel).
    pub async fn replace_channel_token(
        &self,
        channel_id: &str,
        token: &str,
    ) -> Result<ChannelView, IpcError> {
        // In shared mode the token goes to this computer's keychain only, so that this desktop
        // can poll the bot too: any operator may give it to their own desktop.
        if self.shared.is_none() {
            self.require_admin().await?;
        }
        let channel_id = validate_id("channel", channel_id)?;
        let channel = self.store.channel(channel_id).await.map_err(to_ipc)?;
        if channel.provider != Provider::Telegram {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "A Facebook page gets its token from Facebook Login: use Add → Facebook to reconnect it.",
            ));
        }
        let (_, bot) = check_token(&channel.api_base, token).await?;
        if bot.id.to_string() != channel.external_id {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "This token belongs to a different bot. Add that bot as a new channel instead.",
            ));
        }
        let key = SecretKey::channel_token(self.store.workspace_id(), &channel.id);
        self.secrets
            .put(&key, token.trim())
            .map_err(keychain_error)?;
        if let Some(run) = &self.shared {
            // A poller still running with the old token starts again with this one.
            run.desktop.remove_bot(channel_id).await;
            self.start_shared_bots(None).await;
            let _ = self.channel_events.send(());
            return self.channel_view_of(channel_id).await;
        }
        // Replies that waited for a working token go now, not after their back-off.
        self.store
            .outbox_due_now(&channel.id, self.clock.now())
            .await
            .map_err(to_ipc)?;
        self.restart(channel);
        self.channel_view_of(channel_id).await
    }

    /// The mini-card: name, active, queue, language. Deactivating stops
    /// polling and sending at once; reactivating resumes from the stored offset.
    pub async fn update_channel(
        &self,
        channel_id: &str,
        changes: ChannelChanges,
    ) -> Result<ChannelView, IpcError> {
        if self.shared.is_some() {
            return self.update_shared_channel(channel_id, changes).await;
        }
        self.require_admin().await?;
        let channel_id = validate_id("channel", channel_id)?;
        if let Some(queue_id) = &changes.queue_id {
            validate_id("queue", queue_id)?;
        }
        let channel = self
            .store
            .update_channel(
                channel_id,
                &ChannelUpdate {
                    name: changes.name,
                    active: changes.active,
                    queue_id: changes.queue_id,
                    language: changes.language,
                    human_agent: changes.human_agent,
                },
            )
            .await
            .map_err(to_ipc)?;
        if changes.active.is_some() {
            self.restart(channel);
            // A page switched on: its held webhook events can be processed now.
            self.inbox.notify_one();
        }
        self.notify_channels();
        self.channel_view_of(channel_id).await
    }

    /// "Try again" on a channel card: restart its connector now instead of
    /// waiting for the back-off.
    pub async fn restart_channel(&self, channel_id: &str) -> Result<ChannelView, IpcError> {
        if self.shared.is_some() {
            return self.restart_shared_channel(channel_id).await;
        }
        self.require_admin().await?;
        let channel_id = validate_id("channel", channel_id)?;
        let channel = self.store.channel(channel_id).await.map_err(to_ipc)?;
        if !channel.active {
            return Err(IpcError::new(
                ErrorCode::Conflict,
                "The channel is switched off. Switch it on to start it.",
            ));
        }
        self.restart(channel);
        self.channel_view_of(channel_id).await
    }

    pub async fn list_channels(&self) -> Result<Vec<ChannelView>, IpcError> {
        let channels = self.store.channels().await.map_err(to_ipc)?;
        let queues = self.store.list_queues().await.map_err(to_ipc)?;
        Ok(channels
            .iter()
            .map(|channel| {
                let queue_name = queues
                    .iter()
                    .find(|q| q.id == channel.queue_id)
                    .map(|q| q.name.clone())
                    .unwrap_or_default();
                crate::convert::channel_view(channel, &self.health_of(channel), queue_name)
            })
            .collect())
    }

    pub(crate) async fn channel_view_of(&self, channel_id: &str) -> Result<ChannelView, IpcError> {
        self.list_channels()
            .await?
            .into_iter()
            .find(|c| c.id == channel_id)
            .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "This channel no longer exists."))
    }

    fn health_of(&self, channel: &Channel) -> ChannelHealth {
        if !channel.active {
            return ChannelHealth::Stopped;
        }
        if let Some(run) = &self.shared {
            if channel.provider == Provider::Messenger {
                return self.shared_pages.health(&channel.id);
            }
            return crate::shared::bot_health(&run.desktop, channel);
        }
        self.lock_channels()
            .get(&channel.id)
            .map(|r| r.health.borrow().clone())
            .unwrap_or_else(|| {
                ChannelHealth::problem(ChannelProblem::Other, "The channel is not running.")
            })
    }

    /// Starts every active channel that is not running yet.
    pub(crate) async fn start_channels(&self) -> Result<(), IpcError> {
        for channel in self.store.channels().await.map_err(to_ipc)? {
            if channel.active && !self.lock_channels().contains_key(&channel.id) {
                self.start_channel(channel);
            }
        }
        Ok(())
    }

    /// Stops the channel's connector (if running) and starts it again if active.
    pub(crate) fn restart(&self, channel: Channel) {
        self.stop_channel(&channel.id);
        if channel.active {
            self.start_channel(channel);
        }
        self.notify_channels();
    }

    fn stop_channel(&self, channel_id: &str) {
        if let Some(running) = self.lock_channels().remove(channel_id) {
            running.cancel.cancel();
        }
    }

    fn start_channel(&self, channel: Channel) {
        let (health, health_rx) = watch::channel(ChannelHealth::Starting);
        let outbox = Arc::new(Notify::new());
        let files = Arc::new(Notify::new());
        let cancel = self.cancel.child_token();
        let key = SecretKey::channel_token(self.store.workspace_id(), &channel.id);
        let token = self.secrets.get(&key);
        match (channel.provider, token) {
            (Provider::Telegram, Ok(token)) => match BotApi::new(&channel.api_base, &token) {
                Ok(api) => {
                    switchboard_telegram::spawn(ChannelContext {
                        store: self.store.clone(),
                        channel: channel.clone(),
                        api,
                        clock: self.clock.clone(),
                        changes: self.ingested.clone(),
                        health,
                        outbox: outbox.clone(),
                        files: files.clone(),
                        cancel: cancel.clone(),
                    });
                }
                Err(err) => {
                    health.send_replace(ChannelHealth::problem(
                        ChannelProblem::Other,
                        err.to_string(),
                    ));
                }
            },
            (Provider::Telegram, Err(err)) => {
                warn!(channel = %channel.id, error = %err, "no token for channel");
                health.send_replace(ChannelHealth::problem(ChannelProblem::Keychain, match err {
                    SecretError::Missing(_) => "The bot token is missing from this computer's keychain. Use \"Replace token\" to paste it again.".into(),
                    SecretError::Unavailable(why) => format!("The system keychain cannot be read ({why}). Unlock it and press \"Try again\"."),
                }));
            }
            (Provider::Messenger, _) => {
                self.start_page(channel.clone(), &health, outbox.clone(), cancel.clone());
            }
        }
        self.watch_health(health_rx.clone(), cancel.clone());
        self.lock_channels().insert(
            channel.id,
            RunningChannel {
                health: health_rx,
                outbox,
                files,
                cancel,
            },
        );
    }

    /// Tells the UI whenever the channel's health changes.
    fn watch_health(
        &self,
        mut health: watch::Receiver<ChannelHealth>,
        cancel: tokio_util::sync::CancellationToken,
    ) {
        let events = self.channel_events.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    changed = health.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        let _ = events.send(());
                    }
                }
            }
        });
    }

    pub(crate) fn notify_channels(&self) {
        let _ = self.channel_events.send(());
    }
}

/// The channel's name: the bot's name and @username.
pub(crate) fn bot_channel_name(bot: &switchboard_telegram::BotUser) -> String {
    bot.username
        .as_ref()
        .map(|u| format!("{} (@{u})", bot.first_name))
        .unwrap_or_else(|| bot.first_name.clone())
}

/// `getMe` with the token; errors in words an admin understands.
pub(crate) async fn check_token(
    api_base: &str,
    token: &str,
) -> Result<(BotApi, switchboard_telegram::BotUser), IpcError> {
    let token = token.trim();
    if token.is_empty() || token.chars().any(char::is_whitespace) || !token.contains(':') {
        return Err(IpcError::new(
            ErrorCode::InvalidInput,
            "Paste the bot token exactly as @BotFather gave it (it looks like 123456789:AAE-…).",
        ));
    }
    let api = BotApi::new(api_base, token).map_err(telegram_error)?;
    let bot = api.get_me().await.map_err(telegram_error)?;
    if !bot.is_bot {
        return Err(IpcError::new(
            ErrorCode::InvalidInput,
            "This token does not belong to a bot.",
        ));
    }
    Ok((api, bot))
}

pub(crate) fn validate_api_base(base: &str) -> Result<String, IpcError> {
    let ok = (base.starts_with("https://") || base.starts_with("http://"))
        && base.len() <= 300
        && !base.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(base.to_owned())
    } else {
        Err(IpcError::new(
            ErrorCode::InvalidInput,
            "The Bot API server must be an http(s) address, like https://api.telegram.org/.",
        ))
    }
}

fn telegram_error(err: ApiError) -> IpcError {
    match err {
        ApiError::Api { code: 401, .. } | ApiError::Api { code: 404, .. } => IpcError::new(
            ErrorCode::InvalidInput,
            "Telegram does not recognise this bot token: it was revoked or is wrong. Copy it again from @BotFather.",
        ),
        ApiError::Api { code: 409, .. } => IpcError::new(
            ErrorCode::Conflict,
            "This bot is used elsewhere (a webhook or another program). Give Switchboard a bot of its own.",
        ),
        ApiError::Api { code: 429, retry_after, .. } => IpcError::new(
            ErrorCode::Conflict,
            format!(
                "Telegram asks to slow down; try again in {} s.",
                retry_after.unwrap_or(5)
            ),
        ),
        ApiError::Network(_) => IpcError::new(
            ErrorCode::Internal,
            "Telegram cannot be reached from this computer. Check the internet connection and try again.",
        )
        .with_details(err.to_string()),
        other => IpcError::new(
            ErrorCode::Internal,
            "Switchboard could not check the bot token with Telegram.",
        )
        .with_details(other.to_string()),
    }
}

pub(crate) fn keychain_error(err: SecretError) -> IpcError {
    IpcError::new(
        ErrorCode::Keychain,
        "The bot token could not be saved in the system keychain. Unlock the keychain and try again.",
    )
    .with_details(err.to_string())
}
