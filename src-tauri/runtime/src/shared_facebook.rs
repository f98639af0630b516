//! Facebook in shared mode, on an admin's desktop and in the operators' chats.
//!
//! - Connecting a page (Channels → Add → Facebook, the same Facebook Login and page picker as
//!   standalone): the channel row goes to the shared database with the admin's own login (online
//!   only, like the rest of the designer: `shared_designer.rs`), inactive and named after the page;
//!   the page token goes to this computer's keychain only, under the shared namespace, and this
//!   desktop follows the page's lease once the page is switched on (`messenger/shared_page.rs`).
//!   Running the flow again for a page that has a channel refreshes the token on this desktop and
//!   creates nothing: that is how a second admin desktop gets the token ("Reconnect"). Only
//!   admins: a page token lets its holder answer the page's customers for the whole workspace, and
//!   the login needs the app secret, which only admins' desktops have.
//! - Thread control ("Take over" from a bot, "Give back to Page Inbox"): an outbox entry
//!   (`sb_apply` `take_thread` / `pass_thread`, migration 0023); the page's lease holder makes the
//!   Graph call and records the outcome, and the chat changes on every desktop through the change
//!   feed.

use switchboard_engine::StoreError;
use switchboard_engine::domain::{ChatState, Provider, new_id};
use switchboard_engine::secrets::SecretKey;
use switchboard_ipc::{ErrorCode, IpcError};
use switchboard_messenger::PageAccount;
use switchboard_sync::outbox::Change;

use crate::Runtime;
use crate::errors::to_ipc;
use crate::shared::SHARED_WORKSPACE;
use crate::shared_designer::{ONLY_ADMINS, designer_error};

/// Why a non-admin cannot run page selection in shared mode.
pub(crate) const ONLY_ADMINS_CONNECT_PAGES: &str = "Only an admin (with the CanManageChats \
     permission) can connect or reconnect Facebook pages. This desktop does not need a page's \
     token: an admin's desktop that has it sends the page's replies for everyone.";

/// How long the check for a desktop working for the page may take before it is skipped.
const LEASE_CHECK: std::time::Duration = std::time::Duration::from_secs(3);

impl Runtime {
    /// The admin check of page selection: in shared mode, with the words of
    /// [`ONLY_ADMINS_CONNECT_PAGES`].
    pub(crate) async fn require_page_admin(&self) -> Result<(), IpcError> {
        match self.require_admin().await {
            Err(error)
                if self.shared.is_some()
                    && error.code == ErrorCode::Forbidden
                    && error.message == ONLY_ADMINS =>
            {
                Err(IpcError::new(
                    ErrorCode::Forbidden,
                    ONLY_ADMINS_CONNECT_PAGES,
                ))
            }
            other => other,
        }
    }

    /// A subscribed page becomes (or already is) a channel of the shared database, and its token
    /// is kept in this computer's keychain. Returns the channel's id and whether it existed.
    /// Nothing is left half-done: without the token in the keychain the channel is not written,
    /// and a token saved for a channel whose row could not be committed is removed again.
    pub(crate) async fn connect_shared_page(
        &self,
        page: &PageAccount,
        api_base: &str,
    ) -> Result<(String, bool), IpcError> {
        let mut tx = self.designer_tx().await?;
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT id FROM channels WHERE provider = 'messenger' AND external_id = $1",
        )
        .bind(&page.id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(designer_error)?;
        let (channel_id, created) = match existing {
            Some(id) => (id, false),
            None => {
                // The first queue, as the designer lists them (standalone: the first queue).
                let queue_id: String =
                    sqlx::query_scalar("SELECT id FROM queues ORDER BY lower(name), id LIMIT 1")
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(designer_error)?
                        .ok_or_else(|| {
                            IpcError::new(
                                ErrorCode::Conflict,
                                "Create a queue first: a channel's chats need one to wait in.",
                            )
                        })?;
                let name = page.name.trim();
                if name.is_empty() {
                    return Err(to_ipc(StoreError::Invalid(
                        "A channel needs a name.".into(),
                    )));
                }
                // Inactive, as standalone: the admin chooses its queue and switches it on.
                // Another admin connecting the same page at the same moment: theirs is kept.
                let inserted: Option<String> = sqlx::query_scalar(
                    "INSERT INTO channels (id, provider, name, active, queue_id, api_base,
                                           external_id, created_at)
                     VALUES ($1, 'messenger', $2, FALSE, $3, $4, $5, $6)
                     ON CONFLICT (provider, external_id) DO NOTHING
                     RETURNING id",
                )
                .bind(new_id())
                .bind(name)
                .bind(&queue_id)
                .bind(api_base)
                .bind(&page.id)
                .bind(self.clock.now())
                .fetch_optional(&mut *tx)
                .await
                .map_err(designer_error)?;
                match inserted {
                    Some(id) => (id, true),
                    None => (
                        sqlx::query_scalar(
                            "SELECT id FROM channels
                             WHERE provider = 'messenger' AND external_id = $1",
                        )
                        .bind(&page.id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(designer_error)?,
                        false,
                    ),
                }
            }
        };
        let key = SecretKey::channel_token(SHARED_WORKSPACE, &channel_id);
        let previous = self.secrets.get(&key).ok();
        self.secrets
            .put(&key, page.access_token.expose())
            .map_err(crate::facebook::keychain)?;
        if let Err(error) = self.commit_designer(tx).await {
            // The row may be committed and only the cache late (the error says so): the token
            // stays then. Otherwise nothing of this page stays on this desktop.
            let committed = error.code == ErrorCode::Storage
                && sqlx::query_scalar::<_, bool>(
                    "SELECT EXISTS (SELECT FROM channels WHERE id = $1)",
                )
                .bind(&channel_id)
                .fetch_one(self.designer_database()?)
                .await
                .unwrap_or(true);
            if !committed {
                let _ = match previous {
                    Some(old) => self.secrets.put(&key, &old),
                    None => self.secrets.delete(&key),
                };
            }
            return Err(error);
        }
        // A running page still uses the old (perhaps dead) token: it starts again with this one
        // (once the channel is switched on, for a new page).
        self.shared_pages.stop(&channel_id).await;
        self.start_shared_bots(None).await;
        tracing::info!(channel = %channel_id, page = %page.id, refreshed = !created, "shared mode: connected a Facebook page");
        Ok((channel_id, !created))
    }

    /// "Take over" in shared mode: checked against the cache first (a bot holds the conversation,
    /// I operate its queue, a desktop works for the page), then an outbox entry; the page's lease
    /// holder takes the thread and the chat enters routing.
    pub(crate) async fn take_shared_thread(&self, chat_id: &str) -> Result<(), IpcError> {
        let chat = self.store.chat(chat_id).await.map_err(to_ipc)?;
        if chat.provider != Provider::Messenger || chat.state != ChatState::Bot {
            return Err(IpcError::new(
                ErrorCode::Conflict,
                "Only a Messenger chat a bot is handling can be taken over.",
            ));
        }
        if !self.operates_queue_of(chat_id).await? {
            return Err(IpcError::new(
                ErrorCode::Forbidden,
                "Only an operator of this chat's queue can take it over from the bot.",
            ));
        }
        self.require_page_worker(&chat.channel_id).await?;
        self.push_shared(Change::TakeThread {
            chat: chat_id.to_owned(),
        })
        .await?;
        Ok(())
    }

    /// "Give back to Page Inbox" in shared mode: my active Messenger chat; the page's lease holder
    /// passes the thread and completes the chat.
    pub(crate) async fn pass_shared_thread(&self, chat_id: &str) -> Result<(), IpcError> {
        let chat_id = self.my_active_chat(chat_id).await?;
        let chat = self.store.chat(&chat_id).await.map_err(to_ipc)?;
        self.require_page_worker(&chat.channel_id).await?;
        self.push_shared(Change::PassThread { chat: chat_id })
            .await?;
        Ok(())
    }

    /// Whether I operate the chat's queue (by name or by a role), as this desktop's cache says.
    async fn operates_queue_of(&self, chat_id: &str) -> Result<bool, IpcError> {
        let Some(run) = &self.shared else {
            return Ok(true);
        };
        let me = self.me();
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM chats c JOIN queue_operators qo ON qo.queue_id = c.queue_id
                            WHERE c.id = ?1 AND qo.user_id = ?2)
                 OR EXISTS (SELECT 1 FROM chats c JOIN queue_roles qr ON qr.queue_id = c.queue_id
                            JOIN user_roles ur ON ur.role_id = qr.role_id
                            WHERE c.id = ?1 AND ur.user_id = ?2)",
        )
        .bind(chat_id)
        .bind(&me)
        .fetch_one(&run.desktop.panel)
        .await
        .map_err(|e| to_ipc(StoreError::Database(e)))
    }

    /// Refuses thread control while no desktop works for the page (none that has its token holds
    /// its lease): the request would wait with no one to carry it out. When the shared database
    /// cannot be asked, the request goes to the outbox and waits like any other change.
    async fn require_page_worker(&self, channel_id: &str) -> Result<(), IpcError> {
        let Some(run) = &self.shared else {
            return Ok(());
        };
        let asked = tokio::time::timeout(
            LEASE_CHECK,
            sqlx::query_scalar::<_, bool>(
                "SELECT EXISTS (SELECT FROM connector_leases
                                WHERE channel_id = $1
                                  AND expires_at > (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT)",
            )
            .bind(channel_id)
            .fetch_one(run.desktop.database()),
        )
        .await;
        match asked {
            Ok(Ok(false)) => Err(IpcError::new(
                ErrorCode::Conflict,
                "No desktop works for this Facebook page now (none that has its token is \
                 running), so the conversation's thread cannot be moved. An admin can connect \
                 their desktop to the page: Chat settings → Channels → Add → Facebook.",
            )),
            _ => Ok(()),
        }
    }
}
