//! Shared mode's permission and claim layer (migration 0007) on a real Postgres: operators write
//! nothing directly, accept only what is offered to them, complete only their own chats, and racing
//! desktops never assign a chat twice nor exceed capacity. `cargo xtask test` starts a throwaway
//! cluster and passes its superuser URL in SWITCHBOARD_TEST_PG_URL; each test works in a database
//! of its own. Login roles are cluster-wide, so their names carry the database's random suffix.

use std::str::FromStr;
use std::sync::Arc;

use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::{Connection, PgConnection};
use tokio::sync::Barrier;

/// A fresh database, migrated, with one `to_all` queue and one channel.
struct Db {
    server: PgConnectOptions,
    cluster: PgPool,
    name: String,
    /// The migrated database as the superuser: fixtures and checks.
    sup: PgPool,
    roles: Vec<String>,
}

const PASSWORD: &str = "correct horse battery";

async fn fresh_db() -> Db {
    let Ok(url) = std::env::var("SWITCHBOARD_TEST_PG_URL") else {
        panic!(
            "SWITCHBOARD_TEST_PG_URL is not set: run the tests with `cargo xtask test`, which starts a throwaway Postgres (or export a superuser URL of your own)"
        );
    };
    let server =
        PgConnectOptions::from_str(&url).expect("SWITCHBOARD_TEST_PG_URL is a Postgres URL");
    let cluster = PgPool::connect_with(server.clone()).await.unwrap();
    let name = format!("t_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&cluster)
        .await
        .unwrap();
    let url_of_db = format!("{}/{name}", url.rsplit_once('/').unwrap().0);
    let sup = switchboard_engine::postgres::connect_and_migrate(&url_of_db)
        .await
        .unwrap();
    for sql in [
        "INSERT INTO queues (id, name, rule) VALUES ('q', 'All operators', 'to_all')",
        "INSERT INTO channels (id, provider, name, queue_id, api_base, external_id, created_at)
         VALUES ('tg', 'telegram', 'Bot', 'q', 'http://127.0.0.1:1', '1', 0)",
    ] {
        sqlx::query(sql).execute(&sup).await.unwrap();
    }
    Db {
        server,
        cluster,
        name,
        sup,
        roles: Vec::new(),
    }
}

impl Db {
    /// A Switchboard user with a login role of their own (made through sb_create_operator_role,
    /// as the superuser bootstraps the first admin). Returns (user id, role name).
    async fn operator(&mut self, name: &str, is_admin: bool) -> (String, String) {
        let user_id = format!("u-{name}");
        sqlx::query("INSERT INTO users (id, name, created_at) VALUES ($1, $2, 0)")
            .bind(&user_id)
            .bind(name)
            .execute(&self.sup)
            .await
            .unwrap();
        let role = format!("{}_{name}", self.name);
        sqlx::query("SELECT sb_create_operator_role($1, $2, $3, $4)")
            .bind(&role)
            .bind(PASSWORD)
            .bind(&user_id)
            .bind(is_admin)
            .execute(&self.sup)
            .await
            .unwrap();
        self.roles.push(role.clone());
        (user_id, role)
    }

    /// A desktop's connection: logged in with that operator's own role.
    async fn connect_as(&self, role: &str) -> Result<PgConnection, sqlx::Error> {
        let options = self
            .server
            .clone()
            .database(&self.name)
            .username(role)
            .password(PASSWORD);
        PgConnection::connect_with(&options).await
    }

    /// A waiting chat of a new customer, offered to `to` (state `offered`, `queued` if nobody).
    async fn chat_offered_to(&self, to: &[&str]) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let state = if to.is_empty() { "queued" } else { "offered" };
        sqlx::query(
            "INSERT INTO contacts (id, channel_id, provider_user_id, name, created_at)
             VALUES ($1, 'tg', $1, 'Customer', 0)",
        )
        .bind(&id)
        .execute(&self.sup)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id,
                                created_at, last_activity_at, last_message_at)
             VALUES ($1, 'tg', $1, 'q', $2, $1, 0, 0, 0)",
        )
        .bind(&id)
        .bind(state)
        .execute(&self.sup)
        .await
        .unwrap();
        for user in to {
            sqlx::query(
                "INSERT INTO chat_offers (chat_id, user_id, offered_at) VALUES ($1, $2, 0)",
            )
            .bind(&id)
            .bind(user)
            .execute(&self.sup)
            .await
            .unwrap();
        }
        id
    }

    async fn set_capacity(&self, n: u32) {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('SimultaneousChats', $1)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        )
        .bind(n.to_string())
        .execute(&self.sup)
        .await
        .unwrap();
    }

    async fn count(&self, sql: &str, bind: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .bind(bind)
            .fetch_one(&self.sup)
            .await
            .unwrap()
    }

    async fn chat_state(&self, chat: &str) -> (String, Option<String>) {
        sqlx::query_as("SELECT state, operator_id FROM chats WHERE id = $1")
            .bind(chat)
            .fetch_one(&self.sup)
            .await
            .unwrap()
    }

    async fn drop_all(self) {
        self.sup.close().await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {} WITH (FORCE)",
            self.name
        )))
        .execute(&self.cluster)
        .await
        .unwrap();
        for role in &self.roles {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP ROLE IF EXISTS {role}")))
                .execute(&self.cluster)
                .await
                .unwrap();
        }
    }
}

/// Runs one statement on a desktop's connection.
async fn call(conn: &mut PgConnection, sql: &str, arg: &str) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(arg)
        .execute(conn)
        .await
        .map(|_| ())
}

/// The SQLSTATE of a refusal (panics on success or a non-database error).
fn code(result: Result<(), sqlx::Error>) -> String {
    let err = result.expect_err("expected a refusal");
    err.as_database_error()
        .and_then(|e| e.code())
        .unwrap_or_else(|| panic!("not a database error: {err}"))
        .into_owned()
}

fn message(result: &Result<(), sqlx::Error>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(e) => e
            .as_database_error()
            .map(|d| d.message().to_owned())
            .unwrap_or_else(|| e.to_string()),
    }
}

const PERMISSION_DENIED: &str = "42501";

#[tokio::test]
async fn operators_cannot_write_routing_tables_directly() {
    let mut db = fresh_db().await;
    let (ann, ann_role) = db.operator("ann", false).await;
    let (_, boss_role) = db.operator("boss", true).await;
    let chat = db.chat_offered_to(&[&ann]).await;

    for role in [&ann_role, &boss_role] {
        let mut desk = db.connect_as(role).await.unwrap();
        // Reading is fine: the cache follows these tables.
        let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM chats")
            .fetch_one(&mut desk)
            .await
            .unwrap();
        assert_eq!(seen, 1);
        for sql in [
            "UPDATE chats SET state = 'active', operator_id = 'u-ann' WHERE id = $1",
            "INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id,
                                created_at, last_activity_at, last_message_at)
             SELECT $1 || 'x', channel_id, contact_id, queue_id, 'queued', 'p', 0, 0, 0
             FROM chats WHERE id = $1",
            "DELETE FROM chat_offers WHERE chat_id = $1",
            "INSERT INTO chat_offers (chat_id, user_id, offered_at) VALUES ($1, 'u-boss', 0)",
            "UPDATE users SET status = 'active', db_role = $1",
            "INSERT INTO routing_decisions (id, chat_id, decided_at, kind, candidates, reason)
             VALUES ('x', $1, 0, 'assign', '[]', 'forged')",
        ] {
            assert_eq!(
                code(call(&mut desk, sql, &chat).await),
                PERMISSION_DENIED,
                "{role} ran: {sql}"
            );
        }
    }
    assert_eq!(db.chat_state(&chat).await, ("offered".into(), None));
    db.drop_all().await;
}

#[tokio::test]
async fn an_operator_accepts_only_what_is_offered_to_them_and_completes_only_their_own() {
    let mut db = fresh_db().await;
    let (ann, ann_role) = db.operator("ann", false).await;
    let (_bob, bob_role) = db.operator("bob", false).await;
    let chat = db.chat_offered_to(&[&ann]).await;
    let mut ann_desk = db.connect_as(&ann_role).await.unwrap();
    let mut bob_desk = db.connect_as(&bob_role).await.unwrap();

    let not_offered = call(&mut bob_desk, "SELECT sb_accept_chat($1)", &chat).await;
    assert_eq!(message(&not_offered), "This chat is not offered to you.");
    assert_eq!(code(not_offered), "SB002");
    assert_eq!(
        code(call(&mut bob_desk, "SELECT sb_decline_chat($1)", &chat).await),
        "SB002"
    );

    call(&mut ann_desk, "SELECT sb_accept_chat($1)", &chat)
        .await
        .unwrap();
    assert_eq!(
        db.chat_state(&chat).await,
        ("active".into(), Some(ann.clone()))
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM messages WHERE chat_id = $1 AND kind = 'system'",
            &chat
        )
        .await,
        1,
        "the assignment leaves a system line"
    );

    let not_yours = call(&mut bob_desk, "SELECT sb_complete_chat($1)", &chat).await;
    assert_eq!(message(&not_yours), "This chat is not yours.");
    assert_eq!(code(not_yours), "SB005");
    assert_eq!(
        db.chat_state(&chat).await,
        ("active".into(), Some(ann.clone()))
    );

    call(&mut ann_desk, "SELECT sb_complete_chat($1)", &chat)
        .await
        .unwrap();
    assert_eq!(db.chat_state(&chat).await, ("completed".into(), None));
    assert_eq!(
        code(call(&mut ann_desk, "SELECT sb_complete_chat($1)", &chat).await),
        "SB007"
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM routing_decisions WHERE chat_id = $1 AND kind = 'complete' AND chosen_user_id = 'u-ann'",
            &chat
        )
        .await,
        1
    );
    db.drop_all().await;
}

#[tokio::test]
async fn status_rules_declines_and_unmapped_roles() {
    let mut db = fresh_db().await;
    let (ann, ann_role) = db.operator("ann", false).await;
    let (bob, bob_role) = db.operator("bob", false).await;
    let mut ann_desk = db.connect_as(&ann_role).await.unwrap();
    let mut bob_desk = db.connect_as(&bob_role).await.unwrap();

    assert_eq!(
        code(call(&mut ann_desk, "SELECT sb_set_status($1)", "offline").await),
        "SB008"
    );
    // Going Inactive withdraws my offers; a chat left with none waits in its queue again.
    let mine_only = db.chat_offered_to(&[&ann]).await;
    let shared = db.chat_offered_to(&[&ann, &bob]).await;
    call(&mut ann_desk, "SELECT sb_set_status($1)", "inactive")
        .await
        .unwrap();
    assert_eq!(db.chat_state(&mine_only).await, ("queued".into(), None));
    assert_eq!(db.chat_state(&shared).await, ("offered".into(), None));
    assert_eq!(
        db.count("SELECT count(*) FROM chat_offers WHERE user_id = $1", &ann)
            .await,
        0
    );
    // Inactive: no accepting, even of an offer made in the meantime.
    let late = db.chat_offered_to(&[&ann]).await;
    assert_eq!(
        code(call(&mut ann_desk, "SELECT sb_accept_chat($1)", &late).await),
        "SB006"
    );
    call(&mut ann_desk, "SELECT sb_set_status($1)", "active")
        .await
        .unwrap();
    call(&mut ann_desk, "SELECT sb_accept_chat($1)", &late)
        .await
        .unwrap();

    // Declining: my offer goes, I am excluded, the last offer gone puts the chat back in the queue.
    call(&mut bob_desk, "SELECT sb_decline_chat($1)", &shared)
        .await
        .unwrap();
    assert_eq!(db.chat_state(&shared).await, ("queued".into(), None));
    let excluded: String = sqlx::query_scalar("SELECT excluded FROM chats WHERE id = $1")
        .bind(&shared)
        .fetch_one(&db.sup)
        .await
        .unwrap();
    assert_eq!(excluded, format!("[\"{bob}\"]"));

    // A login role in the operators' group but mapped to no user changes nothing.
    let stray = format!("{}_stray", db.name);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE ROLE {stray} LOGIN PASSWORD '{PASSWORD}' IN ROLE switchboard_operator"
    )))
    .execute(&db.cluster)
    .await
    .unwrap();
    db.roles.push(stray.clone());
    let mut stray_desk = db.connect_as(&stray).await.unwrap();
    let unmapped = call(&mut stray_desk, "SELECT sb_set_status($1)", "active").await;
    assert!(message(&unmapped).contains("is not a Switchboard operator"));
    assert_eq!(code(unmapped), "SB001");
    stray_desk.close().await.unwrap();
    db.drop_all().await;
}

/// THE RACE: eight desktops, eight roles, one `to_all` chat, all accepting at once.
#[tokio::test]
async fn eight_desktops_racing_for_a_to_all_chat_assign_it_exactly_once() {
    let mut db = fresh_db().await;
    db.set_capacity(100).await;
    let mut operators = Vec::new();
    for i in 0..8 {
        operators.push(db.operator(&format!("op{i}"), false).await);
    }
    let ids: Vec<&str> = operators.iter().map(|(id, _)| id.as_str()).collect();
    let mut desks = Vec::new();
    for (_, role) in &operators {
        desks.push(db.connect_as(role).await.unwrap());
    }
    for round in 0..5 {
        let chat = db.chat_offered_to(&ids).await;
        let barrier = Arc::new(Barrier::new(desks.len()));
        let mut racers = Vec::new();
        for (i, mut desk) in desks.drain(..).enumerate() {
            let (barrier, chat) = (barrier.clone(), chat.clone());
            racers.push(tokio::spawn(async move {
                barrier.wait().await;
                let result = call(&mut desk, "SELECT sb_accept_chat($1)", &chat).await;
                (i, result, desk)
            }));
        }
        let mut winners = Vec::new();
        for racer in racers {
            let (i, result, desk) = racer.await.unwrap();
            desks.push(desk);
            match result {
                Ok(()) => winners.push(i),
                Err(_) => {
                    assert_eq!(
                        message(&result),
                        "Another operator has already accepted this chat.",
                        "round {round}, operator {i}"
                    );
                    assert_eq!(code(result), "SB003");
                }
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
        let winner = &operators[winners[0]].0;
        assert_eq!(
            db.chat_state(&chat).await,
            ("active".into(), Some(winner.clone()))
        );
        assert_eq!(
            db.count("SELECT count(*) FROM chat_offers WHERE chat_id = $1", &chat)
                .await,
            0,
            "the to_all offer vanished from every panel"
        );
        assert_eq!(
            db.count(
                "SELECT count(*) FROM routing_decisions WHERE chat_id = $1 AND kind = 'assign'",
                &chat
            )
            .await,
            1
        );
    }
    for desk in desks {
        desk.close().await.unwrap();
    }
    db.drop_all().await;
}

#[tokio::test]
async fn one_operator_racing_for_five_chats_never_exceeds_capacity() {
    let mut db = fresh_db().await;
    db.set_capacity(2).await;
    let (ann, ann_role) = db.operator("ann", false).await;
    let mut chats = Vec::new();
    for _ in 0..5 {
        chats.push(db.chat_offered_to(&[&ann]).await);
    }
    // Five connections of the same operator (several windows, retries): one per chat.
    let barrier = Arc::new(Barrier::new(chats.len()));
    let mut racers = Vec::new();
    for chat in chats.clone() {
        let mut desk = db.connect_as(&ann_role).await.unwrap();
        let barrier = barrier.clone();
        racers.push(tokio::spawn(async move {
            barrier.wait().await;
            let result = call(&mut desk, "SELECT sb_accept_chat($1)", &chat).await;
            desk.close().await.unwrap();
            result
        }));
    }
    let mut accepted = 0;
    for racer in racers {
        let result = racer.await.unwrap();
        if result.is_ok() {
            accepted += 1;
        } else {
            assert_eq!(
                message(&result),
                "You are at your limit of 2 simultaneous chats."
            );
            assert_eq!(code(result), "SB004");
        }
    }
    assert_eq!(accepted, 2);
    assert_eq!(
        db.count(
            "SELECT count(*) FROM chats WHERE operator_id = $1 AND state = 'active'",
            &ann
        )
        .await,
        2
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM routing_decisions WHERE chosen_user_id = $1 AND kind = 'assign'",
            &ann
        )
        .await,
        2,
        "the history, not just the end state, shows two assignments"
    );
    db.drop_all().await;
}

#[tokio::test]
async fn only_admins_manage_roles_and_configuration() {
    let mut db = fresh_db().await;
    let (_, ann_role) = db.operator("ann", false).await;
    let (_, boss_role) = db.operator("boss", true).await;
    sqlx::query("INSERT INTO users (id, name, created_at) VALUES ('u-cat', 'Cat', 0)")
        .execute(&db.sup)
        .await
        .unwrap();
    let cat_role = format!("{}_cat", db.name);
    db.roles.push(cat_role.clone());
    let mut ann_desk = db.connect_as(&ann_role).await.unwrap();
    let mut boss_desk = db.connect_as(&boss_role).await.unwrap();

    // An operator: no role management, no configuration.
    let create = format!("SELECT sb_create_operator_role($1, '{PASSWORD}', 'u-cat')");
    assert_eq!(
        code(call(&mut ann_desk, &create, &cat_role).await),
        PERMISSION_DENIED
    );
    assert_eq!(
        code(
            call(
                &mut ann_desk,
                "SELECT sb_disable_operator_role($1)",
                &boss_role
            )
            .await
        ),
        PERMISSION_DENIED
    );
    for sql in [
        "INSERT INTO queues (id, name, rule) VALUES ($1, 'Billing', 'freest')",
        "UPDATE settings SET value = '9' WHERE key = $1",
        "UPDATE channels SET active = FALSE WHERE id = $1",
    ] {
        assert_eq!(
            code(call(&mut ann_desk, sql, "x").await),
            PERMISSION_DENIED,
            "{sql}"
        );
    }

    // An admin: configuration directly (the change feed's trigger records it), roles by function.
    call(
        &mut boss_desk,
        "INSERT INTO queues (id, name, rule) VALUES ($1, 'Billing', 'freest')",
        "billing",
    )
    .await
    .unwrap();
    call(
        &mut boss_desk,
        "INSERT INTO settings (key, value) VALUES ('SimultaneousChats', $1)",
        "3",
    )
    .await
    .unwrap();
    // …but never who is an admin, nor whose role is whose, nor the routing state.
    for sql in [
        "UPDATE users SET can_manage_chats = TRUE WHERE id = $1",
        "UPDATE users SET db_role = 'x' WHERE id = $1",
    ] {
        assert_eq!(
            code(call(&mut boss_desk, sql, "u-ann").await),
            PERMISSION_DENIED,
            "{sql}"
        );
    }
    call(&mut boss_desk, &create, &cat_role).await.unwrap();
    let mut cat_desk = db.connect_as(&cat_role).await.unwrap();
    call(&mut cat_desk, "SELECT sb_set_status($1)", "active")
        .await
        .unwrap();
    // Only Switchboard's operator roles can be disabled, never a superuser.
    assert_eq!(
        code(
            call(
                &mut boss_desk,
                "SELECT sb_disable_operator_role($1)",
                "postgres"
            )
            .await
        ),
        "SB008"
    );
    call(
        &mut boss_desk,
        "SELECT sb_disable_operator_role($1)",
        &cat_role,
    )
    .await
    .unwrap();
    assert!(
        db.connect_as(&cat_role).await.is_err(),
        "a disabled role cannot log in"
    );
    // Its session still open changes nothing either.
    let disabled = call(&mut cat_desk, "SELECT sb_set_status($1)", "active").await;
    assert!(message(&disabled).contains("is disabled"));
    assert_eq!(code(disabled), "SB001");
    for desk in [ann_desk, boss_desk, cat_desk] {
        desk.close().await.unwrap();
    }
    db.drop_all().await;
}
