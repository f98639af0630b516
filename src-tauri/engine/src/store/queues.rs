//! Queues and operators as the designer and the panel list them.

use sqlx::Row;

use super::Store;
use super::routing::parse_status;
use crate::domain::{Id, RoutingRule, new_id};
use crate::error::StoreError;
use crate::routing::OperatorStatus;

/// Longest completion timeout an admin may set: one week.
pub const MAX_COMPLETION_TIMEOUT_MIN: u32 = 7 * 24 * 60;

#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub id: Id,
    pub name: String,
    pub rule: RoutingRule,
    pub completion_timeout_min: Option<u32>,
    pub operator_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatRoutingFacts {
    pub state: String,
    pub queue_id: Id,
    pub last_message_at: i64,
    pub last_message_outbound: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OperatorRow {
    pub id: Id,
    pub name: String,
    pub status: OperatorStatus,
    pub active_chats: u32,
}

impl Store {
    pub async fn list_queues(&self) -> Result<Vec<QueueRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, rule, completion_timeout_min FROM queues ORDER BY name COLLATE NOCASE",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut queues = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get("id")?;
            // Members directly or through a role, each once.
            let operator_names: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM users WHERE id IN (
                     SELECT user_id FROM queue_operators WHERE queue_id = ?1
                     UNION SELECT ur.user_id FROM queue_roles qr JOIN user_roles ur ON ur.role_id = qr.role_id
                           WHERE qr.queue_id = ?1)
                 ORDER BY name",
            )
            .bind(&id)
            .fetch_all(&self.pool)
            .await?;
            let timeout: Option<i64> = row.try_get("completion_timeout_min")?;
            queues.push(QueueRow {
                id,
                name: row.try_get("name")?,
                rule: RoutingRule::parse(row.try_get("rule")?)?,
                completion_timeout_min: timeout.and_then(|t| u32::try_from(t).ok()),
                operator_names,
            });
        }
        Ok(queues)
    }

    /// Creates a queue. In standalone mode the person at the desk serves it,
    /// so it can receive chats at once.
    pub async fn create_queue(
        &self,
        name: &str,
        rule: RoutingRule,
        completion_timeout_min: Option<u32>,
    ) -> Result<QueueRow, StoreError> {
        let name = validate_queue(name, completion_timeout_min)?;
        let mut tx = self.write_tx().await?;
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM queues WHERE name = ? COLLATE NOCASE")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(queue_name_taken(name));
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO queues (id, name, rule, completion_timeout_min) VALUES (?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(name)
        .bind(rule.as_str())
        .bind(completion_timeout_min)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO queue_operators (queue_id, user_id) VALUES (?, ?)")
            .bind(&id)
            .bind(&self.local_user.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(QueueRow {
            id,
            name: name.to_owned(),
            rule,
            completion_timeout_min,
            operator_names: vec![self.local_user.name.clone()],
        })
    }

    /// Changes a queue's name, rule and completion timeout. Chats already in
    /// it stay; the router re-evaluates offers under the new rule.
    pub async fn update_queue(
        &self,
        queue_id: &str,
        name: &str,
        rule: RoutingRule,
        completion_timeout_min: Option<u32>,
    ) -> Result<(), StoreError> {
        let name = validate_queue(name, completion_timeout_min)?;
        let mut tx = self.write_tx().await?;
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM queues WHERE name = ? COLLATE NOCASE AND id <> ?")
                .bind(name)
                .bind(queue_id)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(queue_name_taken(name));
        }
        let done = sqlx::query(
            "UPDATE queues SET name = ?, rule = ?, completion_timeout_min = ? WHERE id = ?",
        )
        .bind(name)
        .bind(rule.as_str())
        .bind(completion_timeout_min)
        .bind(queue_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "queue",
                id: queue_id.into(),
            });
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_operators(&self) -> Result<Vec<OperatorRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.status,
                    (SELECT COUNT(*) FROM chats c WHERE c.operator_id = u.id AND c.state = 'active') AS active
             FROM users u ORDER BY u.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OperatorRow {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    status: parse_status(row.try_get("status")?)?,
                    active_chats: u32::try_from(row.try_get::<i64, _>("active")?).unwrap_or(0),
                })
            })
            .collect()
    }

    /// Adds an operator (a user who handles chats) to the workspace and,
    /// optionally, to a queue. Used by tests and, later, by the designer.
    pub async fn add_operator(
        &self,
        name: &str,
        queue_id: Option<&str>,
        now: i64,
    ) -> Result<Id, StoreError> {
        let id = new_id();
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO users (id, name, status, created_at) VALUES (?, ?, 'active', ?)")
            .bind(&id)
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if let Some(queue_id) = queue_id {
            sqlx::query("INSERT INTO queue_operators (queue_id, user_id) VALUES (?, ?)")
                .bind(queue_id)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// How many queued chats wait in queues this operator serves.
    pub async fn waiting_in_queues_of(&self, operator_id: &str) -> Result<u32, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM chats c WHERE c.state = 'queued' AND c.queue_id IN (
                 SELECT queue_id FROM queue_operators WHERE user_id = ?1
                 UNION SELECT qr.queue_id FROM queue_roles qr JOIN user_roles ur ON ur.role_id = qr.role_id
                       WHERE ur.user_id = ?1)",
        )
        .bind(operator_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(u32::try_from(count).unwrap_or(0))
    }

    /// What the router needs to know about a chat the connectors touched.
    pub async fn chat_routing_facts(
        &self,
        chat_id: &str,
    ) -> Result<Option<ChatRoutingFacts>, StoreError> {
        let row = sqlx::query(
            "SELECT state, queue_id, last_message_at, last_message_outbound FROM chats WHERE id = ?",
        )
        .bind(chat_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(ChatRoutingFacts {
                state: r.try_get("state")?,
                queue_id: r.try_get("queue_id")?,
                last_message_at: r.try_get("last_message_at")?,
                last_message_outbound: r.try_get("last_message_outbound")?,
            })
        })
        .transpose()
    }
}

/// The trimmed name, or why the queue's fields are not acceptable (the standalone store and
/// shared mode alike).
pub fn validate_queue(name: &str, completion_timeout_min: Option<u32>) -> Result<&str, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("Give the queue a name.".into()));
    }
    if name.chars().count() > 100 {
        return Err(StoreError::Invalid(
            "A queue name can be at most 100 characters.".into(),
        ));
    }
    if let Some(minutes) = completion_timeout_min
        && !(1..=MAX_COMPLETION_TIMEOUT_MIN).contains(&minutes)
    {
        return Err(StoreError::Invalid(format!(
            "The completion timeout must be between 1 and {MAX_COMPLETION_TIMEOUT_MIN} minutes, or empty for never."
        )));
    }
    Ok(name)
}

/// Another queue has this name (compared without case).
pub fn queue_name_taken(name: &str) -> StoreError {
    StoreError::Invalid(format!("A queue named “{name}” already exists."))
}
