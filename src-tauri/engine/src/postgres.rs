//! Shared-mode database: Postgres is the source of truth for many desktops.
//! The walking skeleton only migrates it; sync comes with the shared-mode issue.

use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::error::StoreError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Connects and brings the schema up to date.
pub async fn connect_and_migrate(url: &str) -> Result<PgPool, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(url)
        .await
        .map_err(|source| StoreError::Open {
            // The URL may carry a password: never echo it.
            path: "the shared Postgres database".into(),
            source,
        })?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}
