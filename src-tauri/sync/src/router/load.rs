//! The routing core's state, read from Postgres with the rows a pass may change locked.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sqlx::{PgConnection, Row};
use switchboard_engine::domain::{Id, RoutingRule};
use switchboard_engine::routing::{
    Operator, OperatorStatus, Queue, RoutedChat, RoutedState, RoutingState, Settings,
};
use switchboard_engine::store::parse_status;

use crate::SyncError;

/// The state a pass starts from.
pub(super) struct Loaded {
    pub state: RoutingState,
    /// Chats no pass has routed yet (stored `arrival` 0), as (chat, queue) in the order they were
    /// created. They are not in `state`: the pass feeds each as `ChatArrived`, which gives it its
    /// place in line after every routed chat.
    pub arrivals: Vec<(Id, Id)>,
    /// More chats than [`ARRIVALS_PER_PASS`] were waiting for their first routing: the next pass
    /// should follow at once.
    pub more_arrivals: bool,
}

/// At most this many never-routed chats per pass. A pass holds every operator's row, so the
/// operators' accepts and completions wait for it: a backlog (a desktop's upload, a bot back
/// after an outage) is routed in passes of bounded length, oldest first, instead of one pass
/// that stalls everyone for as long as the whole backlog takes. Not much smaller: every pass
/// reads every offered chat again, so short passes over a long backlog read the same rows many
/// times (`cargo xtask bench sync`: a burst of 10,000 in passes of 2,000 ran at 37 % of the claim
/// loop, in passes of 5,000 at 52 %; a pass over 5,000 fresh chats takes a few hundred ms).
pub(super) const ARRIVALS_PER_PASS: usize = 5_000;

/// Settings, operators (rows locked, id order), queues with members, every offered and active
/// chat (active ones locked, id order) with its offers, the waiting chats a pass could offer,
/// and the oldest chats never routed.
pub(super) async fn routing_state(conn: &mut PgConnection) -> Result<Loaded, SyncError> {
    let mut operators = BTreeMap::new();
    for row in sqlx::query(
        "SELECT u.id, u.status, u.last_assigned_at FROM users u ORDER BY u.id FOR UPDATE",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        operators.insert(
            row.try_get::<String, _>("id")?,
            Operator {
                status: parse_status(row.try_get("status")?).map_err(corrupt)?,
                roles: BTreeSet::new(),
                last_assigned_at: row.try_get("last_assigned_at")?,
                active_chats: 0,
            },
        );
    }
    // Lock order step 2, for the chats a timer may complete: an inbound message stored at the
    // same moment waits for this pass, or this pass sees it. Waiting and offered chats need no
    // lock: with every operator row held, only this router changes their routing state.
    sqlx::query("SELECT id FROM chats WHERE state = 'active' ORDER BY id FOR UPDATE")
        .execute(&mut *conn)
        .await?;
    let routed = sqlx::query(
        "SELECT id, queue_id, state, operator_id, offered_at, arrival, last_message_at,
                last_message_outbound, excluded
         FROM chats WHERE state IN ('offered', 'active') AND arrival > 0",
    )
    .fetch_all(&mut *conn)
    .await?;
    // The oldest chats no pass has routed yet, one more than a pass takes to know whether more
    // wait. (Only the router writes `arrival`, under the advisory lock: nothing changes them
    // between this read and the pass's writes.)
    let mut fresh: Vec<(Id, Id)> = sqlx::query_as(
        "SELECT id, queue_id FROM chats
         WHERE state IN ('queued', 'offered', 'active') AND arrival = 0
         ORDER BY created_at, id LIMIT $1",
    )
    .bind(i64::try_from(ARRIVALS_PER_PASS).unwrap_or(i64::MAX) + 1)
    .fetch_all(&mut *conn)
    .await?;
    let more_arrivals = fresh.len() > ARRIVALS_PER_PASS;
    fresh.truncate(ARRIVALS_PER_PASS);
    // A shared database may not have these rows: the SPEC defaults apply, as in sb_accept_chat.
    let defaults = Settings::default();
    let settings = Settings {
        simultaneous_chats: setting(conn, "SimultaneousChats")
            .await?
            .unwrap_or(defaults.simultaneous_chats),
        accept_timeout: setting(conn, "OperatorAcceptChatTimeout")
            .await?
            .map_or(defaults.accept_timeout, |minutes| {
                i64::from(minutes) * 60_000
            }),
    };
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
        let timeout: Option<i32> = row.try_get("completion_timeout_min")?;
        queues.insert(
            row.try_get::<String, _>("id")?,
            Queue {
                rule: RoutingRule::parse(row.try_get("rule")?).map_err(corrupt)?,
                completion_timeout: timeout.map(|m| i64::from(m) * 60_000),
                users: BTreeSet::new(),
                roles: BTreeSet::new(),
            },
        );
    }
    for (sql, by_role) in [
        (
            "SELECT queue_id, user_id AS member FROM queue_operators",
            false,
        ),
        ("SELECT queue_id, role_id AS member FROM queue_roles", true),
    ] {
        for row in sqlx::query(sql).fetch_all(&mut *conn).await? {
            if let Some(q) = queues.get_mut(row.try_get::<&str, _>("queue_id")?) {
                let member: String = row.try_get("member")?;
                if by_role {
                    q.roles.insert(member);
                } else {
                    q.users.insert(member);
                }
            }
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
    let mut chats = open_chats(routed, &mut offers, &mut operators)?;
    let waiting = waiting_chats(conn, &operators, settings.simultaneous_chats).await?;
    chats.append(&mut open_chats(waiting, &mut offers, &mut operators)?);
    // Waiting chats left unloaded keep their place: a new arrival goes behind all of them.
    let last_in_line: Option<i64> =
        sqlx::query_scalar("SELECT max(arrival) FROM chats WHERE state = 'queued'")
            .fetch_one(&mut *conn)
            .await?;
    let next_arrival = chats
        .values()
        .map(|c| c.arrival + 1)
        .chain(last_in_line.and_then(|a| u64::try_from(a + 1).ok()))
        .max()
        .unwrap_or(1);
    Ok(Loaded {
        state: RoutingState {
            settings,
            operators,
            queues,
            chats,
            next_arrival,
        },
        arrivals: fresh,
        more_arrivals,
    })
}

/// The waiting (queued, already routed once) chats a pass could offer, oldest in line first.
///
/// A waiting chat is offered only to an Active operator below the limit, so no pass can offer
/// more chats than the free slots of every Active operator together: per `freest` queue, the
/// first that many in line are enough; a `to_all` queue offers every waiting chat to whoever has
/// room, so it needs all of them, or none when nobody has room. Chats with operators excluded (a
/// transfer) are always loaded: they may be skipped by the one operator with room, who then
/// gets the next in line. Before this, every pass read every waiting chat, and an idle pass
/// over 2,000 of them cost more than the changes it made.
async fn waiting_chats(
    conn: &mut PgConnection,
    operators: &BTreeMap<Id, Operator>,
    limit: u32,
) -> Result<Vec<sqlx::postgres::PgRow>, SyncError> {
    let room: i64 = operators
        .values()
        .filter(|o| o.status == OperatorStatus::Active)
        .map(|o| {
            i64::from(limit)
                .saturating_sub(i64::from(o.active_chats))
                .max(0)
        })
        .sum();
    Ok(sqlx::query(
        "SELECT c.id, c.queue_id, c.state, c.operator_id, c.offered_at, c.arrival,
                c.last_message_at, c.last_message_outbound, c.excluded
         FROM queues q CROSS JOIN LATERAL (
             SELECT * FROM chats c
             WHERE c.state = 'queued' AND c.queue_id = q.id AND c.arrival > 0
             ORDER BY c.arrival
             LIMIT CASE WHEN q.rule = 'to_all' AND $1 > 0 THEN NULL ELSE $1 END) c
         UNION
         SELECT c.id, c.queue_id, c.state, c.operator_id, c.offered_at, c.arrival,
                c.last_message_at, c.last_message_outbound, c.excluded
         FROM chats c
         WHERE c.state = 'queued' AND c.arrival > 0
           AND (c.excluded <> '[]' OR NOT EXISTS (SELECT FROM queues q WHERE q.id = c.queue_id))",
    )
    .bind(room)
    .fetch_all(&mut *conn)
    .await?)
}

/// The routed open chats with their offers; counts each operator's active chats.
fn open_chats(
    rows: Vec<sqlx::postgres::PgRow>,
    offers: &mut HashMap<String, BTreeSet<Id>>,
    operators: &mut BTreeMap<Id, Operator>,
) -> Result<BTreeMap<Id, RoutedChat>, SyncError> {
    let mut chats = BTreeMap::new();
    for row in rows {
        let id: String = row.try_get("id")?;
        let arrival = u64::try_from(row.try_get::<i64, _>("arrival")?).unwrap_or(0);
        let state = match row.try_get::<&str, _>("state")? {
            "queued" => RoutedState::Queued,
            "offered" => RoutedState::Offered,
            _ => RoutedState::Active,
        };
        let operator: Option<Id> = row.try_get("operator_id")?;
        if let Some(op) = operator.as_ref().and_then(|id| operators.get_mut(id)) {
            op.active_chats += 1;
        }
        let excluded: String = row.try_get("excluded")?;
        chats.insert(
            id.clone(),
            RoutedChat {
                queue_id: row.try_get("queue_id")?,
                state,
                operator,
                offered_to: offers.remove(&id).unwrap_or_default(),
                offered_at: row.try_get("offered_at")?,
                arrival,
                last_message_at: row.try_get("last_message_at")?,
                last_message_outbound: row.try_get("last_message_outbound")?,
                excluded: serde_json::from_str(&excluded).unwrap_or_default(),
            },
        );
    }
    Ok(chats)
}

async fn setting(conn: &mut PgConnection, key: &str) -> Result<Option<u32>, SyncError> {
    let value: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    value
        .map(|value| {
            value
                .parse()
                .map_err(|_| SyncError::Corrupt(format!("setting {key} = {value:?}")))
        })
        .transpose()
}

fn corrupt(error: switchboard_engine::StoreError) -> SyncError {
    SyncError::Corrupt(error.to_string())
}
