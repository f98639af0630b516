//! Thread control from the chat: an operator takes a conversation a bot holds,
//! or gives a conversation back (to Page Inbox) when they are done with it. In
//! shared mode both go through the outbox and the page's lease holder makes the
//! Graph call (`shared_facebook.rs`, `shared_page.rs`).

use switchboard_engine::domain::{ChatState, Provider};
use switchboard_engine::routing::Event;
use switchboard_engine::secrets::SecretKey;
use switchboard_ipc::{ErrorCode, IpcError};
use switchboard_messenger::{Secret, explain};

use super::PAGE_INBOX_APP_ID;
use crate::Runtime;
use crate::errors::{to_ipc, validate_id};

impl Runtime {
    /// "Take over" on a chat a bot holds: Switchboard takes thread control and
    /// the chat enters routing.
    pub async fn take_thread(&self, chat_id: &str) -> Result<(), IpcError> {
        let chat_id = validate_id("chat", chat_id)?;
        if self.shared.is_some() {
            return self.take_shared_thread(chat_id).await;
        }
        let chat = self.store.chat(chat_id).await.map_err(to_ipc)?;
        if chat.provider != Provider::Messenger || chat.state != ChatState::Bot {
            return Err(IpcError::new(
                ErrorCode::Conflict,
                "Only a Messenger chat a bot is handling can be taken over.",
            ));
        }
        let (page, token, psid) = self.thread_address(chat_id).await?;
        self.graph()?
            .take_thread_control(
                &page,
                &token,
                &psid,
                Some("taken by an operator in Switchboard"),
            )
            .await
            .map_err(thread_error)?;
        let channel_id = chat.channel_id.clone();
        let released = self
            .store
            .release_bot_chat(&channel_id, &psid, self.clock.now())
            .await
            .map_err(to_ipc)?;
        if let Some(chat_id) = released {
            let _ = self.ingested.send(vec![chat_id]);
        }
        Ok(())
    }

    /// "Give back" on my Messenger chat: thread control goes to Page Inbox and
    /// the chat is completed for me.
    pub async fn pass_thread_back(&self, chat_id: &str) -> Result<(), IpcError> {
        let chat_id = validate_id("chat", chat_id)?;
        let chat = self.store.chat(chat_id).await.map_err(to_ipc)?;
        if chat.provider != Provider::Messenger {
            return Err(IpcError::new(
                ErrorCode::Conflict,
                "Only Messenger conversations have a thread to give back.",
            ));
        }
        if self.shared.is_some() {
            return self.pass_shared_thread(chat_id).await;
        }
        let chat_id = self.my_active_chat(chat_id).await?;
        let (page, token, psid) = self.thread_address(&chat_id).await?;
        self.graph()?
            .pass_thread_control(
                &page,
                &token,
                &psid,
                PAGE_INBOX_APP_ID,
                Some("given back by Switchboard"),
            )
            .await
            .map_err(thread_error)?;
        let line = format!(
            "Conversation given back to Page Inbox by {}",
            self.store.local_user().name
        );
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

    /// The page id, its token and the customer's PSID of a chat.
    async fn thread_address(&self, chat_id: &str) -> Result<(String, Secret, String), IpcError> {
        let (channel_id, psid) = self.store.chat_address(chat_id).await.map_err(to_ipc)?;
        let channel = self.store.channel(&channel_id).await.map_err(to_ipc)?;
        let token = self
            .secrets
            .get(&SecretKey::channel_token(
                self.store.workspace_id(),
                &channel.id,
            ))
            .map_err(|_| {
                IpcError::new(
                    ErrorCode::Keychain,
                    "The page's token is not in this computer's keychain. Reconnect the page.",
                )
            })?;
        Ok((channel.external_id, Secret::new(token), psid))
    }
}

fn thread_error(err: switchboard_messenger::GraphError) -> IpcError {
    IpcError::new(ErrorCode::Conflict, explain(&err)).with_details(err.to_string())
}
