//! The HTTP router: the control API under `/_sandbox/`; everything else goes to Facebook
//! (`/v25.0/…`, `/dialog/…`, `/oauth/…`, `/me…`, numeric ids, page pictures) or, by default,
//! to the Telegram Bot API (`/bot<token>/…`, `/file/bot<token>/…`).

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, Request, State};
use axum::response::Response;

use crate::facebook::{self, FacebookControl};
use crate::params::MAX_BODY_BYTES;
use crate::telegram::{self, TelegramControl};

/// Shared by all handlers; each takes the part it needs (`State<TelegramControl>`, …).
#[derive(Clone, FromRef)]
pub(crate) struct AppState {
    pub telegram: TelegramControl,
    pub facebook: FacebookControl,
}

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .nest("/_sandbox", crate::control::routes())
        .fallback(public_api)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn public_api(State(state): State<AppState>, request: Request) -> Response {
    if facebook::is_facebook_path(request.uri().path()) {
        facebook::serve(state.facebook, request).await
    } else {
        telegram::bot_api(State(state.telegram), request).await
    }
}
