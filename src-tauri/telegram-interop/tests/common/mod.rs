//! Shared setup: a sandbox on port 0 with one bot, and a teloxide `Bot` pointed at it.
#![allow(dead_code)] // each test binary uses a different subset

use std::net::SocketAddr;

use switchboard_sandbox::{CustomerMessage, Sandbox, SandboxConfig, TelegramControl};
use teloxide::Bot;

pub const TOKEN: &str = "7000000042:AAE-interop_test_token";

pub struct Fixture {
    pub sandbox: Sandbox,
    pub control: TelegramControl,
    pub bot: Bot,
}

pub async fn start() -> Fixture {
    let config = SandboxConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        telegram_bots: vec![TOKEN.to_owned()],
        simulate_customers: false,
    };
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let bot = switchboard_telegram_interop::bot(&sandbox.base_url(), TOKEN).expect("valid URL");
    Fixture {
        control: sandbox.telegram(),
        sandbox,
        bot,
    }
}

pub fn customer(user_id: i64, text: &str) -> CustomerMessage {
    CustomerMessage {
        user_id,
        first_name: "Ann".to_owned(),
        last_name: Some("Lee".to_owned()),
        username: Some("ann_lee".to_owned()),
        text: text.to_owned(),
    }
}
