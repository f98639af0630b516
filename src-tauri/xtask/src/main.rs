//! Repository automation (matklad's cargo-xtask pattern). The README's two
//! commands live here:
//!
//! - `cargo xtask run [--no-simulation]`: install prerequisites, build the UI,
//!   start the sandbox (a Telegram bot whose simulated customers write now
//!   and then) and the desktop app in standalone mode.
//! - `cargo xtask test`: install prerequisites, then formatting, clippy,
//!   TypeScript type-check and unit tests, Rust tests (with a throwaway
//!   Postgres) and end-to-end tests in the real app under Xvfb.
//! - `cargo xtask bench [routing|telegram|relay|sync]`: benchmarks, printed as tables with ratios
//!   against a baseline measured in the same run. `sync` (shared mode) starts a throwaway
//!   Postgres unless `SWITCHBOARD_TEST_PG_URL` is set, and passes its URL in that variable.
//! - `cargo xtask codegen`: regenerate ui/src/generated/ipc.ts.
//!
//! Only std here, so `cargo xtask` compiles before any system package exists.

mod prereqs;
mod process;
mod run;
mod test;
mod throwaway_pg;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use throwaway_pg::ThrowawayPostgres;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run::run(&args[1..]),
        Some("test") => test::test(&args[1..]),
        Some("codegen") => codegen(),
        Some("bench") => bench(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <run [--no-simulation] | test | bench [routing|telegram|relay|sync] | codegen>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nxtask: {err}");
            ExitCode::FAILURE
        }
    }
}

pub type Result<T = ()> = std::result::Result<T, String>;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

fn codegen() -> Result {
    let path = root().join(switchboard_ipc::GENERATED_TS_PATH);
    std::fs::write(&path, switchboard_ipc::typescript_bindings())
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Benchmarks print their own tables (release profile via `cargo bench`).
/// Without a suite name every suite runs.
fn bench(args: &[String]) -> Result {
    const SUITES: &[(&str, &str, &[&str])] = &[
        (
            "routing",
            "switchboard-engine",
            &["routing_core", "routing_persisted"],
        ),
        ("telegram", "switchboard-runtime", &["telegram"]),
        ("relay", "switchboard-relay", &["relay"]),
        ("sync", "switchboard-sync", &["sync"]),
    ];
    let wanted = args.first().map(String::as_str);
    let chosen: Vec<_> = SUITES
        .iter()
        .filter(|(name, _, _)| wanted.is_none_or(|w| w == *name))
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = SUITES.iter().map(|(name, _, _)| *name).collect();
        return Err(format!(
            "unknown benchmark suite {}; suites: {}",
            wanted.unwrap_or_default(),
            names.join(", ")
        ));
    }
    // Anything after the suite name goes to the bench binaries
    // (e.g. `cargo xtask bench relay --database-url postgres://…`).
    let passed = args.get(1..).unwrap_or_default();
    for (name, package, benches) in chosen {
        let mut cmd = process::cargo();
        cmd.args(["bench", "-p", package]);
        // Shared mode needs a Postgres: a throwaway cluster for this suite's run (dropped, so
        // stopped and removed, after it), unless the caller gave one.
        let _pg = if *name == "sync" && std::env::var_os("SWITCHBOARD_TEST_PG_URL").is_none() {
            let pg = ThrowawayPostgres::start()?;
            cmd.env("SWITCHBOARD_TEST_PG_URL", &pg.url);
            Some(pg)
        } else {
            None
        };
        for bench in *benches {
            cmd.args(["--bench", bench]);
        }
        if !passed.is_empty() {
            cmd.arg("--").args(passed);
        }
        process::run(&mut cmd)?;
    }
    Ok(())
}
