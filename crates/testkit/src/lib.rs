//! Test kit: a real Harbour server on a random port with its own fresh database, clients that
//! sign in, and a headless Chromium. The database is SQLite in a temporary folder, or a new
//! PostgreSQL database when `HARBOUR_TEST_POSTGRES_URL` names a server — the same tests run
//! on both.

pub mod app;
pub mod authenticator;
pub mod browser;
pub mod cases;
pub mod client;
pub mod db;
pub mod identity_provider;
pub mod inspect;
pub mod journey;
pub mod oruk;
pub mod population;
pub mod recognition;
pub mod smtp;

pub use app::TestApp;
pub use browser::Browser;
pub use client::{TestClient, csrf_token};
pub use db::TestDb;
