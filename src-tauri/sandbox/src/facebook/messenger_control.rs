//! The Messenger side of [`FacebookControl`]: webhooks (with Meta's verification handshake),
//! delivery attempts, sent messages, Send API faults, the `HUMAN_AGENT` approval, simulated
//! bot apps holding and passing threads, and expiring tokens.

use super::handover::change_owner;
use super::messenger_state::Webhook;
use super::messenger_types::{DeliveryAttempt, SentMessengerMessage, WebhookRetry};
use super::types::SubscribeFault;
use super::{FacebookControl, invalid, unknown, webhook};
use crate::SandboxError;

impl FacebookControl {
    /// Sets the app's Messenger webhook, as in the app dashboard: Meta first calls
    /// `GET callback?hub.mode=subscribe&hub.challenge=N&hub.verify_token=T` and keeps the
    /// webhook only if it answers 200 with the challenge. Otherwise this fails and the previous
    /// webhook (if any) stays.
    pub async fn set_webhook(
        &self,
        app_id: &str,
        callback_url: &str,
        verify_token: &str,
    ) -> Result<(), SandboxError> {
        let client = {
            let state = self.lock();
            if state.app(app_id).is_none() {
                return Err(unknown("app", app_id));
            }
            state.messenger.http.clone().unwrap_or_default()
        };
        if !callback_url.starts_with("http://") && !callback_url.starts_with("https://") {
            return Err(invalid(format!(
                "callback_url {callback_url:?} is not a URL"
            )));
        }
        webhook::verify(&client, callback_url, verify_token)
            .await
            .map_err(|reason| {
                invalid(format!(
                    "The URL couldn't be validated. Callback verification failed: {reason}"
                ))
            })?;
        self.lock().messenger.webhooks.insert(
            app_id.to_owned(),
            Webhook {
                callback_url: callback_url.to_owned(),
            },
        );
        Ok(())
    }

    /// Removes the app's webhook; events queued for it are dropped.
    pub fn remove_webhook(&self, app_id: &str) {
        self.lock().messenger.webhooks.remove(app_id);
    }

    /// The app's callback URL, if a webhook is set.
    pub fn webhook_url(&self, app_id: &str) -> Option<String> {
        let state = self.lock();
        let webhook = state.messenger.webhooks.get(app_id)?;
        Some(webhook.callback_url.clone())
    }

    /// Retry delays and attempts for webhook deliveries (all apps).
    pub fn set_webhook_retry(&self, retry: WebhookRetry) {
        self.lock().messenger.retry = retry;
    }

    /// Every delivery attempt to the app's webhook so far, oldest first.
    pub fn webhook_deliveries(&self, app_id: &str) -> Vec<DeliveryAttempt> {
        let state = self.lock();
        let attempts = state.messenger.attempts.iter();
        attempts.filter(|a| a.app_id == app_id).cloned().collect()
    }

    /// Events queued for the app and not yet delivered or given up (all pages).
    pub fn pending_deliveries(&self, app_id: &str) -> usize {
        let state = self.lock();
        let queues = state.messenger.queues.iter();
        queues
            .filter(|((app, _), _)| app == app_id)
            .map(|(_, q)| q.pending.len())
            .sum()
    }

    /// Whether the app passed App Review for the `HUMAN_AGENT` tag (default: not).
    pub fn approve_human_agent(&self, app_id: &str, approved: bool) {
        let mut state = self.lock();
        let list = &mut state.messenger.human_agent_approved;
        list.retain(|a| a != app_id);
        if approved {
            list.push(app_id.to_owned());
        }
    }

    /// Successful Send API messages of a page, oldest first.
    pub fn sent_messenger_messages(&self, page_id: &str) -> Vec<SentMessengerMessage> {
        let state = self.lock();
        let sent = state.messenger.sent.iter();
        sent.filter(|m| m.page_id == page_id).cloned().collect()
    }

    /// The next `times` Send API calls of the page fail with this Graph error (rate limits:
    /// codes 4, 17, 32, 613 have Meta's messages).
    pub fn fail_next_sends(
        &self,
        page_id: &str,
        fault: SubscribeFault,
        times: u32,
    ) -> Result<(), SandboxError> {
        let mut state = self.lock();
        if state.page(page_id).is_none() {
            return Err(unknown("page", page_id));
        }
        let faults = state
            .messenger
            .send_faults
            .entry(page_id.to_owned())
            .or_default();
        faults.extend(std::iter::repeat_n(fault, times as usize));
        Ok(())
    }

    /// The bytes the sandbox serves for an attachment id (uploads, customers' attachments).
    pub fn attachment_bytes(&self, attachment_id: &str) -> Option<Vec<u8>> {
        let state = self.lock();
        let attachment = state.messenger.attachments.get(attachment_id)?;
        Some(attachment.bytes.clone())
    }

    /// The app holding the thread with `psid` (`None`: nobody in particular).
    pub fn thread_owner(&self, page_id: &str, psid: &str) -> Option<String> {
        self.lock().messenger.thread_owner(page_id, psid).cloned()
    }

    /// A (simulated) bot app, not known to the sandbox otherwise, holds the thread: from now
    /// on our apps get the person's events under `standby` and cannot send. No event.
    pub fn bot_holds_thread(
        &self,
        page_id: &str,
        psid: &str,
        bot_app_id: &str,
    ) -> Result<(), SandboxError> {
        let mut state = self.lock();
        if state.messenger.customer(page_id, psid).is_none() {
            return Err(unknown("customer (PSID)", psid));
        }
        let key = (page_id.to_owned(), psid.to_owned());
        state
            .messenger
            .thread_owners
            .insert(key, bot_app_id.to_owned());
        Ok(())
    }

    /// The app holding the thread passes it to `target_app_id`, which gets a
    /// `messaging_handovers` `pass_thread_control` event (previous and new owner, metadata).
    pub fn bot_passes_thread(
        &self,
        page_id: &str,
        psid: &str,
        target_app_id: &str,
        metadata: Option<&str>,
    ) -> Result<(), SandboxError> {
        let mut state = self.lock();
        if state.messenger.customer(page_id, psid).is_none() {
            return Err(unknown("customer (PSID)", psid));
        }
        let kind = "pass_thread_control";
        let target = Some(target_app_id);
        change_owner(
            &mut state,
            page_id,
            psid,
            target_app_id,
            metadata,
            kind,
            target,
        );
        Ok(())
    }

    /// The token has expired (as if its expiry time passed): 190/463 from now on.
    pub fn expire_token(&self, token: &str) -> Result<(), SandboxError> {
        let mut state = self.lock();
        let now = state.now();
        let token = state
            .tokens
            .get_mut(token)
            .ok_or_else(|| unknown("token", token))?;
        token.expires_at = Some(now - 1);
        Ok(())
    }
}
