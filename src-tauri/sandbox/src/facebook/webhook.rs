//! Messenger webhooks: the verification handshake, Meta's JSON encoding and signatures, and
//! delivery with retries — one worker per (app, page) so that a page's events arrive in order.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};

use super::messenger_state::Pending;
use super::messenger_types::DeliveryAttempt;
use super::state::State;

/// Where an event goes for one app: the thread's owner (or everyone, when nobody holds it)
/// gets `messaging`, the other subscribed apps `standby`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Messaging,
    Standby,
}

/// JSON as Meta writes it: non-ASCII characters as `\uXXXX` (UTF-16 surrogate pairs beyond the
/// BMP) and `/` as `\/`. Both only occur inside strings, so escaping the serialized text is safe.
/// A receiver that re-encodes the parsed JSON gets other bytes and a signature mismatch.
pub fn meta_json(value: &Value) -> String {
    let plain = value.to_string();
    let mut out = String::with_capacity(plain.len() + 16);
    for c in plain.chars() {
        if c == '/' {
            out.push_str("\\/");
        } else if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `sha256=<hex HMAC-SHA256(secret, body)>` for `X-Hub-Signature-256`.
pub fn signature_256(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

/// `sha1=<hex HMAC-SHA1(secret, body)>` for the older `X-Hub-Signature`.
pub fn signature_sha1(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha1={}", hex(&mac.finalize().into_bytes()))
}

/// Meta's verification request: `GET callback?hub.mode=subscribe&hub.challenge=N&hub.verify_token=T`
/// must answer 200 with exactly the challenge.
pub async fn verify(client: &reqwest::Client, url: &str, verify_token: &str) -> Result<(), String> {
    let challenge = rand::random_range(100_000_000u64..2_000_000_000).to_string();
    let response = client
        .get(url)
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.challenge", challenge.as_str()),
            ("hub.verify_token", verify_token),
        ])
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| format!("the callback could not be reached: {e}"))?;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    if status != 200 {
        return Err(format!("the callback answered HTTP {status}"));
    }
    if body.trim() != challenge {
        return Err(format!(
            "the callback answered {body:?} instead of the challenge {challenge}"
        ));
    }
    Ok(())
}

/// Queues a page event for every app subscribed to `field` (or to `standby` when another app
/// holds the thread with `psid`) that has a webhook.
pub fn publish(state: &mut State, page_id: &str, psid: &str, field: &str, event: Value) {
    let Some(page) = state.page(page_id) else {
        return;
    };
    let owner = state.messenger.thread_owner(page_id, psid).cloned();
    let targets: Vec<(String, Channel)> = page
        .subscriptions
        .iter()
        .filter_map(|(app_id, fields)| {
            let channel = match &owner {
                Some(owner) if owner != app_id => Channel::Standby,
                _ => Channel::Messaging,
            };
            let needed = match channel {
                Channel::Messaging => field,
                Channel::Standby => "standby",
            };
            fields
                .iter()
                .any(|f| f == needed)
                .then(|| (app_id.clone(), channel))
        })
        .collect();
    for (app_id, channel) in targets {
        enqueue(state, &app_id, page_id, channel, &event);
    }
}

/// Queues a `messaging_handovers` event for one app (the new owner, or the owner asked to
/// give the thread up), if it subscribed to that field.
pub fn publish_handover(state: &mut State, app_id: &str, page_id: &str, event: Value) {
    let subscribed = state.page(page_id).is_some_and(|p| {
        p.subscriptions
            .iter()
            .any(|(app, fields)| app == app_id && fields.iter().any(|f| f == "messaging_handovers"))
    });
    if subscribed {
        enqueue(state, app_id, page_id, Channel::Messaging, &event);
    }
}

fn enqueue(state: &mut State, app_id: &str, page_id: &str, channel: Channel, event: &Value) {
    if !state.messenger.webhooks.contains_key(app_id) {
        return;
    }
    let key = match channel {
        Channel::Messaging => "messaging",
        Channel::Standby => "standby",
    };
    let body = json!({
        "object": "page",
        "entry": [{ "id": page_id, "time": state.now_ms(), key: [event] }],
    });
    let serial = state
        .messenger
        .event_serial
        .entry(app_id.to_owned())
        .or_default();
    *serial += 1;
    let pending = Pending {
        event: *serial,
        body: meta_json(&body),
    };
    let messenger = &mut state.messenger;
    let queue = messenger
        .queues
        .entry((app_id.to_owned(), page_id.to_owned()))
        .or_default();
    queue.pending.push_back(pending);
    if queue.worker_running {
        return;
    }
    if let (Some(runtime), Some(this)) = (&messenger.runtime, messenger.this.upgrade()) {
        queue.worker_running = true;
        runtime.spawn(deliver_queue(this, app_id.to_owned(), page_id.to_owned()));
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Delivers the queue's events one after the other, each retried until it is answered with
/// 200 or the attempts are used up (then it is dropped, as Meta eventually drops events).
async fn deliver_queue(state: Arc<Mutex<State>>, app_id: String, page_id: String) {
    let key = (app_id.clone(), page_id.clone());
    loop {
        let job = {
            let mut s = lock(&state);
            let webhook = s.messenger.webhooks.get(&app_id).cloned();
            let secret = s.app(&app_id).map(|a| a.secret.clone());
            let (retry, client) = (s.messenger.retry, s.messenger.http.clone());
            let Some(queue) = s.messenger.queues.get_mut(&key) else {
                return;
            };
            match (queue.pending.front().cloned(), webhook, secret, client) {
                (Some(pending), Some(webhook), Some(secret), Some(client)) => {
                    (pending, webhook.callback_url, secret, retry, client)
                }
                _ => {
                    // Nothing left, or the webhook (or app) is gone: stop and forget the queue.
                    queue.pending.clear();
                    queue.worker_running = false;
                    return;
                }
            }
        };
        let (pending, url, secret, retry, client) = job;
        let sig256 = signature_256(&secret, pending.body.as_bytes());
        let sig1 = signature_sha1(&secret, pending.body.as_bytes());
        let mut delay = retry.first_delay_ms;
        for attempt in 1..=retry.max_attempts.max(1) {
            let result = client
                .post(&url)
                .header("Content-Type", "application/json")
                .header("X-Hub-Signature-256", &sig256)
                .header("X-Hub-Signature", &sig1)
                .body(pending.body.clone())
                .timeout(Duration::from_millis(retry.timeout_ms))
                .send()
                .await;
            let (status, error) = match result {
                Ok(response) => (Some(response.status().as_u16()), None),
                Err(e) => (None, Some(e.to_string())),
            };
            let delivered = status == Some(200);
            lock(&state).messenger.attempts.push(DeliveryAttempt {
                app_id: app_id.clone(),
                page_id: page_id.clone(),
                event: pending.event,
                attempt,
                url: url.clone(),
                body: pending.body.clone(),
                signature_256: sig256.clone(),
                signature_sha1: sig1.clone(),
                status,
                error,
                delivered,
            });
            if delivered {
                break;
            }
            tracing::debug!(app_id, page_id, attempt, ?status, "webhook delivery failed");
            if attempt < retry.max_attempts {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                delay = delay.saturating_mul(2).min(retry.max_delay_ms.max(1));
            }
        }
        if let Some(queue) = lock(&state).messenger.queues.get_mut(&key) {
            queue.pending.pop_front();
        }
    }
}
