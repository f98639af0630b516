//! `switchboard-relay`: the Messenger webhook receiver as a headless server
//! next to the shared Postgres. See README.md.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use switchboard_engine::StoreError;
use switchboard_engine::secrets::Keychain;
use switchboard_relay::{
    GroupCommit, InboxProcessor, PostgresSink, RelaySecrets, WEBHOOK_PATH, router,
};
use switchboard_sync::router::{RouterClock, SharedRouter};

const USAGE: &str = "usage: switchboard-relay --database-url URL [--listen ADDR]
                         (--workspace ID | --app-secret-file PATH --verify-token-file PATH)

  --listen ADDR             address to listen on (default 127.0.0.1:8787); put TLS in front
  --database-url URL        the shared Postgres (postgres://…); its tables are created or migrated
                            at start. Prefer PGPASSWORD or ~/.pgpass to a password in the URL
  --workspace ID            read the app secret and verify token from the OS keychain entries of
                            this workspace
  --app-secret-file PATH    or read them from files (contents trimmed; must not be world-readable)
  --verify-token-file PATH

The relay also turns the stored webhook events into chats and messages in the database, and routes
chats for shared mode: offers, accept and completion timeouts are decided here (desktops may only
accept, decline and complete through the database's rules). Any number of relays may run on one
database; one processing pass and one routing pass run at a time.

Secrets are never taken from command-line values. Logs: RUST_LOG (default info).";

/// How often the router passes when no change notification woke it (a missed notification, a
/// lost connection): the longest a waiting chat can go unnoticed.
const ROUTER_SAFETY_NET: Duration = Duration::from_secs(2);
/// The same for the Messenger processor (events another relay stored, a page switched on).
const INBOX_SAFETY_NET: Duration = Duration::from_secs(2);

const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

#[derive(Debug, Default)]
struct Args {
    listen: Option<String>,
    database_url: Option<String>,
    workspace: Option<String>,
    app_secret_file: Option<PathBuf>,
    verify_token_file: Option<PathBuf>,
}

fn parse_args(raw: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut args = Args::default();
    let mut raw = raw.into_iter();
    while let Some(flag) = raw.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_owned(), Some(value.to_owned()))
            }
            _ => (flag.clone(), None),
        };
        if matches!(name.as_str(), "--app-secret" | "--verify-token") {
            return Err(format!(
                "{name} is not accepted: secrets on the command line show in `ps` and shell history; use {name}-file PATH or the keychain (--workspace ID)"
            ));
        }
        let slot = match name.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--listen" => &mut args.listen,
            "--database-url" => &mut args.database_url,
            "--workspace" => &mut args.workspace,
            "--app-secret-file" | "--verify-token-file" => {
                let value = inline
                    .or_else(|| raw.next())
                    .ok_or_else(|| format!("{name} needs a value"))?;
                let path = Some(PathBuf::from(value));
                if name == "--app-secret-file" {
                    args.app_secret_file = path;
                } else {
                    args.verify_token_file = path;
                }
                continue;
            }
            other => return Err(format!("unknown argument {other:?}")),
        };
        let value = inline
            .or_else(|| raw.next())
            .ok_or_else(|| format!("{name} needs a value"))?;
        *slot = Some(value);
    }
    Ok(args)
}

fn load_secrets(args: &Args) -> Result<RelaySecrets, String> {
    match (&args.app_secret_file, &args.verify_token_file, &args.workspace) {
        (Some(app), Some(token), None) => {
            RelaySecrets::from_files(app, token).map_err(|e| e.to_string())
        }
        (None, None, Some(workspace)) => {
            RelaySecrets::from_keychain(&Keychain, workspace).map_err(|e| e.to_string())
        }
        (None, None, None) => Err(
            "no secrets: pass --workspace ID (OS keychain) or --app-secret-file and --verify-token-file"
                .into(),
        ),
        (Some(_), Some(_), Some(_)) => {
            Err("pass either --workspace or the two secret files, not both".into())
        }
        _ => Err("--app-secret-file and --verify-token-file go together".into()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(problem) if problem.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("switchboard-relay: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("switchboard-relay: {problem}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> Result<(), String> {
    let listen = args.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
    let addr: SocketAddr = listen
        .parse()
        .map_err(|_| format!("--listen {listen:?} is not an address such as 127.0.0.1:8787"))?;
    let url = args
        .database_url
        .as_deref()
        .ok_or("--database-url is required (the shared Postgres, postgres://…)")?;
    let secrets = load_secrets(&args)?;
    tracing::info!("connecting to the database and updating its schema");
    let sink = PostgresSink::connect(url).await.map_err(|e| match e {
        // Never the URL itself: it may hold a password.
        StoreError::Open { source, .. } => {
            format!("could not connect to the database given by --database-url: {source}")
        }
        other => format!("the database given by --database-url: {other}"),
    })?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("could not listen on {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let app = router(
        secrets,
        GroupCommit::new(sink.clone(), Duration::ZERO, 2000),
    );
    let (stop_routing, stopped) = tokio::sync::watch::channel(false);
    let (passes, _) = tokio::sync::watch::channel(0);
    let routing = tokio::spawn(
        SharedRouter::new(sink.pool().clone(), RouterClock::Database).run(
            ROUTER_SAFETY_NET,
            stopped,
            passes,
        ),
    );
    let processing = tokio::spawn(InboxProcessor::new(sink.pool().clone()).run(
        INBOX_SAFETY_NET,
        sink.notify(),
        stop_routing.subscribe(),
        tokio::sync::watch::channel(0).0,
    ));
    println!("switchboard-relay listening on http://{bound}{WEBHOOK_PATH}");
    tracing::info!(%bound, "ready");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("the server stopped: {e}"))?;
    let _ = stop_routing.send(true);
    match processing.await {
        Ok(Err(error)) => tracing::warn!(%error, "the Messenger processor stopped"),
        Err(error) => tracing::warn!(%error, "the Messenger processor task failed"),
        Ok(Ok(())) => {}
    }
    match routing.await {
        Ok(Err(error)) => tracing::warn!(%error, "the router stopped"),
        Err(error) => tracing::warn!(%error, "the router task failed"),
        Ok(Ok(())) => {}
    }
    sink.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish the requests in flight (their
/// events are committed and answered), then exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        parse_args(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn secrets_on_the_command_line_are_refused_by_name() {
        for flag in ["--app-secret", "--verify-token"] {
            let err = parse(&[flag, "s3cret"]).unwrap_err();
            assert!(
                err.contains("not accepted") && !err.contains("s3cret"),
                "{err}"
            );
            let err = parse(&[&format!("{flag}=s3cret")]).unwrap_err();
            assert!(!err.contains("s3cret"), "{err}");
        }
    }

    #[test]
    fn flags_take_values_inline_or_next() {
        let args = parse(&[
            "--listen=0.0.0.0:1",
            "--database-url",
            "postgres://x",
            "--workspace",
            "w",
        ])
        .unwrap();
        assert_eq!(args.listen.as_deref(), Some("0.0.0.0:1"));
        assert_eq!(args.database_url.as_deref(), Some("postgres://x"));
        assert!(parse(&["--listen"]).unwrap_err().contains("needs a value"));
        assert!(parse(&["--bogus"]).unwrap_err().contains("unknown"));
    }

    #[test]
    fn secret_sources_must_be_one_or_the_other() {
        let files = parse(&["--app-secret-file", "a"]).unwrap();
        assert!(load_secrets(&files).unwrap_err().contains("go together"));
        assert!(
            load_secrets(&Args::default())
                .unwrap_err()
                .contains("--workspace")
        );
    }
}
