//! Confirming a person's details: what a referral says beside what is held, and the officer's
//! choice between them, field by field. The only way the held details change.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::ids::ReferralId;
use harbour_domain::person_details::Field;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::person_details::{DetailsComparison, Review};
use std::collections::HashMap;

/// What the officer chose for a field: keep what is held, or take what the referral says.
const HELD: &str = "held";
const REFERRED: &str = "referred";

#[derive(Template)]
#[template(path = "person_details.html")]
struct DetailsPage {
    chrome: Chrome,
    c: DetailsComparison,
    /// The choice made so far for each field, by the field's form name.
    chosen: HashMap<String, String>,
    errors: FieldErrors,
}

impl DetailsPage {
    fn chose(&self, field: &Field, value: &str) -> bool {
        self.chosen.get(&field.slug()).map(String::as_str) == Some(value)
    }
    fn pending(&self) -> bool {
        self.c.review == Review::Pending
    }
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
}

fn page(
    staff: &Staff,
    c: DetailsComparison,
    chosen: HashMap<String, String>,
    errors: FieldErrors,
) -> Response {
    let p = DetailsPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/queue"),
        c,
        chosen,
        errors,
    };
    if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    }
}

pub async fn show(staff: Staff, Path(id): Path<ReferralId>) -> Result<Response, AppError> {
    let c = staff.store.details_comparison(&id).await?;
    Ok(page(&staff, c, HashMap::new(), FieldErrors::new()))
}

pub async fn confirm(
    staff: Staff,
    Path(id): Path<ReferralId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let c = staff.store.details_comparison(&id).await?;
    let mut errors = FieldErrors::new();
    let mut chosen = HashMap::new();
    let mut take = Vec::new();
    for d in &c.differences {
        let name = d.field.slug();
        match form.get(&name) {
            REFERRED => take.push(d.field),
            HELD => {}
            _ => errors.add(
                &name,
                format!(
                    "Choose which is right for {}",
                    d.field.label().to_lowercase()
                ),
            ),
        }
        chosen.insert(name.clone(), form.get(&name).to_owned());
    }
    if !errors.is_empty() {
        return Ok(page(&staff, c, chosen, errors));
    }
    match staff
        .store
        .confirm_person_details(&id, &take, form.get("held_version"))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/referrals/{id}?confirmed=1")).into_response()),
        Err(StorageError::Invalid(errors)) => {
            // Shown against what is held now: the choice is kept where the field still differs.
            let c = staff.store.details_comparison(&id).await?;
            Ok(page(&staff, c, chosen, errors))
        }
        Err(e) => Err(e.into()),
    }
}
