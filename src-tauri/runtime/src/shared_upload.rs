//! Settings → Shared database → "Upload this desktop's data": a standalone desktop's channels,
//! queues, people and history copied to the shared database when its admin connects it
//! (`switchboard_sync::upload` does the copying), and the channels' tokens copied from the
//! standalone workspace's keychain namespace to shared mode's, so that this desktop polls its bots
//! after the restart. Nothing is deleted on this desktop: leaving shared mode finds the standalone
//! file as it was.

use sqlx::Connection as _;
use sqlx::postgres::PgConnectOptions;
use switchboard_engine::secrets::SecretKey;
use switchboard_ipc::{ErrorCode, IpcError, StandaloneData};
use switchboard_sync::upload::{self, UploadReport};

use crate::shared::SHARED_WORKSPACE;
use crate::{DATABASE_FILE, Runtime};

impl Runtime {
    /// What this standalone desktop could upload, when it holds more than a fresh install.
    pub(crate) async fn standalone_data(&self) -> Option<StandaloneData> {
        if self.shared.is_some() {
            return None;
        }
        let counts = match upload::count(&self.data_dir.join(DATABASE_FILE)).await {
            Ok(counts) => counts,
            Err(error) => {
                tracing::warn!(%error, "counting the standalone data failed");
                return None;
            }
        };
        let small = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        counts.worth_uploading().then(|| StandaloneData {
            channels: small(counts.channels),
            queues: small(counts.queues),
            operators: small(counts.operators),
            roles: small(counts.roles),
            chats: small(counts.chats),
            messages: small(counts.messages),
        })
    }

    /// Uploads the standalone file with the admin's login and copies the channels' tokens; returns
    /// the result in words. The bots stop first, so that nothing reaches the file after the
    /// snapshot that was uploaded (Telegram keeps what arrives meanwhile for the shared poller,
    /// which continues from the uploaded offset); they start again if the upload fails.
    pub(crate) async fn upload_standalone(
        &self,
        database: &PgConnectOptions,
    ) -> Result<String, IpcError> {
        if self.shared.is_some() {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "This desktop already works in shared mode: it has no standalone data to upload.",
            ));
        }
        let running: Vec<_> = self.lock_channels().drain().map(|(_, r)| r).collect();
        for channel in &running {
            channel.cancel.cancel();
        }
        self.notify_channels();
        match self.upload_and_copy_tokens(database).await {
            Ok((report, tokens)) => {
                tracing::info!(
                    added = ?report.added,
                    tokens,
                    "uploaded the standalone data to the shared database"
                );
                let mut sentence = report.sentence();
                if !running.is_empty() {
                    sentence.push_str(" This desktop's bots wait for the restart.");
                }
                Ok(sentence)
            }
            Err(error) => {
                if let Err(restart) = self.start_channels().await {
                    tracing::warn!(error = %restart.message, "restarting the channels failed");
                }
                self.notify_channels();
                Err(error)
            }
        }
    }

    async fn upload_and_copy_tokens(
        &self,
        database: &PgConnectOptions,
    ) -> Result<(UploadReport, usize), IpcError> {
        let mut pg = sqlx::PgConnection::connect_with(database)
            .await
            .map_err(|e| {
                IpcError::new(
                    ErrorCode::Storage,
                    format!("The shared database could not be reached for the upload ({e})."),
                )
            })?;
        let report = upload::upload(&self.data_dir.join(DATABASE_FILE), &mut pg)
            .await
            .map_err(|error| match error {
                switchboard_sync::SyncError::Refused(words) => {
                    IpcError::new(ErrorCode::Forbidden, words)
                }
                other => IpcError::new(
                    ErrorCode::Storage,
                    format!(
                        "The upload stopped halfway ({other}). Nothing was lost: connect again \
                         with the box ticked and it continues where it stopped."
                    ),
                ),
            })?;
        let _ = pg.close().await;
        let tokens = self.copy_channel_tokens(&report)?;
        Ok((report, tokens))
    }

    /// Each uploaded channel's bot or page token, from the standalone workspace's keychain entry
    /// to shared mode's on this computer (never through a database). A token already there is
    /// left as it is. Returns how many were copied.
    fn copy_channel_tokens(&self, report: &UploadReport) -> Result<usize, IpcError> {
        let mut copied = 0;
        for (standalone, shared) in &report.channels {
            let Ok(token) = self.secrets.get(&SecretKey::channel_token(
                self.store.workspace_id(),
                standalone,
            )) else {
                continue;
            };
            let key = SecretKey::channel_token(SHARED_WORKSPACE, shared);
            if self.secrets.get(&key).is_ok() {
                continue;
            }
            self.secrets.put(&key, &token).map_err(|_| {
                IpcError::new(
                    ErrorCode::Keychain,
                    "The data was uploaded, but the system keychain refused to take the bots' \
                     tokens for shared mode. Unlock the keychain and connect again.",
                )
            })?;
            copied += 1;
        }
        Ok(copied)
    }
}
