//! Recording a MARAC meeting from its pages: attendance and the legal basis, the chair's summary
//! (on the agenda); what was shared, the risks, the actions and closing (on the case).

use super::cases::case_page;
use super::meetings::{AgendaQuery, agenda_page};
use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::under;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::ids::{MaracCaseId, MeetingId};
use harbour_storage::StorageError;

async fn meeting_answer(
    staff: &Staff,
    id: &MeetingId,
    result: Result<(), StorageError>,
    form: crate::forms::FormData,
) -> Result<Response, AppError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/marac/meetings/{id}#record")).into_response()),
        Err(StorageError::Invalid(errors)) => {
            agenda_page(staff, id, &AgendaQuery::default(), form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /marac/meetings/{id}/attendance
pub async fn attendance(
    staff: Staff,
    Path(id): Path<MeetingId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let result = staff
        .store
        .record_attendance(&id, &form.get_all("attended"), form.get("legal_basis"))
        .await;
    meeting_answer(&staff, &id, result, form).await
}

/// POST /marac/meetings/{id}/held
pub async fn held(
    staff: Staff,
    Path(id): Path<MeetingId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let result = staff.store.finish_meeting(&id, form.get("summary")).await;
    meeting_answer(&staff, &id, result, form).await
}

/// A case form's answer: back to the case's meeting record, or the case with the errors named
/// after the form (`shared/information`).
async fn case_answer<T>(
    staff: &Staff,
    id: &MaracCaseId,
    result: Result<T, StorageError>,
    form: crate::forms::FormData,
    prefix: &str,
) -> Result<Response, AppError> {
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/marac/cases/{id}?saved=meeting#meeting")).into_response())
        }
        Err(StorageError::Invalid(errors)) => {
            case_page(staff, id, Some(form), under(prefix, errors), false).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /marac/cases/{id}/shared
pub async fn shared(
    staff: Staff,
    Path(id): Path<MaracCaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let result = staff
        .store
        .record_shared(
            &id,
            form.get("shared/agency"),
            form.get("shared/information"),
            form.get("shared/legal_basis"),
        )
        .await;
    case_answer(&staff, &id, result, form, "shared/").await
}

/// POST /marac/cases/{id}/risks
pub async fn risks(
    staff: Staff,
    Path(id): Path<MaracCaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let result = staff.store.record_risks(&id, form.get("risks")).await;
    case_answer(&staff, &id, result, form, "").await
}

/// POST /marac/cases/{id}/actions
pub async fn add_action(
    staff: Staff,
    Path(id): Path<MaracCaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let result = staff
        .store
        .add_marac_action(
            &id,
            form.get("action/what"),
            form.get("action/owner"),
            form.get("action/due_on"),
        )
        .await;
    case_answer(&staff, &id, result, form, "action/").await
}

/// POST /marac/cases/{id}/close
pub async fn close(
    staff: Staff,
    Path(id): Path<MaracCaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let result = staff
        .store
        .close_marac_case(&id, form.get("closure_note"))
        .await;
    case_answer(&staff, &id, result, form, "").await
}

/// POST /marac/cases/{id}/move
pub async fn move_case(
    staff: Staff,
    Path(id): Path<MaracCaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let result = staff.store.move_marac_case(&id, form.get("meeting")).await;
    case_answer(&staff, &id, result, form, "").await
}
