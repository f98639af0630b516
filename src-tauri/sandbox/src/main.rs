//! `switchboard-sandbox --listen 127.0.0.1:PORT --telegram-bot TOKEN [--telegram-bot TOKEN2 ...]
//! [--simulate-customers] [--facebook-app APP_ID:APP_SECRET]`
//!
//! `--facebook-app` adds that Facebook app with the demo person and pages (see the README).
//!
//! Prints `switchboard-sandbox listening on http://127.0.0.1:PORT/` on stdout when ready (tests
//! wait for that line); logs go to stderr (`RUST_LOG` to tune).

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use switchboard_sandbox::{Sandbox, SandboxConfig};

const USAGE: &str = "usage: switchboard-sandbox [--listen ADDR:PORT] [--telegram-bot TOKEN ...] [--simulate-customers] [--facebook-app APP_ID:APP_SECRET]";

/// The command line: the library's config plus what is set up after start.
struct Cli {
    config: SandboxConfig,
    /// `(app_id, app_secret)` of `--facebook-app`.
    facebook_app: Option<(String, String)>,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Cli, String> {
    let mut config = SandboxConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
        telegram_bots: Vec::new(),
        simulate_customers: false,
    };
    let mut facebook_app = None;
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
            "--facebook-app" => {
                let raw = value("--facebook-app")?;
                let (id, secret) = raw
                    .split_once(':')
                    .filter(|(id, secret)| !id.is_empty() && !secret.is_empty())
                    .ok_or_else(|| format!("--facebook-app {raw:?} is not APP_ID:APP_SECRET"))?;
                facebook_app = Some((id.to_owned(), secret.to_owned()));
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(Cli {
        config,
        facebook_app,
    })
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
    let Cli {
        config,
        facebook_app,
    } = match parse_args(std::env::args().skip(1)) {
        Ok(cli) => cli,
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
    if let Some((app_id, app_secret)) = facebook_app
        && let Err(error) = sandbox.facebook().load_demo(&app_id, &app_secret)
    {
        eprintln!("switchboard-sandbox: --facebook-app: {error}");
        sandbox.shutdown().await;
        return ExitCode::from(2);
    }
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
        let config = config.expect("valid arguments").config;
        assert_eq!(config.telegram_bots, vec!["1:a", "2:b"]);
        assert!(config.simulate_customers);
        assert_eq!(config.listen.port(), 0);
    }

    #[test]
    fn unknown_flags_and_missing_values_are_refused() {
        assert!(parse_args(args(&["--nope"])).is_err());
        assert!(parse_args(args(&["--telegram-bot"])).is_err());
        assert!(parse_args(args(&["--listen", "localhost"])).is_err());
        assert!(parse_args(args(&["--facebook-app", "123"])).is_err());
        assert!(parse_args(args(&["--facebook-app", ":secret"])).is_err());
    }

    #[test]
    fn facebook_app_flag_takes_id_and_secret() {
        let cli = parse_args(args(&["--facebook-app", "1234:s3cr:et"])).expect("valid");
        assert_eq!(
            cli.facebook_app,
            Some(("1234".to_owned(), "s3cr:et".to_owned()))
        );
    }
}
