//! Domain types → IPC DTOs (the domain stays free of UI concerns).

use switchboard_engine::domain::{
    Attachment, AttachmentKind, AttachmentState, Channel, ChannelHealth, ChannelProblem, Chat,
    ChatState, Delivery, Message, MessageKind, Provider,
};
use switchboard_ipc as ipc;

pub fn chat_summary(chat: &Chat) -> ipc::ChatSummary {
    ipc::ChatSummary {
        id: chat.id.clone(),
        provider: provider(chat.provider),
        channel_name: chat.channel_name.clone(),
        contact_name: chat.contact_name.clone(),
        state: match chat.state {
            ChatState::Bot => ipc::ChatState::Bot,
            ChatState::Queued => ipc::ChatState::Queued,
            ChatState::Offered => ipc::ChatState::Offered,
            ChatState::Active => ipc::ChatState::Active,
            ChatState::Completed => ipc::ChatState::Completed,
        },
        last_message_text: chat.last_message_text.clone(),
        last_activity_at: chat.last_activity_at,
        unread_count: chat.unread_count,
        operator_name: chat.operator_name.clone(),
        offered_to_me: chat.offered_to_me,
        queue_name: chat.queue_name.clone(),
    }
}

pub fn message_view(message: &Message) -> ipc::MessageView {
    ipc::MessageView {
        id: message.id.clone(),
        chat_id: message.chat_id.clone(),
        kind: match message.kind {
            MessageKind::Inbound => ipc::MessageKind::Inbound,
            MessageKind::Outbound => ipc::MessageKind::Outbound,
            MessageKind::Note => ipc::MessageKind::Note,
            MessageKind::System => ipc::MessageKind::System,
        },
        text: message.text.clone(),
        author: message.author.clone(),
        created_at: message.created_at,
        delivery: message.delivery.map(|d| match d {
            Delivery::Pending => ipc::DeliveryState::Pending,
            Delivery::Sent => ipc::DeliveryState::Sent,
            Delivery::Failed => ipc::DeliveryState::Failed,
        }),
        failure_reason: message.failure_reason.clone(),
        edited_at: message.edited_at,
        attachments: message.attachments.iter().map(attachment_view).collect(),
        can_retry: message.kind == MessageKind::Outbound
            && message.delivery == Some(Delivery::Failed),
        delivered_at: message.delivered_at,
        read_at: message.read_at,
    }
}

pub fn attachment_kind(kind: AttachmentKind) -> ipc::AttachmentKind {
    match kind {
        AttachmentKind::Photo => ipc::AttachmentKind::Photo,
        AttachmentKind::Document => ipc::AttachmentKind::Document,
        AttachmentKind::Voice => ipc::AttachmentKind::Voice,
        AttachmentKind::Sticker => ipc::AttachmentKind::Sticker,
    }
}

fn attachment_view(attachment: &Attachment) -> ipc::AttachmentView {
    ipc::AttachmentView {
        id: attachment.id.clone(),
        kind: attachment_kind(attachment.kind),
        file_name: attachment.file_name.clone(),
        mime_type: attachment.mime_type.clone(),
        size: attachment.size,
        state: match attachment.state {
            AttachmentState::Pending => ipc::AttachmentState::Pending,
            AttachmentState::Stored => ipc::AttachmentState::Stored,
            AttachmentState::Failed => ipc::AttachmentState::Failed,
        },
        failure_reason: attachment.failure_reason.clone(),
    }
}

pub fn channel_view(
    channel: &Channel,
    health: &ChannelHealth,
    queue_name: String,
) -> ipc::ChannelView {
    let (state, problem, reason) = match health {
        ChannelHealth::Starting => (ipc::ChannelHealthState::Starting, None, None),
        ChannelHealth::Running => (ipc::ChannelHealthState::Running, None, None),
        ChannelHealth::Stopped => (ipc::ChannelHealthState::Stopped, None, None),
        ChannelHealth::Problem { problem, reason } => (
            ipc::ChannelHealthState::Error,
            Some(channel_problem(*problem)),
            Some(reason.clone()),
        ),
    };
    ipc::ChannelView {
        id: channel.id.clone(),
        provider: provider(channel.provider),
        name: channel.name.clone(),
        active: channel.active,
        health: state,
        problem,
        health_reason: reason,
        queue_id: channel.queue_id.clone(),
        queue_name,
        language: channel.language.clone(),
        external_id: channel.external_id.clone(),
        human_agent: channel.human_agent,
    }
}

fn channel_problem(problem: ChannelProblem) -> ipc::ChannelProblem {
    match problem {
        ChannelProblem::TokenRejected => ipc::ChannelProblem::TokenRejected,
        ChannelProblem::UsedElsewhere => ipc::ChannelProblem::UsedElsewhere,
        ChannelProblem::RateLimited => ipc::ChannelProblem::RateLimited,
        ChannelProblem::Unreachable => ipc::ChannelProblem::Unreachable,
        ChannelProblem::Keychain => ipc::ChannelProblem::Keychain,
        ChannelProblem::Storage => ipc::ChannelProblem::Storage,
        ChannelProblem::Other => ipc::ChannelProblem::Other,
    }
}

fn provider(p: Provider) -> ipc::Provider {
    match p {
        Provider::Telegram => ipc::Provider::Telegram,
        Provider::Messenger => ipc::Provider::Messenger,
    }
}

pub fn rule(rule: switchboard_engine::domain::RoutingRule) -> ipc::RoutingRule {
    match rule {
        switchboard_engine::domain::RoutingRule::ToAll => ipc::RoutingRule::ToAll,
        switchboard_engine::domain::RoutingRule::Freest => ipc::RoutingRule::Freest,
    }
}

pub fn status(status: switchboard_engine::routing::OperatorStatus) -> ipc::OperatorStatus {
    use switchboard_engine::routing::OperatorStatus as S;
    match status {
        S::Active => ipc::OperatorStatus::Active,
        S::Inactive => ipc::OperatorStatus::Inactive,
        S::Offline => ipc::OperatorStatus::Offline,
    }
}

pub fn queue_view(
    q: &switchboard_engine::store::QueueRow,
    members: &[switchboard_engine::store::QueueMemberRow],
) -> ipc::QueueView {
    use switchboard_engine::store::MemberKind;
    ipc::QueueView {
        id: q.id.clone(),
        name: q.name.clone(),
        rule: rule(q.rule),
        completion_timeout_min: q.completion_timeout_min,
        operator_names: q.operator_names.clone(),
        members: members
            .iter()
            .map(|m| ipc::QueueMember {
                kind: match m.kind {
                    MemberKind::User => ipc::MemberKind::User,
                    MemberKind::Role => ipc::MemberKind::Role,
                },
                id: m.id.clone(),
                name: m.name.clone(),
            })
            .collect(),
    }
}

pub fn role_view(r: &switchboard_engine::store::RoleRow) -> ipc::RoleView {
    ipc::RoleView {
        id: r.id.clone(),
        name: r.name.clone(),
        user_names: r.users.iter().map(|(_, name)| name.clone()).collect(),
        user_ids: r.users.iter().map(|(id, _)| id.clone()).collect(),
    }
}
