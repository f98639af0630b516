//! A signed webhook body → one `InboxEvent` per event, each keeping its own
//! JSON exactly as Meta sent it (a slice of the body, never re-encoded).
//!
//! Dedupe keys (stored once per page, see the engine's `messenger_inbox_once`):
//! - a message or echo: `mid:<mid>`;
//! - a postback: `postback:<mid>`, or `postback:<sender>:<timestamp>` without a mid;
//! - a read or delivery: `read|delivery:<sender>:<watermark>`;
//! - a handover: `handover:<sender>:<timestamp>:<pass|take|request>_thread_control`;
//! - anything else (or a known kind missing its identifying fields):
//!   `sha256:<hex of the event's raw JSON>`.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use switchboard_engine::clock::Millis;
use switchboard_engine::inbox::{InboxChannel, InboxEvent, InboxEventKind};
use thiserror::Error;

/// A signed body we cannot read. Never carries the body itself.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BodyError {
    #[error("the body is not a Messenger webhook: {0}")]
    Malformed(String),
}

#[derive(Deserialize)]
struct Body<'a> {
    object: String,
    #[serde(borrow, default)]
    entry: Vec<Entry<'a>>,
}

#[derive(Deserialize)]
struct Entry<'a> {
    id: Value,
    #[serde(borrow, default)]
    messaging: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    standby: Vec<&'a RawValue>,
}

/// What the body said, read as far as needed.
#[derive(Debug)]
pub struct Parsed {
    /// `object` when it is not `page` (e.g. `instagram`): nothing is stored.
    pub other_object: Option<String>,
    pub events: Vec<InboxEvent>,
}

pub fn parse(body: &[u8], received_at: Millis) -> Result<Parsed, BodyError> {
    let body: Body<'_> =
        serde_json::from_slice(body).map_err(|e| BodyError::Malformed(where_(&e)))?;
    if body.object != "page" {
        return Ok(Parsed {
            other_object: Some(body.object),
            events: Vec::new(),
        });
    }
    let mut events = Vec::new();
    for entry in body.entry {
        let page_id = scalar(&entry.id)
            .ok_or_else(|| BodyError::Malformed("an entry's id is not a page id".into()))?;
        let feeds = [
            (InboxChannel::Messaging, entry.messaging),
            (InboxChannel::Standby, entry.standby),
        ];
        for (channel, raw_events) in feeds {
            for raw in raw_events {
                let (kind, dedupe_key) = classify(raw.get());
                events.push(InboxEvent {
                    page_id: page_id.clone(),
                    channel,
                    dedupe_key,
                    kind,
                    event_json: raw.get().to_owned(),
                    received_at,
                });
            }
        }
    }
    Ok(Parsed {
        other_object: None,
        events,
    })
}

#[derive(Deserialize, Default)]
struct Probe {
    sender: Option<Party>,
    timestamp: Option<Value>,
    message: Option<MessageProbe>,
    postback: Option<MidProbe>,
    read: Option<WatermarkProbe>,
    delivery: Option<WatermarkProbe>,
    pass_thread_control: Option<IgnoredAny>,
    take_thread_control: Option<IgnoredAny>,
    request_thread_control: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Party {
    id: Value,
}

#[derive(Deserialize)]
struct MessageProbe {
    mid: Option<String>,
    #[serde(default)]
    is_echo: bool,
}

#[derive(Deserialize)]
struct MidProbe {
    mid: Option<String>,
}

#[derive(Deserialize)]
struct WatermarkProbe {
    watermark: Option<Value>,
}

/// The kind of one event and its dedupe key. Never fails: what it cannot
/// read is `Unknown` (or keyed by its hash).
fn classify(raw: &str) -> (InboxEventKind, String) {
    let probe: Probe = serde_json::from_str(raw).unwrap_or_default();
    let sender = probe.sender.as_ref().and_then(|s| scalar(&s.id));
    let timestamp = probe.timestamp.as_ref().and_then(scalar);
    let hashed = || format!("sha256:{}", hex::encode(Sha256::digest(raw.as_bytes())));
    let keyed = |kind, key: Option<String>| (kind, key.unwrap_or_else(hashed));

    if let Some(message) = probe.message {
        let kind = if message.is_echo {
            InboxEventKind::Echo
        } else {
            InboxEventKind::Message
        };
        return keyed(kind, message.mid.map(|mid| format!("mid:{mid}")));
    }
    if let Some(postback) = probe.postback {
        let key = match (postback.mid, &sender, &timestamp) {
            (Some(mid), _, _) => Some(format!("postback:{mid}")),
            (None, Some(sender), Some(at)) => Some(format!("postback:{sender}:{at}")),
            _ => None,
        };
        return keyed(InboxEventKind::Postback, key);
    }
    for (kind, name, mark) in [
        (InboxEventKind::Read, "read", probe.read),
        (InboxEventKind::Delivery, "delivery", probe.delivery),
    ] {
        if let Some(mark) = mark {
            let watermark = mark.watermark.as_ref().and_then(scalar);
            let key = sender
                .as_ref()
                .zip(watermark)
                .map(|(sender, watermark)| format!("{name}:{sender}:{watermark}"));
            return keyed(kind, key);
        }
    }
    for (name, present) in [
        ("pass_thread_control", probe.pass_thread_control.is_some()),
        ("take_thread_control", probe.take_thread_control.is_some()),
        (
            "request_thread_control",
            probe.request_thread_control.is_some(),
        ),
    ] {
        if present {
            let key = sender
                .as_ref()
                .zip(timestamp.as_ref())
                .map(|(sender, at)| format!("handover:{sender}:{at}:{name}"));
            return keyed(InboxEventKind::Handover, key);
        }
    }
    (InboxEventKind::Unknown, hashed())
}

/// Where reading failed, without serde's message: that can quote the body
/// ("invalid type: string \"…\""), and bodies hold customers' words.
fn where_(error: &serde_json::Error) -> String {
    let what = match error.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "not the webhook shape",
        serde_json::error::Category::Eof => "cut short",
    };
    format!("{what} at line {}, column {}", error.line(), error.column())
}

/// A string or a number as text (Meta sends ids as strings, timestamps as
/// numbers; either may change without notice).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(event: &str) -> InboxEvent {
        let body =
            format!(r#"{{"object":"page","entry":[{{"id":"P","time":1,"messaging":[{event}]}}]}}"#);
        let mut parsed = parse(body.as_bytes(), 7).unwrap();
        assert_eq!(parsed.events.len(), 1);
        parsed.events.remove(0)
    }

    #[test]
    fn each_kind_gets_its_key() {
        let cases = [
            (
                r#"{"sender":{"id":"U"},"recipient":{"id":"P"},"timestamp":5,"message":{"mid":"m_1","text":"hi"}}"#,
                InboxEventKind::Message,
                "mid:m_1",
            ),
            (
                r#"{"sender":{"id":"P"},"recipient":{"id":"U"},"timestamp":5,"message":{"mid":"m_2","is_echo":true,"app_id":1}}"#,
                InboxEventKind::Echo,
                "mid:m_2",
            ),
            (
                r#"{"sender":{"id":"U"},"timestamp":5,"postback":{"mid":"m_3","payload":"X"}}"#,
                InboxEventKind::Postback,
                "postback:m_3",
            ),
            (
                r#"{"sender":{"id":"U"},"timestamp":5,"postback":{"payload":"X"}}"#,
                InboxEventKind::Postback,
                "postback:U:5",
            ),
            (
                r#"{"sender":{"id":"U"},"timestamp":5,"read":{"watermark":1458668856253}}"#,
                InboxEventKind::Read,
                "read:U:1458668856253",
            ),
            (
                r#"{"sender":{"id":"U"},"timestamp":5,"delivery":{"mids":["m_1"],"watermark":9}}"#,
                InboxEventKind::Delivery,
                "delivery:U:9",
            ),
            (
                r#"{"sender":{"id":"U"},"recipient":{"id":"P"},"timestamp":5,"pass_thread_control":{"new_owner_app_id":"1","metadata":"m"}}"#,
                InboxEventKind::Handover,
                "handover:U:5:pass_thread_control",
            ),
            (
                r#"{"sender":{"id":"U"},"timestamp":6,"take_thread_control":{"previous_owner_app_id":"1"}}"#,
                InboxEventKind::Handover,
                "handover:U:6:take_thread_control",
            ),
        ];
        for (json, kind, key) in cases {
            let event = one(json);
            assert_eq!(
                (event.kind, event.dedupe_key.as_str()),
                (kind, key),
                "{json}"
            );
            assert_eq!(event.event_json, json);
            assert_eq!(event.page_id, "P");
            assert_eq!(event.received_at, 7);
        }
    }

    #[test]
    fn unknown_or_unreadable_events_are_kept_under_their_hash() {
        for json in [
            r#"{"sender":{"id":"U"},"timestamp":5,"reaction":{"mid":"m_1","action":"react"}}"#,
            r#"{"message":"not an object"}"#,
            r#"[1,2]"#,
            r#""text""#,
        ] {
            let event = one(json);
            assert_eq!(event.kind, InboxEventKind::Unknown, "{json}");
            assert!(event.dedupe_key.starts_with("sha256:"), "{json}");
        }
        let a = one(r#"{"x":1}"#);
        let b = one(r#"{"x":2}"#);
        assert_ne!(a.dedupe_key, b.dedupe_key);
        assert_eq!(a.dedupe_key, one(r#"{"x":1}"#).dedupe_key);
    }

    #[test]
    fn a_message_without_a_mid_stays_a_message() {
        let event = one(r#"{"sender":{"id":"U"},"message":{"text":"hi"}}"#);
        assert_eq!(event.kind, InboxEventKind::Message);
        assert!(event.dedupe_key.starts_with("sha256:"));
    }

    #[test]
    fn raw_json_keeps_its_escapes() {
        let json = r#"{"sender":{"id":"U"},"message":{"mid":"m","text":"caf\u00e9 \ud83d\ude00"}}"#;
        assert_eq!(one(json).event_json, json);
    }

    #[test]
    fn standby_and_messaging_are_told_apart_and_pages_keep_their_ids() {
        let body = br#"{"object":"page","entry":[
            {"id":"P1","time":1,"messaging":[{"message":{"mid":"a"}}],"standby":[{"message":{"mid":"b"}}]},
            {"id":42,"time":1,"standby":[{"message":{"mid":"c"}}]}]}"#;
        let events = parse(body, 0).unwrap().events;
        let seen: Vec<_> = events
            .iter()
            .map(|e| (e.page_id.as_str(), e.channel, e.dedupe_key.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("P1", InboxChannel::Messaging, "mid:a"),
                ("P1", InboxChannel::Standby, "mid:b"),
                ("42", InboxChannel::Standby, "mid:c"),
            ]
        );
    }

    #[test]
    fn other_objects_and_broken_bodies() {
        let parsed = parse(br#"{"object":"instagram","entry":[]}"#, 0).unwrap();
        assert_eq!(parsed.other_object.as_deref(), Some("instagram"));
        assert!(parsed.events.is_empty());
        assert!(parse(b"{not json", 0).is_err());
        let quoted = parse(br#"{"object":"page","entry":"my secret words"}"#, 0).unwrap_err();
        assert!(!quoted.to_string().contains("secret"), "{quoted}");
        assert!(quoted.to_string().contains("column"), "{quoted}");
        assert!(parse(br#"{"entry":[]}"#, 0).is_err());
        assert!(
            parse(
                br#"{"object":"page","entry":[{"id":null,"messaging":[]}]}"#,
                0
            )
            .is_err()
        );
        let empty = parse(
            br#"{"object":"page","entry":[{"id":"P","changes":[{}]}]}"#,
            0,
        )
        .unwrap();
        assert!(empty.events.is_empty());
    }
}
