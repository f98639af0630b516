//! Demo data for `--facebook-app`: one person managing three pages, so `cargo xtask run` can
//! show the whole Facebook Login flow.

use super::{FacebookApp, FacebookControl, FacebookPage, FacebookUser};
use crate::SandboxError;

pub const DEMO_EMAIL: &str = "admin@example.com";
pub const DEMO_PASSWORD: &str = "sandbox";

const ALL_TASKS: [&str; 6] = [
    "ADVERTISE",
    "ANALYZE",
    "CREATE_CONTENT",
    "MESSAGING",
    "MODERATE",
    "MANAGE",
];

/// Fixed ids, so a demo workspace keeps its channels across runs.
const PAGES: [(&str, &str, bool); 3] = [
    ("101000000000001", "Acme Support", true),
    ("101000000000002", "Acme Sales", true),
    ("101000000000003", "Acme Jobs", false),
];

pub fn load(fb: &FacebookControl, app_id: &str, app_secret: &str) -> Result<(), SandboxError> {
    fb.add_app(FacebookApp {
        app_id: app_id.to_owned(),
        app_secret: app_secret.to_owned(),
        name: None,
        redirect_uris: Vec::new(),
    })?;
    if fb.lock().user_by_email(DEMO_EMAIL).is_none() {
        fb.add_user(FacebookUser {
            id: Some("100000000000001".to_owned()),
            email: DEMO_EMAIL.to_owned(),
            password: DEMO_PASSWORD.to_owned(),
            name: "Sandbox Admin".to_owned(),
        })?;
    }
    for (id, name, messaging) in PAGES {
        let tasks = ALL_TASKS
            .iter()
            .filter(|t| messaging || **t != "MESSAGING" && **t != "MANAGE")
            .map(|t| (*t).to_owned())
            .collect();
        fb.add_page(FacebookPage {
            id: Some(id.to_owned()),
            name: name.to_owned(),
            manager_email: DEMO_EMAIL.to_owned(),
            tasks,
            category: None,
        })?;
    }
    Ok(())
}
