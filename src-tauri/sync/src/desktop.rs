//! One desktop in shared mode, assembled: the operator's own connection, the cache following
//! Postgres, the outbox draining to it, and the shared poller of every bot whose token this
//! desktop holds. The app's runtime wraps this; tests run two of them side by side.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::SqlitePool;
use switchboard_engine::clock::Clock;
use switchboard_telegram::BotApi;
use tokio::sync::{broadcast, watch};

use crate::SyncError;
use crate::cache::CacheMirror;
use crate::feed::{Batch, Cursor};
use crate::follower::{ApplyChanges, ApplyFuture, Follower, FollowerConfig, FollowerHandle};
use crate::outbox::{Connection, Drainer, DrainerHandle, Me, Outbox};
use crate::telegram::{PollerConfig, PollerHandle, PollerState};

pub struct DesktopConfig {
    /// The desktop's SQLite cache (created with the engine's schema if missing).
    pub cache_file: PathBuf,
    /// The shared database as this operator's own role (password from the keychain).
    pub database: PgConnectOptions,
    /// Unique per process (two processes must never share a lease tenure).
    pub holder_id: String,
    /// The operator this login is ([`check_login`] tells, once, online).
    pub me: Me,
    pub follower: FollowerConfig,
    pub poller: PollerConfig,
    /// The pause between attempts to reach the database while it is unreachable.
    pub outbox_retry: Duration,
}

/// A running shared-mode desktop.
pub struct SharedDesktop {
    pub me: Me,
    pub outbox: Arc<Outbox>,
    /// What the panel reads (the cache, through the engine's schema).
    pub panel: SqlitePool,
    /// Counts batches applied to the cache.
    pub applied: watch::Receiver<u64>,
    /// The last change the cache has.
    position: watch::Receiver<Cursor>,
    /// The chats each applied batch touched (empty: anything may have changed).
    chats: broadcast::Sender<Vec<String>>,
    pub connection: watch::Receiver<Connection>,
    pg: PgPool,
    holder_id: String,
    poller: PollerConfig,
    pollers: std::sync::Mutex<Vec<(String, PollerHandle)>>,
    follower: FollowerHandle,
    drainer: DrainerHandle,
}

/// What a login is, checked online: the operator, whether an admin, the server, encryption.
#[derive(Debug, Clone)]
pub struct LoginCheck {
    pub me: Me,
    pub is_admin: bool,
    pub server_version: String,
    pub encrypted: bool,
}

/// Connects once with `database` and says who this login is, or why it cannot be used.
pub async fn check_login(database: &PgConnectOptions) -> Result<LoginCheck, SyncError> {
    use sqlx::Connection as _;
    let mut conn = tokio::time::timeout(
        Duration::from_secs(10),
        sqlx::PgConnection::connect_with(database),
    )
    .await
    .map_err(|_| SyncError::Refused("The shared database did not answer in time.".into()))?
    .map_err(explain_connect)?;
    let migrated: bool =
        sqlx::query_scalar("SELECT to_regprocedure('sb_apply(text, text, jsonb)') IS NOT NULL")
            .fetch_one(&mut conn)
            .await?;
    if !migrated {
        return Err(SyncError::Refused(
            "This database has no Switchboard schema (or an older one): the first admin sets it \
             up with switchboard-relay --database-url."
                .into(),
        ));
    }
    let row: Option<(String, String, bool)> =
        sqlx::query_as("SELECT id, name, can_manage_chats FROM users WHERE db_role = session_user")
            .fetch_optional(&mut conn)
            .await?;
    let (user_id, name, is_admin) = row.ok_or_else(|| {
        SyncError::Refused(
            "This database user is not a Switchboard operator: ask an admin to create your \
             operator login in the designer."
                .into(),
        )
    })?;
    let server_version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut conn)
        .await?;
    let encrypted: bool = sqlx::query_scalar(
        "SELECT COALESCE((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), FALSE)",
    )
    .fetch_one(&mut conn)
    .await?;
    let _ = conn.close().await;
    Ok(LoginCheck {
        me: Me { user_id, name },
        is_admin,
        server_version: format!("PostgreSQL {server_version}"),
        encrypted,
    })
}

impl SharedDesktop {
    /// Starts without waiting for the database: the panel reads the cache at once, changes
    /// queue in the outbox, and everything catches up when the database answers.
    pub async fn start(config: DesktopConfig, clock: Arc<dyn Clock>) -> Result<Self, SyncError> {
        let pg = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(config.database.clone());
        let panel = switchboard_engine::store::open_schema(&config.cache_file)
            .await
            .map_err(|e| SyncError::Corrupt(e.to_string()))?;
        let mirror = CacheMirror::open(&config.cache_file, pg.clone()).await?;
        let from = mirror.position().await?;
        let (applied_tx, applied) = watch::channel(0);
        let (position_tx, position) = watch::channel(from);
        let (chats, _) = broadcast::channel(256);
        let cache = Arc::new(AnnouncingCache {
            mirror,
            applied: applied_tx,
            position: position_tx,
            chats: chats.clone(),
        });
        let follower = Follower::start_offline_capable(pg.clone(), cache, from, config.follower);
        let outbox = Arc::new(Outbox::new(panel.clone(), config.me.clone(), clock));
        let drainer = Drainer::start(outbox.clone(), config.database, config.outbox_retry);
        let connection = drainer.connection.clone();
        Ok(Self {
            me: config.me,
            outbox,
            panel,
            applied,
            position,
            chats,
            connection,
            pg,
            holder_id: config.holder_id,
            poller: config.poller,
            pollers: std::sync::Mutex::new(Vec::new()),
            follower,
            drainer,
        })
    }

    /// Runs the shared poller of a bot whose token this desktop has (once per channel).
    pub fn add_bot(&self, channel_id: &str, api: BotApi) {
        let mut pollers = self.pollers.lock().unwrap_or_else(|p| p.into_inner());
        if pollers.iter().any(|(channel, _)| channel == channel_id) {
            return;
        }
        let poller = crate::telegram::start(
            self.pg.clone(),
            channel_id.to_owned(),
            self.holder_id.clone(),
            api,
            self.poller,
        );
        pollers.push((channel_id.to_owned(), poller));
    }

    /// Stops this desktop's poller of a bot (its channel was switched off, or it has a new token),
    /// releasing the lease so another desktop can take over at once. `false`: none was running.
    pub async fn remove_bot(&self, channel_id: &str) -> bool {
        let poller = {
            let mut pollers = self.pollers.lock().unwrap_or_else(|p| p.into_inner());
            pollers
                .iter()
                .position(|(channel, _)| channel == channel_id)
                .map(|at| pollers.remove(at).1)
        };
        match poller {
            Some(poller) => {
                poller.stop().await;
                true
            }
            None => false,
        }
    }

    /// Waits until the cache has every change up to `written` (see [`written_in`]: a transaction
    /// this desktop committed), asking the follower to pull at once. `false` when `limit` passed
    /// first (the database became unreachable right after the commit, say).
    pub async fn wait_for_cache(&self, written: Cursor, limit: Duration) -> bool {
        self.follower.pull_now();
        let mut position = self.position.clone();
        matches!(
            tokio::time::timeout(limit, position.wait_for(|at| *at >= written)).await,
            Ok(Ok(_))
        )
    }

    /// This operator's own connections to the shared database (for what must happen online, such
    /// as an admin creating a login).
    pub fn database(&self) -> &PgPool {
        &self.pg
    }

    pub fn subscribe_chats(&self) -> broadcast::Receiver<Vec<String>> {
        self.chats.subscribe()
    }

    /// What this desktop does with a bot: polls it, stands by, or has a problem.
    pub fn bot_state(&self, channel_id: &str) -> Option<watch::Receiver<PollerState>> {
        self.pollers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(channel, _)| channel == channel_id)
            .map(|(_, poller)| poller.state.clone())
    }

    /// Stops polling and releases every bot's lease, so another desktop takes over at once
    /// (the app calls this when it quits).
    pub async fn release_bots(&self) {
        let pollers: Vec<_> = self
            .pollers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .collect();
        for (_, poller) in pollers {
            poller.stop().await;
        }
    }

    /// Stops the pollers first (releasing their leases, so another desktop takes over at
    /// once), then the outbox and the cache.
    pub async fn stop(self) {
        let pollers = self.pollers.into_inner().unwrap_or_else(|p| p.into_inner());
        for (_, poller) in pollers {
            poller.stop().await;
        }
        self.drainer.stop().await;
        self.follower.stop().await;
    }
}

/// Where the change feed will have the changes the open transaction `tx` wrote so far: its last
/// change's cursor (`None` when it wrote nothing the feed carries). Call it just before the
/// commit, then [`SharedDesktop::wait_for_cache`] with it after.
pub async fn written_in(tx: &mut sqlx::PgConnection) -> Result<Option<Cursor>, sqlx::Error> {
    let (txid, position): (i64, Option<i64>) = sqlx::query_as(
        "SELECT pg_current_xact_id()::text::bigint,
                (SELECT max(position) FROM change_log WHERE txid = pg_current_xact_id())",
    )
    .fetch_one(tx)
    .await?;
    Ok(position.map(|position| Cursor { txid, position }))
}

/// The cache, announcing each applied batch.
struct AnnouncingCache {
    mirror: CacheMirror,
    applied: watch::Sender<u64>,
    position: watch::Sender<Cursor>,
    chats: broadcast::Sender<Vec<String>>,
}

impl ApplyChanges for AnnouncingCache {
    fn apply<'a>(&'a self, batch: &'a Batch) -> ApplyFuture<'a> {
        Box::pin(async move {
            let (chats, others) = self.mirror.apply_and_report(batch).await?;
            if others {
                // An empty list: anything may have changed (an operator's status, a queue…).
                let _ = self.chats.send(Vec::new());
            } else if !chats.is_empty() {
                let _ = self.chats.send(chats.into_iter().collect());
            }
            self.position.send_replace(batch.next_after);
            self.applied.send_modify(|n| *n += 1);
            Ok(())
        })
    }
}

/// Connection failures in words (never the URL or the password).
fn explain_connect(error: sqlx::Error) -> SyncError {
    let words = match &error {
        sqlx::Error::Database(e) if e.code().as_deref() == Some("28P01") => {
            "The shared database refused this user name or password.".to_owned()
        }
        sqlx::Error::Database(e) if e.code().as_deref() == Some("3D000") => {
            "There is no such database on the server.".to_owned()
        }
        sqlx::Error::Database(e) if e.code().as_deref() == Some("28000") => {
            "The server does not let this user in (pg_hba.conf, or the login is disabled).".into()
        }
        sqlx::Error::Io(e) => format!("The shared database cannot be reached ({e})."),
        sqlx::Error::PoolTimedOut => "The shared database did not answer in time.".to_owned(),
        sqlx::Error::Tls(e) => format!("A secure connection could not be made ({e})."),
        other => format!("Could not connect to the shared database ({other})."),
    };
    SyncError::Refused(words)
}
