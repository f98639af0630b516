//! Shared-mode fixtures: a scratch database on the test harness's Postgres, people with their
//! own logins, and desktops started standalone, connected in Settings and restarted in shared
//! mode, as a person does it.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;

use sqlx::postgres::{PgConnectOptions, PgPool};
use switchboard_engine::clock::SystemClock;
use switchboard_engine::secrets::MemorySecrets;
use switchboard_ipc::{SharedDatabaseLogin, WorkMode};
use switchboard_runtime::{Runtime, RuntimeConfig, SeedTelegramBot};

/// Every test login's password.
pub const PASSWORD: &str = "correct horse battery";

pub struct SharedDb {
    /// The schema owner (what the relay connects as).
    pub owner: PgPool,
    /// `host:port/database`, as the Settings form takes it.
    pub address: String,
    pub name: String,
}

impl SharedDb {
    /// A new database on the harness's cluster, migrated, with nothing in it.
    pub async fn create() -> Self {
        let url = std::env::var("SWITCHBOARD_TEST_PG_URL").expect(
            "SWITCHBOARD_TEST_PG_URL is not set: run the tests with `cargo xtask test`, which starts a throwaway Postgres",
        );
        let server = PgConnectOptions::from_str(&url).unwrap();
        let name = format!(
            "t_{}",
            &switchboard_engine::domain::new_id().replace('-', "")[..16]
        );
        let cluster = PgPool::connect_with(server.clone()).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&cluster)
            .await
            .unwrap();
        cluster.close().await;
        let db_url = format!("{}/{name}", url.rsplit_once('/').unwrap().0);
        let owner = switchboard_engine::postgres::connect_and_migrate(&db_url)
            .await
            .unwrap();
        Self {
            owner,
            address: format!("{}:{}/{name}", server.get_host(), server.get_port()),
            name,
        }
    }

    /// A person (`who` capitalised is their name) with their own login, `<database>_<who>` and
    /// [`PASSWORD`], an operator of `queues`; an admin when `admin`.
    pub async fn person(&self, who: &str, user_id: &str, admin: bool, queues: &[&str]) {
        sqlx::query("INSERT INTO users (id, name, created_at) VALUES ($1, initcap($2), 0)")
            .bind(user_id)
            .bind(who)
            .execute(&self.owner)
            .await
            .unwrap();
        for queue in queues {
            sqlx::query("INSERT INTO queue_operators (queue_id, user_id) VALUES ($1, $2)")
                .bind(queue)
                .bind(user_id)
                .execute(&self.owner)
                .await
                .unwrap();
        }
        sqlx::query("SELECT sb_create_operator_role($1, $2, $3, $4)")
            .bind(self.login_name(who))
            .bind(PASSWORD)
            .bind(user_id)
            .bind(admin)
            .execute(&self.owner)
            .await
            .unwrap();
    }

    pub fn login_name(&self, who: &str) -> String {
        format!("{}_{who}", self.name)
    }

    /// What `who` types into Settings → Shared database.
    pub fn login(&self, who: &str) -> SharedDatabaseLogin {
        self.login_with(who, PASSWORD)
    }

    pub fn login_with(&self, who: &str, password: &str) -> SharedDatabaseLogin {
        SharedDatabaseLogin {
            address: self.address.clone(),
            user: self.login_name(who),
            password: password.into(),
            upload: None,
        }
    }
}

/// A runtime on `dir` talking to the sandbox at `api_base`, with `seed`'s bot on a fresh install.
pub async fn start_runtime(
    dir: &std::path::Path,
    api_base: &str,
    secrets: &MemorySecrets,
    seed: Option<SeedTelegramBot>,
) -> Arc<Runtime> {
    Runtime::start(
        RuntimeConfig {
            data_dir: dir.to_owned(),
            seed_telegram: seed,
            telegram_api_base: api_base.to_owned(),
            facebook: Default::default(),
            messenger_listen: None,
        },
        Arc::new(secrets.clone()),
        Arc::new(SystemClock),
    )
    .await
    .unwrap()
}

/// `who`'s desktop: `start` (the same data folder and keychain each time) standalone, connected
/// in Settings with `who`'s login, then started again, now in shared mode.
pub async fn into_shared_mode<F, Fut>(db: &SharedDb, who: &str, start: F) -> Arc<Runtime>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<Runtime>>,
{
    let standalone = start().await;
    let view = standalone
        .connect_shared_database(db.login(who))
        .await
        .unwrap();
    assert_eq!(view.mode, WorkMode::Standalone);
    assert!(view.restart_required);
    standalone.shutdown().await;
    drop(standalone);
    let shared = start().await;
    let view = shared.shared_database().await.unwrap();
    assert_eq!(
        (view.mode, view.restart_required),
        (WorkMode::Shared, false)
    );
    shared
}

/// The relay's router over `db` (what routes for every desktop), passing on every change, until
/// [`Router::stop`].
pub struct Router {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), switchboard_sync::SyncError>>,
}

impl Router {
    pub fn start(db: &SharedDb) -> Self {
        use switchboard_sync::router::{RouterClock, SharedRouter};
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(
            SharedRouter::new(db.owner.clone(), RouterClock::Database).run(
                std::time::Duration::from_millis(500),
                stopped,
                tokio::sync::watch::channel(0).0,
            ),
        );
        Self { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.task.await.unwrap().unwrap();
    }
}
