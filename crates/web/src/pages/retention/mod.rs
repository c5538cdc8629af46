//! The data protection officer's retention pages: the run waiting for a decision, its counts by
//! kind, approving or declining it, looking again now; the schedules with their reasons, and
//! changing one; past runs and what they erased. Counts only: no page here names anyone.

pub mod holds;
pub mod requests;

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::ids::RetentionRunId;
use harbour_domain::retention::{RecordKind, RunStatus};
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::retention::runs::Run;
use harbour_storage::retention::schedules::ScheduleEntry;

/// A day as pages write it: "3 December 2026".
fn day(d: chrono::NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn months(n: u32) -> String {
    match n {
        1 => "1 month".to_owned(),
        n if n % 12 == 0 && n >= 24 => format!("{} years", n / 12),
        12 => "1 year".to_owned(),
        n => format!("{n} months"),
    }
}

/// How a schedule reads: "6 years after it was closed; a child's until they are 25".
fn schedule_words(e: &ScheduleEntry) -> String {
    let s = &e.schedule;
    let child = s
        .until_age
        .map(|a| format!("; a child's record until they are {a}"))
        .unwrap_or_default();
    format!("{} after {}{child}", months(s.months), s.after.label())
}

#[derive(Template)]
#[template(path = "retention.html")]
struct RetentionPage {
    chrome: Chrome,
    waiting: Option<Run>,
    runs: Vec<Run>,
    schedules: Vec<ScheduleEntry>,
    protection: harbour_storage::sealed::Protection,
    errors: FieldErrors,
}

impl RetentionPage {
    fn at(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        crate::pages::words::when_at(t)
    }
    fn day(&self, d: &chrono::NaiveDate) -> String {
        day(*d)
    }
    fn rule(&self, e: &ScheduleEntry) -> String {
        schedule_words(e)
    }
    fn up_to_a_checkpoint(&self, e: &ScheduleEntry) -> bool {
        e.schedule.kind == harbour_domain::retention::RecordKind::AuditEntry
    }
    fn status(&self, r: &Run) -> &'static str {
        r.status.label()
    }
}

async fn page(staff: &Staff, errors: FieldErrors) -> Result<Response, AppError> {
    let p = RetentionPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/retention"),
        waiting: staff.store.retention_run_waiting().await?,
        runs: staff.store.retention_runs(20).await?,
        schedules: staff.store.retention_schedules().await?,
        protection: staff.store.protection().await?,
        errors,
    };
    Ok(if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    })
}

/// GET /retention
pub async fn show(staff: Staff) -> Result<Response, AppError> {
    page(&staff, FieldErrors::new()).await
}

/// POST /retention/runs: look again now, as tonight's run would.
pub async fn prepare(staff: Staff, CsrfForm(_): CsrfForm) -> Result<Response, AppError> {
    match staff.store.prepare_retention_run(chrono::Utc::now()).await {
        Ok(id) => Ok(Redirect::to(&format!("/retention/runs/{id}")).into_response()),
        Err(StorageError::Invalid(errors)) => page(&staff, errors).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "retention_run.html")]
struct RunPage {
    chrome: Chrome,
    run: Run,
    form: FormData,
    errors: FieldErrors,
}

impl RunPage {
    fn day(&self, d: &chrono::NaiveDate) -> String {
        day(*d)
    }
    fn waiting(&self) -> bool {
        self.run.status == RunStatus::AwaitingApproval
    }
    fn done(&self) -> bool {
        self.run.status == RunStatus::Erased
    }
}

async fn run_page(
    staff: &Staff,
    id: &RetentionRunId,
    form: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let p = RunPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/retention"),
        run: staff.store.retention_run(id).await?,
        form,
        errors,
    };
    Ok(if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    })
}

/// GET /retention/runs/{id}
pub async fn run(staff: Staff, Path(id): Path<String>) -> Result<Response, AppError> {
    run_page(&staff, &id.into(), FormData::default(), FieldErrors::new()).await
}

/// POST /retention/runs/{id}: approve or decline.
pub async fn decide(
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let id = RetentionRunId::from(id);
    let approve = match form.get("decision") {
        "approve" => true,
        "decline" => false,
        _ => {
            let mut errors = FieldErrors::new();
            errors.add("decision", "Choose to approve the erasure or decline it");
            return run_page(&staff, &id, form, errors).await;
        }
    };
    match staff
        .store
        .decide_retention_run(&id, approve, form.get("note"))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/retention/runs/{id}")).into_response()),
        Err(StorageError::Invalid(errors)) => run_page(&staff, &id, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "retention_schedule.html")]
struct SchedulePage {
    chrome: Chrome,
    entry: ScheduleEntry,
    form: FormData,
    errors: FieldErrors,
}

impl SchedulePage {
    fn v(&self, name: &str) -> String {
        self.form.get(name).to_owned()
    }
    fn default_words(&self) -> String {
        months(self.entry.default_months)
    }
}

async fn schedule_page(
    staff: &Staff,
    kind: RecordKind,
    form: Option<FormData>,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let entry = staff
        .store
        .retention_schedules()
        .await?
        .into_iter()
        .find(|e| e.schedule.kind == kind)
        .ok_or(AppError::NotFound)?;
    let form = form.unwrap_or_else(|| {
        FormData::from_pairs(vec![
            ("months".to_owned(), entry.schedule.months.to_string()),
            (
                "until_age".to_owned(),
                entry
                    .schedule
                    .until_age
                    .map(|a| a.to_string())
                    .unwrap_or_default(),
            ),
            ("reason".to_owned(), entry.schedule.reason.clone()),
        ])
    });
    let p = SchedulePage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/retention"),
        entry,
        form,
        errors,
    };
    Ok(if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    })
}

fn kind_of(slug: &str) -> Result<RecordKind, AppError> {
    RecordKind::from_slug(slug).ok_or(AppError::NotFound)
}

/// GET /retention/schedules/{kind}
pub async fn schedule(staff: Staff, Path(kind): Path<String>) -> Result<Response, AppError> {
    schedule_page(&staff, kind_of(&kind)?, None, FieldErrors::new()).await
}

/// POST /retention/schedules/{kind}
pub async fn change_schedule(
    staff: Staff,
    Path(kind): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let kind = kind_of(&kind)?;
    match staff
        .store
        .change_retention_schedule(
            kind,
            form.get("months"),
            form.get("until_age"),
            form.get("reason"),
        )
        .await
    {
        Ok(()) => Ok(Redirect::to("/retention#schedules").into_response()),
        Err(StorageError::Invalid(errors)) => schedule_page(&staff, kind, Some(form), errors).await,
        Err(e) => Err(e.into()),
    }
}
