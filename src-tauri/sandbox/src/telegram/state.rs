//! The simulated Telegram: bots, their update queues, the chats they know, what they sent.
//!
//! Locking: one `std::sync::Mutex` per bot, never held across an `.await`. Waiting (long polls)
//! uses a `watch` channel that is bumped whenever an update arrives or a new poll starts.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use serde_json::Value;
use tokio::sync::watch;

use super::SentMessage;
use super::faults::Faults;
use super::files::StoredFile;
use super::token::parse_token;
use crate::SandboxError;

/// Update types delivered when `allowed_updates` is unset or empty (Bot API documentation:
/// everything except `chat_member`, `message_reaction` and `message_reaction_count`).
const OPT_IN_UPDATE_TYPES: [&str; 3] =
    ["chat_member", "message_reaction", "message_reaction_count"];

/// All bots of the sandbox, by token.
#[derive(Default)]
pub(crate) struct Registry {
    bots: RwLock<HashMap<String, Arc<Bot>>>,
    closed: AtomicBool,
}

impl Registry {
    /// Registers a bot; adding a token that is already there keeps the existing bot.
    pub fn add(&self, token: &str) -> Result<Arc<Bot>, SandboxError> {
        let id = parse_token(token)?;
        let mut bots = self.bots.write().unwrap_or_else(|e| e.into_inner());
        let bot = bots
            .entry(token.to_owned())
            .or_insert_with(|| Arc::new(Bot::new(token, id)));
        Ok(Arc::clone(bot))
    }

    pub fn get(&self, token: &str) -> Option<Arc<Bot>> {
        let bots = self.bots.read().unwrap_or_else(|e| e.into_inner());
        bots.get(token).cloned()
    }

    pub fn all(&self) -> Vec<Arc<Bot>> {
        let bots = self.bots.read().unwrap_or_else(|e| e.into_inner());
        bots.values().cloned().collect()
    }

    /// Marks the sandbox as shutting down and wakes every long poll so it answers at once.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        for bot in self.all() {
            bot.wake();
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

/// One simulated bot.
pub(crate) struct Bot {
    pub token: String,
    pub id: i64,
    pub first_name: String,
    pub username: String,
    state: Mutex<BotState>,
    /// Set by `TelegramControl::revoke_token`: every call answers 401 until restored.
    revoked: AtomicBool,
    changes: watch::Sender<u64>,
    waiting_polls: watch::Sender<usize>,
}

impl Bot {
    fn new(token: &str, id: i64) -> Bot {
        Bot {
            token: token.to_owned(),
            id,
            first_name: "Switchboard Demo Bot".to_owned(),
            username: format!("sandbox_{id}_bot"),
            state: Mutex::new(BotState::new()),
            revoked: AtomicBool::new(false),
            changes: watch::channel(0).0,
            waiting_polls: watch::channel(0).0,
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, BotState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_revoked(&self, revoked: bool) {
        self.revoked.store(revoked, Ordering::SeqCst);
    }

    pub fn is_revoked(&self) -> bool {
        self.revoked.load(Ordering::SeqCst)
    }

    /// Wakes whoever waits on [`Bot::subscribe`] (new update, new poller, shutdown).
    pub fn wake(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Counts a long poll as waiting until the returned guard is dropped.
    pub fn poll_waiting(&self) -> WaitingPoll<'_> {
        self.waiting_polls.send_modify(|n| *n += 1);
        WaitingPoll(&self.waiting_polls)
    }

    pub fn waiting_polls(&self) -> watch::Receiver<usize> {
        self.waiting_polls.subscribe()
    }
}

/// Held by a long poll while it waits; see [`Bot::poll_waiting`].
pub(crate) struct WaitingPoll<'a>(&'a watch::Sender<usize>);

impl Drop for WaitingPoll<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// A customer as the bot knows them (from their latest message).
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
}

/// A private chat with one customer. Message ids are shared by both sides of the chat.
#[derive(Debug)]
pub(crate) struct ChatRecord {
    pub customer: Customer,
    last_message_id: i64,
    messages: HashMap<i64, Value>,
}

impl ChatRecord {
    pub fn next_message_id(&mut self) -> i64 {
        self.last_message_id += 1;
        self.last_message_id
    }

    pub fn remember(&mut self, message_id: i64, message: &Value) {
        self.messages.insert(message_id, message.clone());
    }

    pub fn message(&self, message_id: i64) -> Option<&Value> {
        self.messages.get(&message_id)
    }

    pub fn message_mut(&mut self, message_id: i64) -> Option<&mut Value> {
        self.messages.get_mut(&message_id)
    }
}

#[derive(Debug)]
pub(crate) struct QueuedUpdate {
    pub id: i64,
    pub value: Value,
}

pub(crate) struct BotState {
    next_update_id: i64,
    pub updates: VecDeque<QueuedUpdate>,
    /// `None`/empty: the default set (see [`OPT_IN_UPDATE_TYPES`]).
    allowed_updates: Option<Vec<String>>,
    /// Incremented by every getUpdates; an older poll seeing a newer number lost the race.
    pub poll_generation: u64,
    chats: HashMap<i64, ChatRecord>,
    pub blocked: HashSet<i64>,
    pub sent: Vec<SentMessage>,
    pub faults: Faults,
    /// Set by `setWebhook`; while set, `getUpdates` answers 409 as on Telegram.
    pub webhook_url: Option<String>,
    pub files: HashMap<String, StoredFile>,
    pub next_file_seq: u64,
}

impl BotState {
    fn new() -> BotState {
        BotState {
            // Real update ids start at an arbitrary large number (tests must not
            // assume 1) and never go back. Starting at the Unix time in seconds
            // keeps them rising across sandbox restarts, so a client's stored
            // offset (the demo's workspace survives restarts) stays valid.
            next_update_id: first_update_id(),
            updates: VecDeque::new(),
            allowed_updates: None,
            poll_generation: 0,
            chats: HashMap::new(),
            blocked: HashSet::new(),
            sent: Vec::new(),
            faults: Faults::default(),
            webhook_url: None,
            files: HashMap::new(),
            next_file_seq: 1,
        }
    }

    /// Queues an update carrying `payload` under the field `kind`, unless `allowed_updates`
    /// excludes that type. Returns the full Update. The caller must [`Bot::wake`] afterwards.
    pub fn push_update(&mut self, kind: &str, payload: Value) -> Value {
        let id = self.next_update_id;
        self.next_update_id += 1;
        let mut update = serde_json::Map::new();
        update.insert("update_id".to_owned(), Value::from(id));
        update.insert(kind.to_owned(), payload);
        let value = Value::Object(update);
        if self.accepts(kind) {
            self.updates.push_back(QueuedUpdate {
                id,
                value: value.clone(),
            });
        }
        value
    }

    fn accepts(&self, kind: &str) -> bool {
        match &self.allowed_updates {
            Some(list) if !list.is_empty() => list.iter().any(|t| t == kind),
            _ => !OPT_IN_UPDATE_TYPES.contains(&kind),
        }
    }

    pub fn set_allowed_updates(&mut self, allowed: Vec<String>) {
        self.allowed_updates = Some(allowed);
    }

    /// Confirms (forgets) every update whose id is below `offset`.
    pub fn confirm_below(&mut self, offset: i64) {
        while self.updates.front().is_some_and(|u| u.id < offset) {
            self.updates.pop_front();
        }
    }

    /// Keeps only the last `count` updates (negative getUpdates offset).
    pub fn keep_last(&mut self, count: usize) {
        while self.updates.len() > count {
            self.updates.pop_front();
        }
    }

    pub fn chat(&self, chat_id: i64) -> Option<&ChatRecord> {
        self.chats.get(&chat_id)
    }

    pub fn chat_mut(&mut self, chat_id: i64) -> Option<&mut ChatRecord> {
        self.chats.get_mut(&chat_id)
    }

    /// The chat with this customer, created on first contact; names are refreshed.
    pub fn chat_with(&mut self, customer: Customer) -> &mut ChatRecord {
        let chat = self.chats.entry(customer.id).or_insert_with(|| ChatRecord {
            customer: customer.clone(),
            last_message_id: 0,
            messages: HashMap::new(),
        });
        chat.customer = customer;
        chat
    }
}

/// Seconds since the epoch: larger than any id a previous run at a rate of
/// under one update per second could have reached, and within Telegram's 32 bits.
fn first_update_id() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_secs()).unwrap_or(1)
}
