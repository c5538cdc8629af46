//! One error type for pages and one for the API. Pages get a GOV.UK error page; the API gets
//! RFC 9457 `application/problem+json`. Neither repeats personal data; internal detail goes
//! to the log under the request id, never to the visitor.

use crate::pages::chrome::Chrome;
use crate::pages::render;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use serde_json::json;

#[derive(Debug)]
pub enum AppError {
    NotFound,
    Forbidden,
    CsrfRejected,
    BadRequest(String),
    /// A form that did not come as a web form (415).
    UnsupportedMediaType,
    Internal,
}

impl From<StorageError> for AppError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Denied(_) => AppError::Forbidden,
            StorageError::NotFound(_) => AppError::NotFound,
            StorageError::Invalid(errors) => AppError::BadRequest(errors.to_string()),
            other => {
                other.log();
                AppError::Internal
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    heading: &'a str,
    paragraphs: Vec<String>,
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, Vec<String>) {
        match self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                vec![
                    "If you typed the web address, check it is correct.".into(),
                    "If you pasted the web address, check you copied the entire address.".into(),
                ],
            ),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "You do not have access to this page",
                vec!["Your role does not include this. If you need it for your work, ask your Harbour administrator.".into()],
            ),
            AppError::CsrfRejected => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                vec!["Go back, reload the page and submit the form again. Nothing was saved.".into()],
            ),
            AppError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "This form could not be read",
                vec![
                    "Harbour accepts forms only as a web browser sends them from its own pages (application/x-www-form-urlencoded, in UTF-8). Nothing was saved.".into(),
                    "Go back, reload the page and submit the form again.".into(),
                ],
            ),
            AppError::BadRequest(message) => (
                StatusCode::BAD_REQUEST,
                "There is a problem with the request",
                vec![message.clone()],
            ),
            AppError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
                vec![
                    "Try again later.".into(),
                    "Anything you had saved before this has been kept.".into(),
                ],
            ),
        }
    }

    pub fn with_chrome(self, chrome: Chrome) -> Response {
        let (status, heading, paragraphs) = self.parts();
        let page = ErrorPage {
            chrome,
            heading,
            paragraphs,
        };
        (status, render(&page)).into_response()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.with_chrome(Chrome::signed_out())
    }
}

/// An API error, rendered as `application/problem+json`.
#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    Forbidden,
    NotFound,
    /// Fields of a request body are invalid (422).
    Invalid(FieldErrors),
    /// Query or path parameters are invalid (400).
    InvalidParameters(FieldErrors),
    BadRequest(String),
    UnsupportedMediaType,
    /// The client has sent too many requests; try again in a minute (429).
    TooManyRequests,
    Internal,
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Denied(_) => ApiError::Forbidden,
            StorageError::NotFound(_) => ApiError::NotFound,
            StorageError::Invalid(errors) => ApiError::Invalid(errors),
            other => {
                other.log();
                ApiError::Internal
            }
        }
    }
}

pub fn problem(
    status: StatusCode,
    title: &str,
    detail: &str,
    extra: serde_json::Value,
) -> Response {
    let mut body = json!({
        "type": "about:blank",
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// A problem naming each field (by JSON Pointer) or parameter (by name) that is wrong.
fn field_problem(status: StatusCode, title: &str, detail: &str, errors: &FieldErrors) -> Response {
    let fields: Vec<_> = errors
        .iter()
        .map(|e| json!({ "pointer": format!("#/{}", e.field), "detail": e.message }))
        .collect();
    problem(status, title, detail, json!({ "errors": fields }))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Unauthorized => {
                let mut r = problem(
                    StatusCode::UNAUTHORIZED,
                    "Unauthorized",
                    "Send a live API token as 'Authorization: Bearer hbr_…'.",
                    json!({}),
                );
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
            ApiError::Forbidden => problem(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "This token's agency is not allowed to do this.",
                json!({}),
            ),
            ApiError::NotFound => problem(
                StatusCode::NOT_FOUND,
                "Not Found",
                "There is nothing at this address, or this token may not see it.",
                json!({}),
            ),
            ApiError::Invalid(errors) => field_problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid fields",
                "One or more fields are invalid; see errors.",
                &errors,
            ),
            ApiError::InvalidParameters(errors) => field_problem(
                StatusCode::BAD_REQUEST,
                "Invalid parameters",
                "One or more parameters are invalid; see errors.",
                &errors,
            ),
            ApiError::UnsupportedMediaType => problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported Media Type",
                "Send the body as JSON, with Content-Type: application/json.",
                json!({}),
            ),
            ApiError::BadRequest(detail) => {
                problem(StatusCode::BAD_REQUEST, "Bad Request", &detail, json!({}))
            }
            ApiError::TooManyRequests => {
                let mut r = problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too Many Requests",
                    "This address has sent too many requests. Try again in a minute.",
                    json!({}),
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
                r
            }
            ApiError::Internal => problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                "Something went wrong on our side. Nothing was changed.",
                json!({}),
            ),
        }
    }
}
