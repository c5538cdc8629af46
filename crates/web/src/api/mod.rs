//! The JSON API under `/api/v1`, for agencies' own systems. Authenticated by bearer token;
//! errors are `application/problem+json`; described by the OpenAPI document it serves.

pub mod cases;
pub mod extract;
pub mod onward;
pub mod oruk;
pub mod referrals;
pub mod statistics;

use crate::access::Api;
use crate::error::ApiError;
use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use harbour_domain::agency::AgencyKind;
use harbour_domain::area::is_gss_code;
use harbour_domain::validation::FieldErrors;
use serde_json::{Value, json};

/// The OpenAPI document, kept beside the code and checked against the route table by tests.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The OpenAPI document as this deployment serves it: the areas a referral may name are the
/// ones this partnership holds, listed so that a client (and a schema-driven test) knows them.
pub async fn openapi(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
) -> Result<Response, ApiError> {
    let areas = harbour_storage::areas::area_codes(&state.db).await?;
    let doc = with_known_areas(OPENAPI, &areas);
    let mut r = doc.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(r)
}

/// `doc` with each area field of a referral limited to `areas` (or empty, for not given).
pub fn with_known_areas(doc: &str, areas: &[String]) -> String {
    let mut doc: Value = serde_json::from_str(doc).expect("the OpenAPI document is JSON");
    let mut allowed = vec![Value::from("")];
    allowed.extend(areas.iter().map(|a| Value::from(a.as_str())));
    for (schema, field) in [("ReferralInput", "incident_area"), ("PersonInput", "area")] {
        let property = &mut doc["components"]["schemas"][schema]["properties"][field];
        property["enum"] = Value::Array(allowed.clone());
        if let Some(p) = property.as_object_mut() {
            p.remove("pattern");
        }
    }
    doc.to_string()
}

/// Who the token belongs to: lets an integrator check their set-up.
pub async fn whoami(Api(store): Api) -> Result<Json<Value>, ApiError> {
    let agency = store.get_agency(&store.actor().agency_id).await?;
    Ok(Json(json!({
        "agency": { "id": agency.id, "name": agency.name, "kind": agency.kind },
    })))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct AgencyFilter {
    kind: Option<String>,
    area: Option<String>,
}

/// Agencies, optionally of one kind and serving one area.
pub async fn agencies(
    Api(store): Api,
    extract::ApiQuery(filter): extract::ApiQuery<AgencyFilter>,
) -> Result<Json<Value>, ApiError> {
    let mut errors = FieldErrors::new();
    let kind = match filter.kind.as_deref() {
        None => None,
        Some(k) => {
            let kind = AgencyKind::from_slug(k);
            if kind.is_none() {
                let kinds: Vec<_> = AgencyKind::ALL.iter().map(|k| k.slug()).collect();
                errors.add("kind", format!("kind must be one of {}", kinds.join(", ")));
            }
            kind
        }
    };
    if let Some(area) = filter.area.as_deref()
        && !is_gss_code(area)
    {
        errors.add("area", "area must be a GSS code such as E07000197");
    }
    if !errors.is_empty() {
        return Err(ApiError::InvalidParameters(errors));
    }
    let agencies: Vec<_> = store
        .list_agencies()
        .await?
        .into_iter()
        .filter(|a| kind.is_none_or(|k| a.kind == k))
        .filter(|a| {
            filter
                .area
                .as_ref()
                .is_none_or(|area| a.areas.contains(area))
        })
        .collect();
    Ok(Json(json!({ "agencies": agencies })))
}

/// Unknown paths under the API answer in the API's own error format.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_document_lists_the_areas_a_referral_may_name() {
        let doc: Value =
            serde_json::from_str(&with_known_areas(OPENAPI, &["E07000197".into()])).unwrap();
        let schemas = &doc["components"]["schemas"];
        for area in [
            &schemas["ReferralInput"]["properties"]["incident_area"],
            &schemas["PersonInput"]["properties"]["area"],
        ] {
            assert_eq!(area["enum"], json!(["", "E07000197"]));
            assert!(area.get("pattern").is_none());
        }
    }
}
