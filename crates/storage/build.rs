//! Rebuilds this crate when a migration is added or changed: `sqlx::migrate!` embeds the
//! migrations at compile time but does not itself tell Cargo to look at the folder.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
