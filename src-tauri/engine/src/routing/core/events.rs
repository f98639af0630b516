//! The per-event handlers: each validates first (an `Err` is a refusal and
//! nothing has changed yet), then applies the event through `Ctx`'s edits.

use std::collections::BTreeSet;

use super::engine::Ctx;
use super::index::Index;
use super::why;
use crate::domain::{Id, RoutingRule};
use crate::routing::model::{
    CandidateView, Decision, Event, OperatorStatus, RoutedChat, RoutedState,
};

pub(super) type Refused = Result<(), String>;
fn no_chat(id: &str) -> String {
    format!("There is no chat {id}.")
}
fn no_operator(id: &str) -> String {
    format!("There is no operator {id}.")
}
fn no_queue(id: &str) -> String {
    format!("There is no queue {id}.")
}

impl Ctx<'_> {
    pub(super) fn handle(&mut self, event: Event) -> Refused {
        match event {
            Event::ChatArrived { chat_id, queue_id } => self.arrived(chat_id, queue_id),
            Event::MessageRecorded { chat_id, outbound } => {
                let now = self.now;
                self.edit_chat(&chat_id, |chat| {
                    chat.last_message_at = now;
                    chat.last_message_outbound = outbound;
                })
                .ok_or_else(|| no_chat(&chat_id))
            }
            Event::OperatorStatusChanged {
                operator_id,
                status,
            } => self.status_changed(&operator_id, status),
            Event::ChatAccepted {
                chat_id,
                operator_id,
            } => self.accepted(&chat_id, &operator_id),
            Event::ChatDeclined {
                chat_id,
                operator_id,
            } => self.declined(&chat_id, &operator_id),
            Event::ChatCompleted { chat_id, by } => self.completed(&chat_id, by.as_ref()),
            Event::TransferredToOperator { chat_id, from, to } => {
                self.transfer_to_operator(&chat_id, &from, &to)
            }
            Event::TransferredToQueue {
                chat_id,
                from,
                queue_id,
            } => self.transfer_to_queue(&chat_id, &from, &queue_id),
            Event::ConfigChanged => {
                self.config_changed();
                Ok(())
            }
            Event::TimerFired => {
                self.timer_fired();
                Ok(())
            }
        }
    }

    fn arrived(&mut self, chat_id: Id, queue_id: Id) -> Refused {
        if !self.s.queues.contains_key(&queue_id) {
            return Err(no_queue(&queue_id));
        }
        let arrival = self.s.next_arrival;
        match self.s.chats.get(&chat_id) {
            None => {
                self.s.next_arrival += 1;
                let chat = RoutedChat {
                    queue_id,
                    state: RoutedState::Queued,
                    operator: None,
                    offered_to: BTreeSet::new(),
                    offered_at: None,
                    arrival,
                    last_message_at: self.now,
                    last_message_outbound: false,
                    excluded: BTreeSet::new(),
                };
                self.idx
                    .add_chat(&self.s.settings, &self.s.queues, &chat_id, &chat);
                self.s.chats.insert(chat_id.clone(), chat);
            }
            Some(chat) if chat.state == RoutedState::Active => {
                let operator = chat.operator.clone().unwrap_or_default();
                return Err(format!("Chat {chat_id} is already active with {operator}."));
            }
            Some(chat) => {
                // Routed afresh: a completed chat comes back as a new arrival;
                // a waiting one keeps its place unless it changes queue.
                let new_place = chat.state == RoutedState::Completed || chat.queue_id != queue_id;
                self.withdraw_all(&chat_id, "The chat is being routed afresh.");
                if new_place {
                    self.s.next_arrival += 1;
                }
                let now = self.now;
                self.edit_chat(&chat_id, |chat| {
                    if new_place {
                        chat.arrival = arrival;
                    }
                    if chat.state == RoutedState::Completed {
                        chat.last_message_at = now;
                        chat.last_message_outbound = false;
                    }
                    chat.queue_id = queue_id;
                    chat.state = RoutedState::Queued;
                    chat.operator = None;
                    chat.offered_to.clear();
                    chat.offered_at = None;
                    chat.excluded.clear();
                });
            }
        }
        self.to_route.insert(chat_id);
        Ok(())
    }

    fn status_changed(&mut self, operator_id: &Id, status: OperatorStatus) -> Refused {
        let operator = self
            .s
            .operators
            .get_mut(operator_id)
            .ok_or_else(|| no_operator(operator_id))?;
        let was = operator.status;
        operator.status = status;
        if status == OperatorStatus::Active {
            if was != OperatorStatus::Active {
                self.freed.insert(operator_id.clone());
            }
        } else {
            self.drop_offers_of(operator_id, "You are no longer Active.");
        }
        Ok(())
    }

    fn accepted(&mut self, chat_id: &Id, operator_id: &Id) -> Refused {
        let chat = self.s.chats.get(chat_id).ok_or_else(|| no_chat(chat_id))?;
        let operator = self
            .s
            .operators
            .get(operator_id)
            .ok_or_else(|| no_operator(operator_id))?;
        match chat.state {
            RoutedState::Completed => return Err("This chat is already completed.".into()),
            RoutedState::Active if chat.operator.as_ref() == Some(operator_id) => {
                return Err("You already have this chat.".into());
            }
            RoutedState::Active => {
                return Err("Another operator has already accepted this chat.".into());
            }
            _ if !chat.offered_to.contains(operator_id) => {
                return Err("This chat is not offered to you.".into());
            }
            _ => {}
        }
        if operator.status != OperatorStatus::Active {
            return Err("Set your status to Active to accept chats.".into());
        }
        if operator.active_chats >= self.cap() {
            return Err(format!(
                "You are at your limit of {} simultaneous chats.",
                self.cap()
            ));
        }
        let rule = self.rule_of(chat);
        let mut holders: Vec<CandidateView> =
            chat.offered_to.iter().map(|id| self.view(id)).collect();
        holders.sort_by(why::rank);
        let others: Vec<Id> = chat
            .offered_to
            .iter()
            .filter(|id| *id != operator_id)
            .cloned()
            .collect();
        for other in others {
            self.withdraw(chat_id, &other, format!("Accepted by {operator_id}."));
        }
        self.take(chat_id, operator_id, why::accepted(rule, holders));
        Ok(())
    }

    fn declined(&mut self, chat_id: &Id, operator_id: &Id) -> Refused {
        let chat = self.s.chats.get(chat_id).ok_or_else(|| no_chat(chat_id))?;
        if !self.s.operators.contains_key(operator_id) {
            return Err(no_operator(operator_id));
        }
        if chat.state != RoutedState::Offered || !chat.offered_to.contains(operator_id) {
            return Err("This chat is not offered to you.".into());
        }
        self.edit_chat(chat_id, |chat| chat.excluded.insert(operator_id.clone()));
        self.withdraw(chat_id, operator_id, "You declined it.".into());
        Ok(())
    }

    fn completed(&mut self, chat_id: &Id, by: Option<&Id>) -> Refused {
        let chat = self.s.chats.get(chat_id).ok_or_else(|| no_chat(chat_id))?;
        if let Some(by) = by
            && !self.s.operators.contains_key(by)
        {
            return Err(no_operator(by));
        }
        if chat.state == RoutedState::Completed {
            return Err("This chat is already completed.".into());
        }
        let why = match by {
            Some(by) => format!("Completed by {by}."),
            None => "Completed.".to_string(),
        };
        self.complete(chat_id, why);
        Ok(())
    }

    fn complete(&mut self, chat_id: &Id, why: String) {
        self.withdraw_all(chat_id, "The chat was completed.");
        self.to_route.remove(chat_id);
        let operator = self
            .edit_chat(chat_id, |chat| {
                let operator = match chat.state {
                    RoutedState::Active => chat.operator.take(),
                    _ => None,
                };
                chat.state = RoutedState::Completed;
                chat.operator = None;
                chat.offered_to.clear();
                chat.offered_at = None;
                chat.excluded.clear();
                operator
            })
            .flatten();
        if let Some(operator) = operator {
            self.release(&operator);
        }
        self.out.push(Decision::Complete {
            chat_id: chat_id.clone(),
            why,
        });
    }

    /// The chat must be Active with `from`.
    fn check_holder(&self, chat_id: &Id, from: &Id) -> Refused {
        let chat = self.s.chats.get(chat_id).ok_or_else(|| no_chat(chat_id))?;
        if !self.s.operators.contains_key(from) {
            return Err(no_operator(from));
        }
        if chat.state != RoutedState::Active {
            return Err("Only an active chat can be transferred.".into());
        }
        if chat.operator.as_ref() != Some(from) {
            return Err("Only the operator who has the chat can transfer it.".into());
        }
        Ok(())
    }

    fn transfer_to_operator(&mut self, chat_id: &Id, from: &Id, to: &Id) -> Refused {
        let target = self.s.operators.get(to).ok_or_else(|| no_operator(to))?;
        self.check_holder(chat_id, from)?;
        if to == from {
            return Err("The chat is already yours.".into());
        }
        if target.status != OperatorStatus::Active {
            return Err(format!("{to} is not Active, so they cannot take the chat."));
        }
        if target.active_chats >= self.cap() {
            return Err(format!(
                "{to} is at their limit of {} simultaneous chats.",
                self.cap()
            ));
        }
        let rule = match self.s.chats.get(chat_id) {
            Some(chat) => self.rule_of(chat),
            None => RoutingRule::ToAll,
        };
        let why = why::transferred(rule, from, self.view(to));
        self.release(from);
        self.take(chat_id, to, why);
        Ok(())
    }

    /// The chat joins the back of the new queue's line (a new arrival number),
    /// and is not offered back to `from` while it waits.
    fn transfer_to_queue(&mut self, chat_id: &Id, from: &Id, queue_id: &Id) -> Refused {
        if !self.s.queues.contains_key(queue_id) {
            return Err(no_queue(queue_id));
        }
        self.check_holder(chat_id, from)?;
        let arrival = self.s.next_arrival;
        self.s.next_arrival += 1;
        self.edit_chat(chat_id, |chat| {
            chat.queue_id = queue_id.clone();
            chat.state = RoutedState::Queued;
            chat.operator = None;
            chat.arrival = arrival;
            chat.excluded = BTreeSet::from([from.clone()]);
        });
        self.release(from);
        self.to_route.insert(chat_id.clone());
        Ok(())
    }

    fn timer_fired(&mut self) {
        while let Some((deadline, chat_id)) = self.idx.deadlines.first().cloned() {
            if deadline > self.now {
                break;
            }
            let Some(chat) = self.s.chats.get(&chat_id) else {
                self.idx.deadlines.remove(&(deadline, chat_id));
                continue;
            };
            if chat.state == RoutedState::Active {
                let timeout = deadline - chat.last_message_at;
                self.complete(
                    &chat_id,
                    format!(
                        "No message for {} after the operator's reply.",
                        why::duration(timeout)
                    ),
                );
                continue;
            }
            // A freest offer nobody accepted in time.
            let holders: Vec<Id> = chat.offered_to.iter().cloned().collect();
            let timeout = why::duration(self.s.settings.accept_timeout);
            for holder in holders {
                if let Some(operator) = self.s.operators.get_mut(&holder) {
                    operator.status = OperatorStatus::Inactive;
                }
                self.out.push(Decision::SetInactive {
                    operator_id: holder.clone(),
                    chat_id: chat_id.clone(),
                    why: format!(
                        "You did not accept a chat within {timeout}; set your status to Active to receive chats again."
                    ),
                });
                self.withdraw(&chat_id, &holder, format!("Not accepted within {timeout}."));
                self.drop_offers_of(&holder, "You were set Inactive.");
            }
            // Defensive: an offer with no holder must not stall the loop.
            self.edit_chat(&chat_id, |chat| {
                if chat.state == RoutedState::Offered {
                    chat.state = RoutedState::Queued;
                    chat.offered_to.clear();
                    chat.offered_at = None;
                }
            });
            self.to_route.insert(chat_id);
        }
    }

    fn config_changed(&mut self) {
        *self.idx = Index::build(self.s);
        self.all = true;
        let cap = self.cap();
        let offered: Vec<Id> = self
            .s
            .chats
            .iter()
            .filter(|(_, chat)| chat.state == RoutedState::Offered)
            .map(|(id, _)| id.clone())
            .collect();
        for chat_id in offered {
            let chat = &self.s.chats[&chat_id];
            let freest_offer = chat.offered_at.is_some();
            match self.s.queues.get(&chat.queue_id).map(|q| q.rule) {
                None => {
                    self.withdraw_all(&chat_id, "The chat's queue was removed.");
                    continue;
                }
                Some(RoutingRule::Freest) if !freest_offer || chat.offered_to.len() > 1 => {
                    self.withdraw_all(&chat_id, "The queue's routing rule changed.");
                    continue;
                }
                Some(RoutingRule::ToAll) if freest_offer => {
                    // Now a to_all offer: no accept timeout, no reserved slot.
                    let holders = chat.offered_to.clone();
                    self.edit_chat(&chat_id, |chat| chat.offered_at = None);
                    self.freed.extend(holders);
                }
                Some(_) => {}
            }
            let chat = &self.s.chats[&chat_id];
            let mut lost: Vec<(Id, String)> = Vec::new();
            for holder in &chat.offered_to {
                let why = match self.s.operators.get(holder) {
                    None => "You are no longer an operator.".to_string(),
                    Some(_) if !self.idx.is_member(&chat.queue_id, holder) => {
                        "You no longer serve this chat's queue.".to_string()
                    }
                    Some(operator) if operator.status != OperatorStatus::Active => {
                        "You are no longer Active.".to_string()
                    }
                    Some(operator) if operator.active_chats >= cap => self.limit_reached(),
                    Some(_) => continue,
                };
                lost.push((holder.clone(), why));
            }
            for (holder, why) in lost {
                self.withdraw(&chat_id, &holder, why);
            }
        }
        // A lowered capacity: give up the newest freest offers beyond it.
        let over: Vec<Id> = self
            .idx
            .reserved
            .keys()
            .filter(|id| {
                self.s
                    .operators
                    .get(*id)
                    .is_some_and(|o| o.active_chats + self.idx.reserved(id) > cap)
            })
            .cloned()
            .collect();
        for operator_id in over {
            let mut freest: Vec<(u64, Id)> = self
                .idx
                .offers
                .get(&operator_id)
                .into_iter()
                .flatten()
                .filter_map(|chat_id| {
                    let chat = &self.s.chats[chat_id];
                    chat.offered_at.map(|_| (chat.arrival, chat_id.clone()))
                })
                .collect();
            freest.sort();
            let active = self.s.operators[&operator_id].active_chats;
            while active + self.idx.reserved(&operator_id) > cap {
                let Some((_, chat_id)) = freest.pop() else {
                    break;
                };
                let why = format!("Over the new limit of {cap} simultaneous chats.");
                self.withdraw(&chat_id, &operator_id, why);
            }
        }
    }
}
