//! Settings → Facebook app: the app id (a setting), the app secret (keychain
//! only; the UI learns whether it is set) and the redirect URI.

use switchboard_engine::secrets::{SecretError, SecretKey};
use switchboard_ipc::{ErrorCode, FacebookSettings, FacebookSettingsUpdate, IpcError};

use crate::Runtime;
use crate::errors::to_ipc;

/// Meta's documented redirect for desktop apps that show Login in a webview.
pub const DEFAULT_REDIRECT_URI: &str = "https://www.facebook.com/connect/login_success.html";

const APP_ID: &str = "FacebookAppId";
const REDIRECT_URI: &str = "FacebookRedirectUri";

/// The app's credentials, for one login or one token check.
pub(crate) struct AppCredentials {
    pub app_id: String,
    pub app_secret: switchboard_messenger::Secret,
    pub redirect_uri: String,
}

impl Runtime {
    pub async fn facebook_settings(&self) -> Result<FacebookSettings, IpcError> {
        self.require_admin().await?;
        let app_id = self.store.setting_text(APP_ID).await.map_err(to_ipc)?;
        let redirect = self
            .store
            .setting_text(REDIRECT_URI)
            .await
            .map_err(to_ipc)?;
        let key = SecretKey::facebook_app_secret(self.store.workspace_id());
        let app_secret_set = match self.secrets.get(&key) {
            Ok(_) => true,
            Err(SecretError::Missing(_)) => false,
            Err(err) => return Err(keychain(err)),
        };
        Ok(FacebookSettings {
            app_id: app_id.unwrap_or_default(),
            app_secret_set,
            redirect_uri: redirect.unwrap_or_else(|| DEFAULT_REDIRECT_URI.into()),
            default_redirect_uri: DEFAULT_REDIRECT_URI.into(),
        })
    }

    pub async fn update_facebook_settings(
        &self,
        update: FacebookSettingsUpdate,
    ) -> Result<FacebookSettings, IpcError> {
        self.require_admin().await?;
        let app_id = update.app_id.trim();
        if !app_id.is_empty() && (!app_id.bytes().all(|b| b.is_ascii_digit()) || app_id.len() > 32)
        {
            return Err(invalid(
                "The Facebook App ID is a number (Meta for Developers → your app → App settings → Basic).",
            ));
        }
        let secret = update.app_secret.as_deref().map(str::trim);
        if let Some(secret) = secret
            && (secret.is_empty()
                || secret.len() > 128
                || !secret.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(invalid(
                "The App secret is a string of letters and digits (App settings → Basic → App secret → Show).",
            ));
        }
        let redirect = update.redirect_uri.as_deref().map(str::trim).unwrap_or("");
        if !redirect.is_empty()
            && !redirect.starts_with("https://")
            && !redirect.starts_with("http://")
        {
            return Err(invalid("The redirect URI must be an http(s) address."));
        }
        let redirect = if redirect == DEFAULT_REDIRECT_URI {
            ""
        } else {
            redirect
        };
        if self.shared.is_some() {
            return self
                .update_shared_facebook_settings(app_id, secret, redirect)
                .await;
        }
        if let Some(secret) = secret {
            let key = SecretKey::facebook_app_secret(self.store.workspace_id());
            self.secrets.put(&key, secret).map_err(keychain)?;
        }
        self.store
            .set_setting_text(APP_ID, app_id)
            .await
            .map_err(to_ipc)?;
        self.store
            .set_setting_text(REDIRECT_URI, redirect)
            .await
            .map_err(to_ipc)?;
        if secret.is_some() {
            // Webhooks are signed with the app secret: listen with the new one.
            self.restart_messenger_receiver().await;
        }
        self.facebook_settings().await
    }

    /// Shared mode: the app id and the redirect URI are the workspace's (rows of the shared
    /// database's `settings`, which every desktop's cache and the relay read: the relay tells our
    /// app's echoes and thread passes by the app id); the app secret goes to this computer's
    /// keychain only (under the shared namespace). Admins only, online only; returns once this
    /// desktop's cache has the change. The pages this desktop follows check their tokens again.
    async fn update_shared_facebook_settings(
        &self,
        app_id: &str,
        secret: Option<&str>,
        redirect: &str,
    ) -> Result<FacebookSettings, IpcError> {
        let mut tx = self.designer_tx().await?;
        for (key, value) in [(APP_ID, app_id), (REDIRECT_URI, redirect)] {
            // An empty value removes the setting, as standalone.
            let query = if value.is_empty() {
                sqlx::query("DELETE FROM settings WHERE key = $1").bind(key)
            } else {
                sqlx::query(
                    "INSERT INTO settings (key, value) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
                     WHERE settings.value IS DISTINCT FROM EXCLUDED.value",
                )
                .bind(key)
                .bind(value)
            };
            query
                .execute(&mut *tx)
                .await
                .map_err(crate::shared_designer::designer_error)?;
        }
        if let Some(secret) = secret {
            let key = SecretKey::facebook_app_secret(self.store.workspace_id());
            self.secrets.put(&key, secret).map_err(keychain)?;
        }
        self.commit_designer(tx).await?;
        self.shared_pages.check_tokens_now();
        self.facebook_settings().await
    }

    /// The credentials a login needs, or what the admin must fill in first.
    pub(crate) async fn facebook_app(&self) -> Result<AppCredentials, IpcError> {
        let settings = self.facebook_settings().await?;
        if settings.app_id.is_empty() || !settings.app_secret_set {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "Fill in the Facebook App ID and App secret in Settings → Facebook app first.",
            ));
        }
        let key = SecretKey::facebook_app_secret(self.store.workspace_id());
        let app_secret =
            switchboard_messenger::Secret::new(self.secrets.get(&key).map_err(keychain)?);
        Ok(AppCredentials {
            app_id: settings.app_id,
            app_secret,
            redirect_uri: settings.redirect_uri,
        })
    }
}

fn invalid(message: &str) -> IpcError {
    IpcError::new(ErrorCode::InvalidInput, message)
}

pub(crate) fn keychain(err: SecretError) -> IpcError {
    IpcError::new(
        ErrorCode::Keychain,
        "The system keychain could not be used. Unlock it and try again.",
    )
    .with_details(err.to_string())
}
