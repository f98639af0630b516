//! Logins in progress: a dialog waiting for its redirect, then the tokens and
//! pages of a finished login waiting for the admin's choice. In memory only
//! (tokens are never written anywhere before a page is chosen), and dropped
//! after half an hour.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use switchboard_engine::domain::{Provider, new_id};
use switchboard_ipc::{ErrorCode, FacebookLogin, IpcError, PageChoice, PagePicker};
use switchboard_messenger::{GraphApi, LoginAttempt, LoginError, PageAccount, explain};

use super::LoginStart;
use crate::Runtime;
use crate::errors::to_ipc;

/// How long a login may wait for the dialog or for the admin's choice.
const LOGIN_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// Pictures are a nicety: a slow one must not hold up the picker.
const PICTURE_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) enum Stage {
    /// The dialog is open; the redirect will carry `state` and a code.
    Dialog(LoginAttempt),
    /// Logged in: the pages (with their tokens) the admin may pick from.
    Picking(Vec<PageAccount>),
}

#[derive(Default)]
pub struct FacebookLogins(Mutex<HashMap<String, (Instant, Stage)>>);

impl FacebookLogins {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Stage)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn insert(&self, id: String, stage: Stage) {
        let mut logins = self.lock();
        logins.retain(|_, (at, _)| at.elapsed() < LOGIN_LIFETIME);
        logins.insert(id, (Instant::now(), stage));
    }

    fn take(&self, id: &str) -> Option<Stage> {
        let (at, stage) = self.lock().remove(id)?;
        (at.elapsed() < LOGIN_LIFETIME).then_some(stage)
    }

    /// The pages of a finished login (kept: the admin may connect more later).
    pub(crate) fn pages(&self, id: &str) -> Option<Vec<PageAccount>> {
        match self.lock().get(id) {
            Some((at, Stage::Picking(pages))) if at.elapsed() < LOGIN_LIFETIME => {
                Some(pages.clone())
            }
            _ => None,
        }
    }
}

impl Runtime {
    pub(crate) fn graph(&self) -> Result<GraphApi, IpcError> {
        GraphApi::new(&self.facebook.graph_base, &self.facebook.www_base).map_err(|e| {
            IpcError::new(ErrorCode::Internal, "Switchboard could not reach Facebook.")
                .with_details(e.to_string())
        })
    }

    /// Designer → Add → Facebook: the dialog URL for the shell to open.
    pub async fn begin_facebook_login(&self) -> Result<LoginStart, IpcError> {
        self.require_page_admin().await?;
        let app = self.facebook_app().await?;
        let attempt =
            LoginAttempt::new(&app.app_id, &app.redirect_uri, &mut rand::rng()).map_err(|e| {
                IpcError::new(
                    ErrorCode::InvalidInput,
                    format!("{e} Check Settings → Facebook app."),
                )
            })?;
        let url = self
            .graph()?
            .login_dialog_url(&app.app_id, &app.redirect_uri, attempt.state());
        let login_id = new_id();
        self.facebook_logins
            .insert(login_id.clone(), Stage::Dialog(attempt));
        Ok(LoginStart { login_id, url })
    }

    /// Whether the login window is about to load the redirect URI (the shell
    /// then blocks the load and calls `finish_facebook_login`).
    pub fn is_facebook_redirect(&self, login_id: &str, url: &str) -> bool {
        match self.facebook_logins.lock().get(login_id) {
            Some((_, Stage::Dialog(attempt))) => attempt.is_redirect(url),
            _ => false,
        }
    }

    /// The admin closed the login window: forget the attempt.
    pub fn abandon_facebook_login(&self, login_id: &str) {
        self.facebook_logins.take(login_id);
    }

    /// The dialog redirected: check `state`, exchange the code for a
    /// long-lived user token and list the pages for the picker.
    pub async fn finish_facebook_login(
        &self,
        login_id: &str,
        redirect_url: &str,
    ) -> Result<FacebookLogin, IpcError> {
        let Some(Stage::Dialog(attempt)) = self.facebook_logins.take(login_id) else {
            return Err(IpcError::new(
                ErrorCode::Conflict,
                "This Facebook Login is over or took too long. Start it again.",
            ));
        };
        let code = match attempt.parse_redirect(redirect_url) {
            Ok(code) => code,
            Err(LoginError::Cancelled) => return Ok(FacebookLogin::Cancelled),
            Err(err) => return Err(IpcError::new(ErrorCode::InvalidInput, err.to_string())),
        };
        let app = self.facebook_app().await?;
        let graph = self.graph()?;
        let short = graph
            .exchange_code(&app.app_id, &app.app_secret, &app.redirect_uri, &code)
            .await
            .map_err(graph_error)?;
        let long = graph
            .long_lived(&app.app_id, &app.app_secret, &short.access_token)
            .await
            .map_err(graph_error)?;
        let pages = graph.pages(&long.access_token).await.map_err(graph_error)?;
        let mut choices = Vec::with_capacity(pages.len());
        for page in &pages {
            let connected = self
                .store
                .channel_by_external_id(Provider::Messenger, &page.id)
                .await
                .map_err(to_ipc)?;
            choices.push(PageChoice {
                id: page.id.clone(),
                name: page.name.clone(),
                picture: picture(&graph, page).await,
                connected_channel_id: connected.map(|c| c.id),
                can_message: can_message(page),
            });
        }
        let login_id = login_id.to_owned();
        self.facebook_logins
            .insert(login_id.clone(), Stage::Picking(pages));
        Ok(FacebookLogin::Pages(PagePicker {
            login_id,
            pages: choices,
        }))
    }
}

/// The admin's role lets Switchboard answer the page (the MESSAGING task, or MANAGE).
pub(crate) fn can_message(page: &PageAccount) -> bool {
    page.can_message()
}

/// The page's picture as a `data:` URL, so the UI needs no remote images.
async fn picture(graph: &GraphApi, page: &PageAccount) -> Option<String> {
    use base64::Engine as _;
    let url = page.picture_url.as_deref()?;
    let (bytes, content_type) = tokio::time::timeout(PICTURE_TIMEOUT, graph.picture(url))
        .await
        .ok()?
        .ok()?;
    let mime = match content_type.as_str() {
        t @ ("image/png" | "image/jpeg" | "image/gif" | "image/webp") => t.to_owned(),
        _ => return None,
    };
    Some(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

pub(crate) fn graph_error(err: switchboard_messenger::GraphError) -> IpcError {
    let code = match &err {
        switchboard_messenger::GraphError::Network(_) => ErrorCode::Internal,
        _ => ErrorCode::InvalidInput,
    };
    IpcError::new(code, explain(&err)).with_details(err.to_string())
}
