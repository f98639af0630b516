//! Lookups derived from a [`RoutingState`], so one event touches only the
//! operators, queues and chats it concerns instead of scanning everything.
//!
//! Membership (`members`, `queues_of`) depends on configuration only and is
//! rebuilt on `ConfigChanged`. The chat-derived parts are kept exact by
//! removing a chat's contribution before each edit and adding it back after
//! (see `Ctx::edit_chat`), so `Index::build(state)` always equals the index a
//! [`super::Router`] maintains incrementally (a property test checks this).

use std::collections::{BTreeMap, BTreeSet};

use crate::clock::Millis;
use crate::domain::Id;
use crate::routing::model::{Queue, RoutedChat, RoutedState, RoutingState, Settings};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Index {
    /// Queue → its operators (existing ones only), sorted by id. Every queue has an entry.
    pub members: BTreeMap<Id, Vec<Id>>,
    /// Operator → the queues they serve, sorted by id (operators serving none are absent).
    pub queues_of: BTreeMap<Id, Vec<Id>>,
    /// Operator → chats currently offered to them (either rule).
    pub offers: BTreeMap<Id, BTreeSet<Id>>,
    /// Operator → freest offers they hold (each reserves a slot of their capacity).
    pub reserved: BTreeMap<Id, u32>,
    /// Queue → arrival → chat, for chats that may still gain offers: Queued
    /// chats and `to_all` offers (Offered with no `offered_at`).
    pub pending: BTreeMap<Id, BTreeMap<u64, Id>>,
    /// (deadline, chat): freest accept timeouts and completion timeouts.
    pub deadlines: BTreeSet<(Millis, Id)>,
}

/// When something happens to this chat by itself, if ever: the accept timeout
/// of a freest offer, or the completion timeout of an Active chat whose last
/// message was outgoing.
pub(crate) fn deadline_of(
    settings: &Settings,
    queues: &BTreeMap<Id, Queue>,
    chat: &RoutedChat,
) -> Option<Millis> {
    match chat.state {
        RoutedState::Offered => chat
            .offered_at
            .map(|at| at.saturating_add(settings.accept_timeout)),
        RoutedState::Active if chat.last_message_outbound => queues
            .get(&chat.queue_id)
            .and_then(|queue| queue.completion_timeout)
            .map(|timeout| chat.last_message_at.saturating_add(timeout)),
        _ => None,
    }
}

fn is_pending(chat: &RoutedChat) -> bool {
    chat.state == RoutedState::Queued
        || (chat.state == RoutedState::Offered && chat.offered_at.is_none())
}

impl Index {
    pub fn build(state: &RoutingState) -> Self {
        let mut index = Index::default();
        index.rebuild_membership(state);
        for (id, chat) in &state.chats {
            index.add_chat(&state.settings, &state.queues, id, chat);
        }
        index
    }

    fn rebuild_membership(&mut self, state: &RoutingState) {
        let mut queues_by_role: BTreeMap<&Id, Vec<&Id>> = BTreeMap::new();
        for (queue_id, queue) in &state.queues {
            for role in &queue.roles {
                queues_by_role.entry(role).or_default().push(queue_id);
            }
        }
        let mut queues_of: BTreeMap<&Id, BTreeSet<&Id>> = BTreeMap::new();
        for (operator_id, operator) in &state.operators {
            for role in &operator.roles {
                if let Some(queues) = queues_by_role.get(role) {
                    queues_of
                        .entry(operator_id)
                        .or_default()
                        .extend(queues.iter().copied());
                }
            }
        }
        for (queue_id, queue) in &state.queues {
            for user in &queue.users {
                if let Some((operator_id, _)) = state.operators.get_key_value(user) {
                    queues_of.entry(operator_id).or_default().insert(queue_id);
                }
            }
        }
        self.members = state
            .queues
            .keys()
            .map(|queue_id| (queue_id.clone(), Vec::new()))
            .collect();
        // Operators in id order, so each member list comes out sorted.
        for (operator_id, queues) in &queues_of {
            for queue_id in queues {
                if let Some(members) = self.members.get_mut(*queue_id) {
                    members.push((*operator_id).clone());
                }
            }
        }
        self.queues_of = queues_of
            .into_iter()
            .map(|(operator_id, queues)| {
                (
                    operator_id.clone(),
                    queues.into_iter().cloned().collect::<Vec<_>>(),
                )
            })
            .collect();
    }

    pub fn is_member(&self, queue_id: &str, operator_id: &str) -> bool {
        self.members.get(queue_id).is_some_and(|members| {
            members
                .binary_search_by(|member| member.as_str().cmp(operator_id))
                .is_ok()
        })
    }

    /// One `to_all` offer of a chat that others still hold goes away: the
    /// chat stays Offered and pending, with no deadline, so only this changes.
    pub fn drop_to_all_offer(&mut self, chat_id: &Id, operator_id: &Id) {
        if let Some(offers) = self.offers.get_mut(operator_id) {
            offers.remove(chat_id);
            if offers.is_empty() {
                self.offers.remove(operator_id);
            }
        }
    }

    pub fn reserved(&self, operator_id: &str) -> u32 {
        self.reserved.get(operator_id).copied().unwrap_or(0)
    }

    pub fn add_chat(
        &mut self,
        settings: &Settings,
        queues: &BTreeMap<Id, Queue>,
        id: &Id,
        chat: &RoutedChat,
    ) {
        if is_pending(chat) {
            match self.pending.get_mut(&chat.queue_id) {
                Some(line) => {
                    line.insert(chat.arrival, id.clone());
                }
                None => {
                    self.pending.insert(
                        chat.queue_id.clone(),
                        BTreeMap::from([(chat.arrival, id.clone())]),
                    );
                }
            }
        }
        if chat.state == RoutedState::Offered {
            for operator_id in &chat.offered_to {
                match self.offers.get_mut(operator_id) {
                    Some(offers) => {
                        offers.insert(id.clone());
                    }
                    None => {
                        self.offers
                            .insert(operator_id.clone(), BTreeSet::from([id.clone()]));
                    }
                }
                if chat.offered_at.is_some() {
                    match self.reserved.get_mut(operator_id) {
                        Some(count) => *count += 1,
                        None => {
                            self.reserved.insert(operator_id.clone(), 1);
                        }
                    }
                }
            }
        }
        if let Some(deadline) = deadline_of(settings, queues, chat) {
            self.deadlines.insert((deadline, id.clone()));
        }
    }

    pub fn remove_chat(
        &mut self,
        settings: &Settings,
        queues: &BTreeMap<Id, Queue>,
        id: &Id,
        chat: &RoutedChat,
    ) {
        if is_pending(chat)
            && let Some(line) = self.pending.get_mut(&chat.queue_id)
        {
            line.remove(&chat.arrival);
            if line.is_empty() {
                self.pending.remove(&chat.queue_id);
            }
        }
        if chat.state == RoutedState::Offered {
            for operator_id in &chat.offered_to {
                if let Some(offers) = self.offers.get_mut(operator_id) {
                    offers.remove(id);
                    if offers.is_empty() {
                        self.offers.remove(operator_id);
                    }
                }
                if chat.offered_at.is_some()
                    && let Some(count) = self.reserved.get_mut(operator_id)
                {
                    *count = count.saturating_sub(1);
                    if *count == 0 {
                        self.reserved.remove(operator_id);
                    }
                }
            }
        }
        if let Some(deadline) = deadline_of(settings, queues, chat) {
            self.deadlines.remove(&(deadline, id.clone()));
        }
    }
}
