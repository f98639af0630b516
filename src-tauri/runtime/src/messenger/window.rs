//! The 24-hour window as the composer shows it, and the refusal before an
//! operator queues a reply that Messenger would not accept.

use switchboard_engine::domain::{Chat, Provider};
use switchboard_ipc::{ReplyWindow, ReplyWindowState};
use switchboard_messenger::{SendPolicy, WindowState, send_policy, window_status};

use crate::Runtime;
use crate::errors::to_ipc;

/// The window of a Messenger chat (`None` for other providers).
pub(crate) async fn reply_window(
    runtime: &Runtime,
    chat: &Chat,
) -> Result<Option<ReplyWindow>, switchboard_ipc::IpcError> {
    if chat.provider != Provider::Messenger {
        return Ok(None);
    }
    let channel = runtime
        .store
        .channel(&chat.channel_id)
        .await
        .map_err(to_ipc)?;
    let last = runtime
        .store
        .last_customer_message_at(&chat.id)
        .await
        .map_err(to_ipc)?;
    let now = runtime.clock.now();
    let status = window_status(now, last, channel.human_agent);
    let reason = match send_policy(now, last, channel.human_agent, true) {
        SendPolicy::Closed { reason, .. } => Some(reason),
        SendPolicy::HumanAgent { .. } => Some(
            "More than 24 hours since the customer wrote: replies go with the Human Agent tag."
                .into(),
        ),
        SendPolicy::Response { .. } => None,
    };
    Ok(Some(ReplyWindow {
        state: match status.state {
            WindowState::Open => ReplyWindowState::Open,
            WindowState::HumanAgent => ReplyWindowState::HumanAgent,
            WindowState::Closed => ReplyWindowState::Closed,
        },
        closes_at: status.closes_at,
        reason,
    }))
}
