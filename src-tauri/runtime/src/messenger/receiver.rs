//! The webhook endpoint inside the desktop: `switchboard-relay`'s router on a
//! local port, storing into this desktop's SQLite inbox. Meta cannot reach a
//! desktop directly: an admin puts it behind a tunnel and pastes the callback
//! URL and verify token the designer shows into the Facebook app.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rand::RngCore;
use switchboard_engine::secrets::{SecretError, SecretKey, SecretStore};
use switchboard_engine::store::Store;
use switchboard_ipc::MessengerWebhook;
use switchboard_relay::{RelaySecrets, SqliteSink, router};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// State of the local receiver, for the designer.
#[derive(Default)]
pub struct MessengerReceiver {
    state: Mutex<ReceiverState>,
}

#[derive(Default)]
struct ReceiverState {
    address: Option<SocketAddr>,
    problem: Option<String>,
    stop: Option<CancellationToken>,
}

impl MessengerReceiver {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReceiverState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// (Re)starts the receiver on `listen` with the workspace's app secret and
    /// verify token (made up and kept in the keychain on first use). Without
    /// an app secret it stays off and says why.
    pub(crate) async fn start(
        &self,
        listen: SocketAddr,
        store: &Store,
        secrets: &dyn SecretStore,
        processor: Arc<Notify>,
        parent: &CancellationToken,
    ) {
        if let Some(stop) = self.lock().stop.take() {
            stop.cancel();
        }
        let workspace = store.workspace_id();
        let relay_secrets = match verify_token(secrets, workspace).and_then(|_| {
            RelaySecrets::from_keychain(secrets, workspace).map_err(|e| e.to_string())
        }) {
            Ok(s) => s,
            Err(problem) => {
                let mut state = self.lock();
                state.address = None;
                state.problem = Some(problem);
                return;
            }
        };
        let sink = SqliteSink::new(store.clone());
        let wake = sink.notify();
        let app = router(relay_secrets, sink);
        let listener = match tokio::net::TcpListener::bind(listen).await {
            Ok(listener) => listener,
            Err(err) => {
                let mut state = self.lock();
                state.address = None;
                state.problem = Some(format!(
                    "The Messenger webhook endpoint cannot listen on {listen}: {err}."
                ));
                return;
            }
        };
        let address = listener.local_addr().unwrap_or(listen);
        let stop = parent.child_token();
        {
            let stop = stop.clone();
            tokio::spawn(async move {
                let served = axum::serve(listener, app)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await;
                if let Err(err) = served {
                    warn!(error = %err, "the Messenger webhook endpoint stopped");
                }
            });
        }
        {
            // The sink wakes on every new event; forward to the processor.
            let stop = stop.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = wake.notified() => processor.notify_one(),
                    }
                }
            });
        }
        info!(%address, "Messenger webhook endpoint listening");
        let mut state = self.lock();
        state.address = Some(address);
        state.problem = None;
        state.stop = Some(stop);
    }

    /// What the designer shows.
    pub(crate) fn view(&self, secrets: &dyn SecretStore, workspace: &str) -> MessengerWebhook {
        let state = self.lock();
        MessengerWebhook {
            callback_url: state
                .address
                .map(|a| format!("http://{a}{}", switchboard_relay::WEBHOOK_PATH))
                .unwrap_or_default(),
            verify_token: secrets
                .get(&SecretKey::messenger_verify_token(workspace))
                .unwrap_or_default(),
            listening: state.address.is_some(),
            problem: state.problem.clone(),
        }
    }

    pub fn address(&self) -> Option<SocketAddr> {
        self.lock().address
    }
}

/// The verify token Meta must echo back; made up on first use.
fn verify_token(secrets: &dyn SecretStore, workspace: &str) -> Result<(), String> {
    let key = SecretKey::messenger_verify_token(workspace);
    match secrets.get(&key) {
        Ok(_) => Ok(()),
        Err(SecretError::Missing(_)) => {
            let mut bytes = [0u8; 24];
            rand::rng().fill_bytes(&mut bytes);
            let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            secrets
                .put(&key, &token)
                .map_err(|e| format!("The verify token could not be kept in the keychain: {e}"))
        }
        Err(err) => Err(format!("The keychain cannot be read: {err}")),
    }
}
