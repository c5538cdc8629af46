//! A case's safety plan page: the sections worked through with the person, the resources issued,
//! and a printable copy behind a warning that paper can be found.

use super::{CaseLine, day};
use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid, under};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::bundle::ResourceKind;
use harbour_domain::case::CaseStatus;
use harbour_domain::ids::CaseId;
use harbour_domain::safety_plan::{PRINT_WARNING, SECTIONS, SILENT_SOLUTION, Section};
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::bundle::ResourceInput;
use harbour_storage::cases::SafetyPlan;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "case_safety.html")]
struct SafetyPage {
    chrome: Chrome,
    line: CaseLine,
    plan: SafetyPlan,
    sections: &'static [Section],
    silent_solution: &'static str,
    kinds: Vec<(String, String)>,
    /// What was typed, shown again after an error.
    typed: Option<FormData>,
    errors: FieldErrors,
    saved: bool,
}

impl SafetyPage {
    fn field(&self, s: &Section) -> String {
        format!("section/{}", s.id)
    }
    /// A section's text: as typed after an error, else as saved.
    fn text(&self, s: &Section) -> String {
        match &self.typed {
            Some(form) => form.get(&self.field(s)).to_owned(),
            None => self.plan.sections.get(s.id).cloned().unwrap_or_default(),
        }
    }
    fn v(&self, name: &str) -> String {
        self.typed
            .as_ref()
            .map(|f| f.get(name).to_owned())
            .unwrap_or_default()
    }
    fn open(&self) -> bool {
        self.line.case.status != CaseStatus::Closed
    }
    fn written(&self) -> usize {
        self.plan.sections.len()
    }
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
}

async fn safety_page(
    staff: &Staff,
    id: &CaseId,
    typed: Option<FormData>,
    errors: FieldErrors,
    saved: bool,
) -> Result<Response, AppError> {
    let plan = staff.store.safety_plan(id, false).await?;
    let page = SafetyPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/cases"),
        line: CaseLine::new(plan.case.clone()),
        plan,
        sections: &SECTIONS,
        silent_solution: SILENT_SOLUTION,
        kinds: ResourceKind::ALL
            .iter()
            .map(|k| (k.slug().to_owned(), k.label().to_owned()))
            .collect(),
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

/// GET /cases/{id}/safety
pub async fn show(
    staff: Staff,
    Path(id): Path<CaseId>,
    Query(q): Query<super::Saved>,
) -> Result<Response, AppError> {
    safety_page(&staff, &id, None, FieldErrors::new(), q.saved()).await
}

/// POST /cases/{id}/safety: saves the sections over the version the form showed.
pub async fn save(
    staff: Staff,
    Path(id): Path<CaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let version = form.get("version").parse().unwrap_or(-1);
    let sections = form.with_prefix("section/");
    match staff.store.save_safety_plan(&id, version, &sections).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}/safety?saved=plan")).into_response()),
        Err(StorageError::Invalid(errors)) => {
            // A section's error sits beside it; one about the whole plan at the top of the form.
            let mut named = FieldErrors::new();
            for e in errors.iter() {
                let field = if e.field == "plan" {
                    "plan".to_owned()
                } else {
                    format!("section/{}", e.field)
                };
                named.add(&field, e.message.clone());
            }
            safety_page(&staff, &id, Some(form), named, false).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /cases/{id}/safety/resources: something issued to keep the person safe.
pub async fn issue_resource(
    staff: Staff,
    Path(id): Path<CaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let input = ResourceInput {
        kind: form.get("resource/kind").to_owned(),
        description: form.get("resource/description").to_owned(),
        issued_on: form.get("resource/issued_on").to_owned(),
    };
    match staff.store.issue_resource(&id, &input).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/cases/{id}/safety?saved=resource#resources")).into_response(),
        ),
        Err(StorageError::Invalid(errors)) => {
            safety_page(&staff, &id, Some(form), under("resource/", errors), false).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PrintQuery {
    #[serde(default)]
    ready: String,
}

#[derive(Template)]
#[template(path = "case_safety_print.html")]
struct PrintPage {
    chrome: Chrome,
    case_id: CaseId,
    given_name: String,
    /// The plan, once the warning has been read; none while it is shown.
    plan: Option<SafetyPlan>,
    sections: &'static [Section],
    warning: &'static str,
    silent_solution: &'static str,
    printed_on: String,
}

impl PrintPage {
    fn text(&self, s: &Section) -> String {
        self.plan
            .as_ref()
            .and_then(|p| p.sections.get(s.id).cloned())
            .unwrap_or_default()
    }
}

/// GET /cases/{id}/safety/print: first the warning that a paper copy can be found by the abuser;
/// then (`?ready=yes`) the plan laid out for paper, recorded on the case.
pub async fn print(
    staff: Staff,
    Path(id): Path<CaseId>,
    Query(q): Query<PrintQuery>,
) -> Result<Response, AppError> {
    let ready = q.ready == "yes";
    let plan = staff.store.safety_plan(&id, ready).await?;
    Ok(render(&PrintPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/cases"),
        case_id: id,
        given_name: plan.case.given_name.clone(),
        plan: ready.then_some(plan),
        sections: &SECTIONS,
        warning: PRINT_WARNING,
        silent_solution: SILENT_SOLUTION,
        printed_on: day(&harbour_domain::calendar::uk_date(chrono::Utc::now())),
    }))
}
