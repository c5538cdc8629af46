//! Harbour's background work, run by `harbour serve` beside its requests.
//!
//! - [`worker`]: the job worker. It escalates overdue onward referrals and delivers what the
//!   queue holds: staff e-mail over SMTP ([`mail`]), signed webhooks to agencies' systems
//!   ([`webhook`]), and messages to a person, which the contact gate is asked about again when
//!   they are due. Jobs live in the database, so they survive restarts, and several processes
//!   can share the queue.
//! - [`alerts`]: community alerts' e-mails: subscribers' confirmations and links, and each
//!   alert's delivery to its recipients, in leased batches that a crash resumes.
//! - [`tidy`]: removes ended sessions and spent sign-in failure counts, and subscriptions never
//!   confirmed.

pub mod alerts;
pub mod mail;
pub mod tidy;
pub mod webhook;
pub mod worker;

pub use worker::{AuditCheckpoints, Worker, WorkerConfig};
