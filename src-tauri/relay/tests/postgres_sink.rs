//! The relay's Postgres sink on the throwaway cluster
//! (SWITCHBOARD_TEST_PG_URL, provided by `cargo xtask test`).

mod common;

use std::time::Duration;

use common::{body, fresh_postgres, message, start};
use sqlx::Row;
use switchboard_relay::{GroupCommit, NOTIFY_CHANNEL, PostgresSink};

async fn rows(sink: &PostgresSink) -> Vec<(String, String, String, String)> {
    sqlx::query("SELECT page_id, channel, kind, event_json FROM messenger_inbox ORDER BY id")
        .fetch_all(sink.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

#[tokio::test]
async fn the_postgres_sink_creates_its_table_and_stores_each_event_once() {
    let url = fresh_postgres().await;
    let sink = PostgresSink::connect(&url).await.unwrap();
    // A second relay on the same database finds the schema up to date.
    PostgresSink::connect(&url).await.unwrap().close().await;
    let relay = start(sink.clone()).await;

    let unknown = r#"{"sender":{"id":"U1"},"timestamp":6,"something_new":{"x":"caf\u00e9"}}"#;
    let first = body(
        "messaging",
        &[&message("m_1", "hi"), &message("m_1", "hi"), unknown],
    );
    let standby = body("standby", &[&message("m_2", "bot talk")]);
    for posted in [&first, &standby, &first, &standby] {
        assert_eq!(relay.post_signed(posted).await.0, 200);
    }
    let stored = rows(&sink).await;
    let summary: Vec<_> = stored
        .iter()
        .map(|(page, channel, kind, _)| (page.as_str(), channel.as_str(), kind.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("P1", "messaging", "message"),
            ("P1", "messaging", "unknown"),
            ("P1", "standby", "message"),
        ]
    );
    assert_eq!(stored[1].3, unknown, "the raw JSON, escapes included");
    sink.close().await;
}

#[tokio::test]
async fn a_forged_post_leaves_the_postgres_table_empty() {
    let url = fresh_postgres().await;
    let sink = PostgresSink::connect(&url).await.unwrap();
    let relay = start(sink.clone()).await;
    let body = body("messaging", &[&message("m_1", "hi")]);
    let forged = switchboard_relay::signature::sign(b"guess", body.as_bytes());
    assert_eq!(relay.post(&body, Some(&forged)).await.0, 403);
    assert!(rows(&sink).await.is_empty());
    sink.close().await;
}

#[tokio::test]
async fn new_events_are_announced_with_notify() {
    let url = fresh_postgres().await;
    let sink = PostgresSink::connect(&url).await.unwrap();
    let mut listener = sqlx::postgres::PgListener::connect(&url).await.unwrap();
    listener.listen(NOTIFY_CHANNEL).await.unwrap();
    let relay = start(sink.clone()).await;
    assert_eq!(
        relay
            .post_signed(&body("messaging", &[&message("m_1", "hi")]))
            .await
            .0,
        200
    );
    let note = tokio::time::timeout(Duration::from_secs(5), listener.recv())
        .await
        .expect("a NOTIFY after the commit")
        .unwrap();
    assert_eq!(note.channel(), NOTIFY_CHANNEL);
    assert_eq!(note.payload(), "", "a wake-up, not a carrier");
    sink.close().await;
}

#[tokio::test]
async fn concurrent_posts_through_a_group_commit_are_stored_once() {
    let url = fresh_postgres().await;
    let sink = PostgresSink::connect(&url).await.unwrap();
    let relay = std::sync::Arc::new(
        start(GroupCommit::new(
            sink.clone(),
            Duration::from_millis(2),
            500,
        ))
        .await,
    );
    let mut posts = tokio::task::JoinSet::new();
    for i in 0..60 {
        let relay = relay.clone();
        let body = body("messaging", &[&message(&format!("m_{}", i % 20), "hi")]);
        posts.spawn(async move { relay.post_signed(&body).await.0 });
    }
    while let Some(status) = posts.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    assert_eq!(rows(&sink).await.len(), 20);
    sink.close().await;
}
