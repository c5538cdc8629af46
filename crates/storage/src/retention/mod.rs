//! Retention and erasure: the schedules (Harbour's defaults, as the data protection officer
//! changed them), each night's run of what fell due, the officer's decision on it, legal holds,
//! and erasure itself.
//!
//! Erasure removes personal content for good and keeps what the figures count: a record's row
//! stays with its codes, dates and links (crime category, area, month, tier, outcomes), its
//! free text, names, contact details and descriptions of other people are blanked, and it is
//! marked erased. The reports' facts of an erased referral are frozen as they were, so the
//! figures for past years still add up. Erasure never deletes a row a report reads.

pub mod due;
pub mod erase;
pub mod holds;
pub mod requests;
pub mod runs;
pub mod schedules;
