//! The operator's and admin's routing actions: accept, decline, complete,
//! transfer, status, queues, and "why did I get this chat".

use std::collections::HashMap;

use switchboard_engine::domain::{ChatState, RoutingRule};
use switchboard_engine::routing::{Event, OperatorStatus};
use switchboard_ipc::{
    CandidateRow, ChatSummary, ErrorCode, IpcError, MyStatus, NewQueue, OperatorView, QueueView,
    RoutingEntry, RoutingExplanation,
};

use switchboard_sync::outbox::Change;

use crate::Runtime;
use crate::convert;
use crate::errors::{to_ipc, validate_id};

impl Runtime {
    pub(crate) fn me(&self) -> String {
        self.store.local_user().id.clone()
    }

    pub async fn accept_chat(&self, chat_id: &str) -> Result<ChatSummary, IpcError> {
        let chat_id = validate_id("chat", chat_id)?;
        if self
            .push_shared(Change::Accept {
                chat: chat_id.into(),
            })
            .await?
            .is_some()
        {
            let chat = self.store.chat(chat_id).await.map_err(to_ipc)?;
            return Ok(convert::chat_summary(&chat));
        }
        self.router
            .handle(
                Event::ChatAccepted {
                    chat_id: chat_id.into(),
                    operator_id: self.me(),
                },
                Vec::new(),
            )
            .await?;
        let chat = self.store.chat(chat_id).await.map_err(to_ipc)?;
        Ok(convert::chat_summary(&chat))
    }

    pub async fn decline_chat(&self, chat_id: &str) -> Result<(), IpcError> {
        let chat_id = validate_id("chat", chat_id)?;
        if self
            .push_shared(Change::Decline {
                chat: chat_id.into(),
            })
            .await?
            .is_some()
        {
            return Ok(());
        }
        self.router
            .handle(
                Event::ChatDeclined {
                    chat_id: chat_id.into(),
                    operator_id: self.me(),
                },
                Vec::new(),
            )
            .await?;
        Ok(())
    }

    /// Completes one of the operator's own active chats.
    pub async fn complete_chat(&self, chat_id: &str) -> Result<(), IpcError> {
        let chat_id = self.my_active_chat(chat_id).await?;
        if self
            .push_shared(Change::Complete {
                chat: chat_id.clone(),
            })
            .await?
            .is_some()
        {
            return Ok(());
        }
        let line = format!("Completed by {}", self.store.local_user().name);
        self.router
            .handle(
                Event::ChatCompleted {
                    chat_id: chat_id.clone(),
                    by: Some(self.me()),
                },
                vec![(chat_id, line)],
            )
            .await?;
        Ok(())
    }

    pub async fn transfer_to_queue(&self, chat_id: &str, queue_id: &str) -> Result<(), IpcError> {
        let chat_id = self.my_active_chat(chat_id).await?;
        let queue_id = validate_id("queue", queue_id)?;
        let queues = self.store.list_queues().await.map_err(to_ipc)?;
        let queue = queues
            .iter()
            .find(|q| q.id == queue_id)
            .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "That queue no longer exists."))?;
        let change = Change::TransferToQueue {
            chat: chat_id.clone(),
            queue: queue_id.into(),
        };
        if self.push_shared(change).await?.is_some() {
            return Ok(());
        }
        let line = format!(
            "Transferred to queue {} by {}",
            queue.name,
            self.store.local_user().name
        );
        self.router
            .handle(
                Event::TransferredToQueue {
                    chat_id: chat_id.clone(),
                    from: self.me(),
                    queue_id: queue_id.into(),
                },
                vec![(chat_id, line)],
            )
            .await?;
        Ok(())
    }

    pub async fn transfer_to_operator(
        &self,
        chat_id: &str,
        operator_id: &str,
    ) -> Result<(), IpcError> {
        let chat_id = self.my_active_chat(chat_id).await?;
        let operator_id = validate_id("operator", operator_id)?;
        let operators = self.store.list_operators().await.map_err(to_ipc)?;
        let target = operators
            .iter()
            .find(|o| o.id == operator_id)
            .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "That operator no longer exists."))?;
        let change = Change::TransferToOperator {
            chat: chat_id.clone(),
            operator: operator_id.into(),
        };
        if self.push_shared(change).await?.is_some() {
            return Ok(());
        }
        let line = format!(
            "Transferred to {} by {}",
            target.name,
            self.store.local_user().name
        );
        self.router
            .handle(
                Event::TransferredToOperator {
                    chat_id: chat_id.clone(),
                    from: self.me(),
                    to: operator_id.into(),
                },
                vec![(chat_id, line)],
            )
            .await?;
        Ok(())
    }

    pub async fn my_status(&self) -> Result<MyStatus, IpcError> {
        if self.shared.is_some() {
            return self.shared_status().await;
        }
        let me = self.me();
        let (status, active_chats, capacity) = self
            .router
            .with_state(|s| {
                let op = s.operators.get(&me);
                (
                    op.map(|o| o.status).unwrap_or(OperatorStatus::Offline),
                    op.map(|o| o.active_chats).unwrap_or(0),
                    s.settings.simultaneous_chats,
                )
            })
            .await;
        Ok(MyStatus {
            operator_id: me.clone(),
            name: self.store.local_user().name.clone(),
            status: convert::status(status),
            active_chats,
            capacity,
            waiting_in_my_queues: self.store.waiting_in_queues_of(&me).await.map_err(to_ipc)?,
        })
    }

    pub async fn set_my_status(
        &self,
        status: switchboard_ipc::OperatorStatus,
    ) -> Result<MyStatus, IpcError> {
        let status = match status {
            switchboard_ipc::OperatorStatus::Active => OperatorStatus::Active,
            switchboard_ipc::OperatorStatus::Inactive => OperatorStatus::Inactive,
            switchboard_ipc::OperatorStatus::Offline => {
                return Err(IpcError::new(
                    ErrorCode::InvalidInput,
                    "Offline is set automatically when you close Switchboard; choose Active or Inactive.",
                ));
            }
        };
        let active = status == OperatorStatus::Active;
        if self.push_shared(Change::Status { active }).await?.is_some() {
            return self.my_status().await;
        }
        self.router
            .handle(
                Event::OperatorStatusChanged {
                    operator_id: self.me(),
                    status,
                },
                Vec::new(),
            )
            .await?;
        let _ = self.changes.send(Vec::new());
        self.my_status().await
    }

    pub async fn list_queues(&self) -> Result<Vec<QueueView>, IpcError> {
        let queues = self.store.list_queues().await.map_err(to_ipc)?;
        let mut views = Vec::with_capacity(queues.len());
        for queue in &queues {
            let members = self.store.queue_members(&queue.id).await.map_err(to_ipc)?;
            views.push(convert::queue_view(queue, &members));
        }
        Ok(views)
    }

    pub async fn create_queue(&self, queue: NewQueue) -> Result<QueueView, IpcError> {
        if self.shared.is_some() {
            return self.create_shared_queue(queue).await;
        }
        self.require_admin().await?;
        let rule = engine_rule(queue.rule);
        let created = self
            .store
            .create_queue(&queue.name, rule, queue.completion_timeout_min)
            .await
            .map_err(to_ipc)?;
        self.reload_routing_config().await?;
        self.queue_view(&created.id).await
    }

    /// Renames a queue or changes its rule or completion timeout.
    pub async fn update_queue(
        &self,
        queue_id: &str,
        queue: NewQueue,
    ) -> Result<QueueView, IpcError> {
        if self.shared.is_some() {
            return self.update_shared_queue(queue_id, queue).await;
        }
        self.require_admin().await?;
        let queue_id = validate_id("queue", queue_id)?;
        let rule = engine_rule(queue.rule);
        self.store
            .update_queue(queue_id, &queue.name, rule, queue.completion_timeout_min)
            .await
            .map_err(to_ipc)?;
        self.reload_routing_config().await?;
        self.queue_view(queue_id).await
    }

    pub async fn list_operators(&self) -> Result<Vec<OperatorView>, IpcError> {
        let operators = self.store.list_operators().await.map_err(to_ipc)?;
        Ok(operators
            .iter()
            .map(|o| OperatorView {
                id: o.id.clone(),
                name: o.name.clone(),
                status: convert::status(o.status),
                active_chats: o.active_chats,
            })
            .collect())
    }

    pub async fn explain_routing(&self, chat_id: &str) -> Result<RoutingExplanation, IpcError> {
        let chat_id = validate_id("chat", chat_id)?;
        self.store.chat(chat_id).await.map_err(to_ipc)?;
        let names: HashMap<String, String> = self
            .store
            .list_operators()
            .await
            .map_err(to_ipc)?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let history = self.store.routing_history(chat_id).await.map_err(to_ipc)?;
        Ok(RoutingExplanation {
            chat_id: chat_id.into(),
            entries: history
                .into_iter()
                .map(|r| RoutingEntry {
                    decided_at: r.decided_at,
                    kind: r.kind,
                    rule: r.rule.map(convert::rule),
                    summary: with_names(&r.summary, &names),
                    candidates: r
                        .candidates
                        .into_iter()
                        .map(|c| CandidateRow {
                            operator_name: names
                                .get(&c.operator_id)
                                .cloned()
                                .unwrap_or_else(|| "a former operator".into()),
                            active_chats: c.active_chats,
                            last_assigned_at: c.last_assigned_at,
                        })
                        .collect(),
                    tie_break: r.tie_break.map(|t| with_names(&t, &names)),
                })
                .collect(),
        })
    }

    /// Queues, memberships or settings changed in the store (the truth):
    /// rebuild the core from it and let it re-route.
    pub(crate) async fn reload_routing_config(&self) -> Result<(), IpcError> {
        self.router.reload().await
    }

    pub(crate) async fn my_active_chat(&self, chat_id: &str) -> Result<String, IpcError> {
        let chat_id = validate_id("chat", chat_id)?;
        let chat = self.store.chat(chat_id).await.map_err(to_ipc)?;
        if chat.state != ChatState::Active
            || chat.operator_id.as_deref() != Some(self.me().as_str())
        {
            return Err(IpcError::new(
                ErrorCode::Conflict,
                "You can complete or transfer only chats that are yours and active.",
            ));
        }
        Ok(chat_id.to_owned())
    }
}

pub(crate) fn engine_rule(rule: switchboard_ipc::RoutingRule) -> RoutingRule {
    match rule {
        switchboard_ipc::RoutingRule::ToAll => RoutingRule::ToAll,
        switchboard_ipc::RoutingRule::Freest => RoutingRule::Freest,
    }
}

/// The core names operators by id (it has no names); people read names.
fn with_names(text: &str, names: &HashMap<String, String>) -> String {
    names.iter().fold(text.to_owned(), |text, (id, name)| {
        text.replace(id.as_str(), name)
    })
}
