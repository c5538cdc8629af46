//! Uploading a bulk file of referrals.

use crate::access::Staff;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::Multipart;
use axum::extract::multipart::MultipartRejection;
use axum::response::Response;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::bulk::{ImportReport, LineOutcome, import_referrals};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Files above this are refused; a nightly export is far smaller.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    chrome: Chrome,
    report: Option<ImportReport>,
    errors: FieldErrors,
}

impl ImportPage {
    fn describe(&self, o: &LineOutcome) -> String {
        match o {
            LineOutcome::Created { reference } => format!("Created {reference}"),
            LineOutcome::AlreadyImported { reference } => {
                format!("Already imported as {reference}")
            }
            LineOutcome::Rejected { reason } => reason.clone(),
        }
    }
    fn rejected(&self, o: &LineOutcome) -> bool {
        matches!(o, LineOutcome::Rejected { .. })
    }
}

pub async fn show(staff: Staff) -> Response {
    render(&ImportPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/import"),
        report: None,
        errors: FieldErrors::new(),
    })
}

pub async fn upload(
    staff: Staff,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    // Only the page's own form posts multipart here; anything else did not come from it.
    let mut multipart = multipart.map_err(|_| AppError::CsrfRejected)?;
    let mut token = String::new();
    let mut file: Option<Vec<u8>> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| AppError::BadRequest("The upload could not be read. Try again.".into()))?
    {
        match field.name() {
            Some("csrf_token") => token = field.text().await.unwrap_or_default(),
            Some("file") => {
                file = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|_| {
                            AppError::BadRequest(
                                "The file could not be read, or is over 20 MB.".into(),
                            )
                        })?
                        .to_vec(),
                );
            }
            _ => {}
        }
    }
    let expected = staff.signed_in.session.csrf_token.as_bytes();
    if token.is_empty() || !bool::from(expected.ct_eq(token.as_bytes())) {
        return Err(AppError::CsrfRejected);
    }
    let chrome = Chrome::for_signed_in(&staff.signed_in).current("/referrals/import");
    let mut errors = FieldErrors::new();
    let text = match file {
        Some(bytes) if !bytes.is_empty() => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                errors.add("file", "The file must be a CSV file saved as UTF-8");
                String::new()
            }
        },
        _ => {
            errors.add("file", "Select a CSV file");
            String::new()
        }
    };
    if !errors.is_empty() {
        return Ok(render_invalid(&ImportPage {
            chrome,
            report: None,
            errors,
        }));
    }
    match import_referrals(Arc::new(staff.store), &text).await {
        Ok(report) => Ok(render(&ImportPage {
            chrome,
            report: Some(report),
            errors,
        })),
        Err(StorageError::Invalid(e)) => {
            for x in e.iter() {
                errors.add("file", x.message.clone());
            }
            Ok(render_invalid(&ImportPage {
                chrome,
                report: None,
                errors,
            }))
        }
        Err(e) => Err(e.into()),
    }
}
