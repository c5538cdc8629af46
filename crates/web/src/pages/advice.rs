//! Recording information, advice and guidance on a referral: what the hub gave, how, and where
//! it signposted the person; closing the referral when that is all they need.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::advice::{AdviceInput, Given, How};
use harbour_domain::ids::ReferralId;
use harbour_domain::referral::Status;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::referrals::ReferralView;

#[derive(Template)]
#[template(path = "advice.html")]
struct AdvicePage {
    chrome: Chrome,
    r: ReferralView,
    given: Vec<(String, String)>,
    hows: Vec<(String, String)>,
    typed: FormData,
    errors: FieldErrors,
}

impl AdvicePage {
    fn v(&self, name: &str) -> String {
        self.typed.get(name).to_owned()
    }
    fn chosen(&self) -> Vec<String> {
        self.typed.get_all("given")
    }
    /// The referral may still close here: it has not been referred on or closed.
    fn may_close(&self) -> bool {
        matches!(self.r.status, Status::Received | Status::Triaged)
    }
}

async fn advice_page(
    staff: &Staff,
    id: &ReferralId,
    typed: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let r = staff.store.get_referral(id).await?;
    let page = AdvicePage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/queue"),
        r,
        given: Given::ALL
            .iter()
            .map(|g| (g.slug().to_owned(), g.label().to_owned()))
            .collect(),
        hows: How::ALL
            .iter()
            .map(|h| (h.slug().to_owned(), h.label().to_owned()))
            .collect(),
        typed,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

/// GET /referrals/{id}/advice
pub async fn show(staff: Staff, Path(id): Path<ReferralId>) -> Result<Response, AppError> {
    advice_page(&staff, &id, FormData::default(), FieldErrors::new()).await
}

/// POST /referrals/{id}/advice
pub async fn record(
    staff: Staff,
    Path(id): Path<ReferralId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let input = AdviceInput {
        given: form.get_all("given"),
        signposted: form.get("signposted").to_owned(),
        how: form.get("how").to_owned(),
        note: form.get("note").to_owned(),
        close: form.get("close") == "yes",
    };
    match staff.store.record_advice(&id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/referrals/{id}?advised=1#advice")).into_response()),
        Err(StorageError::Invalid(errors)) => advice_page(&staff, &id, form, errors).await,
        Err(e) => Err(e.into()),
    }
}
