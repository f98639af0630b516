//! Connecting and starting channels. Tokens go to the keychain only; the
//! store keeps the bot's id and API base URL.

use std::sync::Arc;

use switchboard_engine::domain::{Channel, ChannelHealth, Provider};
use switchboard_engine::secrets::{SecretError, SecretKey};
use switchboard_ipc::{ErrorCode, IpcError};
use switchboard_telegram::{ApiError, BotApi, ChannelContext};
use tokio::sync::{Notify, watch};
use tracing::{info, warn};

use crate::errors::to_ipc;
use crate::{RunningChannel, Runtime};

impl Runtime {
    /// Validates a bot token with `getMe`, stores it in the keychain and
    /// creates (or refreshes) the bot's channel. Does not start it.
    pub async fn connect_telegram_bot(
        &self,
        api_base: &str,
        token: &str,
    ) -> Result<Channel, IpcError> {
        let token = token.trim();
        if token.is_empty() || token.chars().any(char::is_whitespace) {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "Paste the bot token exactly as @BotFather gave it (it looks like 123456:ABC-DEF…).",
            ));
        }
        let api = BotApi::new(api_base, token).map_err(telegram_error)?;
        let bot = api.get_me().await.map_err(telegram_error)?;
        let name = bot
            .username
            .as_ref()
            .map(|u| format!("{} (@{u})", bot.first_name))
            .unwrap_or_else(|| bot.first_name.clone());
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
        self.secrets.put(&key, token).map_err(keychain_error)?;
        info!(channel = %channel.id, "connected Telegram bot {}", bot.id);
        Ok(channel)
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

    fn start_channel(&self, channel: Channel) {
        let (health, health_rx) = watch::channel(ChannelHealth::Starting);
        let outbox = Arc::new(Notify::new());
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
                        cancel: self.cancel.child_token(),
                    });
                }
                Err(err) => {
                    health.send_replace(ChannelHealth::Error(err.to_string()));
                }
            },
            (Provider::Telegram, Err(err)) => {
                warn!(channel = %channel.id, error = %err, "no token for channel");
                health.send_replace(ChannelHealth::Error(match err {
                    SecretError::Missing(_) => "The bot token is missing from this computer's keychain. Connect the bot again.".into(),
                    SecretError::Unavailable(why) => format!("The system keychain cannot be read ({why}). Unlock it and restart Switchboard."),
                }));
            }
            (Provider::Messenger, _) => {
                health.send_replace(ChannelHealth::Error(
                    "Facebook Messenger channels are not supported by this version.".into(),
                ));
            }
        }
        self.lock_channels().insert(
            channel.id,
            RunningChannel {
                health: health_rx,
                outbox,
            },
        );
    }
}

fn telegram_error(err: ApiError) -> IpcError {
    match err {
        ApiError::Api { code: 401, .. } | ApiError::Api { code: 404, .. } => IpcError::new(
            ErrorCode::InvalidInput,
            "Telegram does not recognise this bot token. Copy it again from @BotFather.",
        ),
        ApiError::Api { code: 409, .. } => IpcError::new(
            ErrorCode::Conflict,
            "This bot is already used by another program. Give Switchboard a bot of its own.",
        ),
        other => IpcError::new(
            ErrorCode::Internal,
            "Switchboard could not check the bot token with Telegram.",
        )
        .with_details(other.to_string()),
    }
}

fn keychain_error(err: SecretError) -> IpcError {
    IpcError::new(
        ErrorCode::Keychain,
        "The bot token could not be saved in the system keychain. Unlock the keychain and try again.",
    )
    .with_details(err.to_string())
}
