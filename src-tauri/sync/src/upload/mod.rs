//! A standalone desktop's data uploaded to the shared database when its admin connects it
//! (Settings → Shared database, "Upload this desktop's data").
//!
//! The standalone SQLite file and Postgres have the same tables and column names (the engine's
//! two migration folders); only the types differ (SQLite's 0/1 for Postgres's `BOOLEAN`, JSON kept
//! as `TEXT` for `JSONB`, `BLOB` for `BYTEA`). Each table is read from one consistent snapshot of the
//! file, in foreign-key order, a page of [`BATCH_ROWS`] rows at a time, every value converted by the
//! Postgres column's type (`information_schema.columns`), and sent to `sb_import_rows` (Postgres
//! migration `0017_standalone_upload.sql`), which inserts with `ON CONFLICT DO NOTHING` and says
//! how many rows were new. So an upload only ever adds: running it again adds nothing, and a
//! retry after a failure halfway finishes the job. Nothing is deleted from the file.
//!
//! Who is who: the standalone's local user (`users.is_local`) is the admin at the desk, so their id
//! becomes the id of the shared user this login is (`users.db_role = session_user`) in every
//! column that names a user (a chat's operator, offers, queue members, roles, message authors,
//! decisions, and the user lists inside `chats.excluded` and `routing_decisions.candidates`).
//! Other standalone users arrive as people without a login (status Offline), for an admin to give
//! one later. What the shared database already has under another id — a queue or role of the same
//! name, the same bot or page, its customers and their open chats, the same provider messages,
//! an identical chat action — is used instead of a copy. Settings the shared database already has
//! keep its value ([`UploadReport::kept_settings`]).
//!
//! Secrets are not here: the runtime copies the channels' tokens between keychain namespaces.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;

use serde_json::Value;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Row};

use crate::SyncError;

mod report;
mod tables;

pub use report::{StandaloneCounts, UploadReport};
use tables::{Fields, Spec, TABLES};

/// Rows per `sb_import_rows` call (the function refuses more than 5,000).
pub const BATCH_ROWS: usize = 1_000;
/// A call's rows stop growing past this much JSON (attachments carry their files).
const BATCH_BYTES: usize = 4 << 20;

async fn open_file(path: &Path) -> Result<SqliteConnection, SyncError> {
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(SyncError::Cache)?
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(std::time::Duration::from_secs(5));
    SqliteConnection::connect_with(&options)
        .await
        .map_err(SyncError::Cache)
}

/// What the standalone file at `path` holds.
pub async fn count(path: &Path) -> Result<StandaloneCounts, SyncError> {
    let mut file = open_file(path).await?;
    let row = sqlx::query(
        "SELECT (SELECT count(*) FROM channels) AS channels,
                (SELECT count(*) FROM queues) AS queues,
                (SELECT count(*) FROM users WHERE is_local = 0) AS operators,
                (SELECT count(*) FROM roles) AS roles,
                (SELECT count(*) FROM chats) AS chats,
                (SELECT count(*) FROM messages) AS messages",
    )
    .fetch_one(&mut file)
    .await
    .map_err(SyncError::Cache)?;
    let get = |name: &str| -> Result<u64, SyncError> {
        let n: i64 = row.try_get(name).map_err(SyncError::Cache)?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    let counts = StandaloneCounts {
        channels: get("channels")?,
        queues: get("queues")?,
        operators: get("operators")?,
        roles: get("roles")?,
        chats: get("chats")?,
        messages: get("messages")?,
    };
    let _ = file.close().await;
    Ok(counts)
}

/// Refusals of the database's functions (`SB…`, `42501`) carry a sentence for a person.
fn explain(error: sqlx::Error) -> SyncError {
    if let sqlx::Error::Database(db) = &error
        && db
            .code()
            .is_some_and(|code| code.starts_with("SB") || code == "42501")
    {
        return SyncError::Refused(db.message().to_owned());
    }
    SyncError::Postgres(error)
}

/// Uploads the standalone file at `path` through `pg`, a connection of the admin who connects
/// this desktop. Refuses (in words, before writing anything) a login that is not an admin's.
pub async fn upload(path: &Path, pg: &mut PgConnection) -> Result<UploadReport, SyncError> {
    let me: Option<(String, bool)> =
        sqlx::query_as("SELECT id, can_manage_chats FROM users WHERE db_role = session_user")
            .fetch_optional(&mut *pg)
            .await?;
    let admin = match me {
        Some((id, true)) => id,
        Some((_, false)) => {
            return Err(SyncError::Refused(
                "Only an admin can upload this desktop's data (its configuration and history) \
                 to the shared database: connect with an admin's login, or connect without \
                 uploading."
                    .into(),
            ));
        }
        None => {
            return Err(SyncError::Refused(
                "This database user is not a Switchboard operator: ask an admin to create your \
                 operator login in the designer."
                    .into(),
            ));
        }
    };

    let mut file = open_file(path).await?;
    // One read transaction: every table from the same snapshot of the file (WAL), while the
    // desktop may still write to it.
    let mut snapshot = file.begin().await.map_err(SyncError::Cache)?;
    let local: Option<String> =
        sqlx::query_scalar("SELECT id FROM users WHERE is_local = 1 LIMIT 1")
            .fetch_optional(&mut *snapshot)
            .await
            .map_err(SyncError::Cache)?;
    let mut upload = Upload {
        pg,
        remaps: HashMap::new(),
        report: UploadReport::default(),
        local: local.clone(),
        admin: admin.clone(),
    };
    if let Some(local) = local {
        upload.remap("users", local, admin);
    }
    for spec in TABLES {
        upload.table(&mut snapshot, spec).await?;
    }
    let channel_ids: Vec<String> = sqlx::query_scalar("SELECT id FROM channels ORDER BY id")
        .fetch_all(&mut *snapshot)
        .await
        .map_err(SyncError::Cache)?;
    snapshot.commit().await.map_err(SyncError::Cache)?;
    let _ = file.close().await;
    let mut report = upload.report;
    report.channels = channel_ids
        .into_iter()
        .map(|id| {
            let shared = upload
                .remaps
                .get("channels")
                .and_then(|m| m.get(&id))
                .cloned()
                .unwrap_or_else(|| id.clone());
            (id, shared)
        })
        .collect();
    Ok(report)
}

struct Upload<'c> {
    pg: &'c mut PgConnection,
    /// Per table: a standalone id → the shared database's id of the same thing.
    remaps: HashMap<&'static str, HashMap<String, String>>,
    report: UploadReport,
    local: Option<String>,
    admin: String,
}

/// A Postgres column: its name and `information_schema` data type.
struct Column {
    name: String,
    pg_type: String,
}

impl Upload<'_> {
    fn remap(&mut self, table: &'static str, from: String, to: String) {
        self.remaps.entry(table).or_default().insert(from, to);
    }

    fn mapped(&self, table: &str, id: &str) -> Option<&String> {
        self.remaps.get(table).and_then(|m| m.get(id))
    }

    /// The columns both databases have, with Postgres's types; never a generated one, nor who is
    /// an admin (`users.can_manage_chats` changes only through the operator-role function).
    async fn columns(
        &mut self,
        file: &mut SqliteConnection,
        table: &str,
    ) -> Result<Vec<Column>, SyncError> {
        let local: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                .bind(table)
                .fetch_all(&mut *file)
                .await
                .map_err(SyncError::Cache)?;
        let shared: Vec<(String, String)> = sqlx::query_as(
            "SELECT column_name::TEXT, data_type::TEXT FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = $1
               AND is_identity = 'NO' AND is_generated = 'NEVER'",
        )
        .bind(table)
        .fetch_all(&mut *self.pg)
        .await?;
        if shared.is_empty() {
            return Err(SyncError::Corrupt(format!(
                "the shared database has no table {table} (an older schema?)"
            )));
        }
        Ok(local
            .into_iter()
            .filter(|name| !(table == "users" && name == "can_manage_chats"))
            .filter_map(|name| {
                let (_, pg_type) = shared.iter().find(|(column, _)| *column == name)?;
                Some(Column {
                    pg_type: pg_type.clone(),
                    name,
                })
            })
            .collect())
    }

    async fn table(&mut self, file: &mut SqliteConnection, spec: &Spec) -> Result<(), SyncError> {
        let columns = self.columns(file, spec.table).await?;
        let kept = if spec.table == "settings" {
            let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM settings")
                .fetch_all(&mut *self.pg)
                .await?;
            rows.into_iter().collect::<BTreeMap<_, _>>()
        } else {
            BTreeMap::new()
        };
        // Blobs leave SQLite as hex (JSON has no bytes); NULL stays NULL.
        let selected = columns
            .iter()
            .map(|c| {
                let q = format!("\"{}\"", c.name);
                let value = if c.pg_type == "bytea" {
                    format!("CASE WHEN {q} IS NULL THEN NULL ELSE hex({q}) END")
                } else {
                    q
                };
                format!("'{}', {value}", c.name)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT rowid AS upload_rowid, json_object({selected}) AS upload_row FROM {}
             WHERE rowid > ? AND ({}) ORDER BY rowid LIMIT ?",
            spec.table, spec.filter
        );
        let mut after = i64::MIN;
        loop {
            let page = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(after)
                .bind(BATCH_ROWS as i64)
                .fetch_all(&mut *file)
                .await
                .map_err(SyncError::Cache)?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.try_get("upload_rowid").map_err(SyncError::Cache)?;
            let mut rows = Vec::with_capacity(page.len());
            for record in &page {
                let json: String = record.try_get("upload_row").map_err(SyncError::Cache)?;
                let Value::Object(raw) = serde_json::from_str(&json)
                    .map_err(|e| SyncError::Corrupt(format!("a {} row: {e}", spec.table)))?
                else {
                    return Err(SyncError::Corrupt(format!(
                        "a {} row is not an object",
                        spec.table
                    )));
                };
                rows.push(self.convert(spec, &columns, raw)?);
            }
            if spec.table == "settings" {
                for row in &rows {
                    let key = row.get("key").and_then(Value::as_str).unwrap_or_default();
                    let value = row.get("value").and_then(Value::as_str);
                    if let Some(theirs) = kept.get(key)
                        && Some(theirs.as_str()) != value
                    {
                        self.report.kept_settings.push(key.to_owned());
                    }
                }
            }
            let rows = self.already_there(spec, rows).await?;
            self.send(spec.table, rows).await?;
            if page.len() < BATCH_ROWS {
                break;
            }
        }
        Ok(())
    }

    /// A row of the file as Postgres takes it: types by the Postgres column, ids of things the
    /// shared database already had replaced by its own, the person at this desk by the admin.
    fn convert(
        &self,
        spec: &Spec,
        columns: &[Column],
        mut raw: Fields,
    ) -> Result<Fields, SyncError> {
        let mut row = Fields::new();
        for column in columns {
            let value = raw.remove(&column.name).unwrap_or(Value::Null);
            let mut value = typed(value, &column.pg_type).map_err(|why| {
                SyncError::Corrupt(format!("{}.{}: {why}", spec.table, column.name))
            })?;
            if let Some((_, parent)) = spec.refs.iter().find(|(c, _)| *c == column.name)
                && let Some(id) = value.as_str()
                && let Some(shared) = self.mapped(parent, id)
            {
                value = Value::String(shared.clone());
            }
            if spec.user_lists.contains(&column.name.as_str()) {
                value = self.map_user_list(value, &column.pg_type);
            }
            row.insert(column.name.clone(), value);
        }
        if spec.table == "users" {
            // No desktop of theirs is connected (yet).
            row.insert("status".into(), Value::String("offline".into()));
        }
        Ok(row)
    }

    /// The person at this desk → the admin, anywhere in a JSON list of users (`chats.excluded`
    /// is JSON text in both databases, `routing_decisions.candidates` JSONB in Postgres).
    fn map_user_list(&self, value: Value, pg_type: &str) -> Value {
        let Some(local) = &self.local else {
            return value;
        };
        fn walk(value: &mut Value, local: &str, admin: &str) {
            match value {
                Value::String(s) if s == local => *s = admin.to_owned(),
                Value::Array(items) => items.iter_mut().for_each(|v| walk(v, local, admin)),
                Value::Object(fields) => fields.values_mut().for_each(|v| walk(v, local, admin)),
                _ => {}
            }
        }
        match value {
            Value::String(text) if pg_type == "text" => {
                match serde_json::from_str::<Value>(&text) {
                    Ok(mut list) => {
                        walk(&mut list, local, &self.admin);
                        Value::String(list.to_string())
                    }
                    Err(_) => Value::String(text),
                }
            }
            mut other => {
                walk(&mut other, local, &self.admin);
                other
            }
        }
    }

    /// Drops the rows the shared database already has under another id (same name, same bot…),
    /// remembering that id for the rows that refer to them.
    async fn already_there(
        &mut self,
        spec: &Spec,
        rows: Vec<Fields>,
    ) -> Result<Vec<Fields>, SyncError> {
        if spec.same_as.is_empty() {
            return Ok(rows);
        }
        let probes: Vec<Value> = rows
            .iter()
            .filter(|row| (spec.same_when)(row))
            .map(|row| {
                let mut probe = Fields::new();
                probe.insert("id".into(), row.get("id").cloned().unwrap_or(Value::Null));
                for column in spec.same_as {
                    let value = match row.get(*column) {
                        Some(Value::String(s)) => Value::String(s.clone()),
                        Some(Value::Null) | None => Value::Null,
                        Some(other) => Value::String(other.to_string()),
                    };
                    probe.insert((*column).into(), value);
                }
                Value::Object(probe)
            })
            .collect();
        if probes.is_empty() {
            return Ok(rows);
        }
        let definition = std::iter::once("id TEXT".to_owned())
            .chain(spec.same_as.iter().map(|c| format!("\"{c}\" TEXT")))
            .collect::<Vec<_>>()
            .join(", ");
        let equal = spec
            .same_as
            .iter()
            .map(|c| format!("t.\"{c}\" IS NOT DISTINCT FROM r.\"{c}\""))
            .collect::<Vec<_>>()
            .join(" AND ");
        // A row whose own id is already there (an earlier run) keeps it.
        let sql = format!(
            "SELECT r.id, min(t.id) AS shared FROM jsonb_to_recordset($1::JSONB) AS r ({definition})
             JOIN public.{table} AS t ON {equal} AND t.id <> r.id AND {same_sql}
             WHERE NOT EXISTS (SELECT FROM public.{table} AS s WHERE s.id = r.id)
             GROUP BY r.id",
            table = spec.table,
            same_sql = spec.same_sql,
        );
        let found: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Value::Array(probes).to_string())
            .fetch_all(&mut *self.pg)
            .await?;
        if found.is_empty() {
            return Ok(rows);
        }
        let found: HashMap<String, String> = found.into_iter().collect();
        let mut kept = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.get("id").and_then(Value::as_str).unwrap_or_default();
            match found.get(id) {
                Some(shared) => {
                    let (id, shared) = (id.to_owned(), shared.clone());
                    self.remap(spec.table, id, shared);
                }
                None => kept.push(row),
            }
        }
        Ok(kept)
    }

    /// `sb_import_rows` in calls of at most [`BATCH_ROWS`] rows and about [`BATCH_BYTES`] of JSON.
    async fn send(&mut self, table: &'static str, rows: Vec<Fields>) -> Result<(), SyncError> {
        let mut batch: Vec<String> = Vec::new();
        let mut bytes = 0;
        let mut rows = rows.into_iter().peekable();
        while let Some(row) = rows.next() {
            let json = Value::Object(row).to_string();
            bytes += json.len() + 1;
            batch.push(json);
            if batch.len() >= BATCH_ROWS || bytes >= BATCH_BYTES || rows.peek().is_none() {
                let body = format!("[{}]", batch.join(","));
                let added: i64 = sqlx::query_scalar("SELECT sb_import_rows($1, $2::JSONB)")
                    .bind(table)
                    .bind(body)
                    .fetch_one(&mut *self.pg)
                    .await
                    .map_err(explain)?;
                if added > 0 {
                    *self.report.added.entry(table).or_default() +=
                        u64::try_from(added).unwrap_or(0);
                }
                batch.clear();
                bytes = 0;
            }
        }
        Ok(())
    }
}

/// A SQLite value (as `json_object` gives it) as the Postgres column type takes it.
fn typed(value: Value, pg_type: &str) -> Result<Value, String> {
    if value.is_null() {
        return Ok(value);
    }
    Ok(match pg_type {
        "boolean" => match &value {
            Value::Bool(_) => value,
            Value::Number(n) => Value::Bool(n.as_f64().is_some_and(|n| n != 0.0)),
            Value::String(s) => match s.as_str() {
                "1" | "true" | "t" => Value::Bool(true),
                "0" | "false" | "f" => Value::Bool(false),
                _ => return Err(format!("{s:?} is not a yes/no value")),
            },
            other => return Err(format!("{other} is not a yes/no value")),
        },
        "jsonb" | "json" => match value {
            Value::String(text) => {
                serde_json::from_str(&text).map_err(|e| format!("not JSON ({e})"))?
            }
            other => other,
        },
        "bytea" => match value {
            Value::String(hex) => Value::String(format!("\\x{hex}")),
            other => return Err(format!("{other} is not a file's bytes")),
        },
        "bigint" | "integer" | "smallint" => match value {
            Value::Number(_) => value,
            Value::Bool(b) => Value::from(i64::from(b)),
            Value::String(s) => Value::from(
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| format!("{s:?} is not a whole number"))?,
            ),
            other => return Err(format!("{other} is not a whole number")),
        },
        "text" | "character varying" => match value {
            Value::String(_) => value,
            Value::Number(n) => Value::String(n.to_string()),
            other => Value::String(other.to_string()),
        },
        _ => value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_take_the_postgres_column_types() {
        assert_eq!(typed(Value::from(1), "boolean"), Ok(Value::Bool(true)));
        assert_eq!(typed(Value::from(0), "boolean"), Ok(Value::Bool(false)));
        assert_eq!(typed(Value::Null, "boolean"), Ok(Value::Null));
        assert_eq!(
            typed(Value::from("[\"a\"]"), "jsonb"),
            Ok(serde_json::json!(["a"]))
        );
        assert_eq!(
            typed(Value::from("0A0B"), "bytea"),
            Ok(Value::from("\\x0A0B"))
        );
        assert_eq!(typed(Value::from("2"), "bigint"), Ok(Value::from(2)));
        assert_eq!(typed(Value::from(2), "text"), Ok(Value::from("2")));
        assert!(typed(Value::from("maybe"), "boolean").is_err());
    }
}
