//! Shared mode's DTOs: Settings → Shared database (connect, test, leave, the upload offer), the
//! connection badge, and operator logins.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How this desktop works: on its own (everything in its SQLite file), or with a team on a shared
/// Postgres database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WorkMode {
    Standalone,
    Shared,
}

/// Whether this desktop reaches the shared database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DatabaseConnection {
    /// Standalone: there is no shared database.
    Standalone,
    Connecting,
    Online,
    /// With the reason in words; what the operator does waits on this computer.
    Offline {
        reason: String,
    },
}

/// Settings → Shared database, and the connection badge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SharedDatabaseView {
    /// The mode this desktop runs in now.
    pub mode: WorkMode,
    /// `host:port/database` of the configured shared database (`None` in standalone).
    pub address: Option<String>,
    /// The Postgres login of this operator.
    pub user: Option<String>,
    /// The operator that login is (known after the first connection).
    pub operator_name: Option<String>,
    pub connection: DatabaseConnection,
    /// Changes made here that have not reached the shared database yet.
    pub pending_changes: u32,
    /// The configured mode differs from the running one: restart Switchboard to switch.
    pub restart_required: bool,
    /// Why shared mode could not start (e.g. the password is no longer in the keychain).
    pub problem: Option<String>,
    /// Standalone, not connected yet: what this desktop could upload when it connects (absent
    /// when it holds nothing beyond a fresh install's defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub standalone_data: Option<StandaloneData>,
    /// What connecting uploaded, in words (until the restart), e.g. "Uploaded 2 channels, 3
    /// queues, 140 chats and 2,311 messages."
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub upload_result: Option<String>,
}

/// What a standalone desktop holds, offered for upload when it connects to a shared database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StandaloneData {
    pub channels: u32,
    pub queues: u32,
    /// People other than the one at this desk.
    pub operators: u32,
    pub roles: u32,
    pub chats: u32,
    pub messages: u32,
}

/// Arguments of `test_shared_database` and `connect_shared_database`. The password goes to the
/// keychain only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SharedDatabaseLogin {
    /// `host[:port]/database`, or a `postgres://host:port/database` URL without credentials.
    pub address: String,
    pub user: String,
    pub password: String,
    /// Connect only: upload this standalone desktop's data (configuration and history) to the
    /// shared database first. Admins only; nothing is deleted on this desktop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub upload: Option<bool>,
}

/// What a successful connection test found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SharedDatabaseCheck {
    /// The Switchboard operator this login is.
    pub operator_name: String,
    pub is_admin: bool,
    /// e.g. "PostgreSQL 15.8".
    pub server_version: String,
    /// Whether the connection is encrypted (TLS).
    pub encrypted: bool,
}

/// A person's login to the shared database (Settings → Operator logins, admins in shared mode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OperatorLogin {
    pub user_id: String,
    pub name: String,
    /// The Postgres login, `None` for a user without one.
    pub login: Option<String>,
    pub is_admin: bool,
    /// False once an admin disabled the login.
    pub enabled: bool,
}

/// Arguments of `create_operator_login`: a new operator and their login. The password goes to
/// the database (stored there as a SCRAM verifier), never to this computer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NewOperatorLogin {
    pub name: String,
    /// Lower-case letters, digits and `_`, starting with a letter.
    pub login: String,
    pub password: String,
    pub is_admin: bool,
    /// Queues the operator serves from the start.
    pub queue_ids: Vec<String>,
}
