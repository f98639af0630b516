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
use tokio::sync::watch;

use crate::SyncError;
use crate::cache::CacheMirror;
use crate::feed::Batch;
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
    /// The bots whose token this desktop has: (channel id, API client).
    pub telegram: Vec<(String, BotApi)>,
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
    /// Counts batches applied to the cache: the UI refreshes on it.
    pub applied: watch::Receiver<u64>,
    pub connection: watch::Receiver<Connection>,
    pollers: Vec<(String, PollerHandle)>,
    follower: FollowerHandle,
    drainer: DrainerHandle,
}

impl SharedDesktop {
    pub async fn start(config: DesktopConfig, clock: Arc<dyn Clock>) -> Result<Self, SyncError> {
        let pg = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(config.database.clone())
            .await
            .map_err(explain_connect)?;
        let me = whoami(&pg).await?;
        let panel = switchboard_engine::store::open_schema(&config.cache_file)
            .await
            .map_err(|e| SyncError::Corrupt(e.to_string()))?;
        let mirror = CacheMirror::open(&config.cache_file, pg.clone()).await?;
        let from = mirror.position().await?;
        let (applied_tx, applied) = watch::channel(0);
        let cache = Arc::new(AnnouncingCache {
            mirror,
            applied: applied_tx,
        });
        let follower = Follower::start(pg.clone(), cache, from, config.follower).await?;
        let outbox = Arc::new(Outbox::new(panel.clone(), me.clone(), clock));
        let drainer = Drainer::start(outbox.clone(), config.database, config.outbox_retry);
        let connection = drainer.connection.clone();
        let pollers = config
            .telegram
            .into_iter()
            .map(|(channel, api)| {
                let poller = crate::telegram::start(
                    pg.clone(),
                    channel.clone(),
                    config.holder_id.clone(),
                    api,
                    config.poller,
                );
                (channel, poller)
            })
            .collect();
        Ok(Self {
            me,
            outbox,
            panel,
            applied,
            connection,
            pollers,
            follower,
            drainer,
        })
    }

    /// What this desktop does with a bot: polls it, stands by, or has a problem.
    pub fn bot_state(&self, channel_id: &str) -> Option<watch::Receiver<PollerState>> {
        self.pollers
            .iter()
            .find(|(channel, _)| channel == channel_id)
            .map(|(_, poller)| poller.state.clone())
    }

    /// Stops the pollers first (releasing their leases, so another desktop takes over at
    /// once), then the outbox and the cache.
    pub async fn stop(self) {
        for (_, poller) in self.pollers {
            poller.stop().await;
        }
        self.drainer.stop().await;
        self.follower.stop().await;
    }
}

/// The cache, announcing each applied batch.
struct AnnouncingCache {
    mirror: CacheMirror,
    applied: watch::Sender<u64>,
}

impl ApplyChanges for AnnouncingCache {
    fn apply<'a>(&'a self, batch: &'a Batch) -> ApplyFuture<'a> {
        Box::pin(async move {
            self.mirror.apply(batch).await?;
            self.applied.send_modify(|n| *n += 1);
            Ok(())
        })
    }
}

/// The Switchboard user this login role is.
async fn whoami(pg: &PgPool) -> Result<Me, SyncError> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT id, name FROM users WHERE db_role = session_user")
            .fetch_optional(pg)
            .await?;
    let (user_id, name) = row.ok_or_else(|| {
        SyncError::Refused(
            "This database user is not a Switchboard operator: ask an admin to create your \
             operator login in the designer."
                .into(),
        )
    })?;
    Ok(Me { user_id, name })
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
