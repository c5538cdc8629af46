//! The signed-in person's own account.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::render;
use crate::pages::sign_in::signed_out_response;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use harbour_domain::user::User;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    user: User,
}

pub async fn show(staff: Staff) -> Result<Response, AppError> {
    let user = staff.store.own_account().await?;
    Ok(render(&AccountPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/account"),
        user,
    }))
}

pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    staff: Staff,
    _form: CsrfForm,
) -> Result<Response, AppError> {
    staff.store.sign_out_everywhere().await?;
    Ok(signed_out_response(&state))
}
