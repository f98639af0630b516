//! Switchboard sandbox: a faithful local simulator of the Telegram Bot API, of Facebook's
//! side of Facebook Login for pages and of the Messenger Platform, plus a control API that
//! tests and the demo use to play the customer's side (write to a bot or a page, block it,
//! inject faults) and to look at what the bot or page sent.
//!
//! The Bot API is served at the root exactly as `api.telegram.org` serves it
//! (`/bot<token>/<method>`, `/file/bot<token>/<file_path>`), so a connector differs only in its
//! base URL. Facebook shares the server: the same root URL stands for both www.facebook.com
//! (the OAuth dialog) and graph.facebook.com (`/v25.0/…`). The control API lives under
//! `/_sandbox/`; [`TelegramControl`] and [`FacebookControl`] offer the same operations
//! in-process. See `README.md` for what is simulated.

mod base64;
mod control;
mod error;
pub mod facebook;
mod params;
mod server;
mod simulate;
pub mod telegram;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use error::SandboxError;
pub use facebook::{
    AttachmentKind, CustomerAttachment, CustomerMessengerMessage, DeliveryAttempt, FacebookApp,
    FacebookControl, FacebookPage, FacebookUser, MessengerCustomer, PAGE_INBOX_APP_ID, PageEcho,
    Revocation, SentMessengerMessage, SubscribeFault, Subscription, TokenInfo, WebhookRetry,
};
pub use telegram::{
    CustomerEdit, CustomerMedia, CustomerMessage, CustomerPhoto, Fault, MediaKind, SandboxFile,
    SentMessage, SlowCall, TelegramControl,
};

/// How to start a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Address to bind; port 0 picks a free port (see [`Sandbox::local_addr`]).
    pub listen: SocketAddr,
    /// Bot tokens (`<bot_id>:<secret>`); each becomes a bot.
    pub telegram_bots: Vec<String>,
    /// Run simulated customers who write to every bot now and then.
    pub simulate_customers: bool,
}

/// A running sandbox server. Dropping it stops the server abruptly; prefer [`Sandbox::shutdown`].
pub struct Sandbox {
    addr: SocketAddr,
    telegram: TelegramControl,
    facebook: FacebookControl,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    simulator: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds the listen address, registers the bots and spawns the server task.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let telegram = TelegramControl::new();
        for token in &config.telegram_bots {
            telegram.add_bot(token)?;
        }
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| SandboxError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: config.listen,
            source,
        })?;
        let facebook = FacebookControl::new(format!("http://{addr}/"));
        let app = server::router(server::AppState {
            telegram: telegram.clone(),
            facebook: facebook.clone(),
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                // Either an explicit shutdown or the Sandbox being dropped ends the server.
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::error!(%error, "sandbox server failed");
            }
        });
        let simulator = config
            .simulate_customers
            .then(|| tokio::spawn(simulate::run(telegram.clone())));
        tracing::info!(%addr, bots = config.telegram_bots.len(), "sandbox started");
        Ok(Sandbox {
            addr,
            telegram,
            facebook,
            stop: Some(stop),
            server: Some(server),
            simulator,
        })
    }

    /// The root URL of both APIs, with a trailing slash: `http://127.0.0.1:PORT/`.
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The bound address (useful when the configured port was 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// In-process control of the simulated Telegram (cheap to clone).
    pub fn telegram(&self) -> TelegramControl {
        self.telegram.clone()
    }

    /// In-process control of the simulated Facebook (cheap to clone). It starts empty: add an
    /// app, people and pages, or [`FacebookControl::load_demo`].
    pub fn facebook(&self) -> FacebookControl {
        self.facebook.clone()
    }

    /// Stops accepting connections, ends pending long polls and waits (briefly) for in-flight
    /// requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(simulator) = self.simulator.take() {
            simulator.abort();
        }
        self.telegram.registry().close();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        tracing::info!(addr = %self.addr, "sandbox stopped");
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(simulator) = self.simulator.take() {
            simulator.abort();
        }
        if let Some(server) = self.server.take() {
            self.telegram.registry().close();
            server.abort();
        }
    }
}
