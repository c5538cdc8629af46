//! A MARAC case for its member agencies: what the referral said, which agencies have completed
//! their research, and the viewer's agency's own research (facts kept apart from opinion, and
//! what it will not share and why).

use super::day;
use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use harbour_domain::ids::MaracCaseId;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::marac::{MaracCase, ResearchInput};

#[derive(Template)]
#[template(path = "marac_case.html")]
struct CasePage {
    chrome: Chrome,
    c: MaracCase,
    coordinator: bool,
    /// For a coordinator: the MARAC's coming meetings the case could move to (id, words).
    meetings: Vec<(String, String)>,
    typed: Option<FormData>,
    errors: FieldErrors,
    saved: bool,
}

impl CasePage {
    fn day(&self, d: &NaiveDate) -> String {
        day(d)
    }
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
    fn yes_no(&self, b: &bool) -> &'static str {
        if *b { "Yes" } else { "No" }
    }
    fn reasons(&self) -> String {
        let r = self
            .c
            .criteria
            .as_ref()
            .map(|c| c.reasons())
            .unwrap_or_default();
        if r.is_empty() {
            "Professional judgement".into()
        } else {
            r.join("; ")
        }
    }
    /// A research field: as typed after an error, else as saved.
    fn research(&self, name: &str) -> String {
        if let Some(form) = &self.typed {
            return form.get(name).to_owned();
        }
        let r = self.c.own_research.clone().unwrap_or_default();
        match name {
            "facts" => r.facts,
            "opinion" => r.opinion,
            _ => r.withheld,
        }
    }
    fn v(&self, name: &str) -> String {
        self.typed
            .as_ref()
            .map(|f| f.get(name).to_owned())
            .unwrap_or_default()
    }
    fn owners(&self) -> Vec<(String, String)> {
        self.c
            .members
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect()
    }
    fn complete(&self) -> bool {
        match &self.typed {
            Some(form) => form.get("complete") == "yes",
            None => self
                .c
                .own_research
                .as_ref()
                .is_some_and(|r| r.completed_at.is_some()),
        }
    }
}

pub(crate) async fn case_page(
    staff: &Staff,
    id: &MaracCaseId,
    typed: Option<FormData>,
    errors: FieldErrors,
    saved: bool,
) -> Result<Response, AppError> {
    let c = staff.store.marac_case(id).await?;
    let coordinator = staff
        .store
        .may(harbour_domain::permission::Action::ManageMarac);
    let meetings = if coordinator {
        let today = harbour_domain::calendar::uk_date(chrono::Utc::now());
        staff
            .store
            .meetings(&c.marac_id, Some(today))
            .await?
            .into_iter()
            .filter(|m| !m.held())
            .map(|m| {
                (
                    m.id.to_string(),
                    format!("{} ({} of {} cases)", day(&m.held_on), m.listed, m.capacity),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = CasePage {
        meetings,
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/marac"),
        coordinator,
        c,
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

/// GET /marac/cases/{id}
pub async fn show(
    staff: Staff,
    Path(id): Path<MaracCaseId>,
    Query(q): Query<crate::pages::cases::Saved>,
) -> Result<Response, AppError> {
    case_page(&staff, &id, None, FieldErrors::new(), q.saved()).await
}

/// POST /marac/cases/{id}/research
pub async fn research(
    staff: Staff,
    Path(id): Path<MaracCaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let input = ResearchInput {
        facts: form.get("facts").to_owned(),
        opinion: form.get("opinion").to_owned(),
        withheld: form.get("withheld").to_owned(),
        complete: form.get("complete") == "yes",
        version: form.get("version").parse().unwrap_or(-1),
    };
    match staff.store.save_research(&id, &input).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/marac/cases/{id}?saved=research#research")).into_response())
        }
        Err(StorageError::Invalid(errors)) => {
            case_page(&staff, &id, Some(form), errors, false).await
        }
        Err(e) => Err(e.into()),
    }
}
