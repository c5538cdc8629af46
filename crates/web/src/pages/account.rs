//! The signed-in person's own account.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::sign_in::signed_out_response;
use crate::pages::{render, render_invalid};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use harbour_domain::user::User;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    user: User,
    errors: FieldErrors,
    password_changed: bool,
}

async fn page(
    staff: &Staff,
    errors: FieldErrors,
    password_changed: bool,
) -> Result<Response, AppError> {
    let page = AccountPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/account"),
        user: staff.store.own_account().await?,
        errors,
        password_changed,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

pub async fn show(staff: Staff) -> Result<Response, AppError> {
    page(&staff, FieldErrors::new(), false).await
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
        Ok(()) => page(&staff, FieldErrors::new(), true).await,
        Err(StorageError::Invalid(errors)) => page(&staff, errors, false).await,
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
