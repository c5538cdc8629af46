//! Cases for an agency's own case system: its cases (open and paused, or by status), one case
//! with the notes it may read, its readings and rights, and adding notes and outcome readings.
//! Restricted notes are for their author and the agency's managers, so a token reads none.

use crate::access::Api;
use crate::api::referrals::{json_response, parse_json};
use crate::error::ApiError;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use harbour_domain::case::{CaseStatus, ReviewDue};
use harbour_domain::ids::CaseId;
use harbour_domain::validation::FieldErrors;
use harbour_storage::cases::{CaseSummary, CaseView, CaseloadFilter, NoteInput, Whose};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    status: Option<String>,
}

fn summary(c: &CaseSummary) -> Value {
    json!({
        "id": c.id,
        "given_name": c.given_name,
        "service": c.service_name,
        "status": c.status.slug(),
        "opened_at": c.opened_at,
        "caseworker": c.caseworker_name,
        "tier": c.tier.map(|t| t.slug()),
        "risk_level": c.risk_level.map(|r| r.slug()),
        "next_review_on": c.next_review_on,
        "review": c.review.map(|r| match r {
            ReviewDue::Overdue => "overdue",
            ReviewDue::DueSoon => "due_soon",
            ReviewDue::Later => "later",
        }),
        "last_contact_at": c.last_contact_at,
        "last_reviewed_on": c.last_reviewed_on,
        "closed_at": c.closed_at,
        "closure_reason": c.closure_reason.map(|r| r.slug()),
        "cope": c.cope.map(|a| a.slug()),
        "recover": c.recover.map(|a| a.slug()),
        "links": {
            "self": format!("/api/v1/cases/{}", c.id),
            "page": format!("/cases/{}", c.id),
            "onward_referral": c.onward_id.as_ref().map(|o| format!("/api/v1/onward/{o}")),
        },
    })
}

fn view(v: &CaseView) -> Value {
    let mut body = summary(&v.summary);
    body["notes"] = json!(
        v.notes
            .iter()
            .map(|n| json!({
                "id": n.id,
                "kind": n.kind.slug(),
                "body": n.body,
                "restricted": n.restricted,
                "happened_on": n.happened_on,
                "author": n.author_name,
                "agency": n.agency_name,
                "written_at": n.written_at,
                "edited_at": n.edited_at,
            }))
            .collect::<Vec<_>>()
    );
    body["notes_withheld"] = json!(v.notes_withheld);
    body["readings"] = json!(
        v.readings
            .readings
            .iter()
            .map(|r| json!({
                "kind": r.kind.slug(),
                "taken_on": r.taken_on,
                "tool": { "id": r.tool_id, "version": r.tool_version },
                "scores": r.scores,
                "by": r.by,
            }))
            .collect::<Vec<_>>()
    );
    body["outcome_tool"] = json!({
        "id": v.tool_now.id,
        "version": v.tool_now.version,
        "min": v.tool_now.min,
        "max": v.tool_now.max,
        "areas": v.tool_now.areas.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
    });
    body["rights"] = json!(
        v.rights
            .iter()
            .map(|r| json!({
                "number": r.number,
                "right": r.label,
                "latest": r.latest.as_ref().map(|(action, on, by)| json!({
                    "action": action.slug(),
                    "on": on,
                    "by": by,
                })),
            }))
            .collect::<Vec<_>>()
    );
    body["history"] = json!(
        v.events
            .iter()
            .map(|e| json!({ "what": e.what, "detail": e.detail, "by": e.by, "at": e.at }))
            .collect::<Vec<_>>()
    );
    body
}

/// GET /api/v1/cases: the agency's cases, open and paused (or `?status=`), the next review
/// first; up to 200, with how many there are in all.
pub async fn list(
    Api(store): Api,
    super::extract::ApiQuery(q): super::extract::ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => match CaseStatus::from_slug(s) {
            Some(s) => Some(s),
            None => {
                let mut errors = FieldErrors::new();
                errors.add("status", "status must be open, paused or closed");
                return Err(ApiError::InvalidParameters(errors));
            }
        },
    };
    let load = store
        .caseload(&CaseloadFilter {
            whose: Whose::Everyone,
            status,
            ..CaseloadFilter::default()
        })
        .await?;
    let items: Vec<Value> = load.cases.iter().map(summary).collect();
    Ok(json_response(
        StatusCode::OK,
        json!({
            "cases": items,
            "total": load.total,
            "truncated": load.total > i64::try_from(items.len()).unwrap_or(i64::MAX),
        })
        .to_string(),
    ))
}

/// GET /api/v1/cases/{id}
pub async fn show(
    Api(store): Api,
    super::extract::ApiPath(id): super::extract::ApiPath<CaseId>,
) -> Result<Response, ApiError> {
    let v = store.case(&id).await?;
    Ok(json_response(StatusCode::OK, view(&v).to_string()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    kind: String,
    body: String,
    happened_on: String,
    #[serde(default)]
    restricted: bool,
}

/// POST /api/v1/cases/{id}/notes: adds a note. Answers with the case.
pub async fn add_note(
    Api(store): Api,
    super::extract::ApiPath(id): super::extract::ApiPath<CaseId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: NoteBody = parse_json(&headers, &body)?;
    // The API takes a day as the document says, YYYY-MM-DD only.
    if chrono::NaiveDate::parse_from_str(&b.happened_on, "%Y-%m-%d").is_err() {
        let mut errors = FieldErrors::new();
        errors.add("happened_on", "happened_on must be a date, YYYY-MM-DD");
        return Err(ApiError::Invalid(errors));
    }
    store
        .add_case_note(
            &id,
            &NoteInput {
                kind: b.kind,
                body: b.body,
                restricted: b.restricted,
                happened_on: b.happened_on,
            },
        )
        .await?;
    let v = store.case(&id).await?;
    Ok(json_response(StatusCode::CREATED, view(&v).to_string()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingBody {
    kind: String,
    /// Any JSON number: 4.0 is the integer 4, as JSON Schema counts it; one too large for any
    /// scale is kept as written, to be refused as off the scale.
    scores: BTreeMap<String, serde_json::Number>,
}

/// A score as the store reads it: a whole number's digits, or the number as written.
fn score_text(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        _ => n.to_string(),
    }
}

/// POST /api/v1/cases/{id}/readings: an outcome reading with the tool in use, every area
/// scored. Answers with the case.
pub async fn add_reading(
    Api(store): Api,
    super::extract::ApiPath(id): super::extract::ApiPath<CaseId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: ReadingBody = parse_json(&headers, &body)?;
    let scores: BTreeMap<String, String> = b
        .scores
        .into_iter()
        .map(|(area, score)| (area, score_text(&score)))
        .collect();
    // The store names a score's errors as the page's fields (`score/{area}`); the document
    // points into the body's `scores`.
    store
        .record_reading(&id, &b.kind, &scores)
        .await
        .map_err(|e| match e {
            harbour_storage::StorageError::Invalid(errors) => {
                let mut named = FieldErrors::new();
                for err in errors.iter() {
                    let field = match err.field.strip_prefix("score/") {
                        Some(area) => format!("scores/{area}"),
                        None => err.field.clone(),
                    };
                    named.add(&field, err.message.clone());
                }
                ApiError::Invalid(named)
            }
            other => other.into(),
        })?;
    let v = store.case(&id).await?;
    Ok(json_response(StatusCode::CREATED, view(&v).to_string()))
}
