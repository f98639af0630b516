//! Reading `change_log` in batches, only below the safe horizon (see the crate documentation).

use sqlx::Row;
use sqlx::postgres::PgPool;

use crate::SyncError;

/// The channel the change log's triggers notify on commit.
pub const CHANNEL: &str = "switchboard_changes";

/// Where a reader is in the feed: the last change it has, in `(txid, position)` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cursor {
    pub txid: i64,
    pub position: i64,
}

impl Cursor {
    /// Before the first change.
    pub const START: Cursor = Cursor {
        txid: 0,
        position: 0,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Insert,
    Update,
    Delete,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Insert => "insert",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }

    fn parse(s: &str) -> Result<Op, SyncError> {
        match s {
            "insert" => Ok(Op::Insert),
            "update" => Ok(Op::Update),
            "delete" => Ok(Op::Delete),
            other => Err(SyncError::Postgres(sqlx::Error::Decode(
                format!("unknown change_log op {other:?}").into(),
            ))),
        }
    }
}

/// One changed row: which row, not its content (the cache reads the row itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub position: i64,
    pub txid: i64,
    pub table: String,
    /// The row's key; a composite key joined with '/' in key order.
    pub row_id: String,
    pub op: Op,
}

impl Change {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            txid: self.txid,
            position: self.position,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// In feed order; empty when the reader is caught up (to the horizon).
    pub changes: Vec<Change>,
    /// The cursor to pull after next: the last change's, or the one given when empty.
    pub next_after: Cursor,
    /// Committed changes exist beyond the horizon, waiting for an older transaction to end.
    pub held_back: bool,
}

pub struct ChangeFeed;

impl ChangeFeed {
    /// Up to `limit` changes after `after`, only those that can never be preceded by a change
    /// committed later. Idempotent: the same `after` gives the same changes (plus newer ones).
    /// Two short statements, no transaction held between batches.
    pub async fn pull(pg: &PgPool, after: Cursor, limit: i64) -> Result<Batch, SyncError> {
        let rows = sqlx::query(
            "SELECT position, txid::text::bigint AS txid, table_name, row_id, op
             FROM change_log
             WHERE (txid, position) > ($1::bigint::text::xid8, $2)
               AND txid < pg_snapshot_xmin(pg_current_snapshot())
             ORDER BY txid, position
             LIMIT $3",
        )
        .bind(after.txid)
        .bind(after.position)
        .bind(limit)
        .fetch_all(pg)
        .await?;
        let changes = rows
            .iter()
            .map(|r| {
                Ok(Change {
                    position: r.try_get("position")?,
                    txid: r.try_get("txid")?,
                    table: r.try_get("table_name")?,
                    row_id: r.try_get("row_id")?,
                    op: Op::parse(r.try_get("op")?)?,
                })
            })
            .collect::<Result<Vec<_>, SyncError>>()?;
        // A hint for the follower, so it need not be consistent with the page above.
        let held_back: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM change_log
                            WHERE txid >= pg_snapshot_xmin(pg_current_snapshot()))",
        )
        .fetch_one(pg)
        .await?;
        let next_after = changes.last().map_or(after, Change::cursor);
        Ok(Batch {
            changes,
            next_after,
            held_back,
        })
    }
}
