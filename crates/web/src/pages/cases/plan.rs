//! A case's support plan page: goals in the person's words with their needs, actions and
//! progress, and the forms to add and update them.

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
use chrono::NaiveDate;
use harbour_domain::case::CaseStatus;
use harbour_domain::ids::{CaseId, GoalActionId, GoalId};
use harbour_domain::needs::NeedCategory;
use harbour_domain::support_plan::Progress;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::cases::{Goal, ProgressInput, SupportPlan};

#[derive(Template)]
#[template(path = "case_plan.html")]
struct PlanPage {
    chrome: Chrome,
    line: CaseLine,
    plan: SupportPlan,
    needs: Vec<(String, String)>,
    progress: Vec<(String, String)>,
    typed: FormData,
    errors: FieldErrors,
    saved: bool,
}

impl PlanPage {
    fn v(&self, name: &str) -> String {
        self.typed.get(name).to_owned()
    }
    fn needs_chosen(&self) -> Vec<String> {
        self.typed.get_all("needs")
    }
    fn open(&self) -> bool {
        self.line.case.status != CaseStatus::Closed
    }
    /// A field of one goal's forms: `{goal}/{name}`.
    fn f(&self, g: &Goal, name: &str) -> String {
        format!("{}/{name}", g.id)
    }
    /// What the progress form shows: as typed after an error, else the goal's own.
    fn progress_of(&self, g: &Goal) -> String {
        let typed = self.typed.get(&self.f(g, "progress"));
        if typed.is_empty() {
            g.progress.slug().to_owned()
        } else {
            typed.to_owned()
        }
    }
    /// Whether a goal's form named `what` has an error, so its details open.
    fn errors_on(&self, g: &Goal, what: &[&str]) -> bool {
        what.iter()
            .any(|w| self.errors.get(&self.f(g, w)).is_some())
    }
    fn needs_words(&self, g: &Goal) -> String {
        g.needs
            .iter()
            .map(|n| n.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn tag(&self, p: &Progress) -> &'static str {
        match p {
            Progress::NotStarted => "govuk-tag--grey",
            Progress::UnderWay => "govuk-tag--blue",
            Progress::Achieved => "govuk-tag--green",
            Progress::NoLongerNeeded => "govuk-tag--grey",
        }
    }
    fn day(&self, d: &NaiveDate) -> String {
        day(d)
    }
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
    fn achieved(&self) -> usize {
        self.plan
            .goals
            .iter()
            .filter(|g| g.progress == Progress::Achieved)
            .count()
    }
}

async fn plan_page(
    staff: &Staff,
    id: &CaseId,
    typed: FormData,
    errors: FieldErrors,
    saved: bool,
) -> Result<Response, AppError> {
    let plan = staff.store.support_plan(id).await?;
    let page = PlanPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/cases"),
        line: CaseLine::new(plan.case.clone()),
        plan,
        needs: NeedCategory::ALL
            .iter()
            .map(|n| (n.slug().to_owned(), n.label().to_owned()))
            .collect(),
        progress: Progress::ALL
            .iter()
            .map(|p| (p.slug().to_owned(), p.label().to_owned()))
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

/// GET /cases/{id}/plan
pub async fn show(
    staff: Staff,
    Path(id): Path<CaseId>,
    Query(q): Query<super::Saved>,
) -> Result<Response, AppError> {
    plan_page(
        &staff,
        &id,
        FormData::default(),
        FieldErrors::new(),
        q.saved(),
    )
    .await
}

/// Back to the plan on success; the plan again with what was typed and the errors otherwise.
async fn answered<T>(
    staff: &Staff,
    id: &CaseId,
    result: Result<T, StorageError>,
    anchor: &str,
    typed: FormData,
    prefix: &str,
) -> Result<Response, AppError> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}/plan?saved=plan#{anchor}")).into_response()),
        Err(StorageError::Invalid(errors)) => {
            plan_page(staff, id, typed, under(prefix, errors), false).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /cases/{id}/plan/goals: a new goal.
pub async fn add_goal(
    staff: Staff,
    Path(id): Path<CaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let result = staff
        .store
        .add_goal(&id, form.get("goal"), &form.get_all("needs"))
        .await;
    answered(&staff, &id, result, "goals", form, "").await
}

/// POST /cases/{id}/plan/goals/{goal}: how far a goal has got.
pub async fn update_goal(
    staff: Staff,
    Path((id, goal)): Path<(CaseId, GoalId)>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let prefix = format!("{goal}/");
    let input = ProgressInput {
        progress: form.get(&format!("{prefix}progress")).to_owned(),
        note: form.get(&format!("{prefix}progress_note")).to_owned(),
        version: form.get("version").parse().unwrap_or(0),
    };
    let result = staff.store.update_goal(&id, &goal, &input).await;
    answered(&staff, &id, result, &format!("goal-{goal}"), form, &prefix).await
}

/// POST /cases/{id}/plan/goals/{goal}/actions: an action towards a goal.
pub async fn add_action(
    staff: Staff,
    Path((id, goal)): Path<(CaseId, GoalId)>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let prefix = format!("{goal}/");
    let field = |name: &str| form.get(&format!("{prefix}{name}")).to_owned();
    let result = staff
        .store
        .add_goal_action(&id, &goal, &field("action"), &field("who"), &field("by"))
        .await;
    answered(&staff, &id, result, &format!("goal-{goal}"), form, &prefix).await
}

/// POST /cases/{id}/plan/actions/{action}/done: an action done today.
pub async fn action_done(
    staff: Staff,
    Path((id, action)): Path<(CaseId, GoalActionId)>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let result = staff.store.goal_action_done(&id, &action).await;
    answered(&staff, &id, result, "goals", form, "").await
}
