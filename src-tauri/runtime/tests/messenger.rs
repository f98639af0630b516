//! Messenger conversations through the application API, against the
//! sandbox's Messenger: webhooks into the desktop's endpoint, routing, replies
//! under the 24-hour window, receipts, a bot holding the thread, and a page
//! token that stops working.

mod common;

use common::eventually;

#[path = "../../messenger/tests/dialog/mod.rs"]
mod dialog;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dialog::{APP_ID, APP_SECRET, Fb, Person, SUPPORT};
use switchboard_engine::clock::ManualClock;
use switchboard_engine::secrets::MemorySecrets;
use switchboard_ipc::{
    AttachmentKind, ChannelChanges, ChatState, ChatSummary, ConnectPages, DeliveryState, ErrorCode,
    FacebookLogin, FacebookSettingsUpdate, MessageKind, ReplyWindowState, SendFile,
};
use switchboard_runtime::{FacebookEndpoints, Runtime, RuntimeConfig};
use switchboard_sandbox::MessengerCustomer;

const HOUR: i64 = 60 * 60 * 1000;

struct Setup {
    fb: Fb,
    clock: ManualClock,
    runtime: Arc<Runtime>,
    _dir: tempfile::TempDir,
}

/// A workspace with the Acme Support page connected, switched on, and the
/// sandbox's webhooks pointed at the desktop's endpoint.
async fn setup() -> Setup {
    let fb = dialog::start().await;
    let dir = tempfile::tempdir().unwrap();
    let now = i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    // Two seconds behind: the sandbox's watermarks count whole seconds, and a
    // reply must be older than the watermark that confirms it.
    let clock = ManualClock::at(now - 2_000);
    let base = fb.sandbox.base_url();
    let runtime = Runtime::start(
        RuntimeConfig {
            data_dir: dir.path().to_owned(),
            seed_telegram: None,
            telegram_api_base: base.clone(),
            facebook: FacebookEndpoints {
                graph_base: base.clone(),
                www_base: base,
            },
            messenger_listen: Some("127.0.0.1:0".parse().unwrap()),
        },
        Arc::new(MemorySecrets::default()),
        Arc::new(clock.clone()),
    )
    .await
    .unwrap();
    runtime
        .update_facebook_settings(FacebookSettingsUpdate {
            app_id: APP_ID.into(),
            app_secret: Some(APP_SECRET.into()),
            redirect_uri: None,
        })
        .await
        .unwrap();
    let connected = connect_support(&runtime, &fb, dialog::PASSWORD).await;
    let channel = connected[0].channel.clone().unwrap();
    runtime
        .update_channel(
            &channel.id,
            ChannelChanges {
                active: Some(true),
                ..ChannelChanges::default()
            },
        )
        .await
        .unwrap();
    let webhook = runtime.messenger_webhook().await.unwrap();
    assert!(webhook.listening, "{:?}", webhook.problem);
    fb.sandbox
        .facebook()
        .set_webhook(APP_ID, &webhook.callback_url, &webhook.verify_token)
        .await
        .expect("the sandbox verifies our endpoint");
    Setup {
        fb,
        clock,
        runtime,
        _dir: dir,
    }
}

/// Facebook Login as the page's admin (with `password`), and Acme Support
/// chosen in the dialog and the picker: what "Add → Facebook" does.
async fn connect_support(
    runtime: &Runtime,
    fb: &Fb,
    password: &'static str,
) -> Vec<switchboard_ipc::PageConnection> {
    let start = runtime.begin_facebook_login().await.unwrap();
    let person = Person {
        password,
        pages: Some(&[SUPPORT]),
        ..Person::admin_allowing_all()
    };
    let redirect = fb
        .log_in_at(
            &start.url,
            |url| runtime.is_facebook_redirect(&start.login_id, url),
            &person,
        )
        .await;
    let FacebookLogin::Pages(picker) = runtime
        .finish_facebook_login(&start.login_id, &redirect)
        .await
        .unwrap()
    else {
        panic!("cancelled");
    };
    runtime
        .connect_facebook_pages(ConnectPages {
            login_id: picker.login_id,
            page_ids: vec![SUPPORT.into()],
        })
        .await
        .unwrap()
}

/// A new customer writes `text`; the chat is offered and accepted by the
/// operator at this desk. Returns the customer's PSID and the chat.
async fn my_new_chat(s: &Setup, first_name: &str, text: &str) -> (String, ChatSummary) {
    let psid = customer(s, first_name);
    s.fb.sandbox
        .facebook()
        .customer_writes(SUPPORT, &psid, text)
        .unwrap();
    let runtime = &s.runtime;
    eventually("the chat is offered", || async {
        runtime.list_chats().await.unwrap().len() == 1
    })
    .await;
    let chat = runtime.list_chats().await.unwrap().remove(0);
    runtime.accept_chat(&chat.id).await.unwrap();
    (psid, chat)
}

fn customer(s: &Setup, first_name: &str) -> String {
    s.fb.sandbox
        .facebook()
        .add_customer(
            SUPPORT,
            MessengerCustomer {
                psid: None,
                first_name: first_name.into(),
                last_name: "Doe".into(),
            },
        )
        .unwrap()
}

#[tokio::test]
async fn a_customer_message_is_routed_answered_and_its_receipts_shown() {
    let s = setup().await;
    let (psid, chat) = my_new_chat(&s, "Maria", "Hola, ¿dónde está mi pedido?").await;
    let runtime = &s.runtime;
    assert_eq!(chat.contact_name, "Maria Doe", "from the profile API");
    let detail = runtime.read_chat(&chat.id).await.unwrap();
    assert_eq!(detail.messages[0].text, "Hola, ¿dónde está mi pedido?");
    let window = detail.window.unwrap();
    assert_eq!(window.state, ReplyWindowState::Open);
    let picture = detail.contact_picture.expect("the profile picture is kept");
    assert!(
        picture.starts_with("data:image/png;base64,"),
        "{picture:.40}"
    );

    runtime
        .send_reply(&chat.id, "Está en camino.")
        .await
        .unwrap();
    let sent = || s.fb.sandbox.facebook().sent_messenger_messages(SUPPORT);
    eventually("the reply reaches Messenger", || async {
        !sent().is_empty()
    })
    .await;
    assert_eq!(sent()[0].text.as_deref(), Some("Está en camino."));
    assert_eq!(sent()[0].messaging_type, "RESPONSE");

    s.fb.sandbox
        .facebook()
        .customer_receives(SUPPORT, &psid)
        .unwrap();
    s.fb.sandbox
        .facebook()
        .customer_reads(SUPPORT, &psid)
        .unwrap();
    eventually("delivered and read", || async {
        let detail = runtime.read_chat(&chat.id).await.unwrap();
        detail.messages.iter().any(|m| {
            m.kind == MessageKind::Outbound
                && m.delivery == Some(DeliveryState::Sent)
                && m.read_at.is_some()
        })
    })
    .await;
    let outbound = runtime
        .read_chat(&chat.id)
        .await
        .unwrap()
        .messages
        .into_iter()
        .filter(|m| m.kind == MessageKind::Outbound)
        .count();
    assert_eq!(outbound, 1, "our own echo is not shown twice");
}

#[tokio::test]
async fn after_24_hours_replies_are_refused_unless_human_agent_is_on() {
    let s = setup().await;
    let (_, chat) = my_new_chat(&s, "Ken", "Any news?").await;
    let runtime = &s.runtime;

    s.clock.advance(25 * HOUR);
    s.fb.sandbox
        .facebook()
        .advance_clock(Duration::from_secs(25 * 3600));
    let window = runtime.read_chat(&chat.id).await.unwrap().window.unwrap();
    assert_eq!(window.state, ReplyWindowState::Closed);
    assert!(
        window.reason.as_deref().unwrap().contains("24 hours"),
        "{window:?}"
    );
    let refused = runtime
        .send_reply(&chat.id, "Sorry for the wait")
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Conflict);

    let channel = runtime.list_channels().await.unwrap().remove(0);
    runtime
        .update_channel(
            &channel.id,
            ChannelChanges {
                human_agent: Some(true),
                ..ChannelChanges::default()
            },
        )
        .await
        .unwrap();
    s.fb.sandbox.facebook().approve_human_agent(APP_ID, true);
    let window = runtime.read_chat(&chat.id).await.unwrap().window.unwrap();
    assert_eq!(window.state, ReplyWindowState::HumanAgent);
    runtime
        .send_reply(&chat.id, "Sorry for the wait")
        .await
        .unwrap();
    let sent = || s.fb.sandbox.facebook().sent_messenger_messages(SUPPORT);
    eventually("the tagged reply reaches Messenger", || async {
        !sent().is_empty()
    })
    .await;
    assert_eq!(
        (sent()[0].messaging_type.as_str(), sent()[0].tag.as_deref()),
        ("MESSAGE_TAG", Some("HUMAN_AGENT"))
    );
}

#[tokio::test]
async fn a_bot_chat_has_no_operator_until_the_bot_passes_the_thread() {
    let s = setup().await;
    let psid = customer(&s, "Lena");
    let fb = s.fb.sandbox.facebook();
    fb.bot_holds_thread(SUPPORT, &psid, "555000111").unwrap();
    fb.customer_writes(SUPPORT, &psid, "I want to talk to the bot")
        .unwrap();
    let runtime = &s.runtime;
    eventually("the bot chat is listed", || async {
        runtime.list_chats().await.unwrap().len() == 1
    })
    .await;
    let chat = runtime.list_chats().await.unwrap().remove(0);
    assert_eq!(
        (
            chat.state,
            chat.operator_name.as_deref(),
            chat.offered_to_me
        ),
        (ChatState::Bot, None, false)
    );

    fb.bot_passes_thread(SUPPORT, &psid, APP_ID, Some("needs a human"))
        .unwrap();
    eventually("the chat enters routing and is offered", || async {
        runtime
            .list_chats()
            .await
            .unwrap()
            .first()
            .is_some_and(|c| c.offered_to_me)
    })
    .await;
}

#[tokio::test]
async fn an_operators_document_goes_as_an_upload_followed_by_its_text() {
    use base64::Engine as _;
    let s = setup().await;
    let (_, chat) = my_new_chat(&s, "Ivo", "Send me the invoice").await;
    let runtime = &s.runtime;
    let pdf = b"%PDF-1.4 invoice for Ivo".to_vec();
    runtime
        .send_file(SendFile {
            chat_id: chat.id.clone(),
            kind: AttachmentKind::Document,
            file_name: "invoice.pdf".into(),
            mime_type: Some("application/pdf".into()),
            base64: base64::engine::general_purpose::STANDARD.encode(&pdf),
            caption: "Here it is".into(),
        })
        .await
        .unwrap();
    let sent = || s.fb.sandbox.facebook().sent_messenger_messages(SUPPORT);
    eventually("the file and its text reach Messenger", || async {
        sent().len() == 2
    })
    .await;
    let file = &sent()[0];
    assert_eq!(file.attachment_type.as_deref(), Some("file"));
    let id = file.attachment_id.clone().expect("sent by attachment id");
    assert_eq!(s.fb.sandbox.facebook().attachment_bytes(&id).unwrap(), pdf);
    assert_eq!(sent()[1].text.as_deref(), Some("Here it is"));
    eventually("marked sent", || async {
        runtime
            .read_chat(&chat.id)
            .await
            .unwrap()
            .messages
            .iter()
            .any(|m| m.kind == MessageKind::Outbound && m.delivery == Some(DeliveryState::Sent))
    })
    .await;
}

#[tokio::test]
async fn a_switched_off_page_keeps_its_messages_until_it_is_switched_on() {
    let s = setup().await;
    let runtime = &s.runtime;
    let channel = runtime.list_channels().await.unwrap().remove(0);
    runtime
        .update_channel(
            &channel.id,
            ChannelChanges {
                active: Some(false),
                ..ChannelChanges::default()
            },
        )
        .await
        .unwrap();
    let psid = customer(&s, "Pia");
    let fb = s.fb.sandbox.facebook();
    fb.customer_writes(SUPPORT, &psid, "Are you open?").unwrap();
    eventually("Meta got its 200", || async {
        fb.webhook_deliveries(APP_ID)
            .iter()
            .any(|a| a.delivered && a.body.contains("Are you open?"))
    })
    .await;
    assert!(
        runtime.list_chats().await.unwrap().is_empty(),
        "not routed while switched off"
    );
    runtime
        .update_channel(
            &channel.id,
            ChannelChanges {
                active: Some(true),
                ..ChannelChanges::default()
            },
        )
        .await
        .unwrap();
    eventually("the kept message becomes a chat", || async {
        runtime.list_chats().await.unwrap().len() == 1
    })
    .await;
}

#[tokio::test]
async fn a_postback_while_a_bot_holds_the_thread_is_the_bots_chat() {
    let s = setup().await;
    let psid = customer(&s, "Gus");
    let fb = s.fb.sandbox.facebook();
    fb.bot_holds_thread(SUPPORT, &psid, "555000111").unwrap();
    fb.customer_postback(SUPPORT, &psid, "Get Started", "GET_STARTED")
        .unwrap();
    let runtime = &s.runtime;
    eventually("the bot chat is listed", || async {
        runtime.list_chats().await.unwrap().len() == 1
    })
    .await;
    let chat = runtime.list_chats().await.unwrap().remove(0);
    assert_eq!((chat.state, chat.offered_to_me), (ChatState::Bot, false));
}

#[tokio::test]
async fn reconnecting_a_page_whose_token_died_sends_what_was_waiting() {
    let s = setup().await;
    let (_, chat) = my_new_chat(&s, "Ada", "Hello?").await;
    let fb = s.fb.sandbox.facebook();
    let runtime = &s.runtime;
    fb.change_password(dialog::EMAIL, "changed").unwrap(); // every token of the admin dies
    runtime
        .send_reply(&chat.id, "One moment please")
        .await
        .unwrap();
    eventually("the card shows the dead token", || async {
        runtime.list_channels().await.unwrap()[0].problem
            == Some(switchboard_ipc::ChannelProblem::TokenRejected)
    })
    .await;
    assert!(fb.sent_messenger_messages(SUPPORT).is_empty());

    // Reconnect: Facebook Login again (new password), the same page.
    let results = connect_support(runtime, &s.fb, "changed").await;
    assert!(results[0].refreshed);
    eventually("the waiting reply goes out with the new token", || async {
        fb.sent_messenger_messages(SUPPORT)
            .iter()
            .any(|m| m.text.as_deref() == Some("One moment please"))
    })
    .await;
    eventually("the card is healthy again", || async {
        runtime.list_channels().await.unwrap()[0].health
            == switchboard_ipc::ChannelHealthState::Running
    })
    .await;
}
