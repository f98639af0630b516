//! Which chats and operators an event and its decisions touched: what the
//! owner of the state must persist after a step.

use std::collections::BTreeSet;

use super::model::{Decision, Event};
use crate::domain::Id;

/// (chats, operators) touched by `event` and the `decisions` it produced.
pub fn touched(event: &Event, decisions: &[Decision]) -> (BTreeSet<Id>, BTreeSet<Id>) {
    let (mut chats, mut operators) = touched_by_event(event);
    for decision in decisions {
        touched_by_decision(decision, &mut chats, &mut operators);
    }
    (chats, operators)
}

fn touched_by_event(event: &Event) -> (BTreeSet<Id>, BTreeSet<Id>) {
    let mut chats = BTreeSet::new();
    let mut operators = BTreeSet::new();
    match event {
        Event::ChatArrived { chat_id, .. }
        | Event::MessageRecorded { chat_id, .. }
        | Event::ChatCompleted { chat_id, .. } => {
            chats.insert(chat_id.clone());
        }
        Event::ChatAccepted {
            chat_id,
            operator_id,
        }
        | Event::ChatDeclined {
            chat_id,
            operator_id,
        } => {
            chats.insert(chat_id.clone());
            operators.insert(operator_id.clone());
        }
        Event::TransferredToOperator { chat_id, from, to } => {
            chats.insert(chat_id.clone());
            operators.extend([from.clone(), to.clone()]);
        }
        Event::TransferredToQueue { chat_id, from, .. } => {
            chats.insert(chat_id.clone());
            operators.insert(from.clone());
        }
        Event::OperatorStatusChanged { operator_id, .. } => {
            operators.insert(operator_id.clone());
        }
        Event::ConfigChanged | Event::TimerFired => {}
    }
    (chats, operators)
}

fn touched_by_decision(
    decision: &Decision,
    chats: &mut BTreeSet<Id>,
    operators: &mut BTreeSet<Id>,
) {
    match decision {
        Decision::Offer { chat_id, .. }
        | Decision::WithdrawOffer { chat_id, .. }
        | Decision::Complete { chat_id, .. }
        | Decision::Wait { chat_id, .. } => {
            chats.insert(chat_id.clone());
        }
        Decision::Assign {
            chat_id,
            operator_id,
            ..
        }
        | Decision::SetInactive {
            chat_id,
            operator_id,
            ..
        } => {
            chats.insert(chat_id.clone());
            operators.insert(operator_id.clone());
        }
        Decision::Refuse { .. } => {}
    }
}
