//! One running Switchboard per data folder. Two instances on one database
//! would run two pollers per bot (Telegram answers 409 to one of them) and
//! two routers that do not see each other's state.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::Path;

use switchboard_ipc::{ErrorCode, IpcError};

/// File in the data folder that holds the lock and the owner's process id.
pub const LOCK_FILE: &str = "switchboard.lock";

/// Held for the life of the runtime; the OS releases it when the process ends,
/// however it ends.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

impl InstanceLock {
    pub fn acquire(data_dir: &Path) -> Result<Self, IpcError> {
        let path = data_dir.join(LOCK_FILE);
        let storage = |e: std::io::Error| {
            IpcError::new(
                ErrorCode::Storage,
                format!("Switchboard cannot use {}: {e}", path.display()),
            )
        };
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(storage)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(IpcError::new(
                    ErrorCode::Conflict,
                    "Switchboard is already running with this data folder. Switch to the open window.",
                ));
            }
            Err(TryLockError::Error(e)) => return Err(storage(e)),
        }
        // The owner's pid, for people (and test harnesses) looking for it.
        file.set_len(0).map_err(storage)?;
        writeln!(file, "{}", std::process::id()).map_err(storage)?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_instance_on_the_same_folder_is_refused_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let first = InstanceLock::acquire(dir.path()).unwrap();
        let second = InstanceLock::acquire(dir.path()).unwrap_err();
        assert_eq!(second.code, ErrorCode::Conflict);
        let pid = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(pid.trim(), std::process::id().to_string());
        drop(first);
        InstanceLock::acquire(dir.path()).unwrap();
    }
}
