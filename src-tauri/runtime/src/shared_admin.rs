//! Operator logins in shared mode: an admin creates a person's Postgres login (and the operator it
//! is) and disables it, through the database's own functions (`sb_create_operator_role`,
//! `sb_disable_operator_role`), which check that the caller is an admin. Online only: a login is
//! not something to queue for later.

use switchboard_ipc::{ErrorCode, IpcError, NewOperatorLogin, OperatorLogin, WorkspaceSettings};

use crate::Runtime;

impl Runtime {
    fn shared_admin_database(&self) -> Result<&sqlx::PgPool, IpcError> {
        self.shared
            .as_ref()
            .map(|run| run.desktop.database())
            .ok_or_else(|| {
                IpcError::new(
                    ErrorCode::Conflict,
                    "Operator logins exist in shared mode only: connect this desktop to the \
                     shared database first.",
                )
            })
    }

    pub async fn list_operator_logins(&self) -> Result<Vec<OperatorLogin>, IpcError> {
        let pg = self.shared_admin_database()?;
        let rows: Vec<(String, String, Option<String>, bool, bool)> = sqlx::query_as(
            "SELECT u.id, u.name, u.db_role, u.can_manage_chats, COALESCE(r.rolcanlogin, FALSE)
             FROM users u LEFT JOIN pg_roles r ON r.rolname = u.db_role
             ORDER BY lower(u.name), u.id",
        )
        .fetch_all(pg)
        .await
        .map_err(offline)?;
        Ok(rows
            .into_iter()
            .map(|(user_id, name, login, is_admin, enabled)| OperatorLogin {
                user_id,
                name,
                login,
                is_admin,
                enabled,
            })
            .collect())
    }

    /// A new operator with their login, in the given queues, all or nothing.
    pub async fn create_operator_login(
        &self,
        request: NewOperatorLogin,
    ) -> Result<OperatorLogin, IpcError> {
        let pg = self.shared_admin_database()?;
        let name = request.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "The operator's name is 1 to 100 characters.",
            ));
        }
        let login = request.login.trim();
        let user_id = switchboard_engine::domain::new_id();
        let mut tx = pg.begin().await.map_err(offline)?;
        let taken: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)")
                .bind(login)
                .fetch_one(&mut *tx)
                .await
                .map_err(offline)?;
        if taken {
            return Err(IpcError::new(
                ErrorCode::Conflict,
                "That login is already taken.",
            ));
        }
        sqlx::query(
            "INSERT INTO users (id, name, status, is_local, created_at)
             VALUES ($1, $2, 'inactive', FALSE, (extract(epoch FROM now()) * 1000)::BIGINT)",
        )
        .bind(&user_id)
        .bind(name)
        .execute(&mut *tx)
        .await
        .map_err(refusal)?;
        sqlx::query("SELECT sb_create_operator_role($1, $2, $3, $4)")
            .bind(login)
            .bind(&request.password)
            .bind(&user_id)
            .bind(request.is_admin)
            .execute(&mut *tx)
            .await
            .map_err(refusal)?;
        for queue in &request.queue_ids {
            sqlx::query("INSERT INTO queue_operators (queue_id, user_id) VALUES ($1, $2)")
                .bind(queue)
                .bind(&user_id)
                .execute(&mut *tx)
                .await
                .map_err(refusal)?;
        }
        tx.commit().await.map_err(offline)?;
        Ok(OperatorLogin {
            user_id,
            name: name.to_owned(),
            login: Some(login.to_owned()),
            is_admin: request.is_admin,
            enabled: true,
        })
    }

    /// The workspace's routing settings, written to the shared database (admins only; every
    /// desktop's cache and the router follow).
    pub(crate) async fn update_shared_settings(
        &self,
        settings: WorkspaceSettings,
    ) -> Result<WorkspaceSettings, IpcError> {
        let pg = self.shared_admin_database()?;
        switchboard_engine::store::validate_routing_settings(
            settings.simultaneous_chats,
            settings.accept_timeout_min,
        )
        .map_err(crate::errors::to_ipc)?;
        let mut tx = pg.begin().await.map_err(offline)?;
        for (key, value) in [
            ("SimultaneousChats", settings.simultaneous_chats),
            ("OperatorAcceptChatTimeout", settings.accept_timeout_min),
        ] {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            )
            .bind(key)
            .bind(value.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| match refusal(e) {
                forbidden if forbidden.code == ErrorCode::Forbidden => IpcError::new(
                    ErrorCode::Forbidden,
                    "Only an admin (with the CanManageChats permission) can change chat settings.",
                ),
                other => other,
            })?;
        }
        tx.commit().await.map_err(offline)?;
        Ok(settings)
    }

    pub async fn disable_operator_login(
        &self,
        login: &str,
    ) -> Result<Vec<OperatorLogin>, IpcError> {
        let pg = self.shared_admin_database()?;
        sqlx::query("SELECT sb_disable_operator_role($1)")
            .bind(login)
            .execute(pg)
            .await
            .map_err(refusal)?;
        self.list_operator_logins().await
    }
}

/// The database refused: its sentence when it wrote one for people (`SB…`), permission in words.
fn refusal(error: sqlx::Error) -> IpcError {
    if let sqlx::Error::Database(e) = &error {
        match e.code().as_deref() {
            Some("42501") => {
                return IpcError::new(
                    ErrorCode::Forbidden,
                    "Only an admin can create or disable operator logins.",
                );
            }
            Some("23503") => {
                return IpcError::new(
                    ErrorCode::NotFound,
                    "One of the chosen queues no longer exists.",
                );
            }
            Some(code) if code.starts_with("SB") => {
                return IpcError::new(ErrorCode::InvalidInput, e.message().to_owned());
            }
            _ => {}
        }
    }
    offline(error)
}

fn offline(error: sqlx::Error) -> IpcError {
    IpcError::new(
        ErrorCode::Storage,
        format!("The shared database cannot be reached or refused the change: {error}"),
    )
}
