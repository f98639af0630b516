//! Writing a pass: the rows whose routing state differs, the decisions with their reasons, and the
//! system lines a person reads in the chat. Everything inside the pass's transaction.

use std::collections::HashMap;

use sqlx::PgConnection;
use switchboard_engine::clock::Millis;
use switchboard_engine::domain::new_id;
use switchboard_engine::routing::{Decision, RoutedChat, RoutedState, RoutingState};
use switchboard_engine::store::{DecisionRecord, name_or_default, status_str};

use super::load::Loaded;
use crate::SyncError;

/// The decisions worth recording: not refusals, and not a `Wait` for a chat that was already
/// waiting (every pass re-evaluates every waiting chat; restating it would log a row per pass).
pub(super) fn meaningful(before: &Loaded, decisions: Vec<Decision>) -> Vec<Decision> {
    decisions
        .into_iter()
        .filter(|decision| match decision {
            Decision::Refuse { .. } => false,
            Decision::Wait { chat_id, .. } => before
                .state
                .chats
                .get(chat_id)
                .is_none_or(|chat| chat.state != RoutedState::Queued),
            _ => true,
        })
        .collect()
}

pub(super) async fn write(
    conn: &mut PgConnection,
    loaded: &Loaded,
    after: &RoutingState,
    decisions: &[Decision],
    now: Millis,
) -> Result<(), SyncError> {
    let before = &loaded.state;
    // Collected first, then written a statement per kind: a first pass over a backlog offers
    // thousands of chats to every operator.
    let mut chats = ChatRows::default();
    let (mut gone, mut offered) = (OfferRows::default(), OfferRows::default());
    for (id, chat) in &after.chats {
        let old = before.chats.get(id);
        if old == Some(chat) {
            continue;
        }
        chats.push(id, chat, now);
        let had = old.map(|c| c.offered_to.clone()).unwrap_or_default();
        for user in had.difference(&chat.offered_to) {
            gone.push(id, user, now);
        }
        for user in chat.offered_to.difference(&had) {
            offered.push(id, user, chat.offered_at.unwrap_or(now));
        }
    }
    chats.write(conn).await?;
    if !gone.chats.is_empty() {
        sqlx::query(
            "DELETE FROM chat_offers o USING unnest($1::TEXT[], $2::TEXT[]) AS g (chat_id, user_id)
             WHERE o.chat_id = g.chat_id AND o.user_id = g.user_id",
        )
        .bind(&gone.chats)
        .bind(&gone.users)
        .execute(&mut *conn)
        .await?;
    }
    if !offered.chats.is_empty() {
        sqlx::query(
            "INSERT INTO chat_offers (chat_id, user_id, offered_at)
             SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::BIGINT[])",
        )
        .bind(&offered.chats)
        .bind(&offered.users)
        .bind(&offered.at)
        .execute(&mut *conn)
        .await?;
    }
    for (id, op) in &after.operators {
        let old = before.operators.get(id);
        if old.is_some_and(|o| o.status == op.status && o.last_assigned_at == op.last_assigned_at) {
            continue;
        }
        sqlx::query("UPDATE users SET status = $1, last_assigned_at = $2 WHERE id = $3")
            .bind(status_str(op.status))
            .bind(op.last_assigned_at)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    if !decisions.is_empty() {
        let names = user_names(conn).await?;
        record_all(conn, decisions, &names, now).await?;
    }
    Ok(())
}

/// Changed chats' routing columns, as arrays for one `UPDATE … FROM unnest`.
#[derive(Default)]
struct ChatRows {
    ids: Vec<String>,
    queues: Vec<String>,
    states: Vec<&'static str>,
    operators: Vec<Option<String>>,
    offered_at: Vec<Option<Millis>>,
    arrivals: Vec<i64>,
    excluded: Vec<String>,
    completed_at: Vec<Option<Millis>>,
}

impl ChatRows {
    fn push(&mut self, id: &str, chat: &RoutedChat, now: Millis) {
        self.ids.push(id.to_owned());
        self.queues.push(chat.queue_id.clone());
        self.states.push(match chat.state {
            RoutedState::Queued => "queued",
            RoutedState::Offered => "offered",
            RoutedState::Active => "active",
            RoutedState::Completed => "completed",
        });
        self.operators.push(chat.operator.clone());
        self.offered_at.push(chat.offered_at);
        self.arrivals
            .push(i64::try_from(chat.arrival).unwrap_or(i64::MAX));
        self.excluded
            .push(serde_json::to_string(&chat.excluded).unwrap_or_else(|_| "[]".into()));
        self.completed_at
            .push((chat.state == RoutedState::Completed).then_some(now));
    }

    async fn write(&self, conn: &mut PgConnection) -> Result<(), SyncError> {
        if self.ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "UPDATE chats SET queue_id = u.queue_id, state = u.state, operator_id = u.operator_id,
                 offered_at = u.offered_at, arrival = u.arrival, excluded = u.excluded,
                 completed_at = COALESCE(u.completed_at, chats.completed_at)
             FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[],
                         $6::BIGINT[], $7::TEXT[], $8::BIGINT[])
                  AS u (id, queue_id, state, operator_id, offered_at, arrival, excluded,
                        completed_at)
             WHERE chats.id = u.id",
        )
        .bind(&self.ids)
        .bind(&self.queues)
        .bind(&self.states)
        .bind(&self.operators)
        .bind(&self.offered_at)
        .bind(&self.arrivals)
        .bind(&self.excluded)
        .bind(&self.completed_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

#[derive(Default)]
struct OfferRows {
    chats: Vec<String>,
    users: Vec<String>,
    at: Vec<Millis>,
}

impl OfferRows {
    fn push(&mut self, chat: &str, user: &str, at: Millis) {
        self.chats.push(chat.to_owned());
        self.users.push(user.to_owned());
        self.at.push(at);
    }
}

/// The decisions' `routing_decisions` rows and the system lines a person reads in the chat, one
/// statement each for the whole pass (a first pass over a backlog decides thousands of chats). The
/// rows go in in decision order, which `routing_decisions.seq` keeps for replaying the history.
async fn record_all(
    conn: &mut PgConnection,
    decisions: &[Decision],
    names: &HashMap<String, String>,
    now: Millis,
) -> Result<(), SyncError> {
    let mut rows = DecisionRows::default();
    let (mut line_ids, mut line_chats, mut line_texts) = (Vec::new(), Vec::new(), Vec::new());
    for record in decisions
        .iter()
        .filter_map(|d| DecisionRecord::of(d, |id| name_or_default(names, id)))
    {
        rows.ids.push(new_id());
        rows.chats.push(record.chat_id.to_owned());
        rows.kinds.push(record.kind);
        rows.rules.push(record.rule());
        rows.candidates.push(record.candidates());
        rows.chosen.push(record.chosen.map(str::to_owned));
        rows.reasons.push(record.summary.to_owned());
        rows.tie_breaks.push(record.tie_break().map(str::to_owned));
        if let Some(line) = record.line {
            line_ids.push(new_id());
            line_chats.push(record.chat_id.to_owned());
            line_texts.push(line);
        }
    }
    if rows.ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO routing_decisions
             (id, chat_id, decided_at, kind, rule, candidates, chosen_user_id, reason, tie_break)
         SELECT d.id, d.chat_id, $9, d.kind, d.rule, d.candidates::JSONB, d.chosen, d.reason,
                d.tie_break
         FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[],
                     $7::TEXT[], $8::TEXT[])
              WITH ORDINALITY AS d (id, chat_id, kind, rule, candidates, chosen, reason,
                                    tie_break, n)
         ORDER BY d.n",
    )
    .bind(&rows.ids)
    .bind(&rows.chats)
    .bind(&rows.kinds)
    .bind(&rows.rules)
    .bind(&rows.candidates)
    .bind(&rows.chosen)
    .bind(&rows.reasons)
    .bind(&rows.tie_breaks)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if !line_ids.is_empty() {
        sqlx::query(
            "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at)
             SELECT l.id, c.id, c.channel_id, 'system', l.text, '', $4
             FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[]) WITH ORDINALITY AS l (id, chat_id, text, n)
             JOIN chats c ON c.id = l.chat_id
             ORDER BY l.n",
        )
        .bind(&line_ids)
        .bind(&line_chats)
        .bind(&line_texts)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// `routing_decisions` columns, as arrays for one `INSERT … SELECT FROM unnest`.
#[derive(Default)]
struct DecisionRows {
    ids: Vec<String>,
    chats: Vec<String>,
    kinds: Vec<&'static str>,
    rules: Vec<Option<&'static str>>,
    candidates: Vec<String>,
    chosen: Vec<Option<String>>,
    reasons: Vec<String>,
    tie_breaks: Vec<Option<String>>,
}

/// Every operator's display name, for the system lines.
async fn user_names(conn: &mut PgConnection) -> Result<HashMap<String, String>, SyncError> {
    Ok(
        sqlx::query_as::<_, (String, String)>("SELECT id, name FROM users")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect(),
    )
}
