//! The desktop cache the cold sync fills: the synced tables' content in SQLite.

use super::*;

#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Text,
    Int8,
    Int4,
    Bool,
}

#[derive(Clone)]
pub(crate) enum Val {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
}

pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [(&'static str, Kind)],
}

pub(crate) const CONTACTS: Table = Table {
    name: "contacts",
    columns: &[
        ("id", Kind::Text),
        ("channel_id", Kind::Text),
        ("provider_user_id", Kind::Text),
        ("name", Kind::Text),
        ("username", Kind::Text),
        ("created_at", Kind::Int8),
    ],
};

pub(crate) const CHATS: Table = Table {
    name: "chats",
    columns: &[
        ("id", Kind::Text),
        ("channel_id", Kind::Text),
        ("contact_id", Kind::Text),
        ("queue_id", Kind::Text),
        ("state", Kind::Text),
        ("operator_id", Kind::Text),
        ("provider_chat_id", Kind::Text),
        ("created_at", Kind::Int8),
        ("last_activity_at", Kind::Int8),
        ("completed_at", Kind::Int8),
        ("arrival", Kind::Int8),
        ("offered_at", Kind::Int8),
        ("last_message_at", Kind::Int8),
        ("last_message_outbound", Kind::Bool),
        ("excluded", Kind::Text),
    ],
};

pub(crate) const MESSAGES: Table = Table {
    name: "messages",
    columns: &[
        ("id", Kind::Text),
        ("chat_id", Kind::Text),
        ("channel_id", Kind::Text),
        ("kind", Kind::Text),
        ("text", Kind::Text),
        ("author", Kind::Text),
        ("author_user_id", Kind::Text),
        ("created_at", Kind::Int8),
        ("provider_key", Kind::Text),
        ("delivery", Kind::Text),
        ("failure_reason", Kind::Text),
        ("attempts", Kind::Int4),
        ("parts_sent", Kind::Int4),
        ("next_attempt_at", Kind::Int8),
        ("is_read", Kind::Bool),
    ],
};

pub(crate) const TABLES: [&Table; 3] = [&CONTACTS, &CHATS, &MESSAGES];

impl Table {
    pub(crate) fn column_list(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|(c, _)| *c).collect();
        names.join(", ")
    }

    pub(crate) fn decode(&self, row: &PgRow) -> Vec<Val> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| match kind {
                Kind::Text => Val::Text(row.get(i)),
                Kind::Int8 => Val::Int(row.get(i)),
                Kind::Int4 => Val::Int(row.get::<Option<i32>, _>(i).map(i64::from)),
                Kind::Bool => Val::Bool(row.get(i)),
            })
            .collect()
    }

    pub(crate) fn sqlite_ddl(&self) -> String {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|(name, kind)| {
                let ty = match kind {
                    Kind::Text => "TEXT",
                    Kind::Int8 | Kind::Int4 | Kind::Bool => "INTEGER",
                };
                if *name == "id" {
                    format!("{name} TEXT PRIMARY KEY NOT NULL")
                } else {
                    format!("{name} {ty}")
                }
            })
            .collect();
        format!("CREATE TABLE {} ({})", self.name, columns.join(", "))
    }

    /// Multi-row upserts: `rows_per_statement` rows per `INSERT` (0: as many as SQLite's
    /// variable limit allows).
    pub(crate) async fn upsert(
        &self,
        tx: &mut sqlx::SqliteConnection,
        rows: &[Vec<Val>],
        rows_per_statement: usize,
    ) -> Result<(), sqlx::Error> {
        let most = 30_000 / self.columns.len();
        let per_statement = match rows_per_statement {
            0 => most,
            n => n.min(most),
        };
        let updates: Vec<String> = self
            .columns
            .iter()
            .skip(1)
            .map(|(c, _)| format!("{c} = excluded.{c}"))
            .collect();
        for chunk in rows.chunks(per_statement) {
            let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
                "INSERT INTO {} ({}) ",
                self.name,
                self.column_list()
            ));
            query.push_values(chunk, |mut b, row| {
                for value in row {
                    match value {
                        Val::Text(v) => b.push_bind(v.clone()),
                        Val::Int(v) => b.push_bind(*v),
                        Val::Bool(v) => b.push_bind(*v),
                    };
                }
            });
            query.push(format!(
                " ON CONFLICT (id) DO UPDATE SET {}",
                updates.join(", ")
            ));
            query.build().execute(&mut *tx).await?;
        }
        Ok(())
    }
}

/// A fresh SQLite cache file with the synced tables and the feed position.
pub(crate) async fn open_cache(path: &std::path::Path) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let db = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    for table in TABLES {
        sqlx::query(sqlx::AssertSqlSafe(table.sqlite_ddl()))
            .execute(&db)
            .await
            .unwrap();
    }
    for sql in [
        "CREATE INDEX messages_by_chat ON messages (chat_id, created_at)",
        "CREATE TABLE sync_position (id INTEGER PRIMARY KEY CHECK (id = 1), txid INTEGER NOT NULL, position INTEGER NOT NULL)",
        "INSERT INTO sync_position (id, txid, position) VALUES (1, 0, 0)",
    ] {
        sqlx::query(sql).execute(&db).await.unwrap();
    }
    db
}

/// What a desktop cache does with a batch: fetch the changed rows by id from Postgres, then
/// upsert them (and delete the ones gone) with the cursor in one local transaction.
pub(crate) struct Cache {
    pub(crate) pg: PgPool,
    pub(crate) sqlite: SqlitePool,
    /// When each message id was applied (the lag measurement), if recording.
    pub(crate) applied: Option<Arc<Mutex<HashMap<String, Instant>>>>,
    /// Rows per `INSERT` (0: as many as fit; 1: a statement per row).
    pub(crate) rows_per_statement: usize,
}

impl Cache {
    /// The rows of `ids` that exist, and the ids that are gone.
    pub(crate) async fn fetch(
        &self,
        table: &Table,
        ids: Vec<String>,
    ) -> Result<Fetched, sqlx::Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM {} WHERE id = ANY($1)",
            table.column_list(),
            table.name
        )))
        .bind(&ids)
        .fetch_all(&self.pg)
        .await?;
        let rows: Vec<Vec<Val>> = rows.iter().map(|r| table.decode(r)).collect();
        let found: BTreeSet<&str> = rows
            .iter()
            .filter_map(|r| match &r[0] {
                Val::Text(Some(id)) => Some(id.as_str()),
                _ => None,
            })
            .collect();
        let gone = ids
            .iter()
            .filter(|id| !found.contains(id.as_str()))
            .cloned()
            .collect();
        Ok((rows, gone))
    }

    pub(crate) async fn apply_batch(&self, batch: &Batch) -> Result<(), sqlx::Error> {
        let mut ids: [BTreeSet<&str>; 3] = Default::default();
        for change in &batch.changes {
            if let Some(i) = TABLES.iter().position(|t| t.name == change.table) {
                ids[i].insert(&change.row_id);
            }
        }
        let ids = ids.map(|set| set.into_iter().map(str::to_owned).collect::<Vec<_>>());
        let [contacts, chats, messages] = ids;
        let (contacts, chats, messages) = tokio::try_join!(
            self.fetch(&CONTACTS, contacts),
            self.fetch(&CHATS, chats),
            self.fetch(&MESSAGES, messages),
        )?;
        let mut tx = self.sqlite.begin().await?;
        for (table, (rows, gone)) in TABLES.iter().zip([&contacts, &chats, &messages]) {
            table.upsert(&mut tx, rows, self.rows_per_statement).await?;
            for id in gone {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {} WHERE id = ?",
                    table.name
                )))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query("UPDATE sync_position SET txid = ?, position = ? WHERE id = 1")
            .bind(batch.next_after.txid)
            .bind(batch.next_after.position)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if let Some(applied) = &self.applied {
            let now = Instant::now();
            let mut applied = applied.lock().unwrap();
            for row in &messages.0 {
                if let Val::Text(Some(id)) = &row[0] {
                    applied.entry(id.clone()).or_insert(now);
                }
            }
        }
        Ok(())
    }
}

/// Rows found, ids gone.
pub(crate) type Fetched = (Vec<Vec<Val>>, Vec<String>);

impl ApplyChanges for Cache {
    fn apply<'a>(&'a self, batch: &'a Batch) -> ApplyFuture<'a> {
        Box::pin(async move { self.apply_batch(batch).await.map_err(Into::into) })
    }
}
