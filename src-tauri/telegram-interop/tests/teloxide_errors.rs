//! The sandbox's error texts are Telegram's: teloxide, which matches on the exact strings,
//! maps them to the same typed errors it would get from api.telegram.org.

mod common;

use std::time::Duration;

use common::{TOKEN, customer, start};
use switchboard_sandbox::Fault;
use teloxide::prelude::*;
use teloxide::update_listeners::polling_default;
use teloxide::{ApiError, RequestError};

fn fault(method: &str, error_code: u16, retry_after: Option<u64>) -> Fault {
    Fault {
        method: method.to_owned(),
        error_code,
        description: String::new(),
        retry_after,
        times: 1,
    }
}

#[tokio::test]
async fn a_429_is_retry_after_with_its_duration() {
    let fx = start().await;
    fx.control
        .customer_writes(TOKEN, customer(42, "hi"))
        .expect("bot");
    fx.control
        .inject_fault(TOKEN, fault("sendMessage", 429, Some(7)))
        .expect("bot");
    let error = fx
        .bot
        .send_message(ChatId(42), "hello")
        .await
        .expect_err("429");
    let RequestError::RetryAfter(seconds) = error else {
        panic!("expected RetryAfter, got {error:?}");
    };
    assert_eq!(seconds.duration(), Duration::from_secs(7));
    fx.bot
        .send_message(ChatId(42), "hello")
        .await
        .expect("the retry goes through");
}

#[tokio::test]
async fn a_revoked_token_is_invalid_token() {
    let fx = start().await;
    fx.control.revoke_token(TOKEN).expect("bot");
    let error = fx.bot.get_me().await.expect_err("401");
    assert!(
        matches!(error, RequestError::Api(ApiError::InvalidToken)),
        "{error:?}"
    );
    fx.control.restore_token(TOKEN).expect("bot");
    fx.bot.get_me().await.expect("restored");
}

#[tokio::test]
async fn an_injected_401_is_invalid_token_too() {
    let fx = start().await;
    fx.control
        .inject_fault(TOKEN, fault("getMe", 401, None))
        .expect("bot");
    let error = fx.bot.get_me().await.expect_err("401");
    assert!(
        matches!(error, RequestError::Api(ApiError::InvalidToken)),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_second_poller_terminates_the_first_with_teloxides_409() {
    let fx = start().await;
    let first = fx.bot.get_updates().timeout(10);
    let second = async {
        fx.control.wait_for_long_poll(TOKEN).await.expect("bot");
        fx.bot.get_updates().await
    };
    let (first, second) = tokio::join!(first.into_future(), second);
    let error = first.expect_err("the first poll is ended");
    assert!(
        matches!(
            error,
            RequestError::Api(ApiError::TerminatedByOtherGetUpdates)
        ),
        "{error:?}"
    );
    assert_eq!(second.expect("the second poll answers").len(), 0);

    // An injected 409 with the default text reads the same.
    fx.control
        .inject_fault(TOKEN, fault("getUpdates", 409, None))
        .expect("bot");
    let error = fx.bot.get_updates().await.expect_err("409");
    assert!(
        matches!(
            error,
            RequestError::Api(ApiError::TerminatedByOtherGetUpdates)
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_webhook_blocks_get_updates_until_teloxide_deletes_it() {
    let fx = start().await;
    fx.bot
        .set_webhook(url::Url::parse("https://example.com/hook").expect("url"))
        .await
        .expect("setWebhook");
    let error = fx.bot.get_updates().await.expect_err("409");
    // teloxide's catalogue expects the text without "Conflict: " and without the advice, so the
    // real text (which the sandbox sends) lands in `Unknown`.
    let RequestError::Api(ApiError::Unknown(text)) = error else {
        panic!("expected the webhook 409, got {error:?}");
    };
    assert_eq!(
        text,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
    );
    // teloxide's default polling looks at getWebhookInfo and deletes the webhook first.
    let _polling = polling_default(fx.bot.clone()).await;
    assert_eq!(fx.control.webhook_url(TOKEN).expect("bot"), None);
    fx.bot.get_updates().await.expect("polling works again");
}
