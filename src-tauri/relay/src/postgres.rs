//! The relay's sink in shared mode: the shared Postgres, table
//! `messenger_inbox` (the engine's migration `0003_messenger_inbox.sql`).
//! Connecting migrates the schema, so a relay started on an empty database
//! creates its tables itself.

use std::sync::Arc;

use sqlx::postgres::PgPool;
use switchboard_engine::StoreError;
use switchboard_engine::inbox::InboxEvent;
use tokio::sync::Notify;

use crate::sink::{EventSink, SinkError};

/// Channel of the `NOTIFY` sent with every commit that stored something new.
/// A wake-up only (no payload): listeners read `messenger_inbox` themselves
/// and also poll now and then, since notifications can be missed.
pub const NOTIFY_CHANNEL: &str = "messenger_inbox";

#[derive(Debug, Clone)]
pub struct PostgresSink {
    pool: PgPool,
    notify: Arc<Notify>,
}

impl PostgresSink {
    /// Connects and brings the schema up to date (the engine's Postgres
    /// migrations). Errors never repeat the URL, which may hold a password.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = switchboard_engine::postgres::connect_and_migrate(url).await?;
        Ok(Self::from_pool(pool))
    }

    /// A pool whose schema is already migrated.
    pub fn from_pool(pool: PgPool) -> Self {
        Self {
            pool,
            notify: Arc::new(Notify::new()),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Notified in this process after every commit that stored something new.
    pub fn notify(&self) -> Arc<Notify> {
        Arc::clone(&self.notify)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl EventSink for PostgresSink {
    async fn store(&self, events: Vec<InboxEvent>) -> Result<usize, SinkError> {
        Ok(self.store_groups(vec![events]).await?.into_iter().sum())
    }

    async fn store_groups(&self, groups: Vec<Vec<InboxEvent>>) -> Result<Vec<usize>, SinkError> {
        let counts = insert_groups(&self.pool, &groups)
            .await
            .map_err(|e| SinkError::from(StoreError::from(e)))?;
        if counts.iter().any(|&n| n > 0) {
            self.notify.notify_one();
        }
        Ok(counts)
    }
}

/// One transaction; one multi-row INSERT per group (arrays through UNNEST),
/// so a batch of 1000 events is one round trip.
async fn insert_groups(
    pool: &PgPool,
    groups: &[Vec<InboxEvent>],
) -> Result<Vec<usize>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut counts = Vec::with_capacity(groups.len());
    for group in groups {
        if group.is_empty() {
            counts.push(0);
            continue;
        }
        let column = |f: fn(&InboxEvent) -> &str| group.iter().map(f).collect::<Vec<_>>();
        let done = sqlx::query(
            "INSERT INTO messenger_inbox (page_id, channel, dedupe_key, kind, event_json, received_at)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
             ON CONFLICT (page_id, dedupe_key) DO NOTHING",
        )
        .bind(column(|e| &e.page_id))
        .bind(column(|e| e.channel.as_str()))
        .bind(column(|e| &e.dedupe_key))
        .bind(column(|e| e.kind.as_str()))
        .bind(column(|e| &e.event_json))
        .bind(group.iter().map(|e| e.received_at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        counts.push(usize::try_from(done.rows_affected()).unwrap_or(usize::MAX));
    }
    if counts.iter().any(|&n| n > 0) {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(NOTIFY_CHANNEL)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(counts)
}
