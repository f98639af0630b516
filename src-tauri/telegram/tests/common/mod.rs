//! Shared fixture: the in-process sandbox, a real SQLite store in a tempdir,
//! and a running channel with handles to its signals. Waiting is always on a
//! condition with a deadline, never a fixed sleep.

#![allow(dead_code)] // each test file uses a part

pub mod proxy;

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use switchboard_engine::clock::{Clock, ManualClock, SystemClock};
use switchboard_engine::domain::{Channel, ChannelHealth, Message, MessageKind, Provider};
use switchboard_engine::routing::{Event, Router};
use switchboard_engine::store::{RoutingChanges, Store};
use switchboard_sandbox::{CustomerMessage, Sandbox, SandboxConfig, TelegramControl};
use switchboard_telegram::{BotApi, ChannelContext};
use tokio::sync::{Notify, broadcast, watch};
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "5550001:connector-test-token";
pub const DEADLINE: Duration = Duration::from_secs(20);

pub struct Fixture {
    pub sandbox: Sandbox,
    pub store: Store,
    pub channel: Channel,
    /// Set for fixtures whose time the test moves by hand.
    manual: Option<ManualClock>,
    clock: Arc<dyn Clock>,
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// Time stands still unless the test advances it (retries become due
    /// only when the test says so).
    pub async fn new() -> Self {
        let clock = ManualClock::at(1_790_000_000_000);
        Self::with_clock(Some(clock.clone()), Arc::new(clock)).await
    }

    /// Wall-clock time, for tests of waits the connector ends by itself.
    pub async fn real_time() -> Self {
        Self::with_clock(None, Arc::new(SystemClock)).await
    }

    async fn with_clock(manual: Option<ManualClock>, clock: Arc<dyn Clock>) -> Self {
        let sandbox = Sandbox::start(SandboxConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            telegram_bots: vec![TOKEN.into()],
            simulate_customers: false,
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite"), clock.now())
            .await
            .unwrap();
        let channel = store
            .add_channel(
                Provider::Telegram,
                "Bot",
                &sandbox.base_url(),
                "5550001",
                clock.now(),
            )
            .await
            .unwrap();
        Self {
            sandbox,
            store,
            channel,
            manual,
            clock,
            dir,
        }
    }

    pub fn tg(&self) -> TelegramControl {
        self.sandbox.telegram()
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Moves a hand-driven clock.
    pub fn advance(&self, millis: i64) {
        self.manual
            .as_ref()
            .expect("advance needs Fixture::new")
            .advance(millis);
    }

    pub fn start(&self) -> Running {
        self.start_at(&self.sandbox.base_url(), TOKEN)
    }

    /// Starts the channel against any base URL and token (a proxy, a wrong token).
    pub fn start_at(&self, base_url: &str, token: &str) -> Running {
        let (changes, changed) = broadcast::channel(256);
        let (health, health_rx) = watch::channel(ChannelHealth::Starting);
        let outbox = Arc::new(Notify::new());
        let files = Arc::new(Notify::new());
        let cancel = CancellationToken::new();
        let tasks = switchboard_telegram::spawn(ChannelContext {
            store: self.store.clone(),
            channel: self.channel.clone(),
            api: BotApi::new(base_url, token).unwrap(),
            clock: self.clock.clone(),
            changes,
            health,
            outbox: outbox.clone(),
            files: files.clone(),
            cancel: cancel.clone(),
        });
        Running {
            changed,
            health: health_rx,
            outbox,
            files,
            cancel,
            tasks,
        }
    }

    /// A customer writes; returns the Update (its `message_id` is needed for edits).
    pub fn customer_writes(&self, user_id: i64, text: &str) -> Value {
        self.tg()
            .customer_writes(
                TOKEN,
                CustomerMessage {
                    user_id,
                    first_name: format!("Customer {user_id}"),
                    last_name: None,
                    username: None,
                    text: text.into(),
                },
            )
            .unwrap()
    }

    pub async fn chat_ids(&self) -> Vec<String> {
        let state = self.store.load_routing_state().await.unwrap();
        state.chats.keys().cloned().collect()
    }

    /// The chat of a customer (by the name `customer_writes` gives them).
    pub async fn chat_of(&self, user_id: i64) -> String {
        let name = format!("Customer {user_id}");
        for id in self.chat_ids().await {
            if self.store.chat(&id).await.unwrap().contact_name == name {
                return id;
            }
        }
        panic!("no chat with customer {user_id}");
    }

    pub async fn inbound(&self) -> Vec<Message> {
        let mut all = Vec::new();
        for chat_id in self.chat_ids().await {
            let messages = self.store.messages(&chat_id).await.unwrap();
            all.extend(
                messages
                    .into_iter()
                    .filter(|m| m.kind == MessageKind::Inbound),
            );
        }
        all.sort_by_key(|m| m.created_at);
        all
    }

    pub async fn inbound_texts(&self) -> Vec<String> {
        self.inbound().await.into_iter().map(|m| m.text).collect()
    }

    /// Waits until `count` customer messages are stored.
    pub async fn wait_for_inbound(&self, count: usize) {
        eventually(&format!("{count} inbound messages"), || async {
            self.inbound().await.len() >= count
        })
        .await;
    }

    pub async fn message(&self, chat_id: &str, message_id: &str) -> Message {
        let messages = self.store.messages(chat_id).await.unwrap();
        messages.into_iter().find(|m| m.id == message_id).unwrap()
    }

    /// Routes the customer's chat to the local operator and accepts it
    /// through the real routing core, so replies are allowed.
    pub async fn accept_chat_of(&self, user_id: i64) -> String {
        let chat_id = self.chat_of(user_id).await;
        let state = self.store.load_routing_state().await.unwrap();
        let me = self.store.local_user().id.clone();
        let mut core = Router::new(state);
        let now = self.now();
        let mut decisions = core.step(
            Event::ChatArrived {
                chat_id: chat_id.clone(),
                queue_id: self.channel.queue_id.clone(),
            },
            now,
        );
        decisions.extend(core.step(
            Event::ChatAccepted {
                chat_id: chat_id.clone(),
                operator_id: me.clone(),
            },
            now,
        ));
        let changes = RoutingChanges {
            chats: BTreeSet::from([chat_id.clone()]),
            operators: BTreeSet::from([me]),
            decisions: &decisions,
            system_lines: Vec::new(),
        };
        self.store
            .persist_routing(core.state(), &changes, now)
            .await
            .unwrap();
        chat_id
    }

    /// A customer writes and the operator accepts the chat: ready for replies.
    pub async fn chat_with(&self, user_id: i64) -> String {
        let before = self.inbound().await.len();
        self.customer_writes(user_id, "Hello");
        self.wait_for_inbound(before + 1).await;
        self.accept_chat_of(user_id).await
    }
}

pub struct Running {
    pub changed: broadcast::Receiver<Vec<String>>,
    pub health: watch::Receiver<ChannelHealth>,
    pub outbox: Arc<Notify>,
    pub files: Arc<Notify>,
    pub cancel: CancellationToken,
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub async fn wait_for_health(
        &mut self,
        what: &str,
        check: impl FnMut(&ChannelHealth) -> bool,
    ) -> ChannelHealth {
        let waited = tokio::time::timeout(DEADLINE, self.health.wait_for(check))
            .await
            .map(|health| health.unwrap().clone());
        waited.unwrap_or_else(|_| panic!("health never became {what}: {:?}", *self.health.borrow()))
    }

    /// Stops the channel as the runtime does and checks every task ends promptly.
    pub async fn stop(self) {
        self.cancel.cancel();
        for task in self.tasks {
            tokio::time::timeout(Duration::from_secs(3), task)
                .await
                .expect("a connector task did not stop within 3 s of cancel")
                .unwrap();
        }
    }
}

/// Polls `check` until it holds, failing after `DEADLINE`.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
