//! A desktop's SQLite cache as a mirror of Postgres: every changed row of a batch is read from
//! Postgres as it is now and written into the engine's own tables (same schema), or deleted when
//! Postgres no longer has it, together with the batch's cursor, in one local transaction.
//!
//! Reading the row's *current* state (not the state at the time of the change) keeps this simple
//! and convergent: a row changed again later is written again by a later batch, so after the last
//! batch every row equals Postgres's. A row may reference one the cache does not have yet (its
//! insert is in a later batch): the mirror's connection has foreign keys off — Postgres, the source
//! of truth, enforces them; the cache only mirrors.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::postgres::PgPool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Row, Sqlite};
use tokio::sync::Mutex;

use crate::SyncError;
use crate::feed::{Batch, Cursor};
use crate::follower::{ApplyChanges, ApplyFuture};

/// The tables the change feed covers (migrations 0006 and 0013) and their keys, in key order (a
/// composite key's `row_id` is its parts joined with '/').
pub const SYNCED_TABLES: &[(&str, &[&str])] = &[
    ("settings", &["key"]),
    ("chat_actions", &["id"]),
    ("users", &["id"]),
    ("roles", &["id"]),
    ("user_roles", &["user_id", "role_id"]),
    ("queues", &["id"]),
    ("queue_operators", &["queue_id", "user_id"]),
    ("queue_roles", &["queue_id", "role_id"]),
    ("channels", &["id"]),
    ("contacts", &["id"]),
    ("chats", &["id"]),
    ("chat_offers", &["chat_id", "user_id"]),
    ("messages", &["id"]),
    ("attachments", &["id"]),
];

struct Table {
    keys: &'static [&'static str],
    /// The cache's columns (Postgres may have more, e.g. `users.db_role`, which stay there).
    columns: Vec<String>,
    /// Which of them hold bytes (`BLOB`, e.g. `attachments.content`): Postgres's JSON has them
    /// as `\x…` hex text, written here as the bytes themselves.
    blobs: Vec<bool>,
    /// `INSERT INTO t (columns) ` — the VALUES follow, then `upsert_tail`.
    upsert_head: String,
    /// ` ON CONFLICT (keys) DO UPDATE SET …`
    upsert_tail: String,
    /// `INSERT OR REPLACE INTO t (rowid, columns) `: the fallback when a stale row is in the way.
    replace_head: String,
    /// `(SELECT rowid FROM t WHERE key = ? …)`: the row's rowid when the cache has it.
    rowid_of: String,
    /// The key columns' positions in `columns`.
    key_at: Vec<usize>,
    /// `t."column", …` for each cache column: a Postgres row's values in the cache's order.
    pg_columns: String,
    /// `r.j -> 'column', …`: the same through the row's JSON, for a Postgres that lacks a column.
    pg_values: String,
    /// Set once Postgres said it lacks one of the cache's columns (42703).
    pg_lacks_a_column: AtomicBool,
    delete: String,
}

/// The engine's SQLite file following Postgres.
pub struct CacheMirror {
    pg: PgPool,
    sqlite: Mutex<SqliteConnection>,
    tables: BTreeMap<&'static str, Table>,
}

impl CacheMirror {
    /// Opens the cache file (created and migrated by the engine, e.g. with
    /// `switchboard_engine::store::open_schema`) on a connection of the mirror's own.
    pub async fn open(path: &Path, pg: PgPool) -> Result<Self, SyncError> {
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(SyncError::Cache)?
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(false)
            .busy_timeout(std::time::Duration::from_secs(5));
        let mut sqlite = SqliteConnection::connect_with(&options)
            .await
            .map_err(SyncError::Cache)?;
        let mut tables = BTreeMap::new();
        for (name, keys) in SYNCED_TABLES {
            let described: Vec<(String, String)> =
                sqlx::query_as("SELECT name, type FROM pragma_table_info(?) ORDER BY cid")
                    .bind(name)
                    .fetch_all(&mut sqlite)
                    .await
                    .map_err(SyncError::Cache)?;
            let (columns, types): (Vec<String>, Vec<String>) = described.into_iter().unzip();
            if columns.is_empty() {
                return Err(SyncError::Corrupt(format!(
                    "the cache has no table {name}: open it with the engine's schema first"
                )));
            }
            let blobs = types
                .iter()
                .map(|t| t.eq_ignore_ascii_case("BLOB"))
                .collect();
            tables.insert(*name, Table::new(name, keys, columns, blobs));
        }
        Ok(Self {
            pg,
            sqlite: Mutex::new(sqlite),
            tables,
        })
    }

    /// The last change the cache has ([`Cursor::START`] for an empty cache).
    pub async fn position(&self) -> Result<Cursor, SyncError> {
        let mut sqlite = self.sqlite.lock().await;
        let row = sqlx::query("SELECT txid, position FROM sync_position WHERE id = 1")
            .fetch_optional(&mut *sqlite)
            .await
            .map_err(SyncError::Cache)?;
        Ok(match row {
            Some(row) => Cursor {
                txid: row.try_get("txid").map_err(SyncError::Cache)?,
                position: row.try_get("position").map_err(SyncError::Cache)?,
            },
            None => Cursor::START,
        })
    }

    /// Applies a batch; returns the chats it touched (their rows, messages or offers), for the
    /// panel to refresh exactly those, and whether it touched anything else (operators, queues,
    /// settings…), after which the panel refreshes everything it shows.
    pub async fn apply_and_report(
        &self,
        batch: &Batch,
    ) -> Result<(BTreeSet<String>, bool), SyncError> {
        // The rows the batch touched, per table, each once, in the order the feed has them: rows
        // inserted together keep their order here (the panel lists messages of one second in
        // the order they were stored).
        let mut touched: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut seen: BTreeSet<(&str, &str)> = BTreeSet::new();
        for change in &batch.changes {
            let (table, id) = (change.table.as_str(), change.row_id.as_str());
            if self.tables.contains_key(table) && seen.insert((table, id)) {
                touched.entry(table).or_default().push(id);
            }
        }
        let mut current = Vec::new();
        for (name, ids) in &touched {
            let rows = self.read_rows(name, ids).await?;
            current.push((*name, ids, rows));
        }
        let mut chats = BTreeSet::new();
        let others = touched.keys().any(|t| {
            !matches!(
                *t,
                "chats" | "chat_offers" | "messages" | "attachments" | "contacts"
            )
        });
        for (name, ids, rows) in &current {
            for id in ids.iter() {
                let chat = match *name {
                    "chats" => Some(id.to_string()),
                    "chat_offers" => id.split('/').next().map(str::to_owned),
                    "messages" => rows
                        .get(*id)
                        .zip(self.tables[name].column("chat_id"))
                        .and_then(|(row, at)| row[at].as_str())
                        .map(str::to_owned),
                    _ => None,
                };
                chats.extend(chat);
            }
        }
        let mut sqlite = self.sqlite.lock().await;
        let mut tx = sqlite
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(SyncError::Cache)?;
        for (name, ids, rows) in &current {
            let table = &self.tables[name];
            table
                .write(&mut tx, ids.iter().filter_map(|id| rows.get(*id)))
                .await?;
            for id in ids.iter().filter(|id| !rows.contains_key(**id)) {
                table.remove(&mut tx, id).await?;
            }
        }
        sqlx::query(
            "INSERT INTO sync_position (id, txid, position) VALUES (1, ?, ?)
             ON CONFLICT (id) DO UPDATE SET txid = excluded.txid, position = excluded.position",
        )
        .bind(batch.next_after.txid)
        .bind(batch.next_after.position)
        .execute(&mut *tx)
        .await
        .map_err(SyncError::Cache)?;
        tx.commit().await.map_err(SyncError::Cache)?;
        Ok((chats, others))
    }

    /// The rows of `table` with these keys as Postgres has them now, keyed like `row_id`.
    async fn read_rows(
        &self,
        name: &str,
        ids: &[&str],
    ) -> Result<BTreeMap<String, Vec<serde_json::Value>>, SyncError> {
        let table = &self.tables[name];
        let row_key = table
            .keys
            .iter()
            .map(|k| format!("t.{k}"))
            .collect::<Vec<_>>()
            .join(" || '/' || ");
        // Matching on the key columns themselves, so Postgres uses the primary key's index. The
        // table and column names come from SYNCED_TABLES, never from input; every key is TEXT.
        let filter = match table.keys {
            [only] => format!("t.{only} = ANY($1)"),
            keys => format!(
                "({}) IN (SELECT {} FROM unnest($1::TEXT[]) AS k)",
                keys.iter()
                    .map(|k| format!("t.{k}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                (1..=keys.len())
                    .map(|i| format!("split_part(k, '/', {i})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        // Each row as a JSON array of the cache's columns, in the cache's order: no column names
        // repeated in every row (a cold sync reads 100,000 rows, through TLS). The columns by
        // name; should Postgres lack one of them (a schema the cache is ahead of), through the
        // row's JSON instead, where a missing column reads as null.
        let wanted: Vec<&str> = ids.to_vec();
        let select = |values: &str, from: &str| {
            format!(
                "SELECT {row_key} AS row_key, json_build_array({values})::TEXT AS row_json
                 FROM {from} WHERE {filter}"
            )
        };
        let mut rows = None;
        if !table.pg_lacks_a_column.load(Ordering::Relaxed) {
            let direct = select(&table.pg_columns, &format!("{name} AS t"));
            match sqlx::query(sqlx::AssertSqlSafe(direct))
                .bind(&wanted)
                .fetch_all(&self.pg)
                .await
            {
                Ok(found) => rows = Some(found),
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42703") => {
                    table.pg_lacks_a_column.store(true, Ordering::Relaxed);
                }
                Err(e) => return Err(e.into()),
            }
        }
        let rows = match rows {
            Some(rows) => rows,
            None => {
                let through_json = select(
                    &table.pg_values,
                    &format!("{name} AS t CROSS JOIN LATERAL (SELECT to_jsonb(t) AS j) AS r"),
                );
                sqlx::query(sqlx::AssertSqlSafe(through_json))
                    .bind(&wanted)
                    .fetch_all(&self.pg)
                    .await?
            }
        };
        let mut found = BTreeMap::new();
        for row in rows {
            let json: String = row.try_get("row_json")?;
            let values: Vec<serde_json::Value> = serde_json::from_str(&json)
                .map_err(|e| SyncError::Corrupt(format!("a {name} row: {e}")))?;
            if values.len() != table.columns.len() {
                return Err(SyncError::Corrupt(format!(
                    "a {name} row has the wrong width"
                )));
            }
            found.insert(row.try_get("row_key")?, values);
        }
        Ok(found)
    }
}

impl Table {
    fn new(
        name: &str,
        keys: &'static [&'static str],
        columns: Vec<String>,
        blobs: Vec<bool>,
    ) -> Self {
        let quoted = columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let updates = columns
            .iter()
            .filter(|c| !keys.contains(&c.as_str()))
            .map(|c| format!("\"{c}\" = excluded.\"{c}\""))
            .collect::<Vec<_>>();
        let on_conflict = if updates.is_empty() {
            "DO NOTHING".to_owned()
        } else {
            format!("DO UPDATE SET {}", updates.join(", "))
        };
        let upsert_head = format!("INSERT INTO {name} ({quoted}) ");
        let upsert_tail = format!(" ON CONFLICT ({}) {on_conflict}", keys.join(", "));
        let replace_head = format!("INSERT OR REPLACE INTO {name} (rowid, {quoted}) ");
        let rowid_of = format!(
            "(SELECT rowid FROM {name} WHERE {})",
            keys.iter()
                .map(|k| format!("\"{k}\" = ?"))
                .collect::<Vec<_>>()
                .join(" AND ")
        );
        let delete = format!(
            "DELETE FROM {name} WHERE {}",
            keys.iter()
                .map(|k| format!("{k} = ?"))
                .collect::<Vec<_>>()
                .join(" AND ")
        );
        let key_at = keys
            .iter()
            .map(|k| columns.iter().position(|c| c == k).unwrap_or(0))
            .collect();
        let pg_values = columns
            .iter()
            .map(|c| format!("r.j -> '{}'", c.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(", ");
        let pg_columns = columns
            .iter()
            .map(|c| format!("t.\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        Self {
            keys,
            columns,
            blobs,
            key_at,
            pg_columns,
            pg_values,
            pg_lacks_a_column: AtomicBool::new(false),
            upsert_head,
            upsert_tail,
            replace_head,
            rowid_of,
            delete,
        }
    }

    /// Writes the rows whole, many per statement (a cold sync writes tens of thousands).
    ///
    /// An upsert on the key first: it keeps each row's rowid, and the panel lists a chat's
    /// messages in rowid order. Postgres's other unique rules (a queue's name, one open chat per
    /// customer) hold for its current rows, but the feed may bring a row before the change that
    /// made room for it (two queues swapping names; a customer's new chat whose transaction took
    /// its place in the feed before the one that completed the old chat). The upsert fails on the
    /// stale row (only that statement is undone), and would fail again on every retry of the
    /// batch; so that chunk is written with REPLACE, which removes the stale row. Its own change
    /// is later in the feed (it changed after this cache last read it) and writes it back as it
    /// is now. REPLACE keeps the rowid of a row it rewrites by its key; the mirror's connection
    /// has no foreign keys or triggers to fire on the removal.
    async fn write<'r>(
        &self,
        conn: &mut SqliteConnection,
        rows: impl Iterator<Item = &'r Vec<serde_json::Value>>,
    ) -> Result<(), SyncError> {
        let rows: Vec<_> = rows.collect();
        // SQLite allows 32,766 bound values per statement.
        let per_statement = (32_000 / (self.columns.len() + self.keys.len())).max(1);
        for chunk in rows.chunks(per_statement) {
            let mut upsert = QueryBuilder::<Sqlite>::new(&self.upsert_head);
            upsert.push_values(chunk, |mut values, row| self.push_row(&mut values, row));
            upsert.push(&self.upsert_tail);
            match upsert.build().execute(&mut *conn).await {
                Ok(_) => continue,
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {}
                Err(e) => return Err(SyncError::Cache(e)),
            }
            let mut replace = QueryBuilder::<Sqlite>::new(&self.replace_head);
            replace.push_values(chunk, |mut values, row| {
                let mut parts = self.rowid_of.split('?');
                values.push(parts.next().unwrap_or_default());
                for (&at, part) in self.key_at.iter().zip(parts) {
                    values.push_bind_unseparated(match &row[at] {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                    values.push_unseparated(part);
                }
                self.push_row(&mut values, row);
            });
            replace
                .build()
                .execute(&mut *conn)
                .await
                .map_err(SyncError::Cache)?;
        }
        Ok(())
    }

    /// Where `column` is in a row.
    fn column(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == column)
    }

    /// One row's values, in the cache's column order, as SQLite stores them.
    fn push_row(
        &self,
        values: &mut sqlx::query_builder::Separated<'_, Sqlite, &'static str>,
        row: &[serde_json::Value],
    ) {
        for (value, &blob) in row.iter().zip(&self.blobs) {
            match value {
                serde_json::Value::Null => {
                    values.push_bind(None::<String>);
                }
                serde_json::Value::String(s) if blob => {
                    values.push_bind(postgres_bytes(s));
                }
                serde_json::Value::Bool(b) => {
                    values.push_bind(i64::from(*b));
                }
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => {
                        values.push_bind(i);
                    }
                    None => {
                        values.push_bind(n.as_f64());
                    }
                },
                serde_json::Value::String(s) => {
                    values.push_bind(s.clone());
                }
                other => {
                    values.push_bind(other.to_string());
                }
            }
        }
    }

    async fn remove(&self, conn: &mut SqliteConnection, row_id: &str) -> Result<(), SyncError> {
        let parts: Vec<&str> = if self.keys.len() == 1 {
            vec![row_id]
        } else {
            row_id.splitn(self.keys.len(), '/').collect()
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(self.delete.as_str()));
        for part in parts {
            query = query.bind(part.to_owned());
        }
        query.execute(conn).await.map_err(SyncError::Cache)?;
        Ok(())
    }
}

/// Bytes as `to_jsonb` writes a `bytea`: `\x` and two hex digits per byte. Anything else is kept
/// as its text (a column that is not `bytea` in Postgres).
fn postgres_bytes(text: &str) -> Vec<u8> {
    let decoded = text.strip_prefix("\\x").and_then(|hex| {
        if hex.len() % 2 != 0 {
            return None;
        }
        (0..hex.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()
    });
    decoded.unwrap_or_else(|| text.as_bytes().to_vec())
}

impl ApplyChanges for CacheMirror {
    fn apply<'a>(&'a self, batch: &'a Batch) -> ApplyFuture<'a> {
        Box::pin(async move {
            self.apply_and_report(batch)
                .await
                .map(drop)
                .map_err(Into::into)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::postgres_bytes;

    #[test]
    fn bytea_arrives_as_its_bytes() {
        assert_eq!(postgres_bytes("\\x89504e47"), vec![0x89, b'P', b'N', b'G']);
        assert_eq!(postgres_bytes("\\x"), Vec::<u8>::new());
        assert_eq!(postgres_bytes("plain"), b"plain".to_vec());
        assert_eq!(postgres_bytes("\\x0"), b"\\x0".to_vec());
    }
}
