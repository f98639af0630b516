//! The admin designer's calls: queue members, roles, settings. Every one
//! checks `CanManageChats` here, in the engine's API — not only in the UI (in
//! shared mode, asking the shared database: `shared_designer.rs`).

use switchboard_engine::store::MemberKind;
use switchboard_ipc::{ErrorCode, IpcError, QueueView, RoleView, WorkspaceSettings};

use crate::Runtime;
use crate::convert;
use crate::errors::{to_ipc, validate_id};

impl Runtime {
    /// The admin check. In shared mode the designer's calls go to `shared_designer.rs`; what
    /// still reaches this there is Facebook's (settings, page selection), and the shared database
    /// is asked whether this login is an admin.
    pub(crate) async fn require_admin(&self) -> Result<(), IpcError> {
        if self.shared.is_some() {
            let mut conn = self
                .designer_database()?
                .acquire()
                .await
                .map_err(crate::shared_designer::designer_error)?;
            return self.require_shared_admin(&mut conn).await;
        }
        if self
            .store
            .local_user_can_manage_chats()
            .await
            .map_err(to_ipc)?
        {
            Ok(())
        } else {
            Err(IpcError::new(
                ErrorCode::Forbidden,
                "Only an admin (with the CanManageChats permission) can change chat settings.",
            ))
        }
    }

    pub(crate) async fn queue_view(&self, queue_id: &str) -> Result<QueueView, IpcError> {
        self.list_queues()
            .await?
            .into_iter()
            .find(|q| q.id == queue_id)
            .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "That queue no longer exists."))
    }

    pub async fn get_settings(&self) -> Result<WorkspaceSettings, IpcError> {
        let (simultaneous_chats, accept_timeout_min) =
            self.store.routing_settings().await.map_err(to_ipc)?;
        Ok(WorkspaceSettings {
            simultaneous_chats,
            accept_timeout_min,
        })
    }

    /// Raising the limit routes waiting chats at once; lowering it takes no
    /// chat away from anyone.
    pub async fn update_settings(
        &self,
        settings: WorkspaceSettings,
    ) -> Result<WorkspaceSettings, IpcError> {
        if self.shared.is_some() {
            return self.update_shared_settings(settings).await;
        }
        self.require_admin().await?;
        self.store
            .update_routing_settings(settings.simultaneous_chats, settings.accept_timeout_min)
            .await
            .map_err(to_ipc)?;
        self.reload_routing_config().await?;
        let _ = self.changes.send(Vec::new());
        self.get_settings().await
    }

    pub async fn add_queue_member(
        &self,
        queue_id: &str,
        kind: switchboard_ipc::MemberKind,
        member_id: &str,
    ) -> Result<QueueView, IpcError> {
        self.change_queue_member(queue_id, kind, member_id, true)
            .await
    }

    pub async fn remove_queue_member(
        &self,
        queue_id: &str,
        kind: switchboard_ipc::MemberKind,
        member_id: &str,
    ) -> Result<QueueView, IpcError> {
        self.change_queue_member(queue_id, kind, member_id, false)
            .await
    }

    /// Membership changes re-route at once: a new member may get waiting
    /// chats, a removed one loses the offers they held.
    async fn change_queue_member(
        &self,
        queue_id: &str,
        kind: switchboard_ipc::MemberKind,
        member_id: &str,
        member: bool,
    ) -> Result<QueueView, IpcError> {
        let kind = member_kind(kind);
        if self.shared.is_some() {
            return self
                .change_shared_queue_member(queue_id, kind, member_id, member)
                .await;
        }
        self.require_admin().await?;
        let queue_id = validate_id("queue", queue_id)?;
        let member_id = validate_id("member", member_id)?;
        let changed = if member {
            self.store.add_queue_member(queue_id, kind, member_id).await
        } else {
            self.store
                .remove_queue_member(queue_id, kind, member_id)
                .await
        };
        changed.map_err(to_ipc)?;
        self.reload_routing_config().await?;
        self.queue_view(queue_id).await
    }

    pub async fn list_roles(&self) -> Result<Vec<RoleView>, IpcError> {
        Ok(self
            .store
            .list_roles()
            .await
            .map_err(to_ipc)?
            .iter()
            .map(convert::role_view)
            .collect())
    }

    pub async fn create_role(&self, name: &str) -> Result<RoleView, IpcError> {
        if self.shared.is_some() {
            return self.create_shared_role(name).await;
        }
        self.require_admin().await?;
        let id = self.store.create_role(name).await.map_err(to_ipc)?;
        self.role_view(&id).await
    }

    pub async fn set_role_member(
        &self,
        role_id: &str,
        user_id: &str,
        member: bool,
    ) -> Result<RoleView, IpcError> {
        if self.shared.is_some() {
            return self.set_shared_role_member(role_id, user_id, member).await;
        }
        self.require_admin().await?;
        let role_id = validate_id("role", role_id)?;
        let user_id = validate_id("operator", user_id)?;
        self.store
            .set_role_member(role_id, user_id, member)
            .await
            .map_err(to_ipc)?;
        self.reload_routing_config().await?;
        self.role_view(role_id).await
    }

    async fn role_view(&self, role_id: &str) -> Result<RoleView, IpcError> {
        self.list_roles()
            .await?
            .into_iter()
            .find(|r| r.id == role_id)
            .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "That role no longer exists."))
    }
}

fn member_kind(kind: switchboard_ipc::MemberKind) -> MemberKind {
    match kind {
        switchboard_ipc::MemberKind::User => MemberKind::User,
        switchboard_ipc::MemberKind::Role => MemberKind::Role,
    }
}
