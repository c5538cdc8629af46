//! The JSON API under `/api/v1`, for agencies' own systems. Authenticated by bearer token;
//! errors are `application/problem+json`; described by the OpenAPI document it serves.

use crate::access::Api;
use crate::error::ApiError;
use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The OpenAPI document, kept beside the code and checked against the route table by tests.
pub const OPENAPI: &str = include_str!("openapi.json");

pub async fn openapi() -> Response {
    let mut r = OPENAPI.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Who the token belongs to: lets an integrator check their set-up.
pub async fn whoami(Api(store): Api) -> Result<Json<Value>, ApiError> {
    let agency = store.get_agency(&store.actor().agency_id).await?;
    Ok(Json(json!({
        "agency": { "id": agency.id, "name": agency.name, "kind": agency.kind },
    })))
}

pub async fn agencies(Api(store): Api) -> Result<Json<Value>, ApiError> {
    let agencies = store.list_agencies().await?;
    Ok(Json(json!({ "agencies": agencies })))
}

/// Unknown paths under the API answer in the API's own error format.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}
