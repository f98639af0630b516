//! The HTTP router: the control API under `/_sandbox/`, the Bot API as the fallback.

use axum::Router;
use axum::extract::DefaultBodyLimit;

use crate::params::MAX_BODY_BYTES;
use crate::telegram::{self, TelegramControl};

pub(crate) fn router(telegram: TelegramControl) -> Router {
    Router::new()
        .nest("/_sandbox", crate::control::routes())
        .fallback(telegram::bot_api)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(telegram)
}
