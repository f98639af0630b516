//! What the admin designer edits besides queues themselves: queue members
//! (users and roles), roles, and workspace settings.

use sqlx::Row;

use super::Store;
use crate::domain::{Id, new_id};
use crate::error::StoreError;

pub const SIMULTANEOUS_CHATS_RANGE: std::ops::RangeInclusive<u32> = 1..=50;
pub const ACCEPT_TIMEOUT_MIN_RANGE: std::ops::RangeInclusive<u32> = 1..=120;

/// The routing settings' ranges, in words (the standalone store and shared mode alike).
pub fn validate_routing_settings(
    simultaneous_chats: u32,
    accept_timeout_min: u32,
) -> Result<(), StoreError> {
    if !SIMULTANEOUS_CHATS_RANGE.contains(&simultaneous_chats) {
        return Err(StoreError::Invalid(format!(
            "Simultaneous chats must be between {} and {}.",
            SIMULTANEOUS_CHATS_RANGE.start(),
            SIMULTANEOUS_CHATS_RANGE.end()
        )));
    }
    if !ACCEPT_TIMEOUT_MIN_RANGE.contains(&accept_timeout_min) {
        return Err(StoreError::Invalid(format!(
            "The accept timeout must be between {} and {} minutes.",
            ACCEPT_TIMEOUT_MIN_RANGE.start(),
            ACCEPT_TIMEOUT_MIN_RANGE.end()
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    User,
    Role,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueMemberRow {
    pub kind: MemberKind,
    pub id: Id,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleRow {
    pub id: Id,
    pub name: String,
    pub users: Vec<(Id, String)>,
}

impl Store {
    /// Whether the person at this desk may change channels, queues, actions
    /// and settings (`CanManageChats`).
    pub async fn local_user_can_manage_chats(&self) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT can_manage_chats FROM users WHERE id = ?")
                .bind(&self.local_user.id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// (`SimultaneousChats`, `OperatorAcceptChatTimeout` in minutes).
    pub async fn routing_settings(&self) -> Result<(u32, u32), StoreError> {
        Ok((
            self.setting_u32("SimultaneousChats").await?,
            self.setting_u32("OperatorAcceptChatTimeout").await?,
        ))
    }

    pub async fn update_routing_settings(
        &self,
        simultaneous_chats: u32,
        accept_timeout_min: u32,
    ) -> Result<(), StoreError> {
        validate_routing_settings(simultaneous_chats, accept_timeout_min)?;
        let mut tx = self.write_tx().await?;
        for (key, value) in [
            ("SimultaneousChats", simultaneous_chats),
            ("OperatorAcceptChatTimeout", accept_timeout_min),
        ] {
            sqlx::query("UPDATE settings SET value = ? WHERE key = ?")
                .bind(value.to_string())
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn queue_members(&self, queue_id: &str) -> Result<Vec<QueueMemberRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT 'user' AS kind, u.id, u.name FROM queue_operators q JOIN users u ON u.id = q.user_id
                 WHERE q.queue_id = ?1
             UNION ALL
             SELECT 'role', r.id, r.name FROM queue_roles q JOIN roles r ON r.id = q.role_id
                 WHERE q.queue_id = ?1
             ORDER BY 1 DESC, 3",
        )
        .bind(queue_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(QueueMemberRow {
                    kind: if r.try_get::<&str, _>("kind")? == "user" {
                        MemberKind::User
                    } else {
                        MemberKind::Role
                    },
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }

    /// Adds a user or a role to a queue's operators (adding twice is a no-op).
    pub async fn add_queue_member(
        &self,
        queue_id: &str,
        kind: MemberKind,
        member_id: &str,
    ) -> Result<(), StoreError> {
        self.ensure_exists("queues", "queue", queue_id).await?;
        let (table, member_table, what, column) = member_tables(kind);
        self.ensure_exists(member_table, what, member_id).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT OR IGNORE INTO {table} (queue_id, {column}) VALUES (?, ?)"
        )))
        .bind(queue_id)
        .bind(member_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn remove_queue_member(
        &self,
        queue_id: &str,
        kind: MemberKind,
        member_id: &str,
    ) -> Result<(), StoreError> {
        let (table, _, _, column) = member_tables(kind);
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE queue_id = ? AND {column} = ?"
        )))
        .bind(queue_id)
        .bind(member_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn list_roles(&self) -> Result<Vec<RoleRow>, StoreError> {
        let roles = sqlx::query("SELECT id, name FROM roles ORDER BY name COLLATE NOCASE")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(roles.len());
        for role in roles {
            let id: String = role.try_get("id")?;
            let users = sqlx::query(
                "SELECT u.id, u.name FROM user_roles ur JOIN users u ON u.id = ur.user_id
                 WHERE ur.role_id = ? ORDER BY u.name",
            )
            .bind(&id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
            out.push(RoleRow {
                id,
                name: role.try_get("name")?,
                users,
            });
        }
        Ok(out)
    }

    pub async fn create_role(&self, name: &str) -> Result<Id, StoreError> {
        let name = validate_role_name(name)?;
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM roles WHERE name = ? COLLATE NOCASE")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        if taken.is_some() {
            return Err(role_name_taken(name));
        }
        let id = new_id();
        sqlx::query("INSERT INTO roles (id, name) VALUES (?, ?)")
            .bind(&id)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(id)
    }

    /// Gives a user the role (`member`) or takes it away.
    pub async fn set_role_member(
        &self,
        role_id: &str,
        user_id: &str,
        member: bool,
    ) -> Result<(), StoreError> {
        self.ensure_exists("roles", "role", role_id).await?;
        self.ensure_exists("users", "operator", user_id).await?;
        let sql = if member {
            "INSERT OR IGNORE INTO user_roles (role_id, user_id) VALUES (?, ?)"
        } else {
            "DELETE FROM user_roles WHERE role_id = ? AND user_id = ?"
        };
        sqlx::query(sql)
            .bind(role_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn ensure_exists(
        &self,
        table: &str,
        what: &'static str,
        id: &str,
    ) -> Result<(), StoreError> {
        let found: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT 1 FROM {table} WHERE id = ?"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match found {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound {
                what,
                id: id.into(),
            }),
        }
    }
}

/// The trimmed role name, or why it is not acceptable (the standalone store and shared mode alike).
pub fn validate_role_name(name: &str) -> Result<&str, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("Give the role a name.".into()));
    }
    if name.chars().count() > 100 {
        return Err(StoreError::Invalid(
            "A role name can be at most 100 characters.".into(),
        ));
    }
    Ok(name)
}

/// Another role has this name (compared without case).
pub fn role_name_taken(name: &str) -> StoreError {
    StoreError::Invalid(format!("A role named “{name}” already exists."))
}

/// (membership table, member table, what, member column) — constants only.
pub fn member_tables(kind: MemberKind) -> (&'static str, &'static str, &'static str, &'static str) {
    match kind {
        MemberKind::User => ("queue_operators", "users", "operator", "user_id"),
        MemberKind::Role => ("queue_roles", "roles", "role", "role_id"),
    }
}
