//! Facebook Login in a window of its own. The window shows Facebook's dialog
//! (a remote page with no access to the app's commands: the capabilities name
//! only the main window). Its first navigation to the redirect URI is blocked —
//! the app never loads it — and handed to the runtime, which checks `state` and
//! exchanges the code. Closing the window cancels the login.

use std::sync::Arc;

use switchboard_ipc::{ErrorCode, FacebookLogin, IpcError};
use switchboard_runtime::Runtime;
use tauri::{Manager, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use tokio::sync::mpsc;

pub const LOGIN_WINDOW: &str = "facebook-login";

enum Signal {
    Redirect(String),
    Closed,
}

pub async fn run(app: tauri::AppHandle, runtime: Arc<Runtime>) -> Result<FacebookLogin, IpcError> {
    if let Some(window) = app.get_webview_window(LOGIN_WINDOW) {
        let _ = window.set_focus();
        return Err(IpcError::new(
            ErrorCode::Conflict,
            "Facebook Login is already open in another window.",
        ));
    }
    let start = runtime.begin_facebook_login().await?;
    let url = start.url.parse().map_err(|_| {
        IpcError::new(
            ErrorCode::Internal,
            "The Facebook Login address is not valid.",
        )
    })?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let navigation = {
        let (runtime, login_id, tx) = (runtime.clone(), start.login_id.clone(), tx.clone());
        move |url: &tauri::Url| {
            if runtime.is_facebook_redirect(&login_id, url.as_str()) {
                let _ = tx.send(Signal::Redirect(url.to_string()));
                false
            } else {
                true
            }
        }
    };
    let window = WebviewWindowBuilder::new(&app, LOGIN_WINDOW, WebviewUrl::External(url))
        .title("Log in with Facebook — Switchboard")
        .inner_size(640.0, 760.0)
        .on_navigation(navigation)
        .build()
        .map_err(|e| {
            runtime.abandon_facebook_login(&start.login_id);
            IpcError::new(
                ErrorCode::Internal,
                "The Facebook Login window could not be opened.",
            )
            .with_details(e.to_string())
        })?;
    window.on_window_event(move |event| {
        if let WindowEvent::Destroyed = event {
            let _ = tx.send(Signal::Closed);
        }
    });
    let signal = rx.recv().await.unwrap_or(Signal::Closed);
    let _ = window.close();
    match signal {
        Signal::Redirect(url) => runtime.finish_facebook_login(&start.login_id, &url).await,
        Signal::Closed => {
            runtime.abandon_facebook_login(&start.login_id);
            Ok(FacebookLogin::Cancelled)
        }
    }
}

/// The admin pressed Cancel in the app: closing the window ends the login.
pub fn cancel(app: &tauri::AppHandle) {
    if let Some(window) = app.get_webview_window(LOGIN_WINDOW) {
        let _ = window.close();
    }
}
