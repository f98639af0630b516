//! Shared mode in the runtime: the setting (which database, which login; the password in the
//! keychain), checking and connecting a login, and the running desktop — the cache the panel
//! reads, the outbox the operator's actions go through, the shared pollers of the bots whose
//! token is on this computer. Routing is not run here: the relay routes for every desktop.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgConnectOptions;
use switchboard_engine::secrets::{SecretKey, SecretStore};
use switchboard_ipc::{
    DatabaseConnection, ErrorCode, IpcError, SharedDatabaseCheck, SharedDatabaseLogin,
    SharedDatabaseView, WorkMode,
};
use switchboard_sync::SyncError;
use switchboard_sync::desktop::{DesktopConfig, SharedDesktop, check_login};
use switchboard_sync::follower::FollowerConfig;
use switchboard_sync::outbox::{Connection, Me};
use switchboard_sync::telegram::PollerConfig;

use crate::Runtime;

/// The file in the data folder that says this desktop works in shared mode (no secret in it).
pub const SHARED_SETTINGS_FILE: &str = "shared-database.json";
/// The shared mode's cache, beside the standalone database (which stays as it was).
pub const CACHE_FILE: &str = "shared-cache.sqlite";
/// The keychain namespace of shared mode's secrets (bot tokens of shared channels).
pub const SHARED_WORKSPACE: &str = "shared";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SharedSettings {
    /// `host:port/database`.
    pub address: String,
    pub user: String,
    /// The operator this login is (known at connect time, so an offline start needs nothing).
    pub user_id: String,
    pub name: String,
}

impl SharedSettings {
    pub fn load(data_dir: &Path) -> Result<Option<Self>, IpcError> {
        let path = data_dir.join(SHARED_SETTINGS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                IpcError::new(
                    ErrorCode::Storage,
                    format!(
                        "{} is damaged ({e}): connect again in Settings.",
                        path.display()
                    ),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(IpcError::new(
                ErrorCode::Storage,
                format!("{} cannot be read: {e}", path.display()),
            )),
        }
    }

    fn save(&self, data_dir: &Path) -> Result<(), IpcError> {
        let path = data_dir.join(SHARED_SETTINGS_FILE);
        let json = serde_json::to_vec_pretty(self).unwrap_or_default();
        std::fs::write(&path, json).map_err(|e| {
            IpcError::new(
                ErrorCode::Storage,
                format!("{} cannot be written: {e}", path.display()),
            )
        })
    }

    fn password_key(&self) -> SecretKey {
        SecretKey::shared_database_password(&self.user, &self.address)
    }
}

/// `host[:port]/database`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    host: String,
    port: u16,
    database: String,
}

impl Address {
    /// Accepts `host[:port]/database` or `postgres://host[:port]/database`; never credentials.
    pub fn parse(text: &str) -> Result<Self, IpcError> {
        let invalid = |why: &str| IpcError::new(ErrorCode::InvalidInput, why.to_owned());
        let text = text.trim();
        let rest = text
            .strip_prefix("postgres://")
            .or_else(|| text.strip_prefix("postgresql://"))
            .unwrap_or(text);
        if rest.contains('@') {
            return Err(invalid(
                "Put the user and the password in their own fields, not in the address.",
            ));
        }
        if rest.contains('?') {
            return Err(invalid(
                "The address is host:port/database, without options after '?'.",
            ));
        }
        let Some((host_port, database)) = rest.split_once('/') else {
            return Err(invalid(
                "The address is host:port/database, e.g. db.example.com:5432/switchboard.",
            ));
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| invalid("The port is a number from 1 to 65535."))?,
            ),
            None => (host_port, 5432),
        };
        let valid_host = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !valid_host {
            return Err(invalid(
                "The host is a name such as db.example.com or an IP address.",
            ));
        }
        let valid_db = !database.is_empty()
            && database.len() <= 63
            && database
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        if !valid_db {
            return Err(invalid("The database name is letters, digits, '_' or '-'."));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            database: database.to_owned(),
        })
    }

    pub fn display(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.database)
    }

    fn options(&self, user: &str, password: &str) -> PgConnectOptions {
        // TLS when the server offers it (sqlx's default "prefer"); SCRAM is negotiated.
        PgConnectOptions::new()
            .host(&self.host)
            .port(self.port)
            .database(&self.database)
            .username(user)
            .password(password)
            .application_name("Switchboard")
    }
}

fn validate_login(login: &SharedDatabaseLogin) -> Result<Address, IpcError> {
    let address = Address::parse(&login.address)?;
    let user = login.user.trim();
    if user.is_empty() || user.len() > 63 {
        return Err(IpcError::new(
            ErrorCode::InvalidInput,
            "The user is your database login, as your admin gave it.",
        ));
    }
    if login.password.is_empty() {
        return Err(IpcError::new(
            ErrorCode::InvalidInput,
            "Type your password.",
        ));
    }
    Ok(address)
}

fn refused(error: SyncError) -> IpcError {
    match error {
        SyncError::Refused(words) => IpcError::new(ErrorCode::Conflict, words),
        other => IpcError::new(ErrorCode::Storage, other.to_string()),
    }
}

/// The running shared-mode desktop.
pub(crate) struct SharedRun {
    pub settings: SharedSettings,
    pub desktop: Arc<SharedDesktop>,
}

/// What the runtime knows about shared mode besides a running desktop.
#[derive(Default)]
pub(crate) struct SharedState {
    /// Configured now (may differ from the running mode until a restart).
    pub configured: std::sync::Mutex<Option<SharedSettings>>,
    /// Why shared mode could not start.
    pub problem: Option<String>,
    /// Connected again while running (a new password): the running desktop still uses the old
    /// login until a restart.
    pub reconnected: std::sync::atomic::AtomicBool,
    /// What connecting uploaded, in words (shown until the restart).
    pub uploaded: std::sync::Mutex<Option<String>>,
}

/// Starts the desktop for `settings`; needs the password in the keychain, not the network.
pub(crate) async fn start_desktop(
    data_dir: &Path,
    settings: &SharedSettings,
    secrets: &dyn SecretStore,
    clock: Arc<dyn switchboard_engine::clock::Clock>,
) -> Result<SharedDesktop, String> {
    let address = Address::parse(&settings.address).map_err(|e| e.message)?;
    let password = secrets.get(&settings.password_key()).map_err(|_| {
        "The password of the shared database is not in this computer's keychain: connect again \
         in Settings → Shared database."
            .to_owned()
    })?;
    let config = DesktopConfig {
        cache_file: cache_path(data_dir),
        database: address.options(&settings.user, &password),
        holder_id: format!(
            "{}-{}-{}",
            settings.user,
            std::process::id(),
            switchboard_engine::domain::new_id()
        ),
        me: Me {
            user_id: settings.user_id.clone(),
            name: settings.name.clone(),
        },
        follower: FollowerConfig {
            batch_size: 10_000,
            safety_net: Duration::from_secs(5),
            held_back_retry: Duration::from_millis(20),
        },
        poller: PollerConfig::default(),
        outbox_retry: Duration::from_secs(2),
    };
    SharedDesktop::start(config, clock)
        .await
        .map_err(|e| e.to_string())
}

/// A shared bot's card: this desktop polls it, or another does (or will, once a desktop holding
/// its token takes the lease), or this desktop cannot because the token is not here. (A page's
/// card: `messenger::SharedPages::health`.)
pub(crate) fn bot_health(
    desktop: &SharedDesktop,
    channel: &switchboard_engine::domain::Channel,
) -> switchboard_engine::domain::ChannelHealth {
    use switchboard_engine::domain::{ChannelHealth, ChannelProblem};
    use switchboard_sync::telegram::PollerState;
    match desktop
        .bot_state(&channel.id)
        .map(|state| state.borrow().clone())
    {
        Some(PollerState::Polling { .. } | PollerState::Standby) => ChannelHealth::Running,
        Some(PollerState::Problem { reason }) => {
            ChannelHealth::problem(ChannelProblem::Unreachable, reason)
        }
        // The card offers "Replace token", which in shared mode puts it on this computer.
        None => ChannelHealth::problem(
            ChannelProblem::Keychain,
            "This bot's token is not on this computer, so this desktop cannot poll it; another \
             desktop that has it does.",
        ),
    }
}

pub(crate) fn cache_path(data_dir: &Path) -> PathBuf {
    data_dir.join(CACHE_FILE)
}

pub(crate) fn connection_view(connection: &Connection) -> DatabaseConnection {
    match connection {
        Connection::Connecting => DatabaseConnection::Connecting,
        Connection::Online => DatabaseConnection::Online,
        Connection::Offline { reason } => DatabaseConnection::Offline {
            reason: reason.clone(),
        },
    }
}

impl Runtime {
    /// Settings → Shared database, and the connection badge.
    pub async fn shared_database(&self) -> Result<SharedDatabaseView, IpcError> {
        let configured = self
            .shared_state
            .configured
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let running = self.shared.as_ref();
        let mode = if running.is_some() {
            WorkMode::Shared
        } else {
            WorkMode::Standalone
        };
        let (connection, pending_changes) = match running {
            Some(run) => {
                let connection = connection_view(&run.desktop.connection.borrow());
                let pending = run.desktop.outbox.pending().await.unwrap_or(0);
                (connection, u32::try_from(pending).unwrap_or(u32::MAX))
            }
            None => (DatabaseConnection::Standalone, 0),
        };
        let shown = running.map(|r| &r.settings).or(configured.as_ref());
        // The offer to upload, while this standalone desktop is not connected yet.
        let standalone_data = if running.is_none() && configured.is_none() {
            self.standalone_data().await
        } else {
            None
        };
        let upload_result = self
            .shared_state
            .uploaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        Ok(SharedDatabaseView {
            mode,
            address: shown.map(|s| s.address.clone()),
            user: shown.map(|s| s.user.clone()),
            operator_name: shown.map(|s| s.name.clone()),
            connection,
            pending_changes,
            restart_required: configured.as_ref() != running.map(|r| &r.settings)
                || self
                    .shared_state
                    .reconnected
                    .load(std::sync::atomic::Ordering::SeqCst),
            problem: self.shared_state.problem.clone(),
            standalone_data,
            upload_result,
        })
    }

    /// Connects once with the login and says who it is, or why not, in words.
    pub async fn test_shared_database(
        &self,
        login: SharedDatabaseLogin,
    ) -> Result<SharedDatabaseCheck, IpcError> {
        let address = validate_login(&login)?;
        let check = check_login(&address.options(login.user.trim(), &login.password))
            .await
            .map_err(refused)?;
        Ok(SharedDatabaseCheck {
            operator_name: check.me.name,
            is_admin: check.is_admin,
            server_version: check.server_version,
            encrypted: check.encrypted,
        })
    }

    /// Checks the login, keeps the password in the keychain and records the setting; shared mode
    /// starts with the next start of Switchboard. With `upload`, an admin's login first uploads
    /// this standalone desktop's data (`shared_upload.rs`); if that fails nothing is recorded.
    pub async fn connect_shared_database(
        &self,
        login: SharedDatabaseLogin,
    ) -> Result<SharedDatabaseView, IpcError> {
        let address = validate_login(&login)?;
        let user = login.user.trim().to_owned();
        let check = check_login(&address.options(&user, &login.password))
            .await
            .map_err(refused)?;
        let uploaded = if login.upload == Some(true) {
            if !check.is_admin {
                return Err(IpcError::new(
                    ErrorCode::Forbidden,
                    "Only an admin can upload this desktop's data (its configuration and \
                     history). Connect with an admin's login, or untick “Upload this desktop's \
                     data” to connect without it.",
                ));
            }
            Some(
                self.upload_standalone(&address.options(&user, &login.password))
                    .await?,
            )
        } else {
            None
        };
        let settings = SharedSettings {
            address: address.display(),
            user,
            user_id: check.me.user_id,
            name: check.me.name,
        };
        self.secrets
            .put(&settings.password_key(), &login.password)
            .map_err(|e| {
                IpcError::new(
                    ErrorCode::Keychain,
                    format!("The system keychain refused to store the password: {e}"),
                )
            })?;
        settings.save(&self.data_dir)?;
        if self.shared.is_some() {
            self.shared_state
                .reconnected
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        *self
            .shared_state
            .configured
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(settings);
        *self
            .shared_state
            .uploaded
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = uploaded;
        let _ = self.database_events.send(());
        self.shared_database().await
    }

    /// Back to standalone with the next start: the setting and the password go; the shared
    /// database keeps everything.
    pub async fn leave_shared_database(&self) -> Result<SharedDatabaseView, IpcError> {
        let previous = self
            .shared_state
            .configured
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(settings) = previous {
            let _ = self.secrets.delete(&settings.password_key());
        }
        self.shared_state
            .uploaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        match std::fs::remove_file(self.data_dir.join(SHARED_SETTINGS_FILE)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(IpcError::new(
                    ErrorCode::Storage,
                    format!("The shared database setting cannot be removed: {e}"),
                ));
            }
        }
        let _ = self.database_events.send(());
        self.shared_database().await
    }

    /// Pings when the shared database view may have changed (for `database-changed`).
    pub fn subscribe_database(&self) -> tokio::sync::broadcast::Receiver<()> {
        self.database_events.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_host_port_database_and_never_carry_credentials() {
        let parsed = Address::parse("db.example.com:6432/switchboard").unwrap();
        assert_eq!(parsed.display(), "db.example.com:6432/switchboard");
        assert_eq!(
            Address::parse("postgres://10.0.0.5/cc").unwrap().display(),
            "10.0.0.5:5432/cc"
        );
        for (bad, words) in [
            ("postgres://ann:secret@db/cc", "own fields"),
            ("db.example.com", "host:port/database"),
            ("db:0/cc", "port"),
            ("db:99999/cc", "port"),
            ("/cc", "host"),
            ("db/", "database name"),
            ("db/c;c", "database name"),
            ("db/cc?sslmode=disable", "options"),
        ] {
            let error = Address::parse(bad).unwrap_err();
            assert!(error.message.contains(words), "{bad}: {}", error.message);
        }
    }
}
