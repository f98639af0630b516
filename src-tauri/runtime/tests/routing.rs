//! Routing through the application API, against the sandbox: offers,
//! accept, capacity, status, complete, transfer and "why this chat".

use std::sync::Arc;
use std::time::Duration;

use switchboard_engine::clock::SystemClock;
use switchboard_engine::secrets::MemorySecrets;
use switchboard_ipc::{
    ChatState, ErrorCode, MemberKind, NewQueue, OperatorStatus, RoutingRule, WorkspaceSettings,
};
use switchboard_runtime::{Runtime, RuntimeConfig, SeedTelegramBot};
use switchboard_sandbox::{CustomerMessage, Sandbox, SandboxConfig};

const TOKEN: &str = "6670001:routing-test-token";

struct Desk {
    sandbox: Sandbox,
    runtime: Arc<Runtime>,
    _dir: tempfile::TempDir,
}

impl Desk {
    async fn open() -> Self {
        let sandbox = Sandbox::start(SandboxConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            telegram_bots: vec![TOKEN.into()],
            simulate_customers: false,
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let runtime = Runtime::start(
            RuntimeConfig {
                data_dir: dir.path().to_owned(),
                seed_telegram: Some(SeedTelegramBot {
                    api_base: sandbox.base_url(),
                    token: TOKEN.into(),
                }),
                telegram_api_base: sandbox.base_url(),
                facebook: Default::default(),
                messenger_listen: None,
            },
            Arc::new(MemorySecrets::default()),
            Arc::new(SystemClock),
        )
        .await
        .unwrap();
        Self {
            sandbox,
            runtime,
            _dir: dir,
        }
    }

    fn customer_writes(&self, user_id: i64, name: &str, text: &str) {
        self.sandbox
            .telegram()
            .customer_writes(
                TOKEN,
                CustomerMessage {
                    user_id,
                    first_name: name.into(),
                    last_name: None,
                    username: None,
                    text: text.into(),
                },
            )
            .unwrap();
    }

    /// Waits until the panel lists a chat with this customer, and returns its id.
    async fn listed(&self, name: &str) -> String {
        let mut changes = self.runtime.subscribe();
        loop {
            if let Some(chat) = self
                .runtime
                .list_chats()
                .await
                .unwrap()
                .into_iter()
                .find(|c| c.contact_name == name)
            {
                return chat.id;
            }
            tokio::time::timeout(Duration::from_secs(20), changes.recv())
                .await
                .unwrap_or_else(|_| panic!("{name}'s chat never reached the panel"))
                .unwrap();
        }
    }

    /// Waits until `n` chats wait in my queues (the connector stored them).
    async fn waiting(&self, n: u32) {
        let mut changes = self.runtime.subscribe();
        while self.runtime.my_status().await.unwrap().waiting_in_my_queues != n {
            tokio::time::timeout(Duration::from_secs(20), changes.recv())
                .await
                .expect("no change")
                .unwrap();
        }
    }
}

#[tokio::test]
async fn a_new_chat_is_offered_and_accepting_makes_it_mine_with_a_reason() {
    let desk = Desk::open().await;
    desk.customer_writes(1, "Ann", "Hello");
    let chat_id = desk.listed("Ann").await;
    let offered = desk.runtime.list_chats().await.unwrap().remove(0);
    assert_eq!(
        (offered.state, offered.offered_to_me),
        (ChatState::Offered, true)
    );
    let opened = desk.runtime.read_chat(&chat_id).await.unwrap();
    assert!(
        opened.chat.offered_to_me,
        "reading an offer keeps it an offer"
    );
    let refused = desk.runtime.send_reply(&chat_id, "hi").await.unwrap_err();
    assert_eq!(
        refused.code,
        ErrorCode::Conflict,
        "no replies before accepting"
    );

    let accepted = desk.runtime.accept_chat(&chat_id).await.unwrap();
    assert_eq!(
        (accepted.state, accepted.offered_to_me),
        (ChatState::Active, false)
    );
    assert_eq!(accepted.operator_name.as_deref(), Some("Me"));
    assert_eq!(desk.runtime.my_status().await.unwrap().active_chats, 1);

    let why = desk.runtime.explain_routing(&chat_id).await.unwrap();
    let kinds: Vec<&str> = why.entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["offer", "assign"]);
    assert_eq!(why.entries[0].rule, Some(RoutingRule::ToAll));
    assert_eq!(why.entries[0].candidates.len(), 1);
    assert_eq!(why.entries[0].candidates[0].operator_name, "Me");
    let me = desk.runtime.my_status().await.unwrap().operator_id;
    assert!(
        why.entries.iter().all(|e| !e.summary.contains(&me)),
        "summaries name people, not ids"
    );
    let again = desk.runtime.accept_chat(&chat_id).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::Conflict);
}

#[tokio::test]
async fn at_capacity_a_third_chat_waits_until_one_is_completed() {
    let desk = Desk::open().await;
    desk.customer_writes(1, "Ann", "one");
    let ann = desk.listed("Ann").await;
    desk.customer_writes(2, "Bob", "two");
    let bob = desk.listed("Bob").await;
    desk.runtime.accept_chat(&ann).await.unwrap();
    desk.runtime.accept_chat(&bob).await.unwrap();
    desk.customer_writes(3, "Cid", "three");
    desk.waiting(1).await;
    let names: Vec<String> = desk
        .runtime
        .list_chats()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.contact_name)
        .collect();
    assert!(
        !names.contains(&"Cid".to_owned()),
        "at capacity I must not see a third chat: {names:?}"
    );

    desk.runtime.complete_chat(&ann).await.unwrap();
    let cid = desk.listed("Cid").await;
    let listed = desk.runtime.list_chats().await.unwrap();
    assert!(
        listed.iter().all(|c| c.id != ann),
        "a completed chat leaves the panel"
    );
    assert!(listed.iter().any(|c| c.id == cid && c.offered_to_me));
    let ann_lines = desk.runtime.read_chat(&ann).await.unwrap().messages;
    assert_eq!(ann_lines.last().unwrap().text, "Completed by Me");
}

#[tokio::test]
async fn an_inactive_operator_is_offered_nothing_until_active_again() {
    let desk = Desk::open().await;
    let status = desk
        .runtime
        .set_my_status(OperatorStatus::Inactive)
        .await
        .unwrap();
    assert_eq!(status.status, OperatorStatus::Inactive);
    desk.customer_writes(1, "Ann", "anyone there?");
    desk.waiting(1).await;
    assert!(desk.runtime.list_chats().await.unwrap().is_empty());
    desk.runtime
        .set_my_status(OperatorStatus::Active)
        .await
        .unwrap();
    let ann = desk.listed("Ann").await;
    assert!(
        desk.runtime
            .list_chats()
            .await
            .unwrap()
            .iter()
            .any(|c| c.id == ann && c.offered_to_me)
    );
    let offline = desk
        .runtime
        .set_my_status(OperatorStatus::Offline)
        .await
        .unwrap_err();
    assert_eq!(offline.code, ErrorCode::InvalidInput);
}

#[tokio::test]
async fn a_chat_transferred_to_another_queue_leaves_my_panel_with_a_system_line() {
    let desk = Desk::open().await;
    let billing = desk
        .runtime
        .create_queue(NewQueue {
            name: "Billing".into(),
            rule: RoutingRule::Freest,
            completion_timeout_min: Some(15),
        })
        .await
        .unwrap();
    desk.customer_writes(1, "Ann", "about my invoice");
    let ann = desk.listed("Ann").await;
    desk.runtime.accept_chat(&ann).await.unwrap();
    desk.runtime
        .transfer_to_queue(&ann, &billing.id)
        .await
        .unwrap();
    assert!(desk.runtime.list_chats().await.unwrap().is_empty());
    let chat = desk.runtime.read_chat(&ann).await.unwrap();
    assert_eq!(chat.chat.queue_name, "Billing");
    assert!(
        chat.messages
            .iter()
            .any(|m| m.text == "Transferred to queue Billing by Me")
    );
    assert_eq!(desk.runtime.my_status().await.unwrap().active_chats, 0);
    let not_mine = desk.runtime.complete_chat(&ann).await.unwrap_err();
    assert_eq!(not_mine.code, ErrorCode::Conflict);
}

#[tokio::test]
async fn queue_input_is_validated_with_sentences() {
    let desk = Desk::open().await;
    let err = desk
        .runtime
        .create_queue(NewQueue {
            name: "".into(),
            rule: RoutingRule::ToAll,
            completion_timeout_min: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        (ErrorCode::InvalidInput, "Give the queue a name.")
    );
    let queues = desk.runtime.list_queues().await.unwrap();
    assert_eq!(queues.len(), 1);
    assert_eq!(
        (queues[0].name.as_str(), queues[0].rule),
        ("All operators", RoutingRule::ToAll)
    );
}

#[tokio::test]
async fn raising_simultaneous_chats_routes_a_waiting_chat_at_once() {
    let desk = Desk::open().await;
    for (id, name) in [(1, "Ann"), (2, "Bob")] {
        desk.customer_writes(id, name, "hi");
        let chat = desk.listed(name).await;
        desk.runtime.accept_chat(&chat).await.unwrap();
    }
    desk.customer_writes(3, "Cid", "me too");
    desk.waiting(1).await;
    let bad = desk
        .runtime
        .update_settings(WorkspaceSettings {
            simultaneous_chats: 0,
            accept_timeout_min: 5,
        })
        .await
        .unwrap_err();
    assert_eq!(
        (bad.code, bad.message.as_str()),
        (
            ErrorCode::InvalidInput,
            "Simultaneous chats must be between 1 and 50."
        )
    );
    let saved = desk
        .runtime
        .update_settings(WorkspaceSettings {
            simultaneous_chats: 3,
            accept_timeout_min: 7,
        })
        .await
        .unwrap();
    assert_eq!((saved.simultaneous_chats, saved.accept_timeout_min), (3, 7));
    let listed = desk.runtime.list_chats().await.unwrap();
    assert!(
        listed
            .iter()
            .any(|c| c.contact_name == "Cid" && c.offered_to_me),
        "{listed:?}"
    );
    assert_eq!(desk.runtime.my_status().await.unwrap().capacity, 3);
}

#[tokio::test]
async fn a_queue_served_through_a_role_reaches_the_roles_members() {
    let desk = Desk::open().await;
    let me = desk.runtime.my_status().await.unwrap().operator_id;
    let billing = desk
        .runtime
        .create_queue(NewQueue {
            name: "Billing".into(),
            rule: RoutingRule::ToAll,
            completion_timeout_min: None,
        })
        .await
        .unwrap();
    let billing = desk
        .runtime
        .remove_queue_member(&billing.id, MemberKind::User, &me)
        .await
        .unwrap();
    assert!(billing.members.is_empty() && billing.operator_names.is_empty());
    let role = desk.runtime.create_role("Billing team").await.unwrap();
    let duplicate = desk
        .runtime
        .create_role(" billing TEAM ")
        .await
        .unwrap_err();
    assert_eq!(duplicate.code, ErrorCode::InvalidInput);
    let billing = desk
        .runtime
        .add_queue_member(&billing.id, MemberKind::Role, &role.id)
        .await
        .unwrap();
    assert_eq!(billing.members.len(), 1);
    assert!(
        billing.operator_names.is_empty(),
        "nobody holds the role yet"
    );
    let role = desk
        .runtime
        .set_role_member(&role.id, &me, true)
        .await
        .unwrap();
    assert_eq!(role.user_names, ["Me"]);
    let queues = desk.runtime.list_queues().await.unwrap();
    let billing = queues.iter().find(|q| q.name == "Billing").unwrap();
    assert_eq!(billing.operator_names, ["Me"], "served through the role");
    let missing = desk
        .runtime
        .add_queue_member(
            &billing.id,
            MemberKind::Role,
            "00000000-0000-0000-0000-000000000000",
        )
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn a_queue_can_be_renamed_and_its_rule_and_timeout_changed() {
    let desk = Desk::open().await;
    let sales = desk
        .runtime
        .create_queue(NewQueue {
            name: "Sales".into(),
            rule: RoutingRule::ToAll,
            completion_timeout_min: None,
        })
        .await
        .unwrap();
    let edited = desk
        .runtime
        .update_queue(
            &sales.id,
            NewQueue {
                name: "Sales EU".into(),
                rule: RoutingRule::Freest,
                completion_timeout_min: Some(30),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            edited.name.as_str(),
            edited.rule,
            edited.completion_timeout_min
        ),
        ("Sales EU", RoutingRule::Freest, Some(30))
    );
    let clash = desk
        .runtime
        .update_queue(
            &sales.id,
            NewQueue {
                name: "all operators".into(),
                rule: RoutingRule::ToAll,
                completion_timeout_min: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        (clash.code, clash.message.as_str()),
        (
            ErrorCode::InvalidInput,
            "A queue named “all operators” already exists."
        )
    );
    let gone = desk
        .runtime
        .update_queue(
            "00000000-0000-0000-0000-000000000000",
            NewQueue {
                name: "X".into(),
                rule: RoutingRule::ToAll,
                completion_timeout_min: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(gone.code, ErrorCode::NotFound);
}
