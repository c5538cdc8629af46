//! Community alerts: subscriptions made on the public pages (subscribers) and kept by their
//! owners' links (owner), who an alert reaches
//! (reach), alerts written, approved, updated and cancelled by staff (compose), their delivery
//! (delivery) and what the public sees of them (public).

pub mod alert;
pub mod compose;
pub mod delivery;
pub mod keys;
pub mod load;
pub mod owner;
pub mod public;
pub mod reach;
pub mod subscribers;
pub mod support;
pub mod topics;
