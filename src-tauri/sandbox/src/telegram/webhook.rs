//! Webhook methods. The sandbox never delivers to a webhook; it keeps the URL so that, as on
//! Telegram, `getUpdates` is refused while one is set (a connector must notice and call
//! `deleteWebhook`), and so that `getWebhookInfo` reports it.

use serde_json::{Value, json};

use super::ApiError;
use super::state::Bot;
use crate::params::Params;

/// Telegram's answer to `getUpdates` while a webhook is set (exact text).
pub const WEBHOOK_ACTIVE: &str = "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";

/// The ports Telegram delivers webhooks to.
const WEBHOOK_PORTS: [u16; 4] = [80, 88, 443, 8443];

/// Checks a webhook URL the way Telegram does before accepting it.
pub fn check_url(url: &str) -> Result<(), ApiError> {
    let Some(rest) = url
        .get(..8)
        .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
        .map(|_| &url[8..])
    else {
        return Err(ApiError::bad_request(
            "bad webhook: HTTPS url must be provided for webhook",
        ));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse::<u16>().ok()),
        None => (authority, Some(443)),
    };
    if host.is_empty() {
        return Err(ApiError::bad_request("can't parse URL"));
    }
    if !port.is_some_and(|p| WEBHOOK_PORTS.contains(&p)) {
        return Err(ApiError::bad_request(
            "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
        ));
    }
    Ok(())
}

/// `setWebhook(url, drop_pending_updates)`; an empty `url` removes the webhook, as documented.
pub fn set_webhook(bot: &Bot, params: &Params) -> Result<Value, ApiError> {
    let url = params.non_empty("url").map(str::trim).unwrap_or("");
    if !url.is_empty() {
        check_url(url)?;
    }
    {
        let mut state = bot.lock();
        state.webhook_url = (!url.is_empty()).then(|| url.to_owned());
        if params.flag("drop_pending_updates") {
            state.updates.clear();
        }
    }
    // A waiting long poll must notice (it answers with the 409).
    bot.wake();
    Ok(json!(true))
}

pub fn delete_webhook(bot: &Bot, params: &Params) -> Result<Value, ApiError> {
    let mut state = bot.lock();
    state.webhook_url = None;
    if params.flag("drop_pending_updates") {
        state.updates.clear();
    }
    Ok(json!(true))
}

pub fn webhook_info(bot: &Bot) -> Value {
    let state = bot.lock();
    json!({
        "url": state.webhook_url.clone().unwrap_or_default(),
        "has_custom_certificate": false,
        "pending_update_count": state.updates.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn webhook_urls_need_https_and_a_telegram_port() {
        assert!(check_url("https://example.com/hook").is_ok());
        assert!(check_url("HTTPS://example.com:8443/hook").is_ok());
        let text = |url| check_url(url).map_err(|e| e.description).err();
        assert_eq!(
            text("http://example.com/").as_deref(),
            Some("Bad Request: bad webhook: HTTPS url must be provided for webhook")
        );
        assert!(text("https://example.com:8080/").is_some_and(|t| t.contains("ports 80, 88")));
        assert_eq!(
            text("https:///x").as_deref(),
            Some("Bad Request: can't parse URL")
        );
    }
}
