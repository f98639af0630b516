//! The routing core's vocabulary: state, events, decisions. Plain data; the
//! store loads a `RoutingState`, feeds events to [`super::step`] and persists
//! the touched entities plus the decisions (with their reasons).

use std::collections::{BTreeMap, BTreeSet};

use crate::clock::Millis;
use crate::domain::{Id, RoutingRule};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorStatus {
    Active,
    Inactive,
    /// No desktop of theirs is connected (shared mode).
    Offline,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `SimultaneousChats`: max active chats per operator across all queues and channels.
    pub simultaneous_chats: u32,
    /// `OperatorAcceptChatTimeout`, in milliseconds (freest offers only).
    pub accept_timeout: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub status: OperatorStatus,
    pub roles: BTreeSet<Id>,
    /// When this operator last took a new chat (accept or transfer to them); `None` = never.
    pub last_assigned_at: Option<Millis>,
    /// Chats in state Active with this operator. Maintained by the core; the
    /// loader sets it from the store.
    pub active_chats: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    pub rule: RoutingRule,
    /// Completion timeout in milliseconds; `None` = never.
    pub completion_timeout: Option<Millis>,
    /// Operators given as users…
    pub users: BTreeSet<Id>,
    /// …and/or as roles (every operator holding one of them).
    pub roles: BTreeSet<Id>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutedState {
    Queued,
    Offered,
    Active,
    Completed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutedChat {
    pub queue_id: Id,
    pub state: RoutedState,
    /// Set exactly when `state == Active`.
    pub operator: Option<Id>,
    /// Operators currently holding an offer (non-empty exactly when `state == Offered`).
    pub offered_to: BTreeSet<Id>,
    /// When the current freest offer was made (accept timeout counts from here).
    pub offered_at: Option<Millis>,
    /// First come, first served: smaller = arrived earlier.
    pub arrival: u64,
    pub last_message_at: Millis,
    /// The completion timeout applies only when the last message was outgoing.
    pub last_message_outbound: bool,
    /// Operators who declined it or transferred it away: not offered it again
    /// while it waits this time.
    pub excluded: BTreeSet<Id>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingState {
    pub settings: Settings,
    pub operators: BTreeMap<Id, Operator>,
    pub queues: BTreeMap<Id, Queue>,
    /// Completed chats may be dropped by the owner of the state.
    pub chats: BTreeMap<Id, RoutedChat>,
    /// Next `arrival` number to hand out.
    pub next_arrival: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new chat (state Queued) entered `queue_id`.
    ChatArrived {
        chat_id: Id,
        queue_id: Id,
    },
    /// A message was stored in the chat (for the completion timeout).
    MessageRecorded {
        chat_id: Id,
        outbound: bool,
    },
    OperatorStatusChanged {
        operator_id: Id,
        status: OperatorStatus,
    },
    ChatAccepted {
        chat_id: Id,
        operator_id: Id,
    },
    ChatDeclined {
        chat_id: Id,
        operator_id: Id,
    },
    /// Completed by hand (`by` = the operator) or by the owner for another reason.
    ChatCompleted {
        chat_id: Id,
        by: Option<Id>,
    },
    TransferredToOperator {
        chat_id: Id,
        from: Id,
        to: Id,
    },
    TransferredToQueue {
        chat_id: Id,
        from: Id,
        queue_id: Id,
    },
    /// Settings, queues, memberships or operators were edited in the state's
    /// pub fields: re-evaluate everything (capacity raised, operator added…).
    ConfigChanged,
    /// A deadline from [`super::next_deadline`] has passed (or might have).
    TimerFired,
}

/// One operator as the core saw it when deciding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateView {
    pub operator_id: Id,
    pub active_chats: u32,
    pub last_assigned_at: Option<Millis>,
}

/// Why a chat went where it went: the answer to "why did I get this chat".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Why {
    pub rule: RoutingRule,
    /// Eligible candidates considered (Active, below capacity, not excluded).
    pub candidates: Vec<CandidateView>,
    /// How a tie on the active-chat count was broken, if there was one.
    pub tie_break: Option<String>,
    /// One sentence for a person.
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// New offers of the chat to these operators (in addition to any it has).
    Offer {
        chat_id: Id,
        operator_ids: Vec<Id>,
        why: Why,
    },
    /// The chat is no longer offered to this operator.
    WithdrawOffer {
        chat_id: Id,
        operator_id: Id,
        why: String,
    },
    /// The chat is now this operator's (accepted, or transferred to them).
    Assign {
        chat_id: Id,
        operator_id: Id,
        why: Why,
    },
    /// The operator missed a freest offer's accept timeout.
    SetInactive {
        operator_id: Id,
        chat_id: Id,
        why: String,
    },
    Complete {
        chat_id: Id,
        why: String,
    },
    /// The chat waits in its queue (no eligible operator).
    Wait {
        chat_id: Id,
        why: String,
    },
    /// The event is not allowed now (e.g. accepting a chat someone else took).
    Refuse {
        why: String,
    },
}

impl Default for Settings {
    /// The SPEC defaults: 2 simultaneous chats, 5 minutes to accept.
    fn default() -> Self {
        Self {
            simultaneous_chats: 2,
            accept_timeout: 5 * 60 * 1000,
        }
    }
}

impl RoutingState {
    /// An empty state (no operators, queues or chats).
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            operators: BTreeMap::new(),
            queues: BTreeMap::new(),
            chats: BTreeMap::new(),
            next_arrival: 0,
        }
    }

    /// Whether `operator_id` serves `queue_id`: listed among its users, or
    /// holding one of its roles. Unknown ids are members of nothing.
    pub fn is_member(&self, queue_id: &str, operator_id: &str) -> bool {
        match (self.queues.get(queue_id), self.operators.get(operator_id)) {
            (Some(queue), Some(operator)) => {
                queue.users.contains(operator_id)
                    || operator.roles.iter().any(|role| queue.roles.contains(role))
            }
            _ => false,
        }
    }
}
