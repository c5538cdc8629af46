//! Harbour's storage: one schema and one set of SQL statements that run on SQLite and on
//! PostgreSQL, chosen at run time by the database URL.
//!
//! Web handlers never get a connection. They get a [`ScopedStore`] for the signed-in
//! person, whose methods check the permission table, filter by the scope granted, and
//! write the audit entry in the same transaction as the read or write they record.
//! Sign-in itself, before anyone is known, goes through [`auth`].

pub mod actor;
pub mod advice;
pub mod agencies;
pub mod alerts;
pub mod areas;
pub mod audit;
pub mod audit_guard;
mod audit_prune;
pub mod auth;
pub mod bulk;
pub mod bundle;
mod cache;
pub mod cases;
pub mod db;
mod definitions;
pub mod demo;

pub mod directory;
pub mod drafts;
pub mod error;
pub mod identity_providers;
pub mod intake;
pub mod jobs;
pub mod marac;
pub mod onward;
pub mod own_sessions;
mod passwords;
pub mod person_details;
mod person_keys;
pub mod postcodes;
pub mod recognition;
pub mod referrals;
pub mod reports;
pub mod retention;
pub mod schema;
pub mod scoped;
pub mod sealed;
pub mod seeker;
pub mod subject_access;
pub mod tokens;
pub mod triage;
pub mod two_factor;
pub mod users;
pub mod work;

pub use actor::Actor;
pub use db::{Backend, Db};
pub use error::StorageError;
pub use scoped::ScopedStore;
