//! The page token's health: `debug_token` at start, daily and when asked.

use super::*;

/// Checks this desktop's page token at start, daily and when asked; `Some(reason)` once
/// `debug_token` says it is dead. Without the app's id or secret on this desktop nothing is
/// checked (a dead token then shows at the next send, 190).
pub(super) async fn watch_token(work: Arc<PageWork>, verdict: watch::Sender<Option<String>>) {
    loop {
        if let Some(dead) = check_token(&work).await {
            verdict.send_if_modified(|known| {
                let changed = *known != dead;
                *known = dead;
                changed
            });
        }
        tokio::select! {
            _ = tokio::time::sleep(TOKEN_CHECK_EVERY) => {}
            _ = work.recheck.notified() => {}
        }
    }
}

/// `Some(None)`: alive; `Some(Some(reason))`: dead; `None`: not known.
async fn check_token(work: &PageWork) -> Option<Option<String>> {
    let key = SecretKey::facebook_app_secret(work.store.workspace_id());
    let app_secret = Secret::new(work.secrets.get(&key).ok()?);
    let app_id = work
        .store
        .setting_text("FacebookAppId")
        .await
        .ok()
        .flatten()
        .filter(|id| !id.is_empty())?;
    match work
        .graph
        .debug_token(&app_id, &app_secret, &work.token)
        .await
    {
        Ok(info) => Some(match token_health(&info, work.clock.now()) {
            TokenHealth::Invalid { reason } => Some(reason),
            TokenHealth::ExpiresSoon { .. } | TokenHealth::Valid { .. } => None,
        }),
        Err(error) => {
            tracing::warn!(channel = %work.channel.id, %error, "shared Messenger page: checking the page token failed");
            None
        }
    }
}
