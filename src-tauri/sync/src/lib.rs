//! Shared mode's down-sync: a desktop's SQLite cache follows Postgres through a change feed.
//!
//! Postgres migration `0006_change_feed.sql` gives every insert, update and delete of a synced
//! table a row in `change_log(position, table_name, row_id, op, changed_at, txid)`, written by
//! triggers inside the writing transaction, and a `NOTIFY switchboard_changes` delivered when that
//! transaction commits. [`feed::ChangeFeed::pull`] reads the log in batches; [`follower::Follower`]
//! keeps a cache up to date, woken by the notification, with a periodic pull as a safety net.
//!
//! # The gap, and why the feed never skips a change
//!
//! `position` comes from a sequence, so it is taken when a transaction *writes*, not when it
//! *commits*. Transaction A takes position 10, B takes 11 and commits first: a reader that reads
//! "position > last seen" sees 11, remembers 11, and never returns to 10 once A commits.
//!
//! The feed therefore reads in the order of [`feed::Cursor`] = `(txid, position)` and only rows
//! whose transaction is older than every transaction still running:
//!
//! ```sql
//! WHERE (txid, position) > (cursor) AND txid < pg_snapshot_xmin(pg_current_snapshot())
//! ORDER BY txid, position
//! ```
//!
//! `txid` is the writer's top-level `xid8` (64 bits, never wraps). `pg_snapshot_xmin` of the
//! statement's own snapshot is the oldest transaction id still running; every id below it has
//! committed (its rows are visible to this very statement) or aborted (its rows never will be).
//! So the rows below the horizon are final: none can appear there later. Any row that becomes
//! visible later belongs to a transaction that was running or not yet started at the time of the
//! read, so its `txid` is at or above that horizon, above every `txid` the reader has taken, and
//! therefore after the cursor. Nothing is skipped, whatever the commit order.
//!
//! Ordering by `txid` first (not `position` alone) matters: with `position` as the cursor, an old
//! transaction C (txid 99) writing position 11 and committing while a younger A (txid 100) holds
//! position 10 would move the cursor past 10 (`a_younger_transaction_is_not_skipped_when_an_older_one_commits_a_later_position`).
//! Within one transaction rows keep their position order, so a batch can stop in the middle of a
//! big transaction and continue from its cursor.
//!
//! # Why it never stalls forever
//!
//! The horizon is held back only by transactions that have a transaction id (they wrote
//! something) and are still open; read-only transactions do not count. As soon as the oldest one
//! commits or rolls back, the horizon moves past it and everything committed behind it becomes
//! readable. Transaction ids are cluster-wide, so a writing transaction in *any* database of the
//! cluster counts (give Switchboard its own cluster, or keep other writers' transactions short).
//! A stall lasts as long as the longest writing transaction, which in Switchboard is a
//! short store transaction (and `idle_in_transaction_session_timeout` bounds a forgotten one).
//! Changes that are held back are reported in [`feed::Batch::held_back`], and the follower pulls
//! again shortly instead of waiting for the next notification: the transaction that held them
//! back may roll back, or write nothing synced, and so never notify.
//!
//! # Who remembers the position
//!
//! The caller: [`follower::ApplyChanges::apply`] writes the batch and its `next_after` cursor to
//! the cache in one local transaction. A crash between the two is impossible, so a restarted
//! follower continues from the last applied batch and applies nothing twice.

pub mod cache;
pub mod desktop;
pub mod feed;
pub mod follower;
pub mod lease;
pub mod outbox;
pub mod router;
pub mod telegram;
pub mod upload;

/// What can go wrong while following the feed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the shared database could not be read: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("the changes could not be applied to the local cache: {0}")]
    Apply(follower::ApplyError),
    /// Refused for a reason a person can act on, in words.
    #[error("{0}")]
    Refused(String),
    #[error("the local cache could not be written: {0}")]
    Cache(sqlx::Error),
    #[error("the shared database holds data Switchboard cannot read: {0}")]
    Corrupt(String),
}
