//! `switchboard-sandbox --listen 127.0.0.1:PORT --telegram-bot TOKEN [--telegram-bot TOKEN2 ...]
//! [--simulate-customers]`
//!
//! Prints `switchboard-sandbox listening on http://127.0.0.1:PORT/` on stdout when ready (tests
//! wait for that line); logs go to stderr (`RUST_LOG` to tune).

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use switchboard_sandbox::{Sandbox, SandboxConfig};

const USAGE: &str = "usage: switchboard-sandbox [--listen ADDR:PORT] [--telegram-bot TOKEN ...] [--simulate-customers]";

fn parse_args(args: impl Iterator<Item = String>) -> Result<SandboxConfig, String> {
    let mut config = SandboxConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
        telegram_bots: Vec::new(),
        simulate_customers: false,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--listen" => {
                let raw = value("--listen")?;
                config.listen = raw.parse().map_err(|_| {
                    format!("--listen {raw:?} is not an address like 127.0.0.1:8081")
                })?;
            }
            "--telegram-bot" => config.telegram_bots.push(value("--telegram-bot")?),
            "--simulate-customers" => config.simulate_customers = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("switchboard-sandbox: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "switchboard-sandbox listening on {}",
        sandbox.base_url()
    );
    let _ = stdout.flush();
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::error!(%error, "cannot wait for Ctrl-C");
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::parse_args;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn repeated_bot_flags_each_add_a_bot() {
        let config = parse_args(args(&[
            "--listen",
            "127.0.0.1:0",
            "--telegram-bot",
            "1:a",
            "--telegram-bot=2:b",
            "--simulate-customers",
        ]));
        let config = config.expect("valid arguments");
        assert_eq!(config.telegram_bots, vec!["1:a", "2:b"]);
        assert!(config.simulate_customers);
        assert_eq!(config.listen.port(), 0);
    }

    #[test]
    fn unknown_flags_and_missing_values_are_refused() {
        assert!(parse_args(args(&["--nope"])).is_err());
        assert!(parse_args(args(&["--telegram-bot"])).is_err());
        assert!(parse_args(args(&["--listen", "localhost"])).is_err());
    }
}
