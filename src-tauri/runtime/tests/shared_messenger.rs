//! Facebook Messenger in shared mode, through the runtime's API against the sandbox's Facebook:
//! the relay stores the page's webhooks in Postgres and turns them into chats there; the router
//! offers the chat; the operator's desktop — which has the page's token in its keychain and so
//! holds the page's lease — shows it from its cache, names the customer from the profile API and
//! sends the reply (and files) through the Send API under the 24-hour window. The Facebook side
//! (connecting pages, thread control, a dead token) is in `shared_facebook.rs`.

mod common;

#[path = "../../messenger/tests/dialog/mod.rs"]
mod dialog;
mod shared_pages;

use shared_pages::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_messenger_customer_is_answered_from_a_shared_desktop_within_the_window() {
    let s = setup().await;
    let (ann, control, clock) = (&s.ann, s.fb.sandbox.facebook(), &s.clock);
    let psid = s.customer("Maria");
    control
        .customer_writes(SUPPORT, &psid, "Hola, ¿dónde está mi pedido?")
        .unwrap();
    let chat = s.accept_the_chat().await;
    eventually(
        "the customer's name and picture come from the profile API",
        || async {
            ann.list_chats().await.unwrap()[0].contact_name == "Maria Doe"
                && ann
                    .read_chat(&chat)
                    .await
                    .unwrap()
                    .contact_picture
                    .is_some()
        },
    )
    .await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM messages WHERE kind = 'inbound'")
        .fetch_one(&s.db.owner)
        .await
        .unwrap();
    assert_eq!(stored, 1, "once");
    let detail = ann.read_chat(&chat).await.unwrap();
    let asked = detail
        .messages
        .iter()
        .find(|m| m.kind == MessageKind::Inbound)
        .unwrap();
    assert_eq!(asked.text, "Hola, ¿dónde está mi pedido?");
    assert_eq!(asked.author, "Maria Doe");
    let picture = detail
        .contact_picture
        .clone()
        .expect("the profile picture is kept");
    assert!(
        picture.starts_with("data:image/png;base64,"),
        "{picture:.40}"
    );
    let window = detail.window.expect("a Messenger chat has a window");
    assert_eq!(window.state, ReplyWindowState::Open);
    assert!(window.closes_at.is_some());

    let reply = ann.send_reply(&chat, "Está en camino.").await.unwrap();
    assert_eq!(reply.delivery, Some(DeliveryState::Pending));
    let sent = || control.sent_messenger_messages(SUPPORT);
    eventually("the page sends the reply", || async { !sent().is_empty() }).await;
    assert_eq!(sent()[0].text.as_deref(), Some("Está en camino."));
    assert_eq!(sent()[0].messaging_type, "RESPONSE");
    assert_eq!(sent()[0].recipient_id, psid);
    eventually("marked sent in Ann's cache", || async {
        ann.read_chat(&chat)
            .await
            .unwrap()
            .messages
            .iter()
            .any(|m| m.kind == MessageKind::Outbound && m.delivery == Some(DeliveryState::Sent))
    })
    .await;
    control.customer_reads(SUPPORT, &psid).unwrap();
    eventually("the read receipt reaches Ann's cache", || async {
        ann.read_chat(&chat)
            .await
            .unwrap()
            .messages
            .iter()
            .any(|m| m.kind == MessageKind::Outbound && m.read_at.is_some())
    })
    .await;
    let outbound = ann
        .read_chat(&chat)
        .await
        .unwrap()
        .messages
        .into_iter()
        .filter(|m| m.kind == MessageKind::Outbound)
        .count();
    assert_eq!(outbound, 1, "our own echo is not shown twice");

    // 25 hours later the window is closed: the composer says so and the reply is refused.
    clock.advance(25 * HOUR);
    control.advance_clock(Duration::from_secs(25 * 3600));
    let window = ann.read_chat(&chat).await.unwrap().window.unwrap();
    assert_eq!(window.state, ReplyWindowState::Closed);
    let refused = ann
        .send_reply(&chat, "Sorry for the wait")
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Conflict);
    assert!(
        refused
            .message
            .contains("Messenger allows replies only within 24 hours"),
        "{}",
        refused.message
    );
    assert_eq!(Some(refused.message), window.reason);

    // With the Human Agent tag on for the channel, an operator may still answer (7 days).
    ann.update_channel(
        CHANNEL,
        ChannelChanges {
            human_agent: Some(true),
            ..ChannelChanges::default()
        },
    )
    .await
    .unwrap();
    control.approve_human_agent(APP_ID, true);
    eventually("the window follows the channel's setting", || async {
        ann.read_chat(&chat).await.unwrap().window.unwrap().state == ReplyWindowState::HumanAgent
    })
    .await;
    ann.send_reply(&chat, "Sorry for the wait").await.unwrap();
    eventually("the tagged reply reaches Messenger", || async {
        sent().len() == 2
    })
    .await;
    assert_eq!(
        (sent()[1].messaging_type.as_str(), sent()[1].tag.as_deref()),
        ("MESSAGE_TAG", Some("HUMAN_AGENT"))
    );
    let card = ann.list_channels().await.unwrap().remove(0);
    assert_eq!(card.health, switchboard_ipc::ChannelHealthState::Running);

    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_go_both_ways_through_the_shared_database() {
    use base64::Engine as _;
    let s = setup().await;
    let (ann, control) = (&s.ann, s.fb.sandbox.facebook());
    let psid = s.customer("Ivo");
    control
        .customer_sends(
            SUPPORT,
            &psid,
            CustomerMessengerMessage {
                text: Some("this one".into()),
                attachments: vec![CustomerAttachment {
                    kind: switchboard_sandbox::AttachmentKind::Image,
                    bytes: Vec::new(),
                    file_name: None,
                    mime_type: None,
                    sticker_id: None,
                }],
                ..CustomerMessengerMessage::default()
            },
        )
        .unwrap();
    let chat = s.accept_the_chat().await;
    let photo = || async {
        ann.read_chat(&chat)
            .await
            .unwrap()
            .messages
            .into_iter()
            .find(|m| m.kind == MessageKind::Inbound)
            .and_then(|m| m.attachments.first().cloned())
    };
    eventually(
        "the page's holder downloads the customer's photo",
        || async {
            photo()
                .await
                .is_some_and(|a| a.state == AttachmentState::Stored)
        },
    )
    .await;
    let data = ann
        .read_attachment(&photo().await.unwrap().id)
        .await
        .unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&data.base64)
        .unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "the sandbox's picture");

    let pdf = b"%PDF-1.4 invoice for Ivo".to_vec();
    ann.send_file(SendFile {
        chat_id: chat.clone(),
        kind: AttachmentKind::Document,
        file_name: "invoice.pdf".into(),
        mime_type: Some("application/pdf".into()),
        base64: base64::engine::general_purpose::STANDARD.encode(&pdf),
        caption: "Here it is".into(),
    })
    .await
    .unwrap();
    let sent = || control.sent_messenger_messages(SUPPORT);
    eventually("the file and its text reach Messenger", || async {
        sent().len() == 2
    })
    .await;
    let id = sent()[0]
        .attachment_id
        .clone()
        .expect("sent by attachment id");
    assert_eq!(control.attachment_bytes(&id).unwrap(), pdf);
    assert_eq!(sent()[1].text.as_deref(), Some("Here it is"));
    eventually("marked sent in Ann's cache", || async {
        ann.read_chat(&chat)
            .await
            .unwrap()
            .messages
            .iter()
            .any(|m| m.kind == MessageKind::Outbound && m.delivery == Some(DeliveryState::Sent))
    })
    .await;
    s.stop().await;
}
