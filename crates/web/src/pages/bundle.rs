//! The phone contact bundle for a person: a printable page, a vCard 4.0 file a phone imports,
//! and the resources issued to them.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::bundle::{ResourceKind, Section, to_vcard};
use harbour_domain::ids::ReferralId;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::bundle::{ContactBundle, ResourceInput};

#[derive(Template)]
#[template(path = "bundle.html")]
struct BundlePage {
    chrome: Chrome,
    b: ContactBundle,
    sections: [Section; 4],
    kinds: [ResourceKind; 4],
    form: FormData,
    errors: FieldErrors,
}

impl BundlePage {
    fn in_section(&self, s: &Section) -> Vec<&harbour_domain::bundle::BundleContact> {
        self.b.contacts.iter().filter(|c| c.section == *s).collect()
    }
    fn value(&self, f: &str) -> &str {
        self.form.get(f)
    }
}

async fn page(
    staff: &Staff,
    id: &ReferralId,
    form: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let page = BundlePage {
        chrome: Chrome::for_signed_in(&staff.signed_in),
        b: staff.store.contact_bundle(id).await?,
        sections: [
            Section::Emergency,
            Section::Caseworker,
            Section::Service,
            Section::Helpline,
        ],
        kinds: ResourceKind::ALL,
        form,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

/// GET /referrals/{id}/contacts
pub async fn show(staff: Staff, Path(id): Path<ReferralId>) -> Result<Response, AppError> {
    page(&staff, &id, FormData::default(), FieldErrors::new()).await
}

/// GET /referrals/{id}/contacts.vcf: the bundle as vCard 4.0, to load onto a phone.
pub async fn vcard(staff: Staff, Path(id): Path<ReferralId>) -> Result<Response, AppError> {
    let b = staff.store.contact_bundle(&id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/vcard; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"contacts.vcf\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        to_vcard(&b.contacts),
    )
        .into_response())
}

/// POST /referrals/{id}/resources: records a phone, safety device or home security issued.
pub async fn record_resource(
    staff: Staff,
    Path(id): Path<ReferralId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let input = ResourceInput {
        kind: form.get("kind").to_owned(),
        description: form.get("description").to_owned(),
        issued_on: form.get("issued_on").to_owned(),
    };
    match staff.store.record_resource(&id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/referrals/{id}/contacts#resources")).into_response()),
        Err(StorageError::Invalid(errors)) => page(&staff, &id, form, errors).await,
        Err(e) => Err(e.into()),
    }
}
