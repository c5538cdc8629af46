//! Risk over time on a case: the level the referral arrived with, each reassessment since with
//! who decided and how the level changed, and the instrument to complete again.

use super::CaseLine;
use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::case::CaseStatus;
use harbour_domain::ids::CaseId;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::cases::{RiskHistory, RiskReview};
use std::collections::BTreeMap;

const ANSWERS: [(&str, &str); 4] = [
    ("yes", "Yes"),
    ("no", "No"),
    ("dont_know", "Don't know"),
    ("not_asked", "Not asked"),
];

#[derive(Template)]
#[template(path = "case_risk.html")]
struct RiskPage {
    chrome: Chrome,
    line: CaseLine,
    history: RiskHistory,
    answers: [(&'static str, &'static str); 4],
    typed: FormData,
    errors: FieldErrors,
    saved: bool,
}

impl RiskPage {
    fn open(&self) -> bool {
        self.line.case.status != CaseStatus::Closed
    }
    fn answer_is(&self, item: &str, value: &str) -> bool {
        self.typed.get(&format!("answer_{item}")) == value
    }
    fn answer_error(&self, item: &str) -> Option<&str> {
        self.errors.get(&format!("answers/{item}"))
    }
    fn v(&self, name: &str) -> String {
        self.typed.get(name).to_owned()
    }
    /// How a reassessment moved the level, in words.
    fn change(&self, r: &RiskReview) -> String {
        match r.previous {
            Some(p) if p < r.level => format!("Up from {}", p.label().to_lowercase()),
            Some(p) if p > r.level => format!("Down from {}", p.label().to_lowercase()),
            Some(_) => "No change".into(),
            None => "First assessed".into(),
        }
    }
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
}

async fn risk_page(
    staff: &Staff,
    id: &CaseId,
    typed: FormData,
    errors: FieldErrors,
    saved: bool,
) -> Result<Response, AppError> {
    let history = staff.store.risk_history(id).await?;
    let page = RiskPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/cases"),
        line: CaseLine::new(history.case.clone()),
        history,
        answers: ANSWERS,
        typed,
        errors,
        saved,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

/// GET /cases/{id}/risk
pub async fn show(
    staff: Staff,
    Path(id): Path<CaseId>,
    Query(q): Query<super::Saved>,
) -> Result<Response, AppError> {
    risk_page(
        &staff,
        &id,
        FormData::default(),
        FieldErrors::new(),
        q.saved(),
    )
    .await
}

/// POST /cases/{id}/risk: the instrument completed again.
pub async fn reassess(
    staff: Staff,
    Path(id): Path<CaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let answers: BTreeMap<String, String> = form
        .get_all("answered")
        .into_iter()
        .filter_map(|item| {
            let value = form.get(&format!("answer_{item}")).to_owned();
            (!value.is_empty()).then_some((item, value))
        })
        .collect();
    match staff
        .store
        .reassess_risk(
            &id,
            &answers,
            form.get("judgement_level"),
            form.get("judgement_reason"),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}/risk?saved=risk#history")).into_response()),
        Err(StorageError::Invalid(errors)) => risk_page(&staff, &id, form, errors, false).await,
        Err(e) => Err(e.into()),
    }
}
