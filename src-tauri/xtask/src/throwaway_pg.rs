//! A Postgres cluster of the tests' own: initdb into a temp dir, a free port,
//! the superuser trusted and every other role asked for its SCRAM password on 127.0.0.1 only,
//! TLS offered with a self-signed certificate; stopped and removed when dropped.

use std::path::PathBuf;
use std::process::Command;

use crate::Result;
use crate::process::{free_port, run};

pub struct ThrowawayPostgres {
    bin: PathBuf,
    dir: PathBuf,
    as_postgres_user: bool,
    pub url: String,
}

/// Client authentication of the throwaway cluster, as a printf format (`\n` ends a line).
const HBA: &str = concat!(
    "local all all trust\\n",
    "host all postgres 127.0.0.1/32 trust\\n",
    "host all postgres ::1/128 trust\\n",
    "host all all 127.0.0.1/32 scram-sha-256\\n",
    "host all all ::1/128 scram-sha-256\\n",
);

impl ThrowawayPostgres {
    pub fn start() -> Result<Self> {
        let bin = crate::prereqs::postgres_bin()
            .ok_or("Postgres server binaries not found under /usr/lib/postgresql")?;
        let dir = std::env::temp_dir().join(format!("switchboard-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        // initdb refuses to run as root: hand the folder to the postgres user.
        let as_postgres_user = is_root();
        if as_postgres_user {
            run(Command::new("chown").arg("postgres").arg(&dir))?;
        }
        let port = free_port()?;
        let pg = Self {
            bin,
            dir,
            as_postgres_user,
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        };
        let data = pg.dir.join("data");
        pg.run_pg(&format!(
            "{} -D {} -A trust -U postgres --no-sync >/dev/null",
            pg.bin.join("initdb").display(),
            data.display()
        ))?;
        // The superuser (the tests' fixtures) gets in without a password; every other role —
        // the operators' own logins — must pass SCRAM, as on a real server, so a wrong password
        // is refused in the tests too.
        pg.run_pg(&format!(
            "printf '{HBA}' > {}",
            data.join("pg_hba.conf").display()
        ))?;
        // TLS offered, as a real server does (a self-signed certificate: clients in the default
        // `prefer` mode encrypt without verifying it), so the tests see desktops use it.
        pg.run_pg(&format!(
            "cd {} && openssl req -new -x509 -days 7 -nodes -subj /CN=localhost \
             -keyout server.key -out server.crt 2>/dev/null && chmod 600 server.key",
            data.display()
        ))?;
        pg.run_pg(&format!(
            "{} -D {} -l {} -o \"-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on\" -w start >/dev/null",
            pg.bin.join("pg_ctl").display(),
            data.display(),
            pg.dir.join("log").display(),
            pg.dir.display()
        ))?;
        println!("xtask: throwaway Postgres at {}", pg.url);
        Ok(pg)
    }

    /// A shell command that restarts the cluster (same port and options), for the outage tests:
    /// handed to them in SWITCHBOARD_TEST_PG_RESTART.
    pub fn restart_command(&self) -> String {
        let restart = format!(
            "{} -D {} -m fast -w restart >/dev/null",
            self.bin.join("pg_ctl").display(),
            self.dir.join("data").display()
        );
        if self.as_postgres_user {
            format!("su postgres -s /bin/sh -c '{restart}'")
        } else {
            restart
        }
    }

    fn run_pg(&self, script: &str) -> Result {
        if self.as_postgres_user {
            run(Command::new("su").args(["postgres", "-s", "/bin/sh", "-c", script]))
        } else {
            run(Command::new("sh").args(["-c", script]))
        }
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        let stop = format!(
            "{} -D {} -m immediate stop >/dev/null",
            self.bin.join("pg_ctl").display(),
            self.dir.join("data").display()
        );
        let _ = self.run_pg(&stop);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
