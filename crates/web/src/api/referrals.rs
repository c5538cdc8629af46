//! `POST /api/v1/referrals` and reading back what became of them.

use crate::access::Api;
use crate::error::{ApiError, problem};
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use harbour_domain::referral::ReferralInput;
use harbour_domain::validation::FieldErrors;
use harbour_storage::intake::{Receipt, Submitted};
use harbour_storage::referrals::ReferralStatus;
use serde_json::json;

const MAX_KEY_LEN: usize = 200;

/// Reads a JSON body into `T`, naming the field that is wrong (as a JSON Pointer) when it is.
pub fn parse_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(format!("The body is not valid JSON for this request: {e}"))
    })?;
    compose_strings(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            ApiError::BadRequest(format!(
                "The body is not valid JSON for this request: {inner}"
            ))
        } else {
            let mut errors = FieldErrors::new();
            let field = path
                .trim_start_matches('.')
                .replace(['.', '['], "/")
                .replace(']', "");
            errors.add(&field, inner.to_string());
            ApiError::Invalid(errors)
        }
    })
}

/// Every string in a JSON body in Unicode's composed form, as forms and bulk files are.
fn compose_strings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => *s = harbour_domain::validation::composed(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(compose_strings),
        serde_json::Value::Object(map) => map.values_mut().for_each(compose_strings),
        _ => {}
    }
}

fn receipt_body(r: &Receipt) -> String {
    json!({
        "id": r.id,
        "reference": r.reference,
        "status": r.status,
        "received_at": r.received_at,
        "due_on": r.due_on,
        "links": { "self": format!("/api/v1/referrals/{}", r.id) },
    })
    .to_string()
}

pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub async fn submit(
    Api(store): Api,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let key = v.to_str().ok().map(str::trim).unwrap_or_default();
            if key.is_empty()
                || key.len() > MAX_KEY_LEN
                || !key.chars().all(|c| c.is_ascii_graphic())
            {
                let mut e = FieldErrors::new();
                e.add("Idempotency-Key", "The Idempotency-Key header must be 1 to 200 visible ASCII characters, such as a UUID");
                return Err(ApiError::InvalidParameters(e));
            }
            Some(key.to_owned())
        }
    };
    let input: ReferralInput = parse_json(&headers, &body)?;
    match store.submit_referral(&input, key.as_deref(), "API").await? {
        Submitted::Created(receipt) => {
            let mut r = json_response(StatusCode::CREATED, receipt_body(&receipt));
            if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/referrals/{}", receipt.id)) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            Ok(r)
        }
        Submitted::Replayed(receipt) | Submitted::AlreadyImported(receipt) => {
            let mut r = json_response(StatusCode::OK, receipt_body(&receipt));
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(r)
        }
        Submitted::KeyReused => Ok(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Idempotency key reused",
            "This Idempotency-Key was already used for a different request. Use a new key for a new referral.",
            json!({}),
        )),
    }
}

fn status_body(s: &ReferralStatus) -> serde_json::Value {
    json!({
        "id": s.id,
        "reference": s.reference,
        "status": s.status,
        "received_at": s.received_at,
        "crime_category": s.crime_category,
    })
}

pub async fn status(
    Api(store): Api,
    super::extract::ApiPath(id): super::extract::ApiPath<harbour_domain::ids::ReferralId>,
) -> Result<Response, ApiError> {
    let s = store.own_referral(&id).await?;
    Ok(json_response(StatusCode::OK, status_body(&s).to_string()))
}

pub async fn list(Api(store): Api) -> Result<Response, ApiError> {
    let list: Vec<_> = store
        .own_referrals(100)
        .await?
        .iter()
        .map(status_body)
        .collect();
    Ok(json_response(
        StatusCode::OK,
        json!({ "referrals": list }).to_string(),
    ))
}
