//! The conversation side against the sandbox's Messenger Platform: webhook
//! events parsed as they arrive, sends inside and outside the window (refused
//! here, or by Facebook when our clock is wrong), HUMAN_AGENT, attachments,
//! profiles, thread control, and each failure classified for the outbox.

mod dialog;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::routing::get;
use dialog::{APP_ID, APP_SECRET, Fb, Person, REDIRECT, SUPPORT, start};
use serde_json::Value;
use switchboard_messenger::window::{ClosedWhy, SendPolicy, send_policy};
use switchboard_messenger::{
    AttachmentKind, AttachmentType, Channel, LoginAttempt, MessengerEvent, Problem, Secret,
    SendError, SendFailure, TokenHealth, WebhookItem, classify, parse_body, send_failure,
    token_health,
};
use switchboard_sandbox::{
    CustomerAttachment, CustomerMessengerMessage, FacebookControl, MessengerCustomer,
    PAGE_INBOX_APP_ID, SubscribeFault, WebhookRetry,
};

const VERIFY_TOKEN: &str = "switchboard-verify";
const BOT_APP_ID: &str = "5550001";
const HOUR: Duration = Duration::from_secs(3600);

/// Webhook bodies as they arrive, parsed.
#[derive(Clone, Default)]
struct Inbox(Arc<Mutex<Vec<WebhookItem>>>);

async fn verify(Query(query): Query<Vec<(String, String)>>) -> (axum::http::StatusCode, String) {
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if get("hub.verify_token").as_deref() == Some(VERIFY_TOKEN) {
        (
            axum::http::StatusCode::OK,
            get("hub.challenge").unwrap_or_default(),
        )
    } else {
        (axum::http::StatusCode::FORBIDDEN, String::new())
    }
}

async fn receive(State(inbox): State<Inbox>, body: Bytes) {
    let body: Value = serde_json::from_slice(&body).expect("a JSON body");
    let items = parse_body(&body).expect("a page webhook");
    inbox.0.lock().unwrap().extend(items);
}

impl Inbox {
    /// Waits (up to 5 s) for the next item matching `wanted`, and removes it.
    async fn next(&self, wanted: impl Fn(&MessengerEvent) -> bool) -> (Channel, MessengerEvent) {
        for _ in 0..500 {
            {
                let mut items = self.0.lock().unwrap();
                let found = items
                    .iter()
                    .position(|i| i.event.as_ref().is_ok_and(&wanted));
                if let Some(i) = found {
                    let item = items.remove(i);
                    assert_eq!(item.page_id, SUPPORT);
                    return (item.channel, item.event.unwrap());
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no such event; got {:?}", self.0.lock().unwrap());
    }

    async fn message(&self) -> (Channel, MessengerEvent) {
        self.next(|e| matches!(e, MessengerEvent::Message { .. }))
            .await
    }
}

struct Env {
    fb: Fb,
    control: FacebookControl,
    token: Secret,
    psid: String,
    inbox: Inbox,
}

/// The demo sandbox, the Support page's token from a real login, the app
/// subscribed, our webhook verified, and a customer, Anna Petrova.
async fn setup() -> Env {
    let fb = start().await;
    let attempt = LoginAttempt::new(APP_ID, REDIRECT, &mut rand::rng()).unwrap();
    let redirect = fb.log_in(&attempt, &Person::admin_allowing_all()).await;
    let code = attempt.parse_redirect(&redirect).unwrap();
    let secret = Secret::new(APP_SECRET);
    let short = fb
        .graph
        .exchange_code(APP_ID, &secret, REDIRECT, &code)
        .await
        .unwrap();
    let long = fb
        .graph
        .long_lived(APP_ID, &secret, &short.access_token)
        .await
        .unwrap();
    let pages = fb.graph.pages(&long.access_token).await.unwrap();
    let token = pages
        .into_iter()
        .find(|p| p.id == SUPPORT)
        .unwrap()
        .access_token;
    fb.graph.subscribe_app(SUPPORT, &token).await.unwrap();

    let inbox = Inbox::default();
    let app = Router::new()
        .route("/webhook", get(verify).post(receive))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let control = fb.sandbox.facebook();
    control.set_webhook_retry(WebhookRetry {
        first_delay_ms: 20,
        max_delay_ms: 80,
        max_attempts: 4,
        timeout_ms: 2_000,
    });
    control
        .set_webhook(APP_ID, &url, VERIFY_TOKEN)
        .await
        .expect("webhook verified");
    let psid = control
        .add_customer(
            SUPPORT,
            MessengerCustomer {
                psid: None,
                first_name: "Anna".into(),
                last_name: "Petrova".into(),
            },
        )
        .unwrap();
    Env {
        fb,
        control,
        token,
        psid,
        inbox,
    }
}

impl Env {
    /// The sandbox's clock in Unix ms (the runtime would use its own). It
    /// counts whole seconds, so tests keep clear of the exact boundaries,
    /// which the unit tests pin.
    fn now_ms(&self) -> i64 {
        self.control.now() * 1000
    }

    /// The customer writes; returns the webhook timestamp of the message.
    async fn customer_writes(&self, text: &str) -> i64 {
        self.control
            .customer_writes(SUPPORT, &self.psid, text)
            .unwrap();
        match self.inbox.message().await.1 {
            MessengerEvent::Message { timestamp, .. } => timestamp,
            _ => unreachable!(),
        }
    }

    async fn send(&self, text: &str, policy: &SendPolicy) -> Result<String, SendError> {
        self.fb
            .graph
            .send_text(SUPPORT, &self.token, &self.psid, text, policy)
            .await
            .map(|sent| sent[0].message_id.clone())
            .map_err(|e| e.error)
    }

    fn sent(&self) -> Vec<switchboard_sandbox::SentMessengerMessage> {
        self.control.sent_messenger_messages(SUPPORT)
    }
}

#[tokio::test]
async fn a_customer_message_arrives_typed_and_the_reply_goes_out_as_a_response() {
    let env = setup().await;
    env.control
        .customer_writes(SUPPORT, &env.psid, "Hello, is my order shipped?")
        .unwrap();
    let (channel, message) = env.inbox.message().await;
    assert_eq!(channel, Channel::Messaging);
    let MessengerEvent::Message {
        psid,
        page_id,
        text,
        timestamp,
        ..
    } = message
    else {
        unreachable!()
    };
    assert_eq!(
        (psid.as_str(), page_id.as_str()),
        (env.psid.as_str(), SUPPORT)
    );
    assert_eq!(text.as_deref(), Some("Hello, is my order shipped?"));
    assert!((timestamp - env.now_ms()).abs() < 5_000, "{timestamp}");

    let policy = send_policy(env.now_ms(), Some(timestamp), false, true);
    assert!(matches!(policy, SendPolicy::Response { .. }), "{policy:?}");
    let mid = env.send("Yes, it left today.", &policy).await.unwrap();
    let sent = env.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].message_id, mid);
    assert_eq!(sent[0].text.as_deref(), Some("Yes, it left today."));
    assert_eq!(
        (sent[0].messaging_type.as_str(), &sent[0].tag),
        ("RESPONSE", &None)
    );

    // Our own send comes back as an echo from our app.
    let (_, echo) = env
        .inbox
        .next(|e| matches!(e, MessengerEvent::Echo { .. }))
        .await;
    let MessengerEvent::Echo {
        psid,
        mid: echoed,
        app_id,
        ..
    } = echo
    else {
        unreachable!()
    };
    assert_eq!(
        (psid, echoed, app_id.as_deref()),
        (env.psid.clone(), mid, Some(APP_ID))
    );
}

#[tokio::test]
async fn a_long_text_goes_out_in_parts_facebook_accepts() {
    let env = setup().await;
    let last = env.customer_writes("Tell me everything").await;
    let policy = send_policy(env.now_ms(), Some(last), false, true);
    let text = "Lorem ipsum dolor sit amet. ".repeat(160); // 4480 characters
    let sent = env
        .fb
        .graph
        .send_text(SUPPORT, &env.token, &env.psid, &text, &policy)
        .await
        .unwrap();
    assert_eq!(sent.len(), 3);
    let recorded: Vec<String> = env.sent().into_iter().filter_map(|m| m.text).collect();
    assert_eq!(recorded.concat(), text);
    assert!(recorded.iter().all(|t| t.chars().count() <= 2000));
    assert!(recorded[0].ends_with(' '), "broken after a space");
}

#[tokio::test]
async fn after_24_hours_a_send_is_refused_here_and_by_facebook_when_our_clock_is_wrong() {
    let env = setup().await;
    // Never wrote: closed before anything goes out.
    let never = send_policy(env.now_ms(), None, true, true);
    let Err(SendError::WindowClosed { why, .. }) = env.send("Hi!", &never).await else {
        panic!()
    };
    assert_eq!(why, ClosedWhy::CustomerNeverWrote);

    let last = env.customer_writes("hi").await;
    env.control.advance_clock(25 * HOUR + HOUR / 2);
    let policy = send_policy(env.now_ms(), Some(last), false, true);
    let error = env.send("Sorry for the wait", &policy).await.unwrap_err();
    let SendError::WindowClosed { why, reason } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*why, ClosedWhy::ResponseWindowOver);
    assert!(
        reason.starts_with("The customer last wrote 25 hours ago"),
        "{reason}"
    );
    assert!(env.sent().is_empty(), "nothing reached Facebook");

    // A clock that says no time has passed: Facebook refuses with 10/2018278.
    let wrong = send_policy(last, Some(last), false, true);
    let error = env.send("Sorry for the wait", &wrong).await.unwrap_err();
    let SendError::Graph(graph_error) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        (graph_error.code(), graph_error.subcode()),
        (Some(10), Some(2018278))
    );
    assert_eq!(classify(graph_error), Problem::OutsideWindow);
    let SendFailure::Refused { reason } = error.failure() else {
        panic!()
    };
    assert!(
        reason.starts_with("The 24-hour window has closed"),
        "{reason}"
    );
}

#[tokio::test]
async fn human_agent_answers_for_7_days_when_enabled_and_approved() {
    let env = setup().await;
    let last = env.customer_writes("hi").await;
    env.control.advance_clock(3 * 24 * HOUR);

    // Automatic messages may not use the tag.
    let automated = send_policy(env.now_ms(), Some(last), true, false);
    assert!(matches!(
        automated,
        SendPolicy::Closed {
            why: ClosedWhy::HumanAgentOnlyForOperators,
            ..
        }
    ));

    let policy = send_policy(env.now_ms(), Some(last), true, true);
    assert!(
        matches!(policy, SendPolicy::HumanAgent { .. }),
        "{policy:?}"
    );
    // Enabled on the channel but the app is not approved: Facebook applies
    // the 24-hour rule.
    let error = env.send("An operator here", &policy).await.unwrap_err();
    let SendError::Graph(graph_error) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(classify(graph_error), Problem::OutsideWindow);

    env.control.approve_human_agent(APP_ID, true);
    env.send("An operator here", &policy).await.unwrap();
    let sent = env.sent();
    assert_eq!(
        (sent[0].messaging_type.as_str(), sent[0].tag.as_deref()),
        ("MESSAGE_TAG", Some("HUMAN_AGENT"))
    );

    env.control.advance_clock(4 * 24 * HOUR + HOUR);
    let closed = send_policy(env.now_ms(), Some(last), true, true);
    assert!(matches!(
        closed,
        SendPolicy::Closed {
            why: ClosedWhy::HumanAgentWindowOver,
            ..
        }
    ));
}

#[tokio::test]
async fn an_uploaded_file_is_sent_by_id_and_a_customers_file_is_downloaded() {
    let env = setup().await;
    let last = env.customer_writes("Send me the invoice").await;
    let policy = send_policy(env.now_ms(), Some(last), false, true);
    let pdf = b"%PDF-1.4 invoice".to_vec();
    let id = env
        .fb
        .graph
        .upload_attachment(
            SUPPORT,
            &env.token,
            AttachmentType::for_mime("application/pdf"),
            "invoice.pdf",
            "application/pdf",
            pdf.clone(),
        )
        .await
        .unwrap();
    assert_eq!(env.control.attachment_bytes(&id), Some(pdf.clone()));
    env.fb
        .graph
        .send_attachment(
            SUPPORT,
            &env.token,
            &env.psid,
            AttachmentType::File,
            &id,
            &policy,
        )
        .await
        .unwrap();
    let sent = env.sent();
    assert_eq!(sent[0].attachment_id.as_deref(), Some(id.as_str()));
    assert_eq!(sent[0].attachment_type.as_deref(), Some("file"));
    assert_eq!(sent[0].attachment_bytes.as_deref(), Some(pdf.as_slice()));

    // The customer sends a photo and a sticker.
    let photo = CustomerAttachment {
        kind: switchboard_sandbox::AttachmentKind::Image,
        bytes: b"\x89PNG fake".to_vec(),
        file_name: Some("photo.png".into()),
        mime_type: Some("image/png".into()),
        sticker_id: None,
    };
    let sticker = CustomerAttachment {
        kind: switchboard_sandbox::AttachmentKind::Sticker,
        bytes: Vec::new(),
        file_name: None,
        mime_type: None,
        sticker_id: None,
    };
    for attachment in [photo, sticker] {
        env.control
            .customer_sends(
                SUPPORT,
                &env.psid,
                CustomerMessengerMessage {
                    attachments: vec![attachment],
                    ..CustomerMessengerMessage::default()
                },
            )
            .unwrap();
    }
    let MessengerEvent::Message { attachments, .. } = env.inbox.message().await.1 else {
        unreachable!()
    };
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].kind, AttachmentKind::Image);
    let downloaded = env
        .fb
        .graph
        .download(attachments[0].url.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(downloaded.bytes, b"\x89PNG fake");
    assert_eq!(downloaded.content_type.as_deref(), Some("image/png"));

    let MessengerEvent::Message { attachments, .. } = env.inbox.message().await.1 else {
        unreachable!()
    };
    assert_eq!(
        attachments.len(),
        1,
        "one sticker, whatever Meta's transition sends"
    );
    assert_eq!(attachments[0].kind, AttachmentKind::Sticker);
    assert_eq!(
        attachments[0].sticker_id.as_deref(),
        Some("369239263222822")
    );
}

#[tokio::test]
async fn the_profile_names_the_customer() {
    let env = setup().await;
    let profile = env.fb.graph.profile(&env.psid, &env.token).await.unwrap();
    assert_eq!(profile.display_name().as_deref(), Some("Anna Petrova"));
    let picture = profile.profile_pic.expect("a picture URL");
    let downloaded = env.fb.graph.download(&picture).await.unwrap();
    assert!(!downloaded.bytes.is_empty());
}

#[tokio::test]
async fn a_bot_holds_the_thread_passes_it_to_us_and_we_can_give_it_back_or_take_it() {
    let env = setup().await;
    env.control
        .bot_holds_thread(SUPPORT, &env.psid, BOT_APP_ID)
        .unwrap();
    // While the bot holds it we only watch, on standby.
    env.control
        .customer_writes(SUPPORT, &env.psid, "I want a person")
        .unwrap();
    let (channel, _) = env.inbox.message().await;
    assert_eq!(channel, Channel::Standby);
    let owner = env
        .fb
        .graph
        .thread_owner(SUPPORT, &env.token, &env.psid)
        .await
        .unwrap();
    assert_eq!(owner.as_deref(), Some(BOT_APP_ID));
    let policy = send_policy(env.now_ms(), Some(env.now_ms()), false, true);
    let error = env
        .send("Hello from an operator", &policy)
        .await
        .unwrap_err();
    let SendError::Graph(graph_error) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(classify(graph_error), Problem::ThreadHeldElsewhere);

    // The bot hands over: a pass_thread_control event names us.
    env.control
        .bot_passes_thread(SUPPORT, &env.psid, APP_ID, Some("needs a human"))
        .unwrap();
    let (_, pass) = env
        .inbox
        .next(|e| matches!(e, MessengerEvent::PassThreadControl { .. }))
        .await;
    assert_eq!(
        pass,
        MessengerEvent::PassThreadControl {
            psid: env.psid.clone(),
            previous_owner_app_id: Some(BOT_APP_ID.into()),
            new_owner_app_id: APP_ID.into(),
            metadata: Some("needs a human".into()),
        }
    );
    env.send("Hello from an operator", &policy).await.unwrap();

    // Back to Page Inbox, then taken again by us.
    env.fb
        .graph
        .pass_thread_control(
            SUPPORT,
            &env.token,
            &env.psid,
            PAGE_INBOX_APP_ID,
            Some("done"),
        )
        .await
        .unwrap();
    assert_eq!(
        env.control.thread_owner(SUPPORT, &env.psid).as_deref(),
        Some(PAGE_INBOX_APP_ID)
    );
    env.fb
        .graph
        .take_thread_control(SUPPORT, &env.token, &env.psid, Some("operator took over"))
        .await
        .unwrap();
    let owner = env
        .fb
        .graph
        .thread_owner(SUPPORT, &env.token, &env.psid)
        .await
        .unwrap();
    assert_eq!(owner.as_deref(), Some(APP_ID));
}

#[tokio::test]
async fn a_person_who_is_not_available_fails_the_message() {
    let env = setup().await;
    let last = env.customer_writes("hi").await;
    env.control
        .set_customer_available(SUPPORT, &env.psid, false)
        .unwrap();
    let policy = send_policy(env.now_ms(), Some(last), false, true);
    let error = env.send("Hello?", &policy).await.unwrap_err();
    let SendError::Graph(graph_error) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(graph_error.code(), Some(551));
    let SendFailure::Refused { reason } = error.failure() else {
        panic!()
    };
    assert!(
        reason.starts_with("This person isn't available right now"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_revoked_page_token_is_dead_until_the_page_is_reconnected() {
    let env = setup().await;
    let last = env.customer_writes("hi").await;
    let policy = send_policy(env.now_ms(), Some(last), false, true);
    let secret = Secret::new(APP_SECRET);
    let info = env
        .fb
        .graph
        .debug_token(APP_ID, &secret, &env.token)
        .await
        .unwrap();
    assert_eq!(
        token_health(&info, env.now_ms()),
        TokenHealth::Valid { expires_at: None }
    );

    env.control.revoke_token(env.token.expose()).unwrap();
    let error = env.send("Hello", &policy).await.unwrap_err();
    let SendError::Graph(graph_error) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(graph_error.code(), Some(190));
    let SendFailure::TokenDead { reason } = error.failure() else {
        panic!("{:?}", error.failure())
    };
    assert!(
        reason.ends_with("Reconnect the page in Chat settings."),
        "{reason}"
    );
    assert!(!format!("{error:?}").contains(env.token.expose()));

    let info = env
        .fb
        .graph
        .debug_token(APP_ID, &secret, &env.token)
        .await
        .unwrap();
    let TokenHealth::Invalid { reason } = token_health(&info, env.now_ms()) else {
        panic!()
    };
    assert!(
        reason.ends_with("Reconnect the page in Chat settings."),
        "{reason}"
    );
}

#[tokio::test]
async fn rate_limits_are_retried_later() {
    let env = setup().await;
    let last = env.customer_writes("hi").await;
    let policy = send_policy(env.now_ms(), Some(last), false, true);
    for code in [4, 17, 32, 613] {
        env.control
            .fail_next_sends(
                SUPPORT,
                SubscribeFault {
                    code,
                    error_subcode: None,
                    message: None,
                    http_status: None,
                },
                1,
            )
            .unwrap();
        let error = env.send("Hello", &policy).await.unwrap_err();
        let SendError::Graph(graph_error) = &error else {
            panic!("{error:?}")
        };
        assert!(
            matches!(send_failure(graph_error), SendFailure::Retry { after } if after >= Duration::from_secs(30)),
            "{code}: {graph_error}"
        );
    }
    // The fault was once per send: the next one goes out.
    env.send("Hello", &policy).await.unwrap();
}
