//! Comparing a desktop's cache with Postgres, row by row.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sqlx::SqlitePool;
use switchboard_sync::cache::SYNCED_TABLES;

use super::SharedDb;

/// Every synced table, as Postgres has it and as the cache has it, keyed by row, with the cache's
/// columns only (booleans as SQLite stores them).
pub async fn assert_mirrored(db: &SharedDb, cache: &SqlitePool) {
    for (table, keys) in SYNCED_TABLES {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                .bind(table)
                .fetch_all(cache)
                .await
                .unwrap();
        let key_of = |row: &serde_json::Map<String, Value>| {
            keys.iter()
                .map(|k| row[*k].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join("/")
        };
        let mut in_postgres = BTreeMap::new();
        let sql = format!("SELECT to_jsonb(t)::TEXT FROM {table} AS t");
        for text in sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
            .fetch_all(&db.owner)
            .await
            .unwrap()
        {
            let Value::Object(row) = serde_json::from_str(&text).unwrap() else {
                panic!("not an object")
            };
            let projected: serde_json::Map<String, Value> = columns
                .iter()
                .map(|c| {
                    let v = match &row[c] {
                        Value::Bool(b) => json!(i64::from(*b)),
                        other => other.clone(),
                    };
                    (c.clone(), v)
                })
                .collect();
            in_postgres.insert(key_of(&row), Value::Object(projected));
        }
        let object = columns
            .iter()
            .map(|c| format!("'{c}', \"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT json_object({object}) FROM {table}");
        let mut in_cache = BTreeMap::new();
        for text in sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
            .fetch_all(cache)
            .await
            .unwrap()
        {
            let Value::Object(row) = serde_json::from_str(&text).unwrap() else {
                panic!("not an object")
            };
            in_cache.insert(key_of(&row), Value::Object(row));
        }
        assert_eq!(in_cache, in_postgres, "table {table} differs");
    }
}
