//! Harbour's domain: the rules, as functions from data to decisions.
//!
//! Nothing here touches a database, the network or the clock: callers pass the time
//! and the facts in, and record the decision that comes back. That keeps every rule
//! testable on its own and the same whichever database or page asked.
//!
//! - [`role`] and [`permission`]: who may do what, as a table of role × action × scope.
//! - [`agency`] and [`area`]: the partnership's organisations and the places they serve.
//! - [`user`]: staff accounts and their validation.
//! - [`audit`]: the audit entry and the hash chain that makes tampering evident.
//! - [`calendar`]: working days in England and Wales, for deadlines.
//! - [`person_match`]: how a referral finds the person already stored.
//! - [`person_details`]: what is held about a person against what a referral says, the choice
//!   between them, and the restrictive combination the contact gate uses until it is made.
//! - [`crime`], [`needs`], [`entitlement`]: the triage vocabulary and the Victims' Code proposal.
//! - [`instrument`] and [`marac`]: risk checklists as data, their scoring, and the MARAC criteria.
//! - [`directory`], [`place`], [`postcode`]: the service directory's rules, places and postcodes.
//! - [`matching`] and [`coverage`]: which services a person can use, and where there are none.
//! - [`safe_contact`] and [`contact_gate`]: how it is safe to reach a person, and the one gate
//!   every outbound path asks before contacting them.
//! - [`onward`], [`consent`] and [`deadline`]: onward referrals' lifecycle, consent per recipient,
//!   and deadlines as data.
//! - [`validation`]: field errors that pages and the API both report.

pub mod advice;
pub mod agency;
pub mod alerts;
pub mod area;
pub mod audit;
pub mod audit_checkpoint;
pub mod bundle;
pub mod calendar;
pub mod case;
pub mod consent;
pub mod contact_gate;
pub mod coverage;
pub mod crime;
pub mod deadline;
pub mod device;
pub mod directory;
pub mod entitlement;
pub mod erasure_request;
pub mod identity_provider;
pub mod ids;
pub mod instrument;
pub mod legal_hold;
pub mod linkage;
pub mod marac;
pub mod matching;
pub mod needs;
pub mod notification;
pub mod onward;
pub mod outcome;
pub mod permission;
pub mod person_details;
pub mod person_match;
pub mod place;
pub mod postcode;
pub mod referral;
pub mod retention;
pub mod role;
pub mod safe_contact;
pub mod safety_plan;
pub mod stats;
pub mod subject_access;
pub mod support_plan;
pub mod triage;
pub mod two_factor;
pub mod user;
pub mod validation;
pub mod victims_code;
pub mod webhook_address;
