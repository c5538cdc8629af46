//! Community alerts: the public pages (the alerts current now, each message, its CAP 1.2 XML and
//! the Atom feed), subscribing and managing a subscription without an account, and the staff
//! pages that write, approve, update and cancel alerts.

pub mod compose;
pub mod public;
pub mod subscribe;
pub mod support;
pub mod topics;

use harbour_domain::alerts::cap::{Certainty, Severity, Urgency};

/// Choices for a form: (value, label).
pub(crate) fn choices<T: Copy>(
    all: &[T],
    slug: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|x| (slug(*x).to_owned(), label(*x).to_owned()))
        .collect()
}

pub(crate) fn urgency_choices() -> Vec<(String, String)> {
    choices(&Urgency::ALL[..3], Urgency::slug, Urgency::label)
}

pub(crate) fn severity_choices() -> Vec<(String, String)> {
    choices(&Severity::ALL[..4], Severity::slug, Severity::label)
}

pub(crate) fn certainty_choices() -> Vec<(String, String)> {
    choices(&Certainty::ALL[..3], Certainty::slug, Certainty::label)
}
