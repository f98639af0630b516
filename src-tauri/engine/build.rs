//! `sqlx::migrate!` embeds the migration files at compile time but does not
//! tell Cargo about them: without this, a new migration file is missed by an
//! incremental build.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
