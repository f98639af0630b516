//! What a stored webhook event means for the conversation, decided without a store: a customer's
//! message (one stored message per file), an echo of what the page sent from elsewhere, a
//! receipt, a bot passing the thread to Switchboard, or nothing (with the reason kept on the
//! inbox row). Both processors apply these decisions: the desktop's (standalone mode: the SQLite
//! store, `switchboard-runtime`'s `messenger/processor.rs`) and the relay's (shared mode:
//! Postgres, [`crate::InboxProcessor`]).

use switchboard_engine::domain::{AttachmentKind, ChatState, InboundAttachment, InboundMessage};
use switchboard_engine::inbox::{InboxChannel, StoredInboxEvent};
use switchboard_engine::store::{Echo, Receipt};
use switchboard_messenger::{IncomingAttachment, MessengerEvent, parse_event};

/// Page Inbox (Meta Business Suite): the app a page's people answer from.
pub const PAGE_INBOX_APP_ID: &str = "263902037430900";

/// What to do with one inbox event.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The customer wrote (or tapped a button): `messages` go to the customer's open chat, or to
    /// a new one in state `new_chat` (`Bot` when it came on standby: another app holds the
    /// thread). `contact_name` is [`placeholder_name`] until someone with the page's token asks
    /// the profile API.
    Inbound {
        psid: String,
        messages: Vec<InboundMessage>,
        new_chat: ChatState,
    },
    /// The page wrote from elsewhere (Page Inbox, another app): an outbound line in the
    /// customer's latest chat, once per `mid`.
    Echo(Echo),
    /// Outbound messages up to the watermark were delivered or read.
    Receipt {
        psid: String,
        watermark: i64,
        receipt: Receipt,
    },
    /// A bot passed the thread to Switchboard: the customer's bot chat enters routing.
    Release { psid: String },
    /// Nothing to do; the reason stays on the inbox row for whoever investigates.
    Ignored { reason: String },
}

/// The workspace as the decisions need it.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The page's channel name (the author of an echo no app claims).
    pub channel_name: &'a str,
    /// The workspace's Facebook app id (`FacebookAppId`): echoes and handovers name apps.
    pub app_id: Option<&'a str>,
}

/// A customer's name until the profile API says better ("Messenger user …1234").
pub fn placeholder_name(psid: &str) -> String {
    let tail = psid
        .char_indices()
        .rev()
        .nth(3)
        .map_or(psid, |(at, _)| &psid[at..]);
    format!("Messenger user …{tail}")
}

/// Reads the stored event and decides.
pub fn decide(stored: &StoredInboxEvent, context: Context<'_>) -> Decision {
    let ignored = |reason: &str| Decision::Ignored {
        reason: reason.into(),
    };
    let json: serde_json::Value = match serde_json::from_str(&stored.event_json) {
        Ok(json) => json,
        Err(_) => return ignored("the stored event is not JSON"),
    };
    let event = match parse_event(&stored.page_id, &json) {
        Ok(event) => event,
        Err(err) => return ignored(&err.to_string()),
    };
    // A bot's conversation (and its "Get Started") arrives on standby: the bot's chat, not
    // routing's.
    let new_chat = match stored.channel {
        InboxChannel::Messaging => ChatState::Queued,
        InboxChannel::Standby => ChatState::Bot,
    };
    match event {
        MessengerEvent::Message {
            psid,
            mid,
            text,
            attachments,
            timestamp,
            ..
        } => {
            let messages = inbound(&psid, &mid, text, &attachments, timestamp);
            Decision::Inbound {
                psid,
                messages,
                new_chat,
            }
        }
        MessengerEvent::Postback {
            psid,
            mid,
            title,
            timestamp,
            ..
        } => {
            let key = mid.unwrap_or_else(|| format!("postback:{psid}:{timestamp}"));
            let text = format!("▶ {}", title.unwrap_or_else(|| "(a button)".into()));
            let messages = inbound(&psid, &key, Some(text), &[], timestamp);
            Decision::Inbound {
                psid,
                messages,
                new_chat,
            }
        }
        MessengerEvent::Echo {
            psid,
            mid,
            text,
            attachments,
            app_id,
            timestamp,
            ..
        } => {
            if app_id.is_some() && app_id.as_deref() == context.app_id {
                // Our own send: the outbox records it (the echo can arrive before Meta's
                // answer to the send does).
                return ignored("the echo of a message Switchboard sent");
            }
            let author = match app_id.as_deref() {
                Some(PAGE_INBOX_APP_ID) => "Page Inbox".to_owned(),
                Some(id) => format!("App {id}"),
                None => context.channel_name.to_owned(),
            };
            let text = match (text, attachments.is_empty()) {
                (Some(text), _) => text,
                (None, false) => "[attachment]".into(),
                (None, true) => String::new(),
            };
            Decision::Echo(Echo {
                psid,
                mid,
                text,
                sent_at: timestamp,
                author,
            })
        }
        MessengerEvent::Read { psid, watermark } => Decision::Receipt {
            psid,
            watermark,
            receipt: Receipt::Read,
        },
        MessengerEvent::Delivery {
            psid, watermark, ..
        } => Decision::Receipt {
            psid,
            watermark,
            receipt: Receipt::Delivered,
        },
        MessengerEvent::PassThreadControl {
            psid,
            new_owner_app_id,
            ..
        } => {
            if Some(new_owner_app_id.as_str()) != context.app_id {
                return ignored("the thread was passed to another app");
            }
            Decision::Release { psid }
        }
        MessengerEvent::TakeThreadControl { .. } | MessengerEvent::RequestThreadControl { .. } => {
            ignored("thread control taken or requested by another app")
        }
        MessengerEvent::Unknown { reason } => ignored(&reason),
    }
}

/// One stored message per attachment (Messenger sends several in one message; a stored message
/// carries one file), the text on the first.
fn inbound(
    psid: &str,
    mid: &str,
    text: Option<String>,
    attachments: &[IncomingAttachment],
    timestamp: i64,
) -> Vec<InboundMessage> {
    let name = placeholder_name(psid);
    let message = |key: String, text: String, attachment| InboundMessage {
        provider_key: key,
        provider_chat_id: psid.to_owned(),
        provider_user_id: psid.to_owned(),
        contact_name: name.clone(),
        contact_username: None,
        text,
        sent_at: timestamp,
        edited_at: None,
        attachment,
    };
    let files: Vec<InboundAttachment> = attachments.iter().filter_map(file_of).collect();
    if files.is_empty() {
        let text = text.unwrap_or_else(|| describe(attachments));
        return vec![message(mid.to_owned(), text, None)];
    }
    files
        .into_iter()
        .enumerate()
        .map(|(i, file)| {
            let key = if i == 0 {
                mid.to_owned()
            } else {
                format!("{mid}#{i}")
            };
            let text = if i == 0 {
                text.clone().unwrap_or_default()
            } else {
                String::new()
            };
            message(key, text, Some(file))
        })
        .collect()
}

fn file_of(attachment: &IncomingAttachment) -> Option<InboundAttachment> {
    use switchboard_messenger::AttachmentKind as Meta;
    let kind = match attachment.kind {
        Meta::Image => AttachmentKind::Photo,
        Meta::Sticker => AttachmentKind::Sticker,
        Meta::Audio => AttachmentKind::Voice,
        Meta::Video | Meta::File => AttachmentKind::Document,
        Meta::Fallback | Meta::Other(_) => return None,
    };
    Some(InboundAttachment {
        kind,
        provider_file_id: attachment.url.clone()?,
        file_name: attachment.title.clone(),
        mime_type: None,
        size: None,
    })
}

/// Words for what Switchboard cannot show (a shared link, a location…).
fn describe(attachments: &[IncomingAttachment]) -> String {
    use switchboard_messenger::AttachmentKind as Meta;
    match attachments.first().map(|a| (&a.kind, &a.title, &a.url)) {
        Some((Meta::Fallback, title, url)) => format!(
            "[shared: {}]",
            title
                .clone()
                .or_else(|| url.clone())
                .unwrap_or_else(|| "something".into())
        ),
        Some((Meta::Other(kind), _, _)) => format!("[{kind} — not shown by Switchboard]"),
        _ => "[a message Switchboard cannot show]".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_engine::inbox::InboxEventKind;

    fn stored(channel: InboxChannel, json: &str) -> StoredInboxEvent {
        StoredInboxEvent {
            id: 1,
            page_id: "P1".into(),
            channel,
            kind: InboxEventKind::Unknown,
            event_json: json.into(),
            received_at: 0,
        }
    }

    const CONTEXT: Context<'static> = Context {
        channel_name: "Acme Support",
        app_id: Some("42"),
    };

    #[test]
    fn a_message_with_two_files_is_two_stored_messages_with_the_text_on_the_first() {
        let json = r#"{"sender":{"id":"U12345"},"recipient":{"id":"P1"},"timestamp":7,
            "message":{"mid":"m_1","text":"look","attachments":[
              {"type":"image","payload":{"url":"https://cdn/a.png"}},
              {"type":"file","payload":{"url":"https://cdn/b.pdf"}}]}}"#;
        let Decision::Inbound {
            psid,
            messages,
            new_chat,
        } = decide(&stored(InboxChannel::Messaging, json), CONTEXT)
        else {
            panic!("a customer's message");
        };
        assert_eq!((psid.as_str(), new_chat), ("U12345", ChatState::Queued));
        let keys: Vec<_> = messages.iter().map(|m| m.provider_key.as_str()).collect();
        assert_eq!(keys, ["m_1", "m_1#1"]);
        assert_eq!(messages[0].text, "look");
        assert_eq!(messages[1].text, "");
        assert_eq!(messages[0].contact_name, "Messenger user …2345");
        assert_eq!(
            messages[1].attachment.as_ref().map(|a| a.kind),
            Some(AttachmentKind::Document)
        );
    }

    #[test]
    fn standby_messages_start_bot_chats_and_our_own_echoes_are_skipped() {
        let json = r#"{"sender":{"id":"U1"},"recipient":{"id":"P1"},"timestamp":7,
            "message":{"mid":"m_1","text":"bot talk"}}"#;
        assert!(matches!(
            decide(&stored(InboxChannel::Standby, json), CONTEXT),
            Decision::Inbound {
                new_chat: ChatState::Bot,
                ..
            }
        ));
        let echo = |app: &str| {
            format!(
                r#"{{"sender":{{"id":"P1"}},"recipient":{{"id":"U1"}},"timestamp":8,
                "message":{{"mid":"m_2","text":"hi","is_echo":true,"app_id":{app}}}}}"#
            )
        };
        assert!(matches!(
            decide(&stored(InboxChannel::Messaging, &echo("42")), CONTEXT),
            Decision::Ignored { .. }
        ));
        let Decision::Echo(from_inbox) = decide(
            &stored(InboxChannel::Messaging, &echo(PAGE_INBOX_APP_ID)),
            CONTEXT,
        ) else {
            panic!("an echo");
        };
        assert_eq!(
            (from_inbox.author.as_str(), from_inbox.psid.as_str()),
            ("Page Inbox", "U1")
        );
    }

    #[test]
    fn receipts_handovers_and_the_unreadable() {
        let read = r#"{"sender":{"id":"U1"},"recipient":{"id":"P1"},"timestamp":9,
            "read":{"watermark":1000}}"#;
        assert_eq!(
            decide(&stored(InboxChannel::Messaging, read), CONTEXT),
            Decision::Receipt {
                psid: "U1".into(),
                watermark: 1000,
                receipt: Receipt::Read
            }
        );
        let pass = |to: &str| {
            format!(
                r#"{{"sender":{{"id":"U1"}},"recipient":{{"id":"P1"}},"timestamp":9,
                "pass_thread_control":{{"new_owner_app_id":"{to}"}}}}"#
            )
        };
        assert_eq!(
            decide(&stored(InboxChannel::Messaging, &pass("42")), CONTEXT),
            Decision::Release { psid: "U1".into() }
        );
        assert!(matches!(
            decide(&stored(InboxChannel::Messaging, &pass("7")), CONTEXT),
            Decision::Ignored { .. }
        ));
        assert!(matches!(
            decide(&stored(InboxChannel::Messaging, "{not json"), CONTEXT),
            Decision::Ignored { .. }
        ));
    }

    #[test]
    fn placeholders_keep_the_last_four_characters() {
        assert_eq!(placeholder_name("123456789"), "Messenger user …6789");
        assert_eq!(placeholder_name("12"), "Messenger user …12");
    }
}
