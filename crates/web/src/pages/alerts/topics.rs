//! The administrator's topics for community alerts: what subscribers choose from and alerts are
//! about. Topics are data: added here, retired when no longer wanted.

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
use harbour_domain::alerts::subscription::BusinessSector;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::alerts::topics::TopicEntry;

#[derive(Template)]
#[template(path = "alert_topics.html")]
struct TopicsPage {
    chrome: Chrome,
    topics: Vec<TopicEntry>,
    sectors: Vec<(String, String)>,
    form: FormData,
    errors: FieldErrors,
}

impl TopicsPage {
    fn v(&self, name: &str) -> String {
        self.form.get(name).to_owned()
    }
}

async fn page(staff: &Staff, form: FormData, errors: FieldErrors) -> Result<Response, AppError> {
    let mut sectors = vec![(String::new(), "None: for everyone".to_owned())];
    sectors.extend(choices(
        BusinessSector::ALL,
        BusinessSector::slug,
        BusinessSector::label,
    ));
    let p = TopicsPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/admin/alert-topics"),
        topics: staff.store.all_alert_topics().await?,
        sectors,
        form,
        errors,
    };
    Ok(if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    })
}

/// GET /admin/alert-topics
pub async fn show(staff: Staff) -> Result<Response, AppError> {
    page(&staff, FormData::default(), FieldErrors::new()).await
}

/// POST /admin/alert-topics
pub async fn add(staff: Staff, CsrfForm(form): CsrfForm) -> Result<Response, AppError> {
    match staff
        .store
        .add_alert_topic(form.get("name"), form.get("hint"), form.get("sector"))
        .await
    {
        Ok(()) => Ok(Redirect::to("/admin/alert-topics").into_response()),
        Err(StorageError::Invalid(errors)) => page(&staff, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// POST /admin/alert-topics/{id}
pub async fn offer(
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    staff
        .store
        .offer_alert_topic(&id, form.get("offered") == "yes")
        .await?;
    Ok(Redirect::to("/admin/alert-topics").into_response())
}
