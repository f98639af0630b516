//! Engine errors → the one IPC error shape, with words for a person.

use switchboard_engine::StoreError;
use switchboard_ipc::{ErrorCode, IpcError};

pub fn to_ipc(err: StoreError) -> IpcError {
    match err {
        StoreError::NotFound { what: "chat", .. } => {
            IpcError::new(ErrorCode::NotFound, "This chat no longer exists.")
        }
        StoreError::NotFound { what, id } => IpcError::new(
            ErrorCode::NotFound,
            format!("The {what} {id} does not exist."),
        ),
        StoreError::Invalid(message) => IpcError::new(ErrorCode::InvalidInput, message),
        StoreError::Conflict(message) => IpcError::new(ErrorCode::Conflict, message),
        other @ (StoreError::Open { .. }
        | StoreError::Migrate(_)
        | StoreError::Database(_)
        | StoreError::Corrupt(_)) => IpcError::new(
            ErrorCode::Storage,
            "Switchboard could not read or write its local database.",
        )
        .with_details(other.to_string()),
    }
}

/// Ids from the UI are UUIDs; anything else is refused before it reaches SQL.
pub fn validate_id<'a>(what: &str, id: &'a str) -> Result<&'a str, IpcError> {
    let looks_right = id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if looks_right {
        Ok(id)
    } else {
        Err(IpcError::new(
            ErrorCode::InvalidInput,
            format!("That is not a valid {what} id."),
        ))
    }
}
