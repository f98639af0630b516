//! Switchboard's engine: the domain, the local store, the routing core and the
//! secret store. It has no Tauri dependency (an architecture invariant): the
//! desktop shell, the headless tests and, later, the relay all run on it.

pub mod clock;
pub mod domain;
pub mod error;
pub mod inbox;
pub mod postgres;
pub mod routing;
pub mod secrets;
pub mod store;

pub use error::StoreError;
pub use store::Store;
