//! The pages, in GOV.UK Design System style, each a handler and an Askama template.
//! They work without JavaScript; GOV.UK Frontend's scripts only enhance them.

pub mod account;
pub mod agencies;
pub mod audit;
pub mod bundle;
pub mod cases;
pub mod chrome;
pub mod coverage;
pub mod directory;
pub mod find_support;
pub mod import;
pub mod onward;
pub mod people;
pub mod person_details;
pub mod queue;
pub mod recognition;
pub mod refer_on;
pub mod referral_form;
pub mod self_referral;
pub mod sign_in;
pub mod start;
pub mod triage;
pub mod words;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

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

/// A page re-shown with what the person entered and what is wrong with it.
pub fn render_invalid<T: Template>(template: &T) -> Response {
    let mut response = render(template);
    if response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}
