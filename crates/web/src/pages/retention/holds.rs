//! Legal holds: the list (live first), placing one on a person or a referral found by its
//! reference, and lifting one with the reason.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::alerts::choices;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::ids::LegalHoldId;
use harbour_domain::legal_hold::{HoldKind, HoldScope};
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::retention::holds::Hold;

#[derive(Template)]
#[template(path = "legal_holds.html")]
struct HoldsPage {
    chrome: Chrome,
    holds: Vec<Hold>,
    kinds: Vec<(String, String)>,
    scopes: Vec<(String, String)>,
    form: FormData,
    errors: FieldErrors,
}

impl HoldsPage {
    fn v(&self, name: &str) -> String {
        self.form.get(name).to_owned()
    }
    fn live(&self) -> Vec<&Hold> {
        self.holds.iter().filter(|h| h.lifted.is_none()).collect()
    }
    fn lifted(&self) -> Vec<&Hold> {
        self.holds.iter().filter(|h| h.lifted.is_some()).collect()
    }
}

async fn page(staff: &Staff, form: FormData, errors: FieldErrors) -> Result<Response, AppError> {
    let p = HoldsPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/retention/holds"),
        holds: staff.store.legal_holds().await?,
        kinds: choices(HoldKind::ALL, HoldKind::slug, HoldKind::label),
        scopes: choices(HoldScope::ALL, HoldScope::slug, HoldScope::label),
        form,
        errors,
    };
    Ok(if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    })
}

/// GET /retention/holds
pub async fn list(staff: Staff) -> Result<Response, AppError> {
    page(&staff, FormData::default(), FieldErrors::new()).await
}

/// POST /retention/holds
pub async fn place(staff: Staff, CsrfForm(form): CsrfForm) -> Result<Response, AppError> {
    match staff
        .store
        .place_legal_hold(
            form.get("reference"),
            form.get("kind"),
            form.get("scope"),
            form.get("reason"),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/retention/holds").into_response()),
        Err(StorageError::Invalid(errors)) => page(&staff, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "legal_hold_lift.html")]
struct LiftPage {
    chrome: Chrome,
    hold: Hold,
    form: FormData,
    errors: FieldErrors,
}

impl LiftPage {
    fn v(&self, name: &str) -> String {
        self.form.get(name).to_owned()
    }
}

async fn lift_page(
    staff: &Staff,
    id: &LegalHoldId,
    form: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let hold = staff
        .store
        .legal_holds()
        .await?
        .into_iter()
        .find(|h| &h.id == id && h.lifted.is_none())
        .ok_or(AppError::NotFound)?;
    let p = LiftPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/retention/holds"),
        hold,
        form,
        errors,
    };
    Ok(if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    })
}

/// GET /retention/holds/{id}/lift
pub async fn lift_form(staff: Staff, Path(id): Path<String>) -> Result<Response, AppError> {
    lift_page(&staff, &id.into(), FormData::default(), FieldErrors::new()).await
}

/// POST /retention/holds/{id}/lift
pub async fn lift(
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let id = LegalHoldId::from(id);
    match staff
        .store
        .lift_legal_hold(&id, form.get("lift_reason"))
        .await
    {
        Ok(()) => Ok(Redirect::to("/retention/holds").into_response()),
        Err(StorageError::Invalid(errors)) => lift_page(&staff, &id, form, errors).await,
        Err(e) => Err(e.into()),
    }
}
