//! A shared database as a contact centre has it: migrated, a channel, queues, operators who log in
//! with roles of their own, and customers whose chats wait. For the router and race tests.
#![allow(dead_code)]

pub mod mirror;
pub mod netcut;

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection};

pub const PASSWORD: &str = "correct horse battery";

#[derive(Clone)]
pub struct SharedDb {
    pub server: PgConnectOptions,
    pub name: String,
    /// The schema owner (the harness's superuser): the router's and the fixtures' connection.
    pub owner: PgPool,
}

impl SharedDb {
    /// A fresh database on the harness's cluster, migrated, with a Telegram channel feeding
    /// queue `q` (rule `rule`).
    pub async fn create(rule: &str) -> SharedDb {
        let Ok(url) = std::env::var("SWITCHBOARD_TEST_PG_URL") else {
            panic!(
                "SWITCHBOARD_TEST_PG_URL is not set: run the tests with `cargo xtask test`, which starts a throwaway Postgres"
            );
        };
        let server = PgConnectOptions::from_str(&url).expect("a Postgres URL");
        let name = format!("t_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        let cluster = PgPool::connect_with(server.clone()).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&cluster)
            .await
            .unwrap();
        cluster.close().await;
        let db = SharedDb::open(server, name).await;
        switchboard_engine::postgres::connect_and_migrate(&db.url())
            .await
            .unwrap()
            .close()
            .await;
        for sql in [
            format!("INSERT INTO queues (id, name, rule) VALUES ('q', 'Support', '{rule}')"),
            "INSERT INTO channels (id, provider, name, queue_id, api_base, external_id, created_at)
             VALUES ('tg', 'telegram', 'Bot', 'q', 'http://127.0.0.1:1', '1', 0)"
                .into(),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&db.owner)
                .await
                .unwrap();
        }
        db
    }

    /// The database another process created (its name passed on).
    pub async fn open(server: PgConnectOptions, name: String) -> SharedDb {
        let owner = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(server.clone().database(&name))
            .await
            .unwrap();
        SharedDb {
            server,
            name,
            owner,
        }
    }

    pub fn url(&self) -> String {
        let url = std::env::var("SWITCHBOARD_TEST_PG_URL").unwrap();
        format!("{}/{}", url.rsplit_once('/').unwrap().0, self.name)
    }

    /// A login role name of this database's (roles are cluster-wide).
    pub fn role_of(&self, user: &str) -> String {
        format!("{}_{user}", self.name)
    }

    /// An operator of queue `q` with a login role of their own. Returns the user id.
    pub async fn operator(&self, name: &str) -> String {
        let user_id = format!("u-{name}");
        sqlx::query("INSERT INTO users (id, name, created_at) VALUES ($1, $2, 0)")
            .bind(&user_id)
            .bind(name)
            .execute(&self.owner)
            .await
            .unwrap();
        sqlx::query("INSERT INTO queue_operators (queue_id, user_id) VALUES ('q', $1)")
            .bind(&user_id)
            .execute(&self.owner)
            .await
            .unwrap();
        sqlx::query("SELECT sb_create_operator_role($1, $2, $3, false)")
            .bind(self.role_of(name))
            .bind(PASSWORD)
            .bind(&user_id)
            .execute(&self.owner)
            .await
            .unwrap();
        user_id
    }

    /// A desktop's connection, logged in as that operator.
    pub async fn desktop_of(&self, name: &str) -> PgConnection {
        let options = self
            .server
            .clone()
            .database(&self.name)
            .username(&self.role_of(name))
            .password(PASSWORD);
        PgConnection::connect_with(&options).await.unwrap()
    }

    pub async fn set(&self, key: &str, value: &str) {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.owner)
        .await
        .unwrap();
    }

    /// A new customer writes: contact, queued chat and their message, as the poller stores them.
    pub async fn customer_writes(&self, customer: &str, at: i64) -> String {
        let chat = format!("chat-{customer}");
        let mut tx = self.owner.begin().await.unwrap();
        sqlx::query(
            "INSERT INTO contacts (id, channel_id, provider_user_id, name, created_at)
             VALUES ($1, 'tg', $1, $1, $2)",
        )
        .bind(customer)
        .bind(at)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id,
                                created_at, last_activity_at, last_message_at)
             VALUES ($1, 'tg', $2, 'q', 'queued', $2, $3, $3, $3)",
        )
        .bind(&chat)
        .bind(customer)
        .bind(at)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at, provider_key)
             VALUES ($1, $2, 'tg', 'inbound', 'Hello', $3, $4, $1)",
        )
        .bind(format!("m-{customer}"))
        .bind(&chat)
        .bind(customer)
        .bind(at)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        chat
    }

    /// Who holds an offer of the chat, by user id.
    pub async fn offers_of(&self, chat: &str) -> Vec<String> {
        sqlx::query_scalar("SELECT user_id FROM chat_offers WHERE chat_id = $1 ORDER BY user_id")
            .bind(chat)
            .fetch_all(&self.owner)
            .await
            .unwrap()
    }

    pub async fn state_of(&self, chat: &str) -> (String, Option<String>) {
        sqlx::query_as("SELECT state, operator_id FROM chats WHERE id = $1")
            .bind(chat)
            .fetch_one(&self.owner)
            .await
            .unwrap()
    }

    pub async fn decisions(&self, kind: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM routing_decisions WHERE kind = $1")
            .bind(kind)
            .fetch_one(&self.owner)
            .await
            .unwrap()
    }

    pub async fn status_of(&self, user: &str) -> String {
        sqlx::query_scalar("SELECT status FROM users WHERE id = $1")
            .bind(user)
            .fetch_one(&self.owner)
            .await
            .unwrap()
    }
}
