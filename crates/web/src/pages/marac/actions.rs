//! MARAC actions for the agencies that own them: what is open and what is overdue, and saying
//! how each ended; a held meeting's minutes for the agencies that attended.

use super::day;
use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid, under};
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use harbour_domain::ids::{MaracActionId, MeetingId};
use harbour_domain::marac::meeting::ActionStatus;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::marac::{MaracAction, Minutes};

#[derive(Template)]
#[template(path = "marac_actions.html")]
struct ActionsPage {
    chrome: Chrome,
    actions: Vec<MaracAction>,
    endings: Vec<(String, String)>,
    typed: FormData,
    errors: FieldErrors,
}

impl ActionsPage {
    fn day(&self, d: &NaiveDate) -> String {
        day(d)
    }
    fn f(&self, a: &MaracAction, name: &str) -> String {
        format!("{}/{name}", a.id)
    }
    fn v(&self, name: &str) -> String {
        self.typed.get(name).to_owned()
    }
    fn open_count(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| a.status == ActionStatus::Open)
            .count()
    }
}

async fn actions_page(
    staff: &Staff,
    typed: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let page = ActionsPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/marac"),
        actions: staff.store.marac_actions(false).await?,
        endings: [ActionStatus::Done, ActionStatus::NotPossible]
            .iter()
            .map(|s| (s.slug().to_owned(), s.label().to_owned()))
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

/// GET /marac/actions
pub async fn list(staff: Staff) -> Result<Response, AppError> {
    actions_page(&staff, FormData::default(), FieldErrors::new()).await
}

/// POST /marac/actions/{id}
pub async fn update(
    staff: Staff,
    Path(id): Path<MaracActionId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let prefix = format!("{id}/");
    let result = staff
        .store
        .update_marac_action(
            &id,
            form.get(&format!("{prefix}status")),
            form.get(&format!("{prefix}note")),
        )
        .await;
    match result {
        Ok(()) => Ok(Redirect::to("/marac/actions").into_response()),
        Err(StorageError::Invalid(errors)) => {
            actions_page(&staff, form, under(&prefix, errors)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "marac_minutes.html")]
struct MinutesPage {
    chrome: Chrome,
    m: Minutes,
}

impl MinutesPage {
    fn day(&self, d: &NaiveDate) -> String {
        day(d)
    }
}

/// GET /marac/meetings/{id}/minutes
pub async fn minutes(staff: Staff, Path(id): Path<MeetingId>) -> Result<Response, AppError> {
    let m = staff.store.minutes(&id).await?;
    Ok(render(&MinutesPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/marac"),
        m,
    }))
}
