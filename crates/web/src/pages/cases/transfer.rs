//! Transferring a case to another service: the service, the person's consent for its
//! organisation (as any referral on records it) and a note to the new service.

use super::CaseLine;
use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::consent::{ConsentInput, LegalBasis, Share};
use harbour_domain::ids::CaseId;
use harbour_domain::permission::Action;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::onward::{ReferOnInput, ReferredOn};

#[derive(Template)]
#[template(path = "case_transfer.html")]
struct TransferPage {
    chrome: Chrome,
    line: CaseLine,
    services: Vec<(String, String)>,
    shares: Vec<(String, String)>,
    bases: Vec<(String, String)>,
    decisions: Vec<(String, String)>,
    typed: FormData,
    errors: FieldErrors,
}

impl TransferPage {
    fn v(&self, name: &str) -> String {
        self.typed.get(name).to_owned()
    }
    fn shares_chosen(&self) -> Vec<String> {
        self.typed.get_all("consent/shares")
    }
}

async fn transfer_page(
    staff: &Staff,
    id: &CaseId,
    typed: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let case = staff.store.case(id).await?.summary;
    let services = staff
        .store
        .transfer_services()
        .await?
        .into_iter()
        .map(|s| {
            (
                s.service_id,
                format!("{} ({})", s.service_name, s.organization_name),
            )
        })
        .collect();
    let mut decisions = vec![
        ("given".to_owned(), "Yes, they agreed".to_owned()),
        (
            "refused".to_owned(),
            "No, they refused: record it and send nothing".to_owned(),
        ),
    ];
    let may_override = staff.store.may(Action::ShareWithoutConsent);
    if may_override {
        decisions.push((
            "override".to_owned(),
            "Share without consent, on a legal basis".to_owned(),
        ));
    }
    let page = TransferPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/cases"),
        line: CaseLine::new(case),
        services,
        shares: Share::ALL
            .iter()
            .map(|s| (s.slug().to_owned(), s.label().to_owned()))
            .collect(),
        bases: if may_override {
            LegalBasis::ALL
                .iter()
                .map(|b| (b.slug().to_owned(), b.label().to_owned()))
                .collect()
        } else {
            Vec::new()
        },
        decisions,
        typed,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

/// GET /cases/{id}/transfer
pub async fn show(staff: Staff, Path(id): Path<CaseId>) -> Result<Response, AppError> {
    transfer_page(&staff, &id, FormData::default(), FieldErrors::new()).await
}

/// POST /cases/{id}/transfer: sends the referral on, or records the refusal.
pub async fn send(
    staff: Staff,
    Path(id): Path<CaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    if form.get("service_id").is_empty() {
        let mut errors = FieldErrors::new();
        errors.add("service_id", "Choose the service to transfer the case to");
        return transfer_page(&staff, &id, form, errors).await;
    }
    let input = ReferOnInput {
        service_id: form.get("service_id").to_owned(),
        consent: ConsentInput {
            decision: form.get("consent/decision").to_owned(),
            shares: form.get_all("consent/shares"),
            until: form.get("consent/until").to_owned(),
            basis: form.get("consent/basis").to_owned(),
            justification: form.get("consent/justification").to_owned(),
        },
        note: form.get("note").to_owned(),
        ..ReferOnInput::default()
    };
    match staff.store.transfer_case(&id, &input).await {
        Ok(ReferredOn::Sent { .. }) => {
            Ok(Redirect::to(&format!("/cases/{id}?saved=transfer#transfers")).into_response())
        }
        Ok(ReferredOn::ConsentRefused) => {
            Ok(Redirect::to(&format!("/cases/{id}?saved=refusal#events")).into_response())
        }
        Err(StorageError::Invalid(errors)) => transfer_page(&staff, &id, form, errors).await,
        Err(e) => Err(e.into()),
    }
}
