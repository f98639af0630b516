//! State of the Messenger Platform simulation, kept inside the Facebook [`super::state::State`]
//! (same lock): customers (PSIDs), webhooks and their delivery queues, sent messages, reusable
//! attachments, thread owners and armed Send API faults.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, Weak};

use super::messenger_types::{DeliveryAttempt, SentMessengerMessage, WebhookRetry};
use super::state::State;
use super::types::SubscribeFault;

#[derive(Debug, Clone)]
pub struct Customer {
    pub page_id: String,
    pub psid: String,
    pub first_name: String,
    pub last_name: String,
    /// Unix seconds of the person's last message or postback (opens the 24-hour window).
    pub last_message_at: Option<i64>,
    /// Sends answer 551 "This person isn't available right now."
    pub unavailable: bool,
    /// Page messages to this person not yet reported in a `delivery` event.
    pub undelivered: Vec<String>,
}

/// A file the sandbox serves under `/fbcdn/attachments/{id}/{name}`: uploads
/// (`message_attachments`), customers' attachments and fetched Send API URLs.
#[derive(Debug, Clone)]
pub struct StoredAttachment {
    pub file_name: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
    /// Page that uploaded it with `is_reusable` (usable as `attachment_id` by that page).
    pub reusable_for: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Webhook {
    pub callback_url: String,
}

/// An event waiting for delivery to one app: the exact body, built when it happened.
#[derive(Debug, Clone)]
pub struct Pending {
    pub event: u64,
    pub body: String,
}

#[derive(Debug, Default)]
pub struct Queue {
    pub pending: VecDeque<Pending>,
    pub worker_running: bool,
}

#[derive(Debug, Default)]
pub struct MessengerState {
    /// The state itself, for delivery workers spawned while it is locked.
    pub this: Weak<Mutex<State>>,
    pub runtime: Option<tokio::runtime::Handle>,
    pub http: Option<reqwest::Client>,
    pub customers: Vec<Customer>,
    pub attachments: HashMap<String, StoredAttachment>,
    pub webhooks: HashMap<String, Webhook>,
    pub retry: WebhookRetry,
    /// (app id, page id) → events waiting, delivered in order by one worker.
    pub queues: HashMap<(String, String), Queue>,
    pub attempts: Vec<DeliveryAttempt>,
    /// Per app: how many events were queued so far.
    pub event_serial: HashMap<String, u64>,
    pub sent: Vec<SentMessengerMessage>,
    pub human_agent_approved: Vec<String>,
    /// (page id, PSID) → app that holds the thread. Absent: nobody in particular, every
    /// subscribed app gets `messaging`.
    pub thread_owners: HashMap<(String, String), String>,
    /// page id → faults for the next sends, used up in order.
    pub send_faults: HashMap<String, VecDeque<SubscribeFault>>,
}

impl MessengerState {
    pub fn customer(&self, page_id: &str, psid: &str) -> Option<&Customer> {
        self.customers
            .iter()
            .find(|c| c.page_id == page_id && c.psid == psid)
    }

    pub fn customer_mut(&mut self, page_id: &str, psid: &str) -> Option<&mut Customer> {
        self.customers
            .iter_mut()
            .find(|c| c.page_id == page_id && c.psid == psid)
    }

    /// The customer with this PSID on any page (PSIDs are unique in the sandbox).
    pub fn customer_by_psid(&self, psid: &str) -> Option<&Customer> {
        self.customers.iter().find(|c| c.psid == psid)
    }

    pub fn thread_owner(&self, page_id: &str, psid: &str) -> Option<&String> {
        self.thread_owners
            .get(&(page_id.to_owned(), psid.to_owned()))
    }
}

impl State {
    /// Unix milliseconds on the sandbox's clock (webhook `time` and `timestamp`).
    pub fn now_ms(&self) -> i64 {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        wall.saturating_add(self.clock_offset_secs.saturating_mul(1000))
    }
}
