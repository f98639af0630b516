//! The admin designer in shared mode: queues, their operators, roles and Telegram channels are
//! written to the shared database with the admin's own login (the desktop's pool), online only.
//! The checks are the standalone store's own (`switchboard_engine::store::validate_*`); whether
//! the caller is an admin is asked of Postgres (and Postgres refuses a non-admin's write anyway,
//! `42501`). Each call returns once this desktop's cache has its change, so the view it returns
//! (read from the cache, like every view) already shows it.

use std::time::Duration;

use sqlx::{Postgres, Transaction};
use switchboard_engine::StoreError;
use switchboard_engine::domain::{ChannelUpdate, new_id};
use switchboard_engine::secrets::SecretKey;
use switchboard_engine::store::{self, MemberKind};
use switchboard_ipc::{
    ChannelChanges, ChannelView, ErrorCode, IpcError, NewQueue, NewTelegramChannel, QueueView,
    RoleView,
};

use crate::Runtime;
use crate::errors::{to_ipc, validate_id};
use crate::shared::SHARED_WORKSPACE;

/// How long a call waits for its change to come back into this desktop's cache.
const CACHE_WAIT: Duration = Duration::from_secs(15);

/// The standalone refusal, word for word.
pub(crate) const ONLY_ADMINS: &str =
    "Only an admin (with the CanManageChats permission) can change chat settings.";

pub(crate) type Tx = Transaction<'static, Postgres>;

/// Whether this session's login is an enabled Switchboard admin: the user it maps to has
/// `CanManageChats` and the role is a member of `switchboard_admin` (the two are kept in step by
/// `sb_create_operator_role`).
const IS_ADMIN: &str = "SELECT EXISTS (
     SELECT FROM users u JOIN pg_roles r ON r.rolname = u.db_role
     WHERE u.db_role = session_user AND u.can_manage_chats AND r.rolcanlogin
       AND pg_has_role(session_user, 'switchboard_admin', 'MEMBER'))";

impl Runtime {
    pub(crate) fn designer_database(&self) -> Result<&sqlx::PgPool, IpcError> {
        self.shared
            .as_ref()
            .map(|run| run.desktop.database())
            .ok_or_else(|| {
                IpcError::new(
                    ErrorCode::Internal,
                    "The shared designer was called on a standalone desktop.",
                )
            })
    }

    /// Refuses anyone but an admin, asking the shared database.
    pub(crate) async fn require_shared_admin(
        &self,
        conn: &mut sqlx::PgConnection,
    ) -> Result<(), IpcError> {
        let admin: bool = sqlx::query_scalar(IS_ADMIN)
            .fetch_one(conn)
            .await
            .map_err(designer_error)?;
        if admin {
            Ok(())
        } else {
            Err(IpcError::new(ErrorCode::Forbidden, ONLY_ADMINS))
        }
    }

    /// A transaction on the shared database as this desktop's login, for an admin only.
    pub(crate) async fn designer_tx(&self) -> Result<Tx, IpcError> {
        let mut tx = self
            .designer_database()?
            .begin()
            .await
            .map_err(designer_error)?;
        self.require_shared_admin(&mut tx).await?;
        Ok(tx)
    }

    /// Commits, then waits until this desktop's cache has what the transaction wrote.
    pub(crate) async fn commit_designer(&self, mut tx: Tx) -> Result<(), IpcError> {
        let written = switchboard_sync::desktop::written_in(&mut tx)
            .await
            .map_err(designer_error)?;
        tx.commit().await.map_err(designer_error)?;
        if let (Some(written), Some(run)) = (written, &self.shared)
            && !run.desktop.wait_for_cache(written, CACHE_WAIT).await
        {
            return Err(IpcError::new(
                ErrorCode::Storage,
                "The change is saved in the shared database, but this desktop has not received \
                 it back yet: it shows it as soon as the connection allows.",
            ));
        }
        Ok(())
    }

    pub(crate) async fn create_shared_queue(&self, queue: NewQueue) -> Result<QueueView, IpcError> {
        let mut tx = self.designer_tx().await?;
        let name =
            store::validate_queue(&queue.name, queue.completion_timeout_min).map_err(to_ipc)?;
        let id = new_id();
        write_queue(&mut tx, &id, name, &queue, false).await?;
        self.commit_designer(tx).await?;
        self.queue_view(&id).await
    }

    pub(crate) async fn update_shared_queue(
        &self,
        queue_id: &str,
        queue: NewQueue,
    ) -> Result<QueueView, IpcError> {
        let mut tx = self.designer_tx().await?;
        let queue_id = validate_id("queue", queue_id)?;
        let name =
            store::validate_queue(&queue.name, queue.completion_timeout_min).map_err(to_ipc)?;
        write_queue(&mut tx, queue_id, name, &queue, true).await?;
        self.commit_designer(tx).await?;
        self.queue_view(queue_id).await
    }

    pub(crate) async fn change_shared_queue_member(
        &self,
        queue_id: &str,
        kind: MemberKind,
        member_id: &str,
        member: bool,
    ) -> Result<QueueView, IpcError> {
        let mut tx = self.designer_tx().await?;
        let queue_id = validate_id("queue", queue_id)?;
        let member_id = validate_id("member", member_id)?;
        let (table, member_table, what, column) = store::member_tables(kind);
        let sql = if member {
            ensure_exists(&mut tx, "queues", "queue", queue_id).await?;
            ensure_exists(&mut tx, member_table, what, member_id).await?;
            format!(
                "INSERT INTO {table} (queue_id, {column}) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            )
        } else {
            format!("DELETE FROM {table} WHERE queue_id = $1 AND {column} = $2")
        };
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(queue_id)
            .bind(member_id)
            .execute(&mut *tx)
            .await
            .map_err(designer_error)?;
        self.commit_designer(tx).await?;
        self.queue_view(queue_id).await
    }

    pub(crate) async fn create_shared_role(&self, name: &str) -> Result<RoleView, IpcError> {
        let mut tx = self.designer_tx().await?;
        let name = store::validate_role_name(name).map_err(to_ipc)?;
        // One name at a time: the check below and the insert see every other admin's new role.
        sqlx::query("LOCK TABLE roles IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(designer_error)?;
        let taken: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT FROM roles WHERE lower(name) = lower($1))")
                .bind(name)
                .fetch_one(&mut *tx)
                .await
                .map_err(designer_error)?;
        if taken {
            return Err(to_ipc(store::role_name_taken(name)));
        }
        let id = new_id();
        sqlx::query("INSERT INTO roles (id, name) VALUES ($1, $2)")
            .bind(&id)
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(designer_error)?;
        self.commit_designer(tx).await?;
        self.shared_role_view(&id).await
    }

    pub(crate) async fn set_shared_role_member(
        &self,
        role_id: &str,
        user_id: &str,
        member: bool,
    ) -> Result<RoleView, IpcError> {
        let mut tx = self.designer_tx().await?;
        let role_id = validate_id("role", role_id)?;
        let user_id = validate_id("operator", user_id)?;
        ensure_exists(&mut tx, "roles", "role", role_id).await?;
        ensure_exists(&mut tx, "users", "operator", user_id).await?;
        let sql = if member {
            "INSERT INTO user_roles (role_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM user_roles WHERE role_id = $1 AND user_id = $2"
        };
        sqlx::query(sql)
            .bind(role_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(designer_error)?;
        self.commit_designer(tx).await?;
        self.shared_role_view(role_id).await
    }

    async fn shared_role_view(&self, role_id: &str) -> Result<RoleView, IpcError> {
        self.list_roles()
            .await?
            .into_iter()
            .find(|r| r.id == role_id)
            .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "That role no longer exists."))
    }

    /// Designer → Channels → Add → Telegram on a shared desktop: `getMe` checks the token, which
    /// goes to this computer's keychain (under the shared workspace), the channel row to the
    /// shared database, and this desktop starts the bot's shared poller. Other desktops poll it
    /// once their operators give it the token ("Replace token" on the card).
    pub(crate) async fn add_shared_telegram_channel(
        &self,
        request: NewTelegramChannel,
    ) -> Result<ChannelView, IpcError> {
        let pg = self.designer_database()?;
        {
            let mut conn = pg.acquire().await.map_err(designer_error)?;
            self.require_shared_admin(&mut conn).await?;
        }
        let api_base = match request.api_base.as_deref().map(str::trim) {
            Some(base) if !base.is_empty() => crate::channels::validate_api_base(base)?,
            _ => self.telegram_api_base.clone(),
        };
        if let Some(queue_id) = &request.queue_id {
            validate_id("queue", queue_id)?;
        }
        let (api, bot) = crate::channels::check_token(&api_base, &request.token).await?;
        let name = crate::channels::bot_channel_name(&bot);

        let mut tx = self.designer_tx().await?;
        let queue_id = match &request.queue_id {
            Some(queue_id) => {
                ensure_exists(&mut tx, "queues", "queue", queue_id).await?;
                queue_id.clone()
            }
            // The first queue, as the designer lists them.
            None => sqlx::query_scalar("SELECT id FROM queues ORDER BY lower(name), id LIMIT 1")
                .fetch_optional(&mut *tx)
                .await
                .map_err(designer_error)?
                .ok_or_else(|| {
                    IpcError::new(
                        ErrorCode::Conflict,
                        "Create a queue first: a channel's chats need one to wait in.",
                    )
                })?,
        };
        // Adding a known bot again refreshes its token (and its queue, when one is chosen).
        let (channel_id, created): (String, bool) = sqlx::query_as(
            "INSERT INTO channels (id, provider, name, active, queue_id, api_base, external_id,
                                   created_at)
             VALUES ($1, 'telegram', $2, TRUE, $3, $4, $5, $6)
             ON CONFLICT (provider, external_id) DO UPDATE
                 SET api_base = EXCLUDED.api_base,
                     queue_id = CASE WHEN $7 THEN EXCLUDED.queue_id ELSE channels.queue_id END
             RETURNING id, xmax = 0",
        )
        .bind(new_id())
        .bind(name.trim())
        .bind(&queue_id)
        .bind(api.base_url())
        .bind(bot.id.to_string())
        .bind(self.clock.now())
        .bind(request.queue_id.is_some())
        .fetch_one(&mut *tx)
        .await
        .map_err(designer_error)?;
        let key = SecretKey::channel_token(SHARED_WORKSPACE, &channel_id);
        self.secrets
            .put(&key, request.token.trim())
            .map_err(crate::channels::keychain_error)?;
        if let Err(error) = self.commit_designer(tx).await {
            if created {
                let _ = self.secrets.delete(&key);
            }
            return Err(error);
        }
        tracing::info!(channel = %channel_id, "shared mode: connected Telegram bot {}", bot.id);
        if let Some(run) = &self.shared {
            // A running poller of this bot still has the old token.
            run.desktop.remove_bot(&channel_id).await;
        }
        self.start_shared_bots(None).await;
        self.notify_channels();
        self.channel_view_of(&channel_id).await
    }

    /// The channel's mini-card on a shared desktop: the row in the shared database. Every desktop
    /// starts or stops its poller of the bot when the change reaches its cache.
    pub(crate) async fn update_shared_channel(
        &self,
        channel_id: &str,
        changes: ChannelChanges,
    ) -> Result<ChannelView, IpcError> {
        let mut tx = self.designer_tx().await?;
        let channel_id = validate_id("channel", channel_id)?;
        if let Some(queue_id) = &changes.queue_id {
            validate_id("queue", queue_id)?;
        }
        let update = ChannelUpdate {
            name: changes.name,
            active: changes.active,
            queue_id: changes.queue_id,
            language: changes.language,
            human_agent: changes.human_agent,
        };
        store::validate_channel_update(&update).map_err(to_ipc)?;
        if let Some(queue_id) = &update.queue_id {
            ensure_exists(&mut tx, "queues", "queue", queue_id).await?;
        }
        let done = sqlx::query(
            "UPDATE channels SET name = COALESCE($1, name), active = COALESCE($2, active),
                 queue_id = COALESCE($3, queue_id), language = COALESCE($4, language),
                 human_agent = COALESCE($5, human_agent)
             WHERE id = $6",
        )
        .bind(update.name.as_deref().map(str::trim))
        .bind(update.active)
        .bind(&update.queue_id)
        .bind(&update.language)
        .bind(update.human_agent)
        .bind(channel_id)
        .execute(&mut *tx)
        .await
        .map_err(designer_error)?;
        if done.rows_affected() == 0 {
            return Err(to_ipc(StoreError::NotFound {
                what: "channel",
                id: channel_id.into(),
            }));
        }
        self.commit_designer(tx).await?;
        if update.active.is_some() {
            self.start_shared_bots(None).await;
        }
        self.notify_channels();
        self.channel_view_of(channel_id).await
    }

    /// "Try again" on a shared channel's card: this desktop's poller of the bot, or its work for
    /// the page (which checks the page token again), starts afresh (it concerns this computer
    /// only, like giving it the token).
    pub(crate) async fn restart_shared_channel(
        &self,
        channel_id: &str,
    ) -> Result<ChannelView, IpcError> {
        let channel_id = validate_id("channel", channel_id)?;
        let channel = self.store.channel(channel_id).await.map_err(to_ipc)?;
        if !channel.active {
            return Err(IpcError::new(
                ErrorCode::Conflict,
                "The channel is switched off. Switch it on to start it.",
            ));
        }
        if let Some(run) = &self.shared {
            run.desktop.remove_bot(channel_id).await;
        }
        self.shared_pages.stop(channel_id).await;
        self.start_shared_bots(None).await;
        self.notify_channels();
        self.channel_view_of(channel_id).await
    }
}

/// Inserts (`update` false) or changes a queue, its name compared without case to the others'.
async fn write_queue(
    tx: &mut Tx,
    id: &str,
    name: &str,
    queue: &NewQueue,
    update: bool,
) -> Result<(), IpcError> {
    let rule = crate::operations::engine_rule(queue.rule);
    let timeout = queue
        .completion_timeout_min
        .map(|minutes| i32::try_from(minutes).unwrap_or(i32::MAX));
    // One name at a time: the check below and the write see every other admin's new names.
    sqlx::query("LOCK TABLE queues IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut **tx)
        .await
        .map_err(designer_error)?;
    let taken: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT FROM queues WHERE lower(name) = lower($1) AND id <> $2)",
    )
    .bind(name)
    .bind(id)
    .fetch_one(&mut **tx)
    .await
    .map_err(designer_error)?;
    if taken {
        return Err(to_ipc(store::queue_name_taken(name)));
    }
    let sql = if update {
        "UPDATE queues SET name = $2, rule = $3, completion_timeout_min = $4 WHERE id = $1"
    } else {
        "INSERT INTO queues (id, name, rule, completion_timeout_min) VALUES ($1, $2, $3, $4)"
    };
    let done = sqlx::query(sql)
        .bind(id)
        .bind(name)
        .bind(rule.as_str())
        .bind(timeout)
        .execute(&mut **tx)
        .await
        .map_err(designer_error)?;
    if done.rows_affected() == 0 {
        return Err(to_ipc(StoreError::NotFound {
            what: "queue",
            id: id.into(),
        }));
    }
    Ok(())
}

/// The store's "does not exist" words when the shared database has no such row.
async fn ensure_exists(
    tx: &mut Tx,
    table: &str,
    what: &'static str,
    id: &str,
) -> Result<(), IpcError> {
    let found: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT EXISTS (SELECT FROM {table} WHERE id = $1)"
    )))
    .bind(id)
    .fetch_one(&mut **tx)
    .await
    .map_err(designer_error)?;
    if found {
        Ok(())
    } else {
        Err(to_ipc(StoreError::NotFound {
            what,
            id: id.into(),
        }))
    }
}

/// The shared database's answer in words: not an admin, a row that went meanwhile, or the
/// database out of reach (the designer works online only).
pub(crate) fn designer_error(error: sqlx::Error) -> IpcError {
    if let sqlx::Error::Database(e) = &error {
        return match e.code().as_deref() {
            Some("42501") => IpcError::new(ErrorCode::Forbidden, ONLY_ADMINS),
            Some("23503") => IpcError::new(
                ErrorCode::NotFound,
                "Something this change refers to was removed meanwhile: reopen the designer.",
            ),
            Some("23505") => IpcError::new(
                ErrorCode::Conflict,
                "Another admin has just made the same change: reopen the designer.",
            ),
            _ => IpcError::new(
                ErrorCode::Storage,
                format!("The shared database refused the change: {}", e.message()),
            ),
        };
    }
    IpcError::new(
        ErrorCode::Storage,
        "Changing the workspace needs the shared database, and it cannot be reached now. Try \
         again when this desktop is back online.",
    )
    .with_details(error.to_string())
}
