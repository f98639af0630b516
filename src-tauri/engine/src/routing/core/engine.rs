//! One step: validate the event (refusing with no state change), apply it,
//! then `settle`: route every chat that needs it, first come first served.
//! This file holds the step's context, the primitive edits and `settle`;
//! the per-event handlers are in `events.rs`.

use std::collections::{BTreeMap, BTreeSet};

use super::index::Index;
use super::why;
use crate::clock::Millis;
use crate::domain::{Id, RoutingRule};
use crate::routing::model::{
    CandidateView, Decision, Event, OperatorStatus, RoutedChat, RoutedState, RoutingState, Why,
};

pub(crate) fn run(
    state: &mut RoutingState,
    index: &mut Index,
    event: Event,
    now: Millis,
) -> Vec<Decision> {
    let mut cx = Ctx {
        s: state,
        idx: index,
        now,
        out: Vec::new(),
        to_route: BTreeSet::new(),
        freed: BTreeSet::new(),
        all: false,
    };
    match cx.handle(event) {
        Ok(()) => {
            cx.settle();
            cx.out
        }
        Err(why) => vec![Decision::Refuse { why }],
    }
}

pub(super) struct Ctx<'a> {
    pub(super) s: &'a mut RoutingState,
    pub(super) idx: &'a mut Index,
    pub(super) now: Millis,
    pub(super) out: Vec<Decision>,
    /// Chats that just became Queued (or arrived): route them; `Wait` if nobody.
    pub(super) to_route: BTreeSet<Id>,
    /// Operators who may have become eligible for more chats.
    pub(super) freed: BTreeSet<Id>,
    /// Re-evaluate every waiting chat against every member (ConfigChanged).
    pub(super) all: bool,
}

impl Ctx<'_> {
    pub(super) fn cap(&self) -> u32 {
        self.s.settings.simultaneous_chats
    }

    pub(super) fn limit_reached(&self) -> String {
        format!(
            "You reached your limit of {} simultaneous chats.",
            self.cap()
        )
    }

    pub(super) fn view(&self, operator_id: &Id) -> CandidateView {
        let operator = self.s.operators.get(operator_id);
        CandidateView {
            operator_id: operator_id.clone(),
            active_chats: operator.map_or(0, |o| o.active_chats),
            last_assigned_at: operator.and_then(|o| o.last_assigned_at),
        }
    }

    pub(super) fn rule_of(&self, chat: &RoutedChat) -> RoutingRule {
        match self.s.queues.get(&chat.queue_id) {
            Some(queue) => queue.rule,
            None if chat.offered_at.is_some() => RoutingRule::Freest,
            None => RoutingRule::ToAll,
        }
    }

    /// Active and with a free slot (active chats + freest offers held < capacity).
    pub(super) fn has_room(&self, operator_id: &Id) -> bool {
        self.s.operators.get(operator_id).is_some_and(|operator| {
            operator.status == OperatorStatus::Active
                && operator.active_chats + self.idx.reserved(operator_id) < self.cap()
        })
    }

    /// Edits a chat, keeping the index exact.
    pub(super) fn edit_chat<R>(
        &mut self,
        id: &Id,
        edit: impl FnOnce(&mut RoutedChat) -> R,
    ) -> Option<R> {
        let state = &mut *self.s;
        let chat = state.chats.get_mut(id)?;
        self.idx
            .remove_chat(&state.settings, &state.queues, id, chat);
        let result = edit(chat);
        self.idx.add_chat(&state.settings, &state.queues, id, chat);
        Some(result)
    }

    pub(super) fn withdraw(&mut self, chat_id: &Id, operator_id: &Id, why: String) {
        // Fast path: one of several holders of a to_all offer.
        if let Some(chat) = self.s.chats.get_mut(chat_id)
            && chat.offered_at.is_none()
            && chat.offered_to.len() > 1
            && chat.offered_to.remove(operator_id)
        {
            self.idx.drop_to_all_offer(chat_id, operator_id);
            self.out.push(Decision::WithdrawOffer {
                chat_id: chat_id.clone(),
                operator_id: operator_id.clone(),
                why,
            });
            return;
        }
        let change = self.edit_chat(chat_id, |chat| {
            if !chat.offered_to.remove(operator_id) {
                return None;
            }
            let freest = chat.offered_at.is_some();
            let emptied = chat.offered_to.is_empty();
            if emptied {
                chat.state = RoutedState::Queued;
                chat.offered_at = None;
            }
            Some((freest, emptied))
        });
        let Some(Some((freest, emptied))) = change else {
            return;
        };
        self.out.push(Decision::WithdrawOffer {
            chat_id: chat_id.clone(),
            operator_id: operator_id.clone(),
            why,
        });
        if freest {
            self.freed.insert(operator_id.clone());
        }
        if emptied {
            self.to_route.insert(chat_id.clone());
        }
    }

    pub(super) fn withdraw_all(&mut self, chat_id: &Id, why: &str) {
        let holders: Vec<Id> = self
            .s
            .chats
            .get(chat_id)
            .map(|chat| chat.offered_to.iter().cloned().collect())
            .unwrap_or_default();
        for holder in holders {
            self.withdraw(chat_id, &holder, why.to_string());
        }
    }

    pub(super) fn drop_offers_of(&mut self, operator_id: &Id, why: &str) {
        let chats: Vec<Id> = self
            .idx
            .offers
            .get(operator_id)
            .map(|offers| offers.iter().cloned().collect())
            .unwrap_or_default();
        for chat_id in chats {
            self.withdraw(&chat_id, operator_id, why.to_string());
        }
    }

    /// The chat becomes `operator_id`'s (accept or transfer); at capacity they
    /// lose every offer they still hold.
    pub(super) fn take(&mut self, chat_id: &Id, operator_id: &Id, why: Why) {
        self.edit_chat(chat_id, |chat| {
            chat.state = RoutedState::Active;
            chat.operator = Some(operator_id.clone());
            chat.offered_to.clear();
            chat.offered_at = None;
            chat.excluded.clear();
        });
        let now = self.now;
        let cap = self.cap();
        let Some(operator) = self.s.operators.get_mut(operator_id) else {
            return;
        };
        operator.active_chats += 1;
        operator.last_assigned_at = Some(now);
        let full = operator.active_chats >= cap;
        self.out.push(Decision::Assign {
            chat_id: chat_id.clone(),
            operator_id: operator_id.clone(),
            why,
        });
        if full {
            let why = self.limit_reached();
            self.drop_offers_of(operator_id, &why);
        }
    }

    /// An Active chat leaves its operator (completed or transferred away).
    pub(super) fn release(&mut self, operator_id: &Id) {
        if let Some(operator) = self.s.operators.get_mut(operator_id) {
            operator.active_chats = operator.active_chats.saturating_sub(1);
            self.freed.insert(operator_id.clone());
        }
    }

    /// Routes, in arrival order, the chats that need it: those that just
    /// became Queued, and the waiting ones an operator freed in this step may
    /// now take. Offers only ever reduce room, so one pass suffices.
    pub(super) fn settle(&mut self) {
        // arrival → (chat, consider every member?)
        let mut work: BTreeMap<u64, (Id, bool)> = BTreeMap::new();
        for chat_id in &self.to_route {
            if let Some(chat) = self.s.chats.get(chat_id)
                && chat.state == RoutedState::Queued
            {
                work.insert(chat.arrival, (chat_id.clone(), true));
            }
        }
        let freed: BTreeSet<Id> = self
            .freed
            .iter()
            .filter(|id| self.has_room(id))
            .cloned()
            .collect();
        if self.all {
            for line in self.idx.pending.values() {
                for (arrival, chat_id) in line {
                    work.insert(*arrival, (chat_id.clone(), true));
                }
            }
        } else {
            for operator_id in &freed {
                for queue_id in self.idx.queues_of.get(operator_id).into_iter().flatten() {
                    for (arrival, chat_id) in self.idx.pending.get(queue_id).into_iter().flatten() {
                        work.entry(*arrival)
                            .or_insert_with(|| (chat_id.clone(), false));
                    }
                }
            }
        }
        for (chat_id, everyone) in work.into_values() {
            self.route(&chat_id, if everyone { None } else { Some(&freed) });
        }
    }

    /// Offers one chat to whoever may take it. `only`: the operators whose
    /// room grew in this step (everyone else was already considered).
    pub(super) fn route(&mut self, chat_id: &Id, only: Option<&BTreeSet<Id>>) {
        let Some(chat) = self.s.chats.get(chat_id) else {
            return;
        };
        let waiting = chat.state == RoutedState::Queued;
        if !(waiting || (chat.state == RoutedState::Offered && chat.offered_at.is_none())) {
            return;
        }
        let Some(queue) = self.s.queues.get(&chat.queue_id) else {
            if self.to_route.contains(chat_id) {
                self.wait(chat_id, "Its queue no longer exists.".into());
            }
            return;
        };
        let rule = queue.rule;
        let cap = self.cap();
        let candidate = |id: &Id| -> Option<CandidateView> {
            if chat.excluded.contains(id) || chat.offered_to.contains(id) {
                return None;
            }
            let operator = self.s.operators.get(id)?;
            let room = operator.status == OperatorStatus::Active
                && operator.active_chats + self.idx.reserved(id) < cap;
            room.then(|| CandidateView {
                operator_id: id.clone(),
                active_chats: operator.active_chats,
                last_assigned_at: operator.last_assigned_at,
            })
        };
        let members: &[Id] = self
            .idx
            .members
            .get(&chat.queue_id)
            .map_or(&[], Vec::as_slice);
        let mut ranked: Vec<CandidateView> = match only {
            None => members.iter().filter_map(candidate).collect(),
            Some(only) => only
                .iter()
                .filter(|id| self.idx.is_member(&chat.queue_id, id))
                .filter_map(candidate)
                .collect(),
        };
        ranked.sort_by(why::rank);
        if !ranked.is_empty() {
            let (operator_ids, why, offered_at) = match rule {
                RoutingRule::Freest if waiting => (
                    vec![ranked[0].operator_id.clone()],
                    why::freest_offer(ranked),
                    Some(self.now),
                ),
                RoutingRule::Freest => return,
                RoutingRule::ToAll => (
                    ranked.iter().map(|c| c.operator_id.clone()).collect(),
                    why::to_all_offer(ranked, !waiting),
                    None,
                ),
            };
            self.edit_chat(chat_id, |chat| {
                chat.state = RoutedState::Offered;
                chat.offered_to.extend(operator_ids.iter().cloned());
                chat.offered_at = offered_at;
            });
            self.out.push(Decision::Offer {
                chat_id: chat_id.clone(),
                operator_ids,
                why,
            });
        } else if waiting && self.to_route.contains(chat_id) {
            let why = self.why_waiting(chat_id);
            self.wait(chat_id, why);
        }
    }

    pub(super) fn wait(&mut self, chat_id: &Id, why: String) {
        self.out.push(Decision::Wait {
            chat_id: chat_id.clone(),
            why,
        });
    }

    pub(super) fn why_waiting(&self, chat_id: &Id) -> String {
        let Some(chat) = self.s.chats.get(chat_id) else {
            return String::new();
        };
        let members: Vec<&Id> = self
            .idx
            .members
            .get(&chat.queue_id)
            .into_iter()
            .flatten()
            .filter(|id| !chat.excluded.contains(*id))
            .collect();
        let active = members.iter().any(|id| {
            self.s
                .operators
                .get(*id)
                .is_some_and(|o| o.status == OperatorStatus::Active)
        });
        let served = self
            .idx
            .members
            .get(&chat.queue_id)
            .is_some_and(|m| !m.is_empty());
        if !served {
            "No operator serves this queue; the chat waits in line.".into()
        } else if members.is_empty() {
            "Every operator of the queue declined or passed on this chat; it waits in line.".into()
        } else if !active {
            "No operator of the queue is Active; the chat waits in line.".into()
        } else {
            format!(
                "Every Active operator of the queue is at the limit of {} chats; the chat waits in line.",
                self.cap()
            )
        }
    }
}
