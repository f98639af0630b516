//! Where data lives and what to connect at start-up.

use std::path::PathBuf;

use switchboard_runtime::SeedTelegramBot;
use tauri::Manager;

/// The platform's app-data folder, or `SWITCHBOARD_DATA_DIR` when set (tests
/// and the demo keep separate workspaces that way).
pub fn data_dir(app: &tauri::AppHandle) -> Result<PathBuf, Box<dyn std::error::Error>> {
    if let Some(dir) = std::env::var_os("SWITCHBOARD_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    Ok(app.path().app_data_dir()?)
}

/// `SWITCHBOARD_TELEGRAM_TOKEN` (+ optional `SWITCHBOARD_TELEGRAM_API`, default
/// the real Bot API) connects a bot at start-up: `cargo xtask run` uses it for
/// the sandbox bot. The token goes straight to the keychain.
pub fn seed_telegram_bot() -> Option<SeedTelegramBot> {
    let token = std::env::var("SWITCHBOARD_TELEGRAM_TOKEN").ok()?;
    Some(SeedTelegramBot {
        api_base: telegram_api_base(),
        token,
    })
}

/// The Bot API server for new Telegram channels: `SWITCHBOARD_TELEGRAM_API`
/// (the sandbox in the demo and the tests) or the real one.
pub fn telegram_api_base() -> String {
    std::env::var("SWITCHBOARD_TELEGRAM_API")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| switchboard_runtime::TELEGRAM_API.into())
}

/// Facebook Login and the Graph API: the real sites, or
/// `SWITCHBOARD_FACEBOOK_API` (the sandbox, serving both) in the demo and tests.
pub fn facebook_endpoints() -> switchboard_runtime::FacebookEndpoints {
    match std::env::var("SWITCHBOARD_FACEBOOK_API") {
        Ok(base) if !base.trim().is_empty() => switchboard_runtime::FacebookEndpoints {
            graph_base: base.clone(),
            www_base: base,
        },
        _ => switchboard_runtime::FacebookEndpoints::default(),
    }
}

/// Where the Messenger webhook endpoint listens: `SWITCHBOARD_MESSENGER_LISTEN`
/// (`off` for none), by default 127.0.0.1:8787 — put a tunnel in front of it.
pub fn messenger_listen() -> Option<std::net::SocketAddr> {
    match std::env::var("SWITCHBOARD_MESSENGER_LISTEN") {
        Ok(value) if value.trim() == "off" => None,
        Ok(value) => match value.trim().parse() {
            Ok(address) => Some(address),
            Err(_) => {
                tracing::warn!(%value, "SWITCHBOARD_MESSENGER_LISTEN is not ADDRESS:PORT; using the default");
                Some(DEFAULT_MESSENGER_LISTEN)
            }
        },
        Err(_) => Some(DEFAULT_MESSENGER_LISTEN),
    }
}

const DEFAULT_MESSENGER_LISTEN: std::net::SocketAddr =
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8787);
