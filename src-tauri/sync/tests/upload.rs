//! A standalone desktop's SQLite file uploaded to the shared database by its admin
//! (`switchboard_sync::upload`, Postgres function `sb_import_rows`): every row arrives with the
//! person at the desk mapped to the admin's shared user, types converted, what the shared database
//! already had reused; a second run adds nothing, a run that failed halfway is finished by the
//! next, and a login that is not an admin's is refused in words before anything is written.

mod shared_db;

use std::path::Path;

use serde_json::{Value, json};
use shared_db::{PASSWORD, SharedDb};
use sqlx::{Connection, PgConnection, Row, SqlitePool};
use switchboard_sync::SyncError;
use switchboard_sync::upload::{self, StandaloneCounts};

/// Messages in the long completed chat: more than two pages of a batch.
const HISTORY: usize = 2_500;

/// The admin's login and shared user.
async fn admin(db: &SharedDb) -> String {
    sqlx::query("INSERT INTO users (id, name, created_at) VALUES ('u-admin', 'Ada', 0)")
        .execute(&db.owner)
        .await
        .unwrap();
    sqlx::query("SELECT sb_create_operator_role($1, $2, 'u-admin', true)")
        .bind(db.role_of("admin"))
        .bind(PASSWORD)
        .execute(&db.owner)
        .await
        .unwrap();
    "u-admin".into()
}

async fn login(db: &SharedDb, who: &str) -> PgConnection {
    db.desktop_of(who).await
}

/// A standalone desktop as the engine makes it (workspace, the local user "Me", the default
/// queue, the preset action, default settings), then used for a while.
async fn standalone(path: &Path) -> (SqlitePool, String) {
    let store = switchboard_engine::store::Store::open(path, 1_000)
        .await
        .unwrap();
    let me = store.local_user().id.clone();
    store.close().await;
    let file = switchboard_engine::store::open_schema(path).await.unwrap();
    let all: String = sqlx::query_scalar("SELECT id FROM queues WHERE name = 'All operators'")
        .fetch_one(&file)
        .await
        .unwrap();
    let candidates = json!([{"operator_id": me, "active_chats": 0, "last_assigned_at": null}]);
    let statements: Vec<(String, Vec<String>)> = vec![
        (
            "INSERT INTO queues (id, name, rule, completion_timeout_min)
             VALUES ('q-billing', 'Billing', 'freest', 30), ('q-support', 'Support', 'to_all', NULL)"
                .into(),
            vec![],
        ),
        (
            "INSERT INTO roles (id, name) VALUES ('r-seniors', 'Seniors')".into(),
            vec![],
        ),
        (
            "INSERT INTO user_roles (user_id, role_id) VALUES (?, 'r-seniors')".into(),
            vec![me.clone()],
        ),
        (
            "INSERT INTO users (id, name, status, created_at) VALUES ('u-olaf', 'Olaf', 'active', 5)"
                .into(),
            vec![],
        ),
        (
            "INSERT INTO queue_operators (queue_id, user_id) VALUES ('q-billing', 'u-olaf')".into(),
            vec![],
        ),
        (
            "INSERT INTO queue_roles (queue_id, role_id) VALUES ('q-billing', 'r-seniors')".into(),
            vec![],
        ),
        (
            "INSERT INTO channels (id, provider, name, active, queue_id, api_base, external_id,
                                   created_at, human_agent)
             VALUES ('ch-tg', 'telegram', 'Shop bot', 1, ?, 'http://sandbox', '777', 10, 0),
                    ('ch-fb', 'messenger', 'Shop page', 0, 'q-support', 'http://graph', 'p-1',
                     11, 1)"
                .into(),
            vec![all.clone()],
        ),
        (
            "INSERT INTO telegram_cursors (channel_id, next_offset) VALUES ('ch-tg', 12345)".into(),
            vec![],
        ),
        (
            "INSERT INTO contacts (id, channel_id, provider_user_id, name, username, created_at,
                                   picture, picture_type)
             VALUES ('ct-1', 'ch-tg', '501', 'Carol', NULL, 20, x'0102ff', 'image/png'),
                    ('ct-2', 'ch-tg', '502', 'Dan', 'dan', 21, NULL, NULL),
                    ('ct-3', 'ch-fb', '503', 'Eve', NULL, 22, NULL, NULL)"
                .into(),
            vec![],
        ),
        // Carol's chat is the local user's; Dan's long one is over; Eve's is offered to them and
        // was declined by them once (`excluded`).
        (
            "INSERT INTO chats (id, channel_id, contact_id, queue_id, state, operator_id,
                                provider_chat_id, created_at, last_activity_at, completed_at,
                                arrival, offered_at, last_message_at, last_message_outbound,
                                excluded)
             VALUES ('chat-1', 'ch-tg', 'ct-1', ?1, 'active', ?2, '501', 30, 31, NULL, 1, NULL,
                     31, 1, '[]'),
                    ('chat-2', 'ch-tg', 'ct-2', ?1, 'completed', NULL, '502', 32, 33, 34, 2,
                     NULL, 33, 0, '[]'),
                    ('chat-3', 'ch-fb', 'ct-3', 'q-support', 'offered', NULL, '503', 35, 35,
                     NULL, 3, 35, 35, 0, json_array(?2))"
                .into(),
            vec![all.clone(), me.clone()],
        ),
        (
            "INSERT INTO chat_offers (chat_id, user_id, offered_at) VALUES ('chat-3', ?, 35)".into(),
            vec![me.clone()],
        ),
        (
            "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, author_user_id,
                                   created_at, provider_key, delivery, is_read)
             VALUES ('m-in', 'chat-1', 'ch-tg', 'inbound', 'Where is my order?', 'Carol', NULL,
                     30, '501/1', NULL, 0),
                    ('m-out', 'chat-1', 'ch-tg', 'outbound', 'On its way.', 'Me', ?1, 31,
                     '501/2', 'sent', 1),
                    ('m-note', 'chat-1', 'ch-tg', 'note', 'VIP', 'Me', ?1, 31, NULL, NULL, 1)"
                .into(),
            vec![me.clone()],
        ),
        (
            "INSERT INTO attachments (id, message_id, channel_id, kind, file_name, mime_type, size,
                                      provider_file_id, state, content, created_at)
             VALUES ('a-1', 'm-in', 'ch-tg', 'photo', 'parcel.jpg', 'image/jpeg', 3, 'f-1',
                     'stored', x'ffd8ff', 30)"
                .into(),
            vec![],
        ),
        (
            "INSERT INTO routing_decisions (id, chat_id, decided_at, kind, rule, candidates,
                                            chosen_user_id, reason, tie_break)
             VALUES ('rd-1', 'chat-1', 30, 'assign', 'to_all', ?1, ?2, 'Accepted by Me.', NULL)"
                .into(),
            vec![candidates.to_string(), me.clone()],
        ),
    ];
    for (sql, binds) in statements {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for bind in binds {
            query = query.bind(bind);
        }
        query.execute(&file).await.unwrap();
    }
    // Dan's long history, in one transaction.
    let mut tx = file.begin().await.unwrap();
    for i in 0..HISTORY {
        sqlx::query(
            "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at,
                                   provider_key)
             VALUES (?, 'chat-2', 'ch-tg', 'inbound', ?, 'Dan', ?, ?)",
        )
        .bind(format!("m-dan-{i:05}"))
        .bind(format!("message {i}"))
        .bind(40 + i as i64)
        .bind(format!("502/{i}"))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    (file, me)
}

async fn count(db: &SharedDb, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(&db.owner)
        .await
        .unwrap()
}

/// Rows per table of the shared database (what an upload may have added to).
async fn census(db: &SharedDb) -> Vec<(String, i64)> {
    let mut all = Vec::new();
    for table in [
        "settings",
        "users",
        "roles",
        "user_roles",
        "queues",
        "queue_operators",
        "queue_roles",
        "chat_actions",
        "channels",
        "telegram_cursors",
        "contacts",
        "chats",
        "chat_offers",
        "messages",
        "attachments",
        "routing_decisions",
    ] {
        all.push((table.to_owned(), count(db, table).await));
    }
    all
}

async fn row(db: &SharedDb, table: &str, id: &str) -> Value {
    let text: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT to_jsonb(t)::TEXT FROM {table} AS t WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(&db.owner)
    .await
    .unwrap_or_else(|e| panic!("{table} {id}: {e}"));
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_uploads_a_standalone_desktop_once_and_a_retry_finishes_a_broken_upload() {
    let db = SharedDb::create("to_all").await;
    let admin = admin(&db).await;
    // The shared workspace already has its own capacity setting; it is kept.
    db.set("SimultaneousChats", "5").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.sqlite");
    let (file, me) = standalone(&path).await;

    assert_eq!(
        upload::count(&path).await.unwrap(),
        StandaloneCounts {
            channels: 2,
            queues: 3,
            operators: 1,
            roles: 1,
            chats: 3,
            messages: 3 + HISTORY as u64,
        }
    );

    // A first attempt breaks off in the middle of Dan's history (the database refuses one of
    // his messages): what came before stays, nothing is half-written.
    sqlx::query(
        "ALTER TABLE messages ADD CONSTRAINT upload_breaks CHECK (text <> 'message 1500') NOT VALID",
    )
    .execute(&db.owner)
    .await
    .unwrap();
    let mut pg = login(&db, "admin").await;
    let broken = upload::upload(&path, &mut pg).await.unwrap_err();
    assert!(matches!(broken, SyncError::Postgres(_)), "{broken}");
    let halfway = count(&db, "messages").await;
    assert!(
        halfway >= 1_000 && halfway < (3 + HISTORY) as i64,
        "{halfway} messages after the broken attempt"
    );
    assert_eq!(count(&db, "chats").await, 3);
    sqlx::query("ALTER TABLE messages DROP CONSTRAINT upload_breaks")
        .execute(&db.owner)
        .await
        .unwrap();

    // The retry finishes the job.
    let report = upload::upload(&path, &mut pg).await.unwrap();
    assert_eq!(
        report.added("messages"),
        (3 + HISTORY) as u64 - halfway as u64
    );
    assert_eq!(report.added("chats"), 0);
    assert_eq!(report.kept_settings, vec!["SimultaneousChats".to_owned()]);
    assert_eq!(
        report.channels,
        vec![
            ("ch-fb".to_owned(), "ch-fb".to_owned()),
            ("ch-tg".to_owned(), "ch-tg".to_owned())
        ]
    );
    // Every row is there, the person at the desk is the admin everywhere.
    assert_eq!(count(&db, "messages").await, (3 + HISTORY) as i64);
    let missing_me: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM users WHERE id = $1)
              + (SELECT count(*) FROM chats WHERE operator_id = $1 OR excluded LIKE '%' || $1 || '%')
              + (SELECT count(*) FROM chat_offers WHERE user_id = $1)
              + (SELECT count(*) FROM queue_operators WHERE user_id = $1)
              + (SELECT count(*) FROM user_roles WHERE user_id = $1)
              + (SELECT count(*) FROM messages WHERE author_user_id = $1)
              + (SELECT count(*) FROM routing_decisions
                 WHERE chosen_user_id = $1 OR candidates::TEXT LIKE '%' || $1 || '%')",
    )
    .bind(&me)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(missing_me, 0, "the local user is never copied");

    let chat = row(&db, "chats", "chat-1").await;
    assert_eq!(chat["state"], "active");
    assert_eq!(chat["operator_id"], admin.as_str());
    assert_eq!(chat["last_message_outbound"], true);
    assert_eq!(chat["completed_at"], Value::Null);
    let offered = row(&db, "chats", "chat-3").await;
    assert_eq!(offered["excluded"], json!([admin]).to_string());
    assert_eq!(
        offered["queue_id"], "q",
        "Support is the shared database's own queue"
    );
    assert_eq!(
        sqlx::query_scalar::<_, String>("SELECT user_id FROM chat_offers WHERE chat_id = 'chat-3'")
            .fetch_one(&db.owner)
            .await
            .unwrap(),
        admin
    );
    let done = row(&db, "chats", "chat-2").await;
    assert_eq!(done["completed_at"], 34);
    assert_eq!(done["last_message_outbound"], false);

    let inbound = row(&db, "messages", "m-in").await;
    assert_eq!(inbound["is_read"], false);
    assert_eq!(inbound["author_user_id"], Value::Null);
    assert_eq!(inbound["delivery"], Value::Null);
    let outbound = row(&db, "messages", "m-out").await;
    assert_eq!(outbound["author_user_id"], admin.as_str());
    assert_eq!(outbound["delivery"], "sent");
    assert_eq!(outbound["is_read"], true);

    let telegram = row(&db, "channels", "ch-tg").await;
    assert_eq!(
        (&telegram["active"], &telegram["human_agent"]),
        (&json!(true), &json!(false))
    );
    let page = row(&db, "channels", "ch-fb").await;
    assert_eq!(
        (&page["active"], &page["human_agent"], &page["queue_id"]),
        (&json!(false), &json!(true), &json!("q"))
    );
    let offset: i64 =
        sqlx::query_scalar("SELECT next_offset FROM telegram_cursors WHERE channel_id = 'ch-tg'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(offset, 12345);

    let carol = sqlx::query("SELECT username, picture FROM contacts WHERE id = 'ct-1'")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(carol.get::<Option<String>, _>("username"), None);
    assert_eq!(
        carol.get::<Option<Vec<u8>>, _>("picture"),
        Some(vec![1, 2, 255])
    );
    let photo: Vec<u8> = sqlx::query_scalar("SELECT content FROM attachments WHERE id = 'a-1'")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(photo, vec![0xff, 0xd8, 0xff]);

    let billing = row(&db, "queues", "q-billing").await;
    assert_eq!(
        (&billing["rule"], &billing["completion_timeout_min"]),
        (&json!("freest"), &json!(30))
    );
    let all_operators: Option<i64> = sqlx::query_scalar(
        "SELECT completion_timeout_min::BIGINT FROM queues WHERE name = 'All operators'",
    )
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(all_operators, None);
    assert_eq!(
        count(&db, "queues").await,
        3,
        "Support, All operators, Billing"
    );
    assert!(
        sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT FROM queue_operators qo JOIN queues q ON q.id = qo.queue_id
                            WHERE q.name = 'All operators' AND qo.user_id = $1)
                AND EXISTS (SELECT FROM user_roles WHERE user_id = $1 AND role_id = 'r-seniors')
                AND EXISTS (SELECT FROM queue_operators WHERE queue_id = 'q-billing'
                            AND user_id = 'u-olaf')
                AND EXISTS (SELECT FROM queue_roles WHERE queue_id = 'q-billing'
                            AND role_id = 'r-seniors')
                AND EXISTS (SELECT FROM chat_actions a JOIN queues q ON q.id = a.queue_id
                            WHERE a.name = 'Create case' AND q.name = 'All operators')"
        )
        .bind(&admin)
        .fetch_one(&db.owner)
        .await
        .unwrap(),
        "memberships, roles and the preset action arrived, the admin in place of the local user"
    );
    // Olaf has no login yet: he is a person of the workspace, Offline, not an admin.
    let olaf = row(&db, "users", "u-olaf").await;
    assert_eq!(
        (
            &olaf["status"],
            &olaf["can_manage_chats"],
            &olaf["is_local"],
            &olaf["db_role"]
        ),
        (
            &json!("offline"),
            &json!(false),
            &json!(false),
            &Value::Null
        )
    );

    let decision = row(&db, "routing_decisions", "rd-1").await;
    assert_eq!(decision["chosen_user_id"], admin.as_str());
    assert_eq!(
        decision["candidates"],
        json!([{"operator_id": admin, "active_chats": 0, "last_assigned_at": null}]),
        "JSON text became JSONB"
    );
    assert_eq!(decision["tie_break"], Value::Null);

    let settings: Vec<(String, String)> =
        sqlx::query_as("SELECT key, value FROM settings ORDER BY key")
            .fetch_all(&db.owner)
            .await
            .unwrap();
    assert_eq!(
        settings,
        vec![
            ("OperatorAcceptChatTimeout".to_owned(), "5".to_owned()),
            ("SimultaneousChats".to_owned(), "5".to_owned()),
        ]
    );

    // The uploaded rows are in the change feed: every desktop's cache gets them.
    let fed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM change_log WHERE table_name = 'messages' AND row_id = 'm-out'",
    )
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(fed, 1);

    // A third run adds nothing.
    let before = census(&db).await;
    let again = upload::upload(&path, &mut pg).await.unwrap();
    assert!(again.added.is_empty(), "{:?}", again.added);
    assert!(
        again.sentence().starts_with(
            "Nothing new to upload: the shared database already had this desktop's data."
        ),
        "{}",
        again.sentence()
    );
    assert_eq!(census(&db).await, before);
    // Nothing was taken from the standalone file.
    let local_messages: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(&file)
        .await
        .unwrap();
    assert_eq!(local_messages, (3 + HISTORY) as i64);
    file.close().await;
    pg.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_counts_what_a_clean_upload_added_and_names_the_settings_kept() {
    let db = SharedDb::create("to_all").await;
    admin(&db).await;
    db.set("SimultaneousChats", "5").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.sqlite");
    let (file, _) = standalone(&path).await;
    let mut pg = login(&db, "admin").await;
    let report = upload::upload(&path, &mut pg).await.unwrap();
    assert_eq!(report.kept_settings, vec!["SimultaneousChats".to_owned()]);
    assert_eq!(
        report.sentence(),
        "Uploaded 2 channels, 2 queues, 1 operator, 1 role, 3 chats and 2,503 messages. The \
         shared database's own value of the setting SimultaneousChats was kept."
    );
    assert_eq!(report.added("contacts"), 3);
    assert_eq!(report.added("routing_decisions"), 1);
    assert_eq!(report.added("telegram_cursors"), 1);
    file.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_who_is_not_an_admin_is_refused_in_words_and_nothing_is_written() {
    let db = SharedDb::create("to_all").await;
    db.operator("olga").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.sqlite");
    let (file, _) = standalone(&path).await;
    let before = census(&db).await;

    let mut pg = login(&db, "olga").await;
    let refused = upload::upload(&path, &mut pg).await.unwrap_err();
    let SyncError::Refused(words) = refused else {
        panic!("not refused in words: {refused}");
    };
    assert!(words.starts_with("Only an admin can upload"), "{words}");

    // The database itself refuses her, whatever her desktop does.
    let direct = sqlx::query_scalar::<_, i64>("SELECT sb_import_rows('queues', $1::JSONB)")
        .bind(json!([{"id": "q-x", "name": "Mine", "rule": "to_all"}]).to_string())
        .fetch_one(&mut pg)
        .await
        .unwrap_err();
    let sqlx::Error::Database(direct) = direct else {
        panic!("{direct}")
    };
    assert_eq!(direct.code().as_deref(), Some("42501"));
    assert_eq!(
        direct.message(),
        "Only an admin may upload a desktop's data to the shared database."
    );
    assert_eq!(census(&db).await, before, "nothing was written");
    file.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_function_never_makes_admins_nor_gives_chats_to_other_operators() {
    let db = SharedDb::create("to_all").await;
    admin(&db).await;
    let olga = db.operator("olga").await;
    let mut pg = login(&db, "admin").await;
    assert_eq!(
        refusal(
            &db,
            json!([{"id": "u-x", "name": "X", "can_manage_chats": true, "created_at": 0}]),
            "users"
        )
        .await,
        (
            "SB008".to_owned(),
            "The column users.can_manage_chats cannot be uploaded.".to_owned()
        )
    );
    assert_eq!(
        refusal(
            &db,
            json!([{"id": "w", "name": "W", "created_at": 0}]),
            "workspace"
        )
        .await,
        (
            "SB008".to_owned(),
            "Switchboard does not upload the table workspace.".to_owned()
        )
    );
    assert_eq!(
        refusal(&db, json!([{"id": "rd", "seq": 1}]), "routing_decisions")
            .await
            .1,
        "The column routing_decisions.seq cannot be uploaded."
    );
    sqlx::query(
        "INSERT INTO contacts (id, channel_id, provider_user_id, name, created_at)
         VALUES ('ct', 'tg', '9', 'Zed', 0)",
    )
    .execute(&db.owner)
    .await
    .unwrap();
    let chat = json!([{
        "id": "c", "channel_id": "tg", "contact_id": "ct", "queue_id": "q", "state": "active",
        "operator_id": olga, "provider_chat_id": "9", "created_at": 0, "last_activity_at": 0,
        "last_message_at": 0
    }]);
    assert_eq!(
        refusal(&db, chat, "chats").await,
        (
            "SB008".to_owned(),
            "An upload cannot give chats to olga, another operator with a login, nor write into \
             theirs."
                .to_owned()
        )
    );
    // Nor a message in a chat that is theirs.
    sqlx::query(
        "INSERT INTO chats (id, channel_id, contact_id, queue_id, state, operator_id,
                            provider_chat_id, created_at, last_activity_at, last_message_at)
         VALUES ('olgas', 'tg', 'ct', 'q', 'active', $1, '9', 0, 0, 0)",
    )
    .bind(&olga)
    .execute(&db.owner)
    .await
    .unwrap();
    let message = json!([{
        "id": "m-x", "chat_id": "olgas", "channel_id": "tg", "kind": "outbound",
        "text": "Hello from nowhere", "author": "Ada", "created_at": 0, "delivery": "pending"
    }]);
    assert_eq!(refusal(&db, message, "messages").await.0, "SB008");
    assert_eq!(count(&db, "messages").await, 0);
    // Within the rules, a row already there is left as it is.
    let queue = json!([{"id": "q", "name": "Renamed", "rule": "freest"}]).to_string();
    let added: i64 = sqlx::query_scalar("SELECT sb_import_rows('queues', $1::JSONB)")
        .bind(queue)
        .fetch_one(&mut pg)
        .await
        .unwrap();
    assert_eq!(added, 0);
    assert_eq!(row(&db, "queues", "q").await["name"], "Support");
}

/// What the database answers the admin's `sb_import_rows(table, rows)`: the code and the sentence.
async fn refusal(db: &SharedDb, rows: Value, table: &str) -> (String, String) {
    let mut pg = login(db, "admin").await;
    let error = sqlx::query_scalar::<_, i64>("SELECT sb_import_rows($1, $2::JSONB)")
        .bind(table)
        .bind(rows.to_string())
        .fetch_one(&mut pg)
        .await
        .unwrap_err();
    let sqlx::Error::Database(error) = error else {
        panic!("{error}")
    };
    (
        error.code().unwrap().into_owned(),
        error.message().to_owned(),
    )
}
