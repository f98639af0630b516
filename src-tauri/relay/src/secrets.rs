//! The two secrets the relay needs: the app secret (to check signatures) and
//! the verify token (Meta's subscription handshake). The caller hands them
//! over; the binary reads them from the keychain or from files, never from
//! command-line values (those show in `ps` and shell history).

use std::fmt;
use std::path::{Path, PathBuf};

use switchboard_engine::secrets::{SecretError, SecretKey, SecretStore};
use thiserror::Error;

use crate::signature::secrets_equal;

#[derive(Clone)]
pub struct RelaySecrets {
    app_secret: String,
    verify_token: String,
}

/// Never prints the secrets.
impl fmt::Debug for RelaySecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RelaySecrets { app_secret: <redacted>, verify_token: <redacted> }")
    }
}

#[derive(Debug, Error)]
pub enum SecretsError {
    #[error("the {what} is empty")]
    Empty { what: &'static str },
    #[error("could not read the {what} from {}: {reason}", path.display())]
    File {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error(
        "{} holds the {what} but every user on this machine can read it; run `chmod o-rwx {}` (or 600) first",
        path.display(), path.display()
    )]
    WorldReadable { what: &'static str, path: PathBuf },
    #[error("no {what} in the keychain for workspace {workspace}: {hint}")]
    NotInKeychain {
        what: &'static str,
        workspace: String,
        hint: &'static str,
    },
    #[error(
        "could not read the {what} from the keychain: {source} (on a machine without one, use --app-secret-file and --verify-token-file)"
    )]
    Keychain {
        what: &'static str,
        #[source]
        source: SecretError,
    },
}

const APP_SECRET: &str = "Facebook app secret";
const VERIFY_TOKEN: &str = "Messenger verify token";

impl RelaySecrets {
    /// Both must be non-empty (surrounding whitespace does not count).
    pub fn new(app_secret: &str, verify_token: &str) -> Result<Self, SecretsError> {
        let app_secret = app_secret.trim();
        let verify_token = verify_token.trim();
        if app_secret.is_empty() {
            return Err(SecretsError::Empty { what: APP_SECRET });
        }
        if verify_token.is_empty() {
            return Err(SecretsError::Empty { what: VERIFY_TOKEN });
        }
        Ok(Self {
            app_secret: app_secret.to_owned(),
            verify_token: verify_token.to_owned(),
        })
    }

    /// Reads each secret from its own file (contents trimmed). Refuses a file
    /// any user of the machine can read.
    pub fn from_files(app_secret: &Path, verify_token: &Path) -> Result<Self, SecretsError> {
        let app = read_secret_file(APP_SECRET, app_secret)?;
        let token = read_secret_file(VERIFY_TOKEN, verify_token)?;
        Self::new(&app, &token)
    }

    /// Reads both from the keychain entries of `workspace`
    /// (`SecretKey::facebook_app_secret`, `SecretKey::messenger_verify_token`).
    pub fn from_keychain(store: &dyn SecretStore, workspace: &str) -> Result<Self, SecretsError> {
        let get = |what, key: SecretKey, hint| match store.get(&key) {
            Ok(secret) => Ok(secret),
            Err(SecretError::Missing(_)) => Err(SecretsError::NotInKeychain {
                what,
                workspace: workspace.to_owned(),
                hint,
            }),
            Err(source) => Err(SecretsError::Keychain { what, source }),
        };
        let app = get(
            APP_SECRET,
            SecretKey::facebook_app_secret(workspace),
            "set it in Switchboard (Settings → Facebook app), or pass --app-secret-file",
        )?;
        let token = get(
            VERIFY_TOKEN,
            SecretKey::messenger_verify_token(workspace),
            "store it in the keychain under that key, or pass --verify-token-file",
        )?;
        Self::new(&app, &token)
    }

    pub(crate) fn app_secret(&self) -> &[u8] {
        self.app_secret.as_bytes()
    }

    /// Constant-time comparison with the configured verify token.
    pub fn verify_token_matches(&self, given: &str) -> bool {
        secrets_equal(self.verify_token.as_bytes(), given.as_bytes())
    }
}

fn read_secret_file(what: &'static str, path: &Path) -> Result<String, SecretsError> {
    let file_error = |reason: String| SecretsError::File {
        what,
        path: path.to_owned(),
        reason,
    };
    let metadata = std::fs::metadata(path).map_err(|e| file_error(e.to_string()))?;
    if !metadata.is_file() {
        return Err(file_error("it is not a regular file".into()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if metadata.permissions().mode() & 0o004 != 0 {
            return Err(SecretsError::WorldReadable {
                what,
                path: path.to_owned(),
            });
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
    Ok(text.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_engine::secrets::MemorySecrets;

    #[test]
    fn debug_output_hides_both_secrets() {
        let secrets = RelaySecrets::new("app-s3cret", "v3rify").unwrap();
        let shown = format!("{secrets:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("v3rify"),
            "{shown}"
        );
    }

    #[test]
    fn empty_secrets_are_refused() {
        assert!(matches!(
            RelaySecrets::new(" ", "t"),
            Err(SecretsError::Empty { .. })
        ));
        assert!(matches!(
            RelaySecrets::new("s", "\n"),
            Err(SecretsError::Empty { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn secret_files_are_trimmed_and_must_not_be_world_readable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("app");
        let token = dir.path().join("token");
        std::fs::write(&app, "app-secret\n").unwrap();
        std::fs::write(&token, "  token \n").unwrap();
        for path in [&app, &token] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let secrets = RelaySecrets::from_files(&app, &token).unwrap();
        assert_eq!(secrets.app_secret(), b"app-secret");
        assert!(secrets.verify_token_matches("token"));

        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = RelaySecrets::from_files(&app, &token).unwrap_err();
        assert!(matches!(err, SecretsError::WorldReadable { .. }), "{err}");
        assert!(err.to_string().contains("chmod"), "{err}");

        let missing = RelaySecrets::from_files(&dir.path().join("nope"), &token).unwrap_err();
        assert!(
            missing.to_string().contains("Facebook app secret"),
            "{missing}"
        );
    }

    #[test]
    fn keychain_secrets_come_from_the_workspace_keys() {
        let store = MemorySecrets::default();
        let err = RelaySecrets::from_keychain(&store, "ws").unwrap_err();
        assert!(err.to_string().contains("Facebook app secret"), "{err}");
        store
            .put(&SecretKey::facebook_app_secret("ws"), "app")
            .unwrap();
        let err = RelaySecrets::from_keychain(&store, "ws").unwrap_err();
        assert!(err.to_string().contains("verify token"), "{err}");
        store
            .put(&SecretKey::messenger_verify_token("ws"), "tok")
            .unwrap();
        let secrets = RelaySecrets::from_keychain(&store, "ws").unwrap();
        assert!(secrets.verify_token_matches("tok"));
    }
}
