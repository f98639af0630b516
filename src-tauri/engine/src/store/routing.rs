//! Loading the routing core's state from SQLite and persisting what a step
//! changed, together with its decisions and their reasons, in one transaction.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::json;
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};

use super::Store;
use crate::clock::Millis;
use crate::domain::{Id, RoutingRule, new_id};
use crate::error::StoreError;
use crate::routing::{
    CandidateView, Decision, Operator, OperatorStatus, Queue, RoutedChat, RoutedState,
    RoutingState, Settings, Why,
};

/// One row of a chat's routing history.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingRecord {
    pub decided_at: Millis,
    pub kind: String,
    pub rule: Option<RoutingRule>,
    pub summary: String,
    pub candidates: Vec<CandidateView>,
    pub tie_break: Option<String>,
}

/// What one routing step changed, for [`Store::persist_routing`].
#[derive(Debug, Default)]
pub struct RoutingChanges<'a> {
    pub chats: BTreeSet<Id>,
    pub operators: BTreeSet<Id>,
    pub decisions: &'a [Decision],
    /// Extra system lines (e.g. "Transferred to queue Billing by Ann").
    pub system_lines: Vec<(Id, String)>,
}

impl Store {
    /// The whole routing state: settings, operators with roles and active
    /// counts, queues with members, and every chat that is not completed.
    pub async fn load_routing_state(&self) -> Result<RoutingState, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let settings = Settings {
            simultaneous_chats: setting(&mut conn, "SimultaneousChats").await?,
            accept_timeout: i64::from(setting(&mut conn, "OperatorAcceptChatTimeout").await?)
                * 60_000,
        };
        let mut operators = BTreeMap::new();
        for row in sqlx::query(
            "SELECT u.id, u.status, u.last_assigned_at,
                    (SELECT COUNT(*) FROM chats c WHERE c.operator_id = u.id AND c.state = 'active') AS active
             FROM users u",
        )
        .fetch_all(&mut *conn)
        .await?
        {
            operators.insert(
                row.try_get::<String, _>("id")?,
                Operator {
                    status: parse_status(row.try_get("status")?)?,
                    roles: BTreeSet::new(),
                    last_assigned_at: row.try_get("last_assigned_at")?,
                    active_chats: u32::try_from(row.try_get::<i64, _>("active")?).unwrap_or(0),
                },
            );
        }
        for row in sqlx::query("SELECT user_id, role_id FROM user_roles")
            .fetch_all(&mut *conn)
            .await?
        {
            if let Some(op) = operators.get_mut(row.try_get::<&str, _>("user_id")?) {
                op.roles.insert(row.try_get("role_id")?);
            }
        }
        let mut queues = BTreeMap::new();
        for row in sqlx::query("SELECT id, rule, completion_timeout_min FROM queues")
            .fetch_all(&mut *conn)
            .await?
        {
            let timeout: Option<i64> = row.try_get("completion_timeout_min")?;
            queues.insert(
                row.try_get::<String, _>("id")?,
                Queue {
                    rule: RoutingRule::parse(row.try_get("rule")?)?,
                    completion_timeout: timeout.map(|m| m * 60_000),
                    users: BTreeSet::new(),
                    roles: BTreeSet::new(),
                },
            );
        }
        for row in sqlx::query("SELECT queue_id, user_id FROM queue_operators")
            .fetch_all(&mut *conn)
            .await?
        {
            if let Some(q) = queues.get_mut(row.try_get::<&str, _>("queue_id")?) {
                q.users.insert(row.try_get("user_id")?);
            }
        }
        for row in sqlx::query("SELECT queue_id, role_id FROM queue_roles")
            .fetch_all(&mut *conn)
            .await?
        {
            if let Some(q) = queues.get_mut(row.try_get::<&str, _>("queue_id")?) {
                q.roles.insert(row.try_get("role_id")?);
            }
        }
        let mut offers: HashMap<String, BTreeSet<Id>> = HashMap::new();
        for row in sqlx::query("SELECT chat_id, user_id FROM chat_offers")
            .fetch_all(&mut *conn)
            .await?
        {
            offers
                .entry(row.try_get("chat_id")?)
                .or_default()
                .insert(row.try_get("user_id")?);
        }
        let mut chats = BTreeMap::new();
        let mut next_arrival = 1;
        // Chats never routed yet (arrival 0) keep their creation order.
        for row in sqlx::query(
            "SELECT id, queue_id, state, operator_id, offered_at, arrival, last_message_at,
                    last_message_outbound, excluded
             FROM chats WHERE state IN ('queued', 'offered', 'active')
             ORDER BY arrival = 0, arrival, created_at, rowid",
        )
        .fetch_all(&mut *conn)
        .await?
        {
            let id: String = row.try_get("id")?;
            let mut arrival = u64::try_from(row.try_get::<i64, _>("arrival")?).unwrap_or(0);
            if arrival == 0 {
                arrival = next_arrival;
            }
            next_arrival = next_arrival.max(arrival + 1);
            let excluded: String = row.try_get("excluded")?;
            chats.insert(
                id.clone(),
                RoutedChat {
                    queue_id: row.try_get("queue_id")?,
                    state: match row.try_get::<&str, _>("state")? {
                        "queued" => RoutedState::Queued,
                        "offered" => RoutedState::Offered,
                        _ => RoutedState::Active,
                    },
                    operator: row.try_get("operator_id")?,
                    offered_to: offers.remove(&id).unwrap_or_default(),
                    offered_at: row.try_get("offered_at")?,
                    arrival,
                    last_message_at: row.try_get("last_message_at")?,
                    last_message_outbound: row.try_get("last_message_outbound")?,
                    excluded: serde_json::from_str(&excluded).unwrap_or_default(),
                },
            );
        }
        Ok(RoutingState {
            settings,
            operators,
            queues,
            chats,
            next_arrival,
        })
    }

    /// Writes the touched chats and operators as `state` now has them, the
    /// decisions with their reasons, and system lines — all or nothing.
    pub async fn persist_routing(
        &self,
        state: &RoutingState,
        changes: &RoutingChanges<'_>,
        now: Millis,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let mut offers = Vec::new();
        for chat_id in &changes.chats {
            if let Some(chat) = state.chats.get(chat_id) {
                write_chat(&mut tx, chat_id, chat, now).await?;
                offers.extend(
                    chat.offered_to
                        .iter()
                        .map(|op| (chat_id, op, chat.offered_at.unwrap_or(now))),
                );
            }
        }
        replace_offers(&mut tx, &changes.chats, &offers).await?;
        for operator_id in &changes.operators {
            if let Some(op) = state.operators.get(operator_id) {
                sqlx::query("UPDATE users SET status = ?, last_assigned_at = ? WHERE id = ?")
                    .bind(status_str(op.status))
                    .bind(op.last_assigned_at)
                    .bind(operator_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let names = if changes.decisions.is_empty() {
            HashMap::new()
        } else {
            user_names(&mut tx).await?
        };
        let rows: Vec<_> = changes
            .decisions
            .iter()
            .filter_map(|d| DecisionRecord::of(d, |id| name_or_default(&names, id)))
            .collect();
        for row in &rows {
            if let Some(line) = &row.line {
                system_line(&mut tx, row.chat_id, line, now).await?;
            }
        }
        insert_decisions(&mut tx, &rows, now).await?;
        for (chat_id, text) in &changes.system_lines {
            system_line(&mut tx, chat_id, text, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A chat's routing history, oldest first ("why did I get this chat").
    pub async fn routing_history(&self, chat_id: &str) -> Result<Vec<RoutingRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT decided_at, kind, rule, reason, candidates, tie_break
             FROM routing_decisions WHERE chat_id = ? ORDER BY decided_at, rowid",
        )
        .bind(chat_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let rule: Option<&str> = row.try_get("rule")?;
                let candidates: Vec<serde_json::Value> =
                    serde_json::from_str(row.try_get("candidates")?).unwrap_or_default();
                Ok(RoutingRecord {
                    decided_at: row.try_get("decided_at")?,
                    kind: row.try_get("kind")?,
                    rule: rule.map(RoutingRule::parse).transpose()?,
                    summary: row.try_get("reason")?,
                    candidates: candidates
                        .iter()
                        .map(|c| CandidateView {
                            operator_id: c["operator_id"].as_str().unwrap_or_default().to_owned(),
                            active_chats: c["active_chats"].as_u64().unwrap_or(0) as u32,
                            last_assigned_at: c["last_assigned_at"].as_i64(),
                        })
                        .collect(),
                    tie_break: row.try_get("tie_break")?,
                })
            })
            .collect()
    }
}

async fn setting(conn: &mut sqlx::SqliteConnection, key: &str) -> Result<u32, StoreError> {
    let value: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
        .bind(key)
        .fetch_one(&mut *conn)
        .await?;
    value
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("setting {key} = {value:?}")))
}

/// An operator status as stored (`users.status`, in SQLite and Postgres alike).
pub fn parse_status(text: &str) -> Result<OperatorStatus, StoreError> {
    match text {
        "active" => Ok(OperatorStatus::Active),
        "inactive" => Ok(OperatorStatus::Inactive),
        "offline" => Ok(OperatorStatus::Offline),
        other => Err(StoreError::Corrupt(format!("operator status {other:?}"))),
    }
}

/// The stored form of an operator status.
pub fn status_str(status: OperatorStatus) -> &'static str {
    match status {
        OperatorStatus::Active => "active",
        OperatorStatus::Inactive => "inactive",
        OperatorStatus::Offline => "offline",
    }
}

async fn write_chat(
    tx: &mut Transaction<'_, Sqlite>,
    chat_id: &str,
    chat: &RoutedChat,
    now: Millis,
) -> Result<(), StoreError> {
    let state = match chat.state {
        RoutedState::Queued => "queued",
        RoutedState::Offered => "offered",
        RoutedState::Active => "active",
        RoutedState::Completed => "completed",
    };
    let completed_at = (chat.state == RoutedState::Completed).then_some(now);
    sqlx::query(
        "UPDATE chats SET queue_id = ?, state = ?, operator_id = ?, offered_at = ?, arrival = ?,
             excluded = ?, completed_at = COALESCE(?, completed_at)
         WHERE id = ?",
    )
    .bind(&chat.queue_id)
    .bind(state)
    .bind(&chat.operator)
    .bind(chat.offered_at)
    .bind(i64::try_from(chat.arrival).unwrap_or(i64::MAX))
    .bind(serde_json::to_string(&chat.excluded).unwrap_or_else(|_| "[]".into()))
    .bind(completed_at)
    .bind(chat_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Rows per multi-row statement (SQLite allows 32,766 bound values).
const ROWS_PER_STATEMENT: usize = 500;

/// The touched chats' offers become exactly `offers`: two statements, not
/// one per operator (a `to_all` offer can reach a whole team).
async fn replace_offers(
    tx: &mut Transaction<'_, Sqlite>,
    chats: &BTreeSet<Id>,
    offers: &[(&Id, &Id, Millis)],
) -> Result<(), StoreError> {
    let chats: Vec<&Id> = chats.iter().collect();
    for batch in chats.chunks(ROWS_PER_STATEMENT) {
        let mut delete = QueryBuilder::<Sqlite>::new("DELETE FROM chat_offers WHERE chat_id IN (");
        let mut ids = delete.separated(", ");
        for id in batch {
            ids.push_bind(*id);
        }
        delete.push(")").build().execute(&mut **tx).await?;
    }
    for batch in offers.chunks(ROWS_PER_STATEMENT) {
        let mut insert =
            QueryBuilder::<Sqlite>::new("INSERT INTO chat_offers (chat_id, user_id, offered_at) ");
        insert.push_values(batch, |mut row, (chat, user, at)| {
            row.push_bind(*chat).push_bind(*user).push_bind(*at);
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// The candidates of a decision as stored in `routing_decisions.candidates`.
pub fn candidates_json(why: &Why) -> String {
    let list: Vec<_> = why
        .candidates
        .iter()
        .map(|c| {
            json!({"operator_id": c.operator_id, "active_chats": c.active_chats,
                   "last_assigned_at": c.last_assigned_at})
        })
        .collect();
    serde_json::Value::from(list).to_string()
}

/// What a routing decision leaves behind: its `routing_decisions` row and the system line a
/// person reads in the chat. Shared by standalone's store and shared mode's router, so the log
/// and the lines read the same in both modes.
pub struct DecisionRecord<'d> {
    pub chat_id: &'d str,
    pub kind: &'static str,
    pub why: Option<&'d Why>,
    pub chosen: Option<&'d str>,
    pub summary: &'d str,
    pub line: Option<String>,
}

impl<'d> DecisionRecord<'d> {
    /// `None` for a refusal (not logged). `name_of` gives an operator's display name.
    pub fn of(decision: &'d Decision, name_of: impl Fn(&str) -> String) -> Option<Self> {
        let (chat_id, kind, why, chosen, summary, line) = match decision {
            Decision::Offer { chat_id, why, .. } => (
                chat_id,
                "offer",
                Some(why),
                None,
                why.summary.as_str(),
                None,
            ),
            Decision::Assign {
                chat_id,
                operator_id,
                why,
            } => (
                chat_id,
                "assign",
                Some(why),
                Some(operator_id),
                why.summary.as_str(),
                Some(format!("Chat assigned to {}", name_of(operator_id))),
            ),
            Decision::WithdrawOffer {
                chat_id,
                operator_id,
                why,
            } => (
                chat_id,
                "withdraw",
                None,
                Some(operator_id),
                why.as_str(),
                None,
            ),
            Decision::SetInactive {
                operator_id,
                chat_id,
                why,
            } => (
                chat_id,
                "set_inactive",
                None,
                Some(operator_id),
                why.as_str(),
                Some(format!(
                    "{} did not accept the chat in time and is now Inactive",
                    name_of(operator_id)
                )),
            ),
            Decision::Complete { chat_id, why } => (
                chat_id,
                "complete",
                None,
                None,
                why.as_str(),
                Some(format!("Chat completed: {why}")),
            ),
            Decision::Wait { chat_id, why } => (chat_id, "wait", None, None, why.as_str(), None),
            Decision::Refuse { .. } => return None,
        };
        Some(Self {
            chat_id,
            kind,
            why,
            chosen: chosen.map(String::as_str),
            summary,
            line,
        })
    }

    pub fn rule(&self) -> Option<&'static str> {
        self.why.map(|w| w.rule.as_str())
    }

    pub fn candidates(&self) -> String {
        self.why.map_or_else(|| "[]".to_owned(), candidates_json)
    }

    pub fn tie_break(&self) -> Option<&'d str> {
        self.why.and_then(|w| w.tie_break.as_deref())
    }
}

/// Every user's display name, for the system lines.
async fn user_names(tx: &mut Transaction<'_, Sqlite>) -> Result<HashMap<Id, String>, StoreError> {
    Ok(
        sqlx::query_as::<_, (Id, String)>("SELECT id, name FROM users")
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .collect(),
    )
}

/// An operator's name, or words for one the database no longer has.
pub fn name_or_default(names: &HashMap<Id, String>, id: &str) -> String {
    names
        .get(id)
        .cloned()
        .unwrap_or_else(|| "an operator".into())
}

async fn insert_decisions(
    tx: &mut Transaction<'_, Sqlite>,
    rows: &[DecisionRecord<'_>],
    now: Millis,
) -> Result<(), StoreError> {
    for batch in rows.chunks(ROWS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO routing_decisions (id, chat_id, decided_at, kind, rule, candidates, chosen_user_id, reason, tie_break) ",
        );
        insert.push_values(batch, |mut row, d| {
            row.push_bind(new_id())
                .push_bind(d.chat_id)
                .push_bind(now)
                .push_bind(d.kind)
                .push_bind(d.rule())
                .push_bind(d.candidates())
                .push_bind(d.chosen)
                .push_bind(d.summary)
                .push_bind(d.tie_break());
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

async fn system_line(
    tx: &mut Transaction<'_, Sqlite>,
    chat_id: &str,
    text: &str,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at)
         SELECT ?, id, channel_id, 'system', ?, '', ? FROM chats WHERE id = ?",
    )
    .bind(new_id())
    .bind(text)
    .bind(now)
    .bind(chat_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
