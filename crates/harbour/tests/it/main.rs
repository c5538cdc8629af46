//! The integration suite, one binary (as zero-to-production does): each module a concern, all
//! run on SQLite and, with `HARBOUR_TEST_POSTGRES_URL` set, on PostgreSQL. The browser journeys
//! are their own binary, `tests/browser/`, run on SQLite only.

mod access;
mod advice;
mod alerts;
mod api_documents;
mod audit;
mod bulk;
mod bundle;
mod case_loop;
mod case_plans;
mod cases;
mod cases_api;
mod cli;
mod crash;
mod directory;
mod encryption;
mod erasure_requests;
mod input;
mod marac;
mod notifications;
mod onward;
mod people;
mod person_details;
mod recognition;
mod referrals;
mod reports;
mod retention;
mod safe_contact;
mod schemathesis;
mod self_referral;
mod sessions;
mod sso;
mod storage;
mod subject_access;
mod two_factor;
mod web;
mod webhooks;
