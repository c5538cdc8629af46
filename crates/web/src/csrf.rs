//! Forms carry a CSRF token that must match the session's (or, before sign-in, a cookie's).
//! SameSite=Strict cookies already stop most cross-site posts; the token stops the rest.

use crate::access::{SignedIn, cookie};
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;
use axum::extract::{FromRequest, Request};
use subtle::ConstantTimeEq;

pub const FIELD: &str = "csrf_token";
/// Holds the token for forms shown before anyone is signed in.
pub const PRE_SESSION_COOKIE: &str = "harbour_csrf";
/// A submitted form whose CSRF token has been checked.
pub struct CsrfForm(pub FormData);

impl FromRequest<AppState> for CsrfForm {
    type Rejection = AppError;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, AppError> {
        let expected = match req.extensions().get::<SignedIn>() {
            Some(s) => Some(s.session.csrf_token.clone()),
            None => cookie(req.headers(), PRE_SESSION_COOKIE).map(str::to_owned),
        };
        let form = crate::forms::read_form(req).await?;
        let given = form.get(FIELD);
        match expected {
            Some(expected)
                if !given.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes())) =>
            {
                Ok(CsrfForm(form))
            }
            _ => Err(AppError::CsrfRejected),
        }
    }
}
