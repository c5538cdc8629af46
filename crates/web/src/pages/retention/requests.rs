//! Erasure requests: the list (open ones first, by the day they must be answered), recording
//! one, and the request's page with what Harbour holds about the person, what stands in the way,
//! and the officer's decision.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::alerts::choices;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::erasure_request::{Decision, Ground, Received, RequestStatus};
use harbour_domain::ids::ErasureRequestId;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::retention::requests::{Request, RequestView};

fn day(d: chrono::NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn today() -> chrono::NaiveDate {
    harbour_domain::calendar::uk_date(chrono::Utc::now())
}

#[derive(Template)]
#[template(path = "erasure_requests.html")]
struct RequestsPage {
    chrome: Chrome,
    requests: Vec<Request>,
    received: Vec<(String, String)>,
    form: FormData,
    errors: FieldErrors,
}

impl RequestsPage {
    fn v(&self, name: &str) -> String {
        self.form.get(name).to_owned()
    }
    fn day(&self, d: &chrono::NaiveDate) -> String {
        day(*d)
    }
    fn late(&self, r: &Request) -> bool {
        r.status == RequestStatus::Open && r.respond_by < today()
    }
    fn name(&self, r: &Request) -> String {
        if r.person_name.is_empty() {
            "Erased".to_owned()
        } else {
            r.person_name.clone()
        }
    }
}

async fn page(staff: &Staff, form: FormData, errors: FieldErrors) -> Result<Response, AppError> {
    let p = RequestsPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/retention/requests"),
        requests: staff.store.erasure_requests().await?,
        received: choices(Received::ALL, Received::slug, Received::label),
        form,
        errors,
    };
    Ok(if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    })
}

/// GET /retention/requests
pub async fn list(staff: Staff) -> Result<Response, AppError> {
    page(&staff, FormData::default(), FieldErrors::new()).await
}

/// POST /retention/requests
pub async fn record(staff: Staff, CsrfForm(form): CsrfForm) -> Result<Response, AppError> {
    match staff
        .store
        .record_erasure_request(
            form.get("reference"),
            form.get("received"),
            form.get("received_on"),
            form.get("asked"),
        )
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/retention/requests/{id}")).into_response()),
        Err(StorageError::Invalid(errors)) => page(&staff, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "erasure_request.html")]
struct RequestPage {
    chrome: Chrome,
    view: RequestView,
    decisions: Vec<(String, String)>,
    grounds: Vec<(String, String)>,
    form: FormData,
    errors: FieldErrors,
}

impl RequestPage {
    fn v(&self, name: &str) -> String {
        self.form.get(name).to_owned()
    }
    fn day(&self, d: &chrono::NaiveDate) -> String {
        day(*d)
    }
    fn open(&self) -> bool {
        self.view.request.status == RequestStatus::Open
    }
    fn late(&self) -> bool {
        self.open() && self.view.request.respond_by < today()
    }
    fn name(&self) -> String {
        if self.view.request.person_name.is_empty() {
            "Erased".to_owned()
        } else {
            self.view.request.person_name.clone()
        }
    }
}

async fn request_page(
    staff: &Staff,
    id: &ErasureRequestId,
    form: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let p = RequestPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/retention/requests"),
        view: staff.store.erasure_request(id).await?,
        decisions: choices(Decision::ALL, Decision::slug, Decision::label),
        grounds: choices(Ground::ALL, Ground::slug, Ground::label),
        form,
        errors,
    };
    Ok(if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    })
}

/// GET /retention/requests/{id}
pub async fn show(staff: Staff, Path(id): Path<String>) -> Result<Response, AppError> {
    request_page(&staff, &id.into(), FormData::default(), FieldErrors::new()).await
}

/// POST /retention/requests/{id}
pub async fn decide(
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let id = ErasureRequestId::from(id);
    match staff
        .store
        .decide_erasure_request(
            &id,
            form.get("decision"),
            form.get("ground"),
            form.get("reason"),
        )
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/retention/requests/{id}")).into_response()),
        Err(StorageError::Invalid(errors)) => request_page(&staff, &id, form, errors).await,
        Err(e) => Err(e.into()),
    }
}
