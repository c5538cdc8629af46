//! Subject access: the officer's list of requests (open first, by the day each must be
//! answered) with the form to record one; a request's page with everything gathered, the flagged
//! items to redact or release, the deadline and its extension, and the export: a ZIP holding a
//! cover letter, the records as a document that prints well, and the same as JSON. The export's
//! download link expires.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::alerts::choices;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::erasure_request::Received;
use harbour_domain::ids::SubjectAccessId;
use harbour_domain::subject_access::{Choice, SarStatus, shown};
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::subject_access::{LINK_DAYS, Sar, SarView, field_of};
use std::io::Write;

fn day(d: chrono::NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn today() -> chrono::NaiveDate {
    harbour_domain::calendar::uk_date(chrono::Utc::now())
}

#[derive(Template)]
#[template(path = "sar_list.html")]
struct ListPage {
    chrome: Chrome,
    requests: Vec<Sar>,
    received: Vec<(String, String)>,
    form: FormData,
    errors: FieldErrors,
}

impl ListPage {
    fn v(&self, name: &str) -> String {
        self.form.get(name).to_owned()
    }
    fn day(&self, d: &chrono::NaiveDate) -> String {
        day(*d)
    }
    fn late(&self, r: &Sar) -> bool {
        r.status == SarStatus::Open && r.respond_by < today()
    }
}

async fn list_page(
    staff: &Staff,
    form: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let p = ListPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/subject-access"),
        requests: staff.store.subject_access_requests().await?,
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

/// GET /subject-access
pub async fn list(staff: Staff) -> Result<Response, AppError> {
    list_page(&staff, FormData::default(), FieldErrors::new()).await
}

/// POST /subject-access
pub async fn record(staff: Staff, CsrfForm(form): CsrfForm) -> Result<Response, AppError> {
    match staff
        .store
        .record_subject_access(
            form.get("reference"),
            form.get("received"),
            form.get("received_on"),
            form.get("asked"),
        )
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/subject-access/{id}")).into_response()),
        Err(StorageError::Invalid(errors)) => list_page(&staff, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "sar.html")]
struct SarPage {
    chrome: Chrome,
    view: SarView,
    choices: Vec<(String, String)>,
    /// The download link, shown once, just after the export is made.
    link: Option<String>,
    form: FormData,
    errors: FieldErrors,
}

impl SarPage {
    fn day(&self, d: &chrono::NaiveDate) -> String {
        day(*d)
    }
    fn late(&self) -> bool {
        self.view.sar.status == SarStatus::Open && self.view.sar.respond_by < today()
    }
    fn field(&self, key: &str) -> String {
        field_of(key)
    }
    /// What the form shows for an item's choice: as typed, else as decided.
    fn choice(&self, key: &str) -> String {
        let typed = self.form.get(&format!("choice_{}", field_of(key)));
        if !typed.is_empty() {
            return typed.to_owned();
        }
        self.view
            .decisions
            .get(key)
            .map(|d| d.choice.slug().to_owned())
            .unwrap_or_default()
    }
    fn reason(&self, key: &str) -> String {
        let typed = self.form.get(&format!("reason_{}", field_of(key)));
        if !typed.is_empty() {
            return typed.to_owned();
        }
        self.view
            .decisions
            .get(key)
            .map(|d| d.reason.clone())
            .unwrap_or_default()
    }
    fn open(&self) -> bool {
        self.view.sar.status == SarStatus::Open
    }
}

async fn sar_page(
    staff: &Staff,
    id: &SubjectAccessId,
    link: Option<String>,
    form: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let p = SarPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/subject-access"),
        view: staff.store.subject_access(id).await?,
        choices: choices(Choice::ALL, Choice::slug, Choice::label),
        link,
        form,
        errors,
    };
    Ok(if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    })
}

/// GET /subject-access/{id}
pub async fn show(staff: Staff, Path(id): Path<String>) -> Result<Response, AppError> {
    sar_page(
        &staff,
        &id.into(),
        None,
        FormData::default(),
        FieldErrors::new(),
    )
    .await
}

/// POST /subject-access/{id}: the decisions on flagged items.
pub async fn decide(
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let id = SubjectAccessId::from(id);
    let typed = |name: &str| form.get(name).to_owned();
    match staff.store.decide_redactions(&id, &typed).await {
        Ok(_) => Ok(Redirect::to(&format!("/subject-access/{id}#flagged")).into_response()),
        Err(StorageError::Invalid(errors)) => sar_page(&staff, &id, None, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// POST /subject-access/{id}/extend
pub async fn extend(
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let id = SubjectAccessId::from(id);
    match staff
        .store
        .extend_subject_access(&id, form.get("extend_reason"))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/subject-access/{id}")).into_response()),
        Err(StorageError::Invalid(errors)) => sar_page(&staff, &id, None, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// POST /subject-access/{id}/export: makes the export and shows its link, once.
pub async fn export(
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let id = SubjectAccessId::from(id);
    match staff.store.make_subject_access_export(&id).await {
        Ok(secret) => {
            let link = format!("/subject-access/{id}/export/{secret}");
            sar_page(
                &staff,
                &id,
                Some(link),
                FormData::default(),
                FieldErrors::new(),
            )
            .await
        }
        Err(StorageError::Invalid(errors)) => sar_page(&staff, &id, None, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "sar_records.html")]
struct RecordsDoc<'a> {
    view: &'a SarView,
    made_on: String,
}

impl RecordsDoc<'_> {
    fn text(&self, item: &harbour_domain::subject_access::Item) -> String {
        shown(item, self.view.decisions.get(&item.key))
    }
}

#[derive(Template)]
#[template(path = "sar_cover.html")]
struct CoverLetter<'a> {
    view: &'a SarView,
    made_on: String,
    received_on: String,
    redacted: usize,
}

#[derive(serde::Serialize)]
struct JsonItem {
    label: String,
    text: String,
}

#[derive(serde::Serialize)]
struct JsonSection {
    title: String,
    items: Vec<JsonItem>,
}

#[derive(serde::Serialize)]
struct JsonExport<'a> {
    name: &'a str,
    request_received_on: String,
    made_on: String,
    sections: Vec<JsonSection>,
}

/// The ZIP: the cover letter, the records as a document, and as JSON, redacted as decided.
fn zip_of(view: &SarView) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
    let made_on = day(today());
    let redacted = view
        .flagged()
        .iter()
        .filter(|(_, d)| d.is_none_or(|d| d.choice == Choice::Redact))
        .count();
    let cover = CoverLetter {
        view,
        made_on: made_on.clone(),
        received_on: day(view.sar.received_on),
        redacted,
    }
    .render()?;
    let records = RecordsDoc {
        view,
        made_on: made_on.clone(),
    }
    .render()?;
    let json = JsonExport {
        name: &view.sar.person_name,
        request_received_on: view.sar.received_on.to_string(),
        made_on: today().to_string(),
        sections: view
            .sections
            .iter()
            .map(|s| JsonSection {
                title: s.title.clone(),
                items: s
                    .items
                    .iter()
                    .map(|i| JsonItem {
                        label: i.label.clone(),
                        text: shown(i, view.decisions.get(&i.key)),
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in [
        ("cover-letter.html", cover.into_bytes()),
        ("your-records.html", records.into_bytes()),
        ("your-records.json", serde_json::to_vec_pretty(&json)?),
    ] {
        zip.start_file(name, options)?;
        zip.write_all(&body)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// GET /subject-access/{id}/export/{secret}: the ZIP, while the link lasts.
pub async fn download(
    staff: Staff,
    Path((id, secret)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = SubjectAccessId::from(id);
    let view = staff
        .store
        .subject_access_export(&id, &secret, chrono::Utc::now())
        .await?;
    let body = zip_of(&view).map_err(|e| {
        tracing::error!(error = %e, "a subject access export could not be written");
        AppError::Internal
    })?;
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"subject-access.zip\""),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// How long the link lasts, in words.
pub fn link_days() -> i64 {
    LINK_DAYS
}
