//! Secrets (bot tokens, page tokens, app secret, database password) live only
//! in the OS keychain. The store keeps a channel's id; the token is looked up
//! here by a key derived from the workspace and channel ids.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use thiserror::Error;

const SERVICE: &str = "switchboard";

#[derive(Debug, Error)]
pub enum SecretError {
    #[error("no secret is stored for {0}")]
    Missing(String),
    /// The keychain refused or is unavailable (locked, no Secret Service…).
    /// Never carries the secret itself.
    #[error("the system keychain is not available: {0}")]
    Unavailable(String),
}

/// Where a secret is kept, e.g. `<workspace>/channel/<channel>/bot-token`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretKey(String);

impl SecretKey {
    pub fn channel_token(workspace_id: &str, channel_id: &str) -> Self {
        Self(format!("{workspace_id}/channel/{channel_id}/token"))
    }

    /// The Facebook app secret of a workspace (Settings → Facebook app).
    pub fn facebook_app_secret(workspace_id: &str) -> Self {
        Self(format!("{workspace_id}/facebook/app-secret"))
    }

    /// The token Meta echoes back when it verifies the workspace's Messenger
    /// webhook (`hub.verify_token`); the relay compares it.
    pub fn messenger_verify_token(workspace_id: &str) -> Self {
        Self(format!("{workspace_id}/facebook/messenger-verify-token"))
    }

    /// The password of a shared database login (`user` at `host:port/database`).
    pub fn shared_database_password(user: &str, address: &str) -> Self {
        Self(format!("shared-database/{user}@{address}/password"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub trait SecretStore: Send + Sync + 'static {
    fn put(&self, key: &SecretKey, secret: &str) -> Result<(), SecretError>;
    fn get(&self, key: &SecretKey) -> Result<String, SecretError>;
    fn delete(&self, key: &SecretKey) -> Result<(), SecretError>;
}

/// The OS keychain: Secret Service on Linux, Keychain on macOS, Credential
/// Manager on Windows.
#[derive(Debug, Default, Clone, Copy)]
pub struct Keychain;

impl Keychain {
    fn entry(key: &SecretKey) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(SERVICE, key.as_str()).map_err(|e| unavailable(&e))
    }
}

fn unavailable(e: &keyring::Error) -> SecretError {
    SecretError::Unavailable(e.to_string())
}

impl SecretStore for Keychain {
    fn put(&self, key: &SecretKey, secret: &str) -> Result<(), SecretError> {
        Self::entry(key)?
            .set_password(secret)
            .map_err(|e| unavailable(&e))
    }

    fn get(&self, key: &SecretKey) -> Result<String, SecretError> {
        match Self::entry(key)?.get_password() {
            Ok(secret) => Ok(secret),
            Err(keyring::Error::NoEntry) => Err(SecretError::Missing(key.as_str().to_owned())),
            Err(e) => Err(unavailable(&e)),
        }
    }

    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        match Self::entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(&e)),
        }
    }
}

/// In-memory secrets for unit tests of code that needs a `SecretStore`.
#[derive(Debug, Default, Clone)]
pub struct MemorySecrets(Arc<Mutex<HashMap<SecretKey, String>>>);

impl SecretStore for MemorySecrets {
    fn put(&self, key: &SecretKey, secret: &str) -> Result<(), SecretError> {
        self.lock().insert(key.clone(), secret.to_owned());
        Ok(())
    }

    fn get(&self, key: &SecretKey) -> Result<String, SecretError> {
        self.lock()
            .get(key)
            .cloned()
            .ok_or_else(|| SecretError::Missing(key.as_str().to_owned()))
    }

    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        self.lock().remove(key);
        Ok(())
    }
}

impl MemorySecrets {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SecretKey, String>> {
        // A panic while holding this lock cannot leave the map half-written.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
