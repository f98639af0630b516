//! `cargo xtask test`: everything, in the order that fails fastest.
//! `--only STEP[,STEP]` runs a subset while iterating: fmt, ui, clippy, rust, e2e.

use std::path::Path;
use std::process::Command;

use crate::Result;
use crate::process::{KillOnDrop, cargo, npm, run};
use crate::throwaway_pg::ThrowawayPostgres;

const STEPS: &[&str] = &["fmt", "ui", "clippy", "rust", "e2e"];

pub fn test(args: &[String]) -> Result {
    let steps: Vec<&str> = match args {
        [] => STEPS.to_vec(),
        [flag, list] if flag == "--only" => {
            let chosen: Vec<&str> = list.split(',').collect();
            if let Some(bad) = chosen.iter().find(|s| !STEPS.contains(s)) {
                return Err(format!(
                    "unknown step {bad}; steps are {}",
                    STEPS.join(", ")
                ));
            }
            chosen
        }
        _ => return Err("usage: cargo xtask test [--only fmt,ui,clippy,rust,e2e]".into()),
    };
    let started = std::time::Instant::now();
    crate::prereqs::ensure(true)?;
    let ui = crate::root().join("ui");
    if steps.contains(&"ui") || steps.contains(&"e2e") {
        crate::prereqs::ensure_ui_packages()?;
    }
    if steps.contains(&"fmt") {
        run(cargo().args(["fmt", "--all", "--check"]))?;
    }
    if steps.contains(&"ui") {
        run(npm(&ui).args(["run", "typecheck"]))?;
        run(npm(&ui).args(["test"]))?;
    }
    if steps.contains(&"ui") || steps.contains(&"e2e") || steps.contains(&"clippy") {
        // The app embeds ui/dist at compile time.
        run(npm(&ui).args(["run", "build"]))?;
    }
    if steps.contains(&"clippy") {
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
    }
    if steps.contains(&"rust") {
        let pg = ThrowawayPostgres::start()?;
        run(cargo()
            .args(["test", "--workspace"])
            .env("SWITCHBOARD_TEST_PG_URL", &pg.url)
            .env("SWITCHBOARD_TEST_PG_TLS", "1")
            .env("SWITCHBOARD_TEST_PG_RESTART", pg.restart_command()))?;
    }
    if steps.contains(&"e2e") {
        end_to_end()?;
    }
    println!(
        "\nxtask: all steps passed ({}) in {:.0?}",
        steps.join(", "),
        started.elapsed()
    );
    Ok(())
}

/// The real app in WebKit under Xvfb, driven through WebKitWebDriver, inside
/// a private D-Bus session with an unlocked throwaway keyring; a throwaway
/// Postgres and the relay binary for the shared-mode tests.
fn end_to_end() -> Result {
    run(cargo().args([
        "build",
        "-p",
        "switchboard",
        "-p",
        "switchboard-sandbox",
        "-p",
        "switchboard-relay",
    ]))?;
    let root = crate::root();
    let scratch = std::env::temp_dir().join(format!("switchboard-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let (display, _xvfb) = start_xvfb()?;
    // Shared mode's tests create their own database on it (dropped with the cluster).
    let pg = ThrowawayPostgres::start()?;
    // SWITCHBOARD_E2E_FILES narrows the run while iterating (e.g. tests/e2e/chat.test.mjs).
    let files = std::env::var("SWITCHBOARD_E2E_FILES").unwrap_or_else(|_| "tests/e2e/".into());
    let script = format!(
        "echo -n throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null \
         && exec node --test --test-concurrency=1 --test-force-exit {files}"
    );
    // `--test-force-exit`: a handle left open by a test must not keep the run
    // alive after the last result; `timeout` bounds the whole session anyway.
    let result = run(Command::new("timeout")
        .args([
            "--kill-after=10",
            "900",
            "dbus-run-session",
            "--",
            "sh",
            "-c",
            &script,
        ])
        .current_dir(&root)
        .env("DISPLAY", &display)
        .env("HOME", &scratch)
        .env("XDG_DATA_HOME", scratch.join("data"))
        .env("XDG_CACHE_HOME", scratch.join("cache"))
        .env("XDG_CONFIG_HOME", scratch.join("config"))
        .env("XDG_RUNTIME_DIR", &scratch)
        .env("SWITCHBOARD_E2E_SCRATCH", &scratch)
        .env("SWITCHBOARD_APP", root.join("target/debug/switchboard"))
        .env(
            "SWITCHBOARD_SANDBOX_BIN",
            root.join("target/debug/switchboard-sandbox"),
        )
        .env(
            "SWITCHBOARD_RELAY_BIN",
            root.join("target/debug/switchboard-relay"),
        )
        .env("SWITCHBOARD_TEST_PG_URL", &pg.url));
    if result.is_ok() {
        let _ = std::fs::remove_dir_all(&scratch);
    } else {
        println!(
            "xtask: e2e scratch (logs, screenshots) kept in {}",
            scratch.display()
        );
    }
    result
}

fn start_xvfb() -> Result<(String, KillOnDrop)> {
    let number = (90..200)
        .find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .ok_or("no free X display number")?;
    let display = format!(":{number}");
    let child = Command::new("Xvfb")
        .args([&display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
        .spawn()
        .map_err(|e| format!("could not start Xvfb: {e}"))?;
    let guard = KillOnDrop(child);
    let socket = format!("/tmp/.X11-unix/X{number}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    // Waiting on a condition (the socket exists), not a fixed sleep.
    while !Path::new(&socket).exists() {
        if std::time::Instant::now() > deadline {
            return Err("Xvfb did not start within 20 s".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Ok((display, guard))
}
