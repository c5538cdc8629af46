//! The pages, in GOV.UK Design System style, each a handler and an Askama template.
//! They work without JavaScript; GOV.UK Frontend's scripts only enhance them.

pub mod account;
pub mod advice;
pub mod agencies;
pub mod alerts;
pub mod audit;
pub mod bundle;
pub mod cases;
pub mod chrome;
pub mod coverage;
pub mod directory;
pub mod find_support;
pub mod import;
pub mod marac;
pub mod onward;
pub mod people;
pub mod person_details;
pub mod queue;
pub mod recognition;
pub mod refer_on;
pub mod referral_form;
pub mod reports;
pub mod retention;
pub mod second_factor;
pub mod self_referral;
pub mod sign_in;
pub mod sso;
pub mod start;
pub mod subject_access;
pub mod triage;
pub mod words;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use harbour_domain::validation::FieldErrors;

pub fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
            )
                .into_response()
        }
    }
}

/// Names each error after the form it came from (`prefix` then the field, e.g. `close/reason`),
/// so a page with several forms sharing field names shows it beside the right one.
pub fn under(prefix: &str, errors: FieldErrors) -> FieldErrors {
    let mut named = FieldErrors::new();
    for e in errors.iter() {
        named.add(&format!("{prefix}{}", e.field), e.message.clone());
    }
    named
}

/// A page re-shown with what the person entered and what is wrong with it.
pub fn render_invalid<T: Template>(template: &T) -> Response {
    let mut response = render(template);
    if response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}
