//! The Telegram connector against the sandbox and a real SQLite file.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use switchboard_engine::clock::{Clock, ManualClock};
use switchboard_engine::domain::{Channel, ChannelHealth, Delivery, MessageKind, Provider};
use switchboard_engine::routing::{Event, Router};
use switchboard_engine::store::{RoutingChanges, Store};
use switchboard_sandbox::{CustomerMessage, Fault, Sandbox, SandboxConfig};
use switchboard_telegram::{BotApi, ChannelContext};
use tokio::sync::{Notify, broadcast, watch};
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "5550001:connector-test-token";

struct Fixture {
    sandbox: Sandbox,
    store: Store,
    channel: Channel,
    clock: ManualClock,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn new() -> Self {
        let sandbox = Sandbox::start(SandboxConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            telegram_bots: vec![TOKEN.into()],
            simulate_customers: false,
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::at(1_790_000_000_000);
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
            clock,
            _dir: dir,
        }
    }

    fn start(&self, token: &str) -> Running {
        let (changes, changed) = broadcast::channel(64);
        let (health, health_rx) = watch::channel(ChannelHealth::Starting);
        let outbox = Arc::new(Notify::new());
        let cancel = CancellationToken::new();
        let tasks = switchboard_telegram::spawn(ChannelContext {
            store: self.store.clone(),
            channel: self.channel.clone(),
            api: BotApi::new(&self.sandbox.base_url(), token).unwrap(),
            clock: Arc::new(self.clock.clone()),
            changes,
            health,
            outbox: outbox.clone(),
            cancel: cancel.clone(),
        });
        Running {
            changed,
            health: health_rx,
            outbox,
            cancel,
            tasks,
        }
    }

    fn customer_writes(&self, user_id: i64, text: &str) {
        self.sandbox
            .telegram()
            .customer_writes(
                TOKEN,
                CustomerMessage {
                    user_id,
                    first_name: "Ann".into(),
                    last_name: None,
                    username: None,
                    text: text.into(),
                },
            )
            .unwrap();
    }

    async fn inbound_texts(&self) -> Vec<String> {
        let mut texts = Vec::new();
        for chat_id in self.store.load_routing_state().await.unwrap().chats.keys() {
            for m in self.store.messages(chat_id).await.unwrap() {
                if m.kind == MessageKind::Inbound {
                    texts.push(m.text);
                }
            }
        }
        texts
    }

    /// The one chat there is, routed to and accepted by the local operator
    /// through the real routing core, so replies are allowed.
    async fn only_chat_id(&self) -> String {
        let state = self.store.load_routing_state().await.unwrap();
        assert_eq!(state.chats.len(), 1);
        let chat_id = state.chats.keys().next().unwrap().clone();
        let me = self.store.local_user().id.clone();
        let mut core = Router::new(state);
        let now = self.clock.now();
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
}

struct Running {
    changed: broadcast::Receiver<Vec<String>>,
    health: watch::Receiver<ChannelHealth>,
    outbox: Arc<Notify>,
    cancel: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Waits for the next batch of changed chats (the connector's own signal).
    async fn next_change(&mut self) -> Vec<String> {
        tokio::time::timeout(Duration::from_secs(20), self.changed.recv())
            .await
            .expect("the connector reported no change within 20 s")
            .unwrap()
    }

    async fn stop(self) {
        self.cancel.cancel();
        for task in self.tasks {
            task.await.unwrap();
        }
    }
}

#[tokio::test]
async fn customer_messages_are_stored_once_across_a_restart() {
    let fx = Fixture::new().await;
    let mut running = fx.start(TOKEN);
    fx.customer_writes(42, "one");
    running.next_change().await;
    running.stop().await;

    // Written while nobody polls; must arrive exactly once after the restart.
    fx.customer_writes(42, "two");
    let mut running = fx.start(TOKEN);
    running.next_change().await;
    fx.customer_writes(42, "three");
    running.next_change().await;
    assert_eq!(fx.inbound_texts().await, ["one", "two", "three"]);
    assert_eq!(fx.store.load_routing_state().await.unwrap().chats.len(), 1);
    running.stop().await;
}

#[tokio::test]
async fn a_reply_reaches_the_customer_and_is_marked_sent() {
    let fx = Fixture::new().await;
    let mut running = fx.start(TOKEN);
    fx.customer_writes(42, "Hello");
    running.next_change().await;
    let chat = fx.only_chat_id().await;
    let reply = fx
        .store
        .queue_reply(&chat, "Hi! How can I help?", fx.clock.now())
        .await
        .unwrap();
    running.outbox.notify_one();
    running.next_change().await;
    let sent = fx.sandbox.telegram().sent_messages(TOKEN);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].chat_id, sent[0].text.as_str()),
        (42, "Hi! How can I help?")
    );
    let stored = fx.store.messages(&chat).await.unwrap();
    let stored = stored.iter().find(|m| m.id == reply.id).unwrap();
    assert_eq!(stored.delivery, Some(Delivery::Sent));
    running.stop().await;
}

#[tokio::test]
async fn a_long_reply_is_split_into_parts_telegram_accepts() {
    let fx = Fixture::new().await;
    let mut running = fx.start(TOKEN);
    fx.customer_writes(42, "Tell me everything");
    running.next_change().await;
    let chat = fx.only_chat_id().await;
    let text = format!("{}\n{}", "a".repeat(4000), "b".repeat(3000));
    fx.store
        .queue_reply(&chat, &text, fx.clock.now())
        .await
        .unwrap();
    running.outbox.notify_one();
    running.next_change().await;
    let parts: Vec<String> = fx
        .sandbox
        .telegram()
        .sent_messages(TOKEN)
        .into_iter()
        .map(|m| m.text)
        .collect();
    // Split at the newline; Telegram trims whitespace around each message.
    assert!(
        parts == [&text[..4000], &text[4001..]],
        "parts of {:?} chars",
        parts.iter().map(|p| p.len()).collect::<Vec<_>>()
    );
    running.stop().await;
}

#[tokio::test]
async fn a_reply_to_a_customer_who_blocked_the_bot_fails_with_a_reason() {
    let fx = Fixture::new().await;
    let mut running = fx.start(TOKEN);
    fx.customer_writes(42, "bye");
    running.next_change().await;
    fx.sandbox.telegram().block_bot(TOKEN, 42).unwrap();
    let chat = fx.only_chat_id().await;
    fx.store
        .queue_reply(&chat, "Are you there?", fx.clock.now())
        .await
        .unwrap();
    running.outbox.notify_one();
    running.next_change().await;
    let last = fx.store.messages(&chat).await.unwrap().pop().unwrap();
    assert_eq!(last.delivery, Some(Delivery::Failed));
    assert_eq!(
        last.failure_reason.as_deref(),
        Some("The customer has blocked the bot, so they cannot receive messages.")
    );
    running.stop().await;
}

#[tokio::test]
async fn a_rate_limited_reply_waits_for_retry_after_then_goes_once() {
    let fx = Fixture::new().await;
    let mut running = fx.start(TOKEN);
    fx.customer_writes(42, "hi");
    running.next_change().await;
    fx.sandbox
        .telegram()
        .inject_fault(
            TOKEN,
            Fault {
                method: "sendMessage".into(),
                error_code: 429,
                description: String::new(),
                retry_after: Some(7),
                times: 1,
            },
        )
        .unwrap();
    let chat = fx.only_chat_id().await;
    let reply = fx
        .store
        .queue_reply(&chat, "One moment", fx.clock.now())
        .await
        .unwrap();
    running.outbox.notify_one();
    running.next_change().await;
    let pending = fx.store.messages(&chat).await.unwrap().pop().unwrap();
    assert_eq!(pending.delivery, Some(Delivery::Pending));
    assert_eq!(
        pending.failure_reason.as_deref(),
        Some("Telegram asked to slow down; retrying in 7 s.")
    );
    assert_eq!(
        fx.store.next_outbox_due(&fx.channel.id).await.unwrap(),
        Some(fx.clock.now() + 7000)
    );
    assert!(fx.sandbox.telegram().sent_messages(TOKEN).is_empty());

    // Not yet due: a wake-up sends nothing.
    fx.clock.advance(6_999);
    assert!(
        fx.store
            .due_outbox(&fx.channel.id, fx.clock.now())
            .await
            .unwrap()
            .is_empty()
    );
    fx.clock.advance(1);
    running.outbox.notify_one();
    running.next_change().await;
    let sent = fx
        .store
        .messages(&chat)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.id == reply.id)
        .unwrap();
    assert_eq!(sent.delivery, Some(Delivery::Sent));
    assert_eq!(fx.sandbox.telegram().sent_messages(TOKEN).len(), 1);
    running.stop().await;
}

#[tokio::test]
async fn a_wrong_token_marks_the_channel_unhealthy_in_words() {
    let fx = Fixture::new().await;
    let mut running = fx.start("5550001:not-the-right-secret");
    let health = running
        .health
        .wait_for(|h| matches!(h, ChannelHealth::Error(_)))
        .await
        .unwrap()
        .clone();
    let ChannelHealth::Error(reason) = health else {
        unreachable!()
    };
    assert!(
        reason.starts_with("Telegram rejected the bot token (401 Unauthorized)."),
        "{reason}"
    );
    assert!(
        !reason.contains("not-the-right-secret"),
        "the token must not leak: {reason}"
    );
    running.stop().await;
}

#[tokio::test]
async fn a_server_error_while_polling_is_retried_without_losing_messages() {
    let fx = Fixture::new().await;
    fx.sandbox
        .telegram()
        .inject_fault(
            TOKEN,
            Fault {
                method: "getUpdates".into(),
                error_code: 502,
                description: String::new(),
                retry_after: None,
                times: 1,
            },
        )
        .unwrap();
    fx.customer_writes(42, "are you open?");
    let mut running = fx.start(TOKEN);
    running.next_change().await;
    assert_eq!(fx.inbound_texts().await, ["are you open?"]);
    assert_eq!(*running.health.borrow(), ChannelHealth::Running);
    running.stop().await;
}
