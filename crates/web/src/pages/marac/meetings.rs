//! Scheduling a MARAC meeting, and a meeting's agenda: inside Harbour with names, or as
//! circulated to the attending agencies with initials and references only.

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
use harbour_domain::ids::{MaracId, MeetingId};
use harbour_domain::marac::meeting::initials;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::marac::{Agenda, AgendaCase, Marac, MeetingInput};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "marac_meeting_form.html")]
struct MeetingForm {
    chrome: Chrome,
    marac: Marac,
    typed: FormData,
    errors: FieldErrors,
}

impl MeetingForm {
    fn v(&self, name: &str) -> String {
        self.typed.get(name).to_owned()
    }
}

async fn form_page(
    staff: &Staff,
    id: &MaracId,
    typed: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let marac = staff
        .store
        .maracs()
        .await?
        .into_iter()
        .find(|m| m.id == *id)
        .ok_or(StorageError::NotFound("MARAC"))?;
    let page = MeetingForm {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/marac"),
        marac,
        typed,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

/// GET /marac/{id}/meetings/new
pub async fn new(staff: Staff, Path(id): Path<MaracId>) -> Result<Response, AppError> {
    form_page(&staff, &id, FormData::default(), FieldErrors::new()).await
}

/// POST /marac/{id}/meetings/new
pub async fn schedule(
    staff: Staff,
    Path(id): Path<MaracId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let input = MeetingInput {
        held_on: form.get("held_on").to_owned(),
        starts_at: form.get("starts_at").to_owned(),
        place: form.get("place").to_owned(),
        video_link: form.get("video_link").to_owned(),
        chair: form.get("chair").to_owned(),
        capacity: form.get("capacity").to_owned(),
        expected: Vec::new(),
    };
    match staff.store.schedule_meeting(&id, &input).await {
        Ok(meeting) => {
            Ok(Redirect::to(&format!("/marac/meetings/{meeting}?scheduled=1")).into_response())
        }
        Err(StorageError::Invalid(errors)) => form_page(&staff, &id, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AgendaQuery {
    #[serde(default)]
    pub circulated: String,
    #[serde(default)]
    pub scheduled: String,
}

#[derive(Template)]
#[template(path = "marac_agenda.html")]
struct AgendaPage {
    chrome: Chrome,
    agenda: Agenda,
    /// As circulated: initials and references, no names.
    circulated: bool,
    scheduled: bool,
    coordinator: bool,
    typed: FormData,
    errors: FieldErrors,
}

impl AgendaPage {
    fn day(&self, d: &NaiveDate) -> String {
        day(d)
    }
    fn who(&self, c: &AgendaCase) -> String {
        if self.circulated {
            initials(&c.given_name, Some(&c.family_name))
        } else {
            format!("{} {}", c.given_name, c.family_name)
        }
    }
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
    fn typed_or(&self, name: &str, saved: &str) -> String {
        let typed = self.typed.get(name);
        if typed.is_empty() {
            saved.to_owned()
        } else {
            typed.to_owned()
        }
    }
}

pub(crate) async fn agenda_page(
    staff: &Staff,
    id: &MeetingId,
    q: &AgendaQuery,
    typed: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let agenda = staff.store.agenda(id).await?;
    let page = AgendaPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/marac"),
        agenda,
        circulated: q.circulated == "yes",
        scheduled: !q.scheduled.is_empty(),
        coordinator: staff
            .store
            .may(harbour_domain::permission::Action::ManageMarac),
        typed,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

/// GET /marac/meetings/{id}
pub async fn agenda(
    staff: Staff,
    Path(id): Path<MeetingId>,
    Query(q): Query<AgendaQuery>,
) -> Result<Response, AppError> {
    agenda_page(&staff, &id, &q, FormData::default(), FieldErrors::new()).await
}
