//! Installs what the build and the tests need on Debian/Ubuntu, or says
//! exactly which command to run when it lacks the rights.

use std::process::Command;

use crate::Result;
use crate::process::{have, run};

/// Debian packages (see shared SETUP notes): WebKitGTK and friends for Tauri,
/// Xvfb and WebKitWebDriver for end-to-end tests, a Secret Service keyring,
/// and ImageMagick for screenshots.
const DEBIAN_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "build-essential",
    "curl",
    "wget",
    "file",
    "libxdo-dev",
    "libssl-dev",
    "openssl",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "xvfb",
    "webkit2gtk-driver",
    "imagemagick",
    "dbus-x11",
    "gnome-keyring",
    "libsecret-tools",
    "dunst",
    "keyutils",
    "pkg-config",
];

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// Postgres server binaries for the throwaway test cluster.
pub fn postgres_bin() -> Option<std::path::PathBuf> {
    let mut versions: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop()
}

pub fn ensure(with_postgres: bool) -> Result {
    if !have("dpkg-query") {
        println!("xtask: not a Debian/Ubuntu system; assuming prerequisites are installed");
        return Ok(());
    }
    let mut missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .copied()
        .filter(|p| !installed(p))
        .collect();
    if with_postgres && postgres_bin().is_none() {
        missing.push("postgresql");
    }
    if !have("npm") {
        missing.extend(["nodejs", "npm"]);
    }
    if missing.is_empty() {
        return Ok(());
    }
    let install = format!(
        "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y {}",
        missing.join(" ")
    );
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if is_root {
        println!(
            "xtask: installing missing Debian packages: {}",
            missing.join(" ")
        );
        run(Command::new("sh").args(["-c", &install]))
    } else if Command::new("sudo")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success())
    {
        run(Command::new("sudo").args(["sh", "-c", &install]))
    } else {
        Err(format!(
            "missing Debian packages: {}.\nInstall them as root, then run this again:\n\n  sudo sh -c '{install}'\n",
            missing.join(" ")
        ))
    }
}

/// `npm ci` when node_modules is missing or older than the lock file.
pub fn ensure_ui_packages() -> Result {
    let ui = crate::root().join("ui");
    let lock = ui.join("package-lock.json");
    let stamp = ui.join("node_modules/.package-lock.json");
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = matches!((modified(&lock), modified(&stamp)), (Some(l), Some(s)) if s >= l);
    if fresh {
        return Ok(());
    }
    run(crate::process::npm(&ui).args(["ci", "--no-audit", "--no-fund"]))
}
