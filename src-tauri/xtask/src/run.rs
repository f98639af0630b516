//! `cargo xtask run`: the demo a newcomer starts first.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::Result;
use crate::process::{KillOnDrop, cargo, free_port, npm, run as run_cmd};

/// The sandbox bot's token. Not a secret: it only opens the local simulator.
/// Fixed, so the demo workspace keeps one channel across runs.
const DEMO_BOT_TOKEN: &str = "7000000001:SANDBOX-demo-bot-token";
/// The sandbox's Facebook app (with its demo person and three pages).
const DEMO_FACEBOOK_APP_ID: &str = "1000000000001";
const DEMO_FACEBOOK_APP_SECRET: &str = "sandboxdemoappsecret";

pub fn run(args: &[String]) -> Result {
    let simulate = !args.iter().any(|a| a == "--no-simulation");
    if let Some(unknown) = args.iter().find(|a| *a != "--no-simulation") {
        return Err(format!(
            "unknown option {unknown}; usage: cargo xtask run [--no-simulation]"
        ));
    }
    crate::prereqs::ensure(false)?;
    crate::prereqs::ensure_ui_packages()?;
    run_cmd(npm(&crate::root().join("ui")).args(["run", "build"]))?;
    run_cmd(cargo().args(["build", "-p", "switchboard", "-p", "switchboard-sandbox"]))?;
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return Err("no display: Switchboard is a desktop app and needs one. Run it in a desktop session, or under a virtual display: \
             `Xvfb :99 & DISPLAY=:99 cargo xtask run`."
            .into());
    }
    let target = crate::root().join("target/debug");
    let port = free_port()?;
    let facebook_app = format!("{DEMO_FACEBOOK_APP_ID}:{DEMO_FACEBOOK_APP_SECRET}");
    let mut sandbox = Command::new(target.join("switchboard-sandbox"));
    sandbox.args([
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--telegram-bot",
        DEMO_BOT_TOKEN,
        "--facebook-app",
        &facebook_app,
    ]);
    if simulate {
        sandbox.arg("--simulate-customers");
    }
    let mut child = sandbox
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start the sandbox: {e}"))?;
    let stdout = child.stdout.take().ok_or("sandbox has no stdout")?;
    let _sandbox = KillOnDrop(child);
    let mut ready = String::new();
    BufReader::new(stdout)
        .read_line(&mut ready)
        .map_err(|e| e.to_string())?;
    let base_url = ready
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .ok_or_else(|| format!("the sandbox did not report its address (said {ready:?})"))?
        .to_owned();
    println!("xtask: sandbox Telegram Bot API and Facebook at {base_url}");
    println!(
        "xtask: to try Add → Facebook, enter App ID {DEMO_FACEBOOK_APP_ID} and App secret {DEMO_FACEBOOK_APP_SECRET} in Chat settings → Facebook app, then log in as admin@example.com / sandbox"
    );
    if simulate {
        println!("xtask: simulated customers will write to the demo bot every half minute or so");
    } else {
        println!(
            "xtask: no simulation; make a customer write with:\n  curl -X POST {base_url}_sandbox/telegram/{DEMO_BOT_TOKEN}/customer-messages -H 'content-type: application/json' -d '{{\"user_id\":42,\"first_name\":\"Ann\",\"text\":\"Hello\"}}'"
        );
    }
    run_cmd(
        Command::new(target.join("switchboard"))
            .env("SWITCHBOARD_TELEGRAM_API", &base_url)
            .env("SWITCHBOARD_FACEBOOK_API", &base_url)
            .env("SWITCHBOARD_TELEGRAM_TOKEN", DEMO_BOT_TOKEN),
    )
}
