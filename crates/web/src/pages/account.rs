//! The signed-in person's own account.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::sign_in::signed_out_response;
use crate::pages::{render, render_invalid};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::ids::{DeviceId, SessionId};
use harbour_domain::user::User;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::own_sessions::OwnSession;
use harbour_storage::two_factor::TwoFactorStatus;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    user: User,
    errors: FieldErrors,
    /// What was just done, for the success banner.
    done: Option<&'static str>,
    /// Where the person is signed in, the newest first.
    sessions: Vec<OwnSession>,
    two_factor: TwoFactorStatus,
}

impl AccountPage {
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
}

async fn page(
    staff: &Staff,
    errors: FieldErrors,
    done: Option<&'static str>,
) -> Result<Response, AppError> {
    let page = AccountPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/account"),
        user: staff.store.own_account().await?,
        errors,
        done,
        sessions: staff.store.own_sessions(&staff.signed_in.secret).await?,
        two_factor: staff
            .store
            .own_two_factor(staff.everyone_needs_two_factor)
            .await?,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

pub async fn show(staff: Staff) -> Result<Response, AppError> {
    page(&staff, FieldErrors::new(), None).await
}

pub async fn change_password(staff: Staff, CsrfForm(form): CsrfForm) -> Result<Response, AppError> {
    let result = staff
        .store
        .change_own_password(
            form.get("current_password"),
            form.get("new_password"),
            form.get("confirm_password"),
            &staff.signed_in.secret,
        )
        .await;
    match result {
        Ok(()) => page(
            &staff,
            FieldErrors::new(),
            Some("Your password has been changed. You have been signed out on your other devices."),
        )
        .await,
        Err(StorageError::Invalid(errors)) => page(&staff, errors, None).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    staff: Staff,
    _form: CsrfForm,
) -> Result<Response, AppError> {
    staff.store.sign_out_everywhere().await?;
    Ok(signed_out_response(&state))
}

/// Ends one of the person's sign-ins; ending the one they are using signs them out.
pub async fn end_session(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    _form: CsrfForm,
) -> Result<Response, AppError> {
    let id = SessionId::from(id);
    let this_one = staff
        .store
        .own_sessions(&staff.signed_in.secret)
        .await?
        .iter()
        .any(|s| s.id == id && s.this_one);
    staff.store.end_own_session(&id).await?;
    if this_one {
        return Ok(signed_out_response(&state));
    }
    page(
        &staff,
        FieldErrors::new(),
        Some("You have been signed out on that device."),
    )
    .await
}

/// The person says a sign-in from a new device was them; back to their home page.
pub async fn confirm_device(
    staff: Staff,
    Path(id): Path<String>,
    _form: CsrfForm,
) -> Result<Response, AppError> {
    staff.store.acknowledge_device(&DeviceId::from(id)).await?;
    Ok(Redirect::to("/home").into_response())
}

/// Turns two-factor sign-in off, where the person's roles do not require it.
pub async fn turn_off_two_factor(staff: Staff, _form: CsrfForm) -> Result<Response, AppError> {
    match staff
        .store
        .turn_off_two_factor(staff.everyone_needs_two_factor)
        .await
    {
        Ok(()) => {
            page(
                &staff,
                FieldErrors::new(),
                Some("Two-factor sign-in is off. You will sign in with your password alone."),
            )
            .await
        }
        Err(StorageError::Invalid(errors)) => page(&staff, errors, None).await,
        Err(e) => Err(e.into()),
    }
}
