//! The Messenger inbox in SQLite (standalone mode): webhook events stored
//! before Meta hears 200, read back by the processor, marked done.
//!
//! A redelivered event has the same `(page_id, dedupe_key)`, and the unique
//! index `messenger_inbox_once` turns it into a no-op, so an event is stored
//! once however often Meta retries.

use sqlx::Row;

use super::Store;
use crate::error::StoreError;
use crate::inbox::{InboxChannel, InboxEvent, InboxEventKind, InboxOutcome, StoredInboxEvent};

impl Store {
    /// Stores a batch of webhook events in one transaction and returns how
    /// many were new (the rest had been stored before).
    pub async fn store_inbox_events(&self, events: &[InboxEvent]) -> Result<usize, StoreError> {
        let counts = self
            .store_inbox_event_groups(std::slice::from_ref(&events))
            .await?;
        Ok(counts.into_iter().sum())
    }

    /// Stores several batches (e.g. the POSTs gathered by a group commit) in
    /// one transaction; returns, per batch, how many of its events were new.
    ///
    /// The commit is synced to disk (`synchronous = FULL` for it, the store's
    /// default being NORMAL): Meta does not redeliver an event it got a 200
    /// for, so an acknowledged event must survive a power cut too.
    pub async fn store_inbox_event_groups<G: AsRef<[InboxEvent]>>(
        &self,
        groups: &[G],
    ) -> Result<Vec<usize>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await?;
        let stored = Self::insert_inbox_groups(&mut conn, groups).await;
        // Back to the store's setting whatever happened (the connection is pooled).
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *conn)
            .await?;
        stored
    }

    async fn insert_inbox_groups<G: AsRef<[InboxEvent]>>(
        conn: &mut sqlx::SqliteConnection,
        groups: &[G],
    ) -> Result<Vec<usize>, StoreError> {
        let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
        let mut counts = Vec::with_capacity(groups.len());
        for group in groups {
            let mut new = 0;
            for event in group.as_ref() {
                let done = sqlx::query(
                    "INSERT INTO messenger_inbox
                         (page_id, channel, dedupe_key, kind, event_json, received_at)
                     VALUES (?, ?, ?, ?, ?, ?)
                     ON CONFLICT (page_id, dedupe_key) DO NOTHING",
                )
                .bind(&event.page_id)
                .bind(event.channel.as_str())
                .bind(&event.dedupe_key)
                .bind(event.kind.as_str())
                .bind(&event.event_json)
                .bind(event.received_at)
                .execute(&mut *tx)
                .await?;
                new += usize::try_from(done.rows_affected()).unwrap_or(0);
            }
            counts.push(new);
        }
        tx.commit().await?;
        Ok(counts)
    }

    /// The oldest events not yet processed, in arrival order. Events of a
    /// page whose channel is switched off wait (kept, not routed) until an
    /// admin switches it on.
    pub async fn pending_inbox_events(
        &self,
        limit: u32,
    ) -> Result<Vec<StoredInboxEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, page_id, channel, kind, event_json, received_at
             FROM messenger_inbox
             WHERE state = 'pending'
               AND page_id NOT IN (SELECT external_id FROM channels
                                   WHERE provider = 'messenger' AND active = 0)
             ORDER BY id LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredInboxEvent {
                    id: row.try_get("id")?,
                    page_id: row.try_get("page_id")?,
                    channel: InboxChannel::parse(row.try_get("channel")?)?,
                    kind: InboxEventKind::parse(row.try_get("kind")?)?,
                    event_json: row.try_get("event_json")?,
                    received_at: row.try_get("received_at")?,
                })
            })
            .collect()
    }

    /// Records how the processor finished with an event; it is no longer
    /// pending. Marking it again overwrites the outcome.
    pub async fn mark_inbox_event_done(
        &self,
        id: i64,
        outcome: InboxOutcome,
    ) -> Result<(), StoreError> {
        let (state, reason) = match outcome {
            InboxOutcome::Processed => ("processed", None),
            InboxOutcome::Ignored { reason } => ("ignored", Some(reason)),
        };
        let mut tx = self.write_tx().await?;
        let done =
            sqlx::query("UPDATE messenger_inbox SET state = ?, ignored_reason = ? WHERE id = ?")
                .bind(state)
                .bind(reason)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "inbox event",
                id: id.to_string(),
            });
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(key: &str, kind: InboxEventKind) -> InboxEvent {
        InboxEvent {
            page_id: "page-1".into(),
            channel: InboxChannel::Messaging,
            dedupe_key: key.into(),
            kind,
            event_json: format!(r#"{{"key":"{key}","text":"caf\u00e9"}}"#),
            received_at: 1_000,
        }
    }

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite"), 0).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn redelivered_events_are_stored_once() {
        let (_dir, store) = store().await;
        let first = [
            event("mid:a", InboxEventKind::Message),
            event("mid:a", InboxEventKind::Message),
        ];
        assert_eq!(store.store_inbox_events(&first).await.unwrap(), 1);
        let again = [
            event("mid:a", InboxEventKind::Message),
            event("mid:b", InboxEventKind::Echo),
        ];
        assert_eq!(store.store_inbox_events(&again).await.unwrap(), 1);
        let pending = store.pending_inbox_events(10).await.unwrap();
        let kinds: Vec<_> = pending.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [InboxEventKind::Message, InboxEventKind::Echo]);
        assert_eq!(
            pending[0].event_json, first[0].event_json,
            "stored byte for byte"
        );
    }

    #[tokio::test]
    async fn the_same_key_on_another_page_is_another_event() {
        let (_dir, store) = store().await;
        let mut other = event("read:1:5", InboxEventKind::Read);
        other.page_id = "page-2".into();
        other.channel = InboxChannel::Standby;
        let events = [event("read:1:5", InboxEventKind::Read), other];
        assert_eq!(store.store_inbox_events(&events).await.unwrap(), 2);
        let pending = store.pending_inbox_events(10).await.unwrap();
        assert_eq!(pending[1].channel, InboxChannel::Standby);
    }

    #[tokio::test]
    async fn groups_count_their_own_new_events() {
        let (_dir, store) = store().await;
        let groups = vec![
            vec![event("mid:a", InboxEventKind::Message)],
            vec![
                event("mid:a", InboxEventKind::Message),
                event("mid:c", InboxEventKind::Message),
            ],
        ];
        assert_eq!(
            store.store_inbox_event_groups(&groups).await.unwrap(),
            [1, 1]
        );
    }

    #[tokio::test]
    async fn done_events_leave_the_pending_list_with_their_outcome() {
        let (_dir, store) = store().await;
        let events = [
            event("mid:a", InboxEventKind::Message),
            event("sha256:x", InboxEventKind::Unknown),
            event("mid:c", InboxEventKind::Message),
        ];
        store.store_inbox_events(&events).await.unwrap();
        let pending = store.pending_inbox_events(2).await.unwrap();
        assert_eq!(pending.len(), 2, "the limit holds");
        store
            .mark_inbox_event_done(pending[0].id, InboxOutcome::Processed)
            .await
            .unwrap();
        let reason = "unknown event type".to_string();
        store
            .mark_inbox_event_done(
                pending[1].id,
                InboxOutcome::Ignored {
                    reason: reason.clone(),
                },
            )
            .await
            .unwrap();
        let left = store.pending_inbox_events(10).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].event_json, events[2].event_json);
        let stored: Option<String> =
            sqlx::query_scalar("SELECT ignored_reason FROM messenger_inbox WHERE id = ?")
                .bind(pending[1].id)
                .fetch_one(&store.pool)
                .await
                .unwrap();
        assert_eq!(stored, Some(reason));
        let missing = store
            .mark_inbox_event_done(999, InboxOutcome::Processed)
            .await;
        assert!(
            matches!(missing, Err(StoreError::NotFound { .. })),
            "{missing:?}"
        );
    }
}
