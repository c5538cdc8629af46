//! The open directory API: the nine Open Referral UK 3.0 endpoints under `/oruk/v3`.
//!
//! Open to anyone, without a key, and every response carries `Access-Control-Allow-Origin: *`.
//! Lists are paged as the standard's `Page` object; filters are ANDed; confidential rows are
//! never here (a withheld location says so). Searches can also be POSTed, as a form or JSON,
//! so that postcodes stay out of addresses and logs. Throttled per client address.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use harbour_domain::postcode::Postcode;
use harbour_domain::validation::FieldErrors;
use harbour_storage::directory::oruk::{Page, Service};
use harbour_storage::directory::search::{self, Near, Paging, Query};
use harbour_storage::directory::{View, read};
use harbour_storage::postcodes;
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

mod params;

use params::*;

/// Where the open API lives.
pub const BASE: &str = "/oruk/v3";

pub const DEFAULT_PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 1000;

fn client(ext: &axum::http::Extensions) -> IpAddr {
    ext.get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// Throttles by client address before any work is done.
fn throttle(state: &AppState, ext: &axum::http::Extensions) -> Result<(), ApiError> {
    if state.open_data_limiter.check_key(&client(ext)).is_err() {
        return Err(ApiError::TooManyRequests);
    }
    Ok(())
}
/// A JSON response with the open API's headers.
fn open_json(value: &impl serde::Serialize) -> Response {
    let mut r = Json(value).into_response();
    allow_any_origin(&mut r);
    r
}

fn allow_any_origin(r: &mut Response) {
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// Errors from the open API carry the same header, so browsers can read them.
pub struct OpenError(ApiError);

impl From<ApiError> for OpenError {
    fn from(e: ApiError) -> Self {
        OpenError(e)
    }
}

impl From<harbour_storage::StorageError> for OpenError {
    fn from(e: harbour_storage::StorageError) -> Self {
        OpenError(ApiError::from(e))
    }
}

impl IntoResponse for OpenError {
    fn into_response(self) -> Response {
        let mut r = self.0.into_response();
        allow_any_origin(&mut r);
        r
    }
}

type Open = Result<Response, OpenError>;

fn page<T: serde::Serialize>(contents: Vec<T>, total: u64, paging: Paging) -> Response {
    open_json(&Page::new(contents, total, paging.page, paging.per_page))
}

fn ndjson<T: serde::Serialize>(items: &[T]) -> Response {
    let mut body = String::new();
    for item in items {
        body.push_str(&serde_json::to_string(item).unwrap_or_default());
        body.push('\n');
    }
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    allow_any_origin(&mut r);
    r
}

/// `GET /`: which standard this API follows.
pub async fn root(State(state): State<AppState>, ext: axum::http::Extensions) -> Open {
    throttle(&state, &ext)?;
    let base = format!("{}{BASE}", state.config.public_url);
    Ok(open_json(&json!({
        "version": "HSDS-UK-3.0",
        "profile": "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md",
        "openapi_url": format!("{base}/openapi.json"),
    })))
}

/// The standard's OpenAPI description of these endpoints, with this server's address.
pub async fn openapi(State(state): State<AppState>, ext: axum::http::Extensions) -> Open {
    throttle(&state, &ext)?;
    let mut doc: Value = serde_json::from_str(ORUK_OPENAPI).map_err(|_| ApiError::Internal)?;
    doc["servers"] = json!([{ "url": format!("{}{BASE}", state.config.public_url) }]);
    Ok(open_json(&doc))
}

/// The Open Referral UK 3.0 OpenAPI document (CC BY-SA 4.0, OpenReferralUK/uk-profile).
pub const ORUK_OPENAPI: &str = include_str!("oruk-openapi.json");

async fn list_services(state: &AppState, pairs: Vec<(String, String)>) -> Open {
    let (q, paging, full, as_ndjson) = service_query(state, &pairs).await?;
    if as_ndjson {
        let ids = search::all_services(&state.db, &q).await?;
        let items = if full {
            read::services_full(&state.db, &ids, View::Public).await?
        } else {
            read::service_items(&state.db, &ids).await?
        };
        return Ok(ndjson(&items));
    }
    let (ids, total) = search::services(&state.db, &q, paging).await?;
    let items: Vec<Service> = if full {
        read::services_full(&state.db, &ids, View::Public).await?
    } else {
        read::service_items(&state.db, &ids).await?
    };
    Ok(page(items, total, paging))
}

pub async fn services(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    ext: axum::http::Extensions,
) -> Open {
    throttle(&state, &ext)?;
    let pairs = parameters(query.as_deref(), &HeaderMap::new(), &[])?;
    list_services(&state, pairs).await
}

/// `POST /services`: the same search, its parameters in the body.
pub async fn search_services(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    ext: axum::http::Extensions,
    body: Bytes,
) -> Open {
    throttle(&state, &ext)?;
    let pairs = parameters(query.as_deref(), &headers, &body)?;
    list_services(&state, pairs).await
}

fn no_parameters(query: Option<&str>) -> Result<(), ApiError> {
    match query {
        Some(q) if !q.is_empty() => Err(ApiError::BadRequest(
            "This endpoint takes no parameters.".into(),
        )),
        _ => Ok(()),
    }
}

fn valid_id(id: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| ApiError::BadRequest("The id in the address must be a UUID.".into()))
}

pub async fn service(
    State(state): State<AppState>,
    super::extract::OpenPath(id): super::extract::OpenPath<String>,
    RawQuery(query): RawQuery,
    ext: axum::http::Extensions,
) -> Open {
    throttle(&state, &ext)?;
    no_parameters(query.as_deref())?;
    let id = valid_id(&id)?;
    let mut found = read::services_full(&state.db, &[id], View::Public).await?;
    match found.pop() {
        Some(s) => Ok(open_json(&s)),
        None => Err(ApiError::NotFound.into()),
    }
}

async fn list_service_at_locations(state: &AppState, pairs: Vec<(String, String)>) -> Open {
    let (q, paging, full, as_ndjson) = service_query(state, &pairs).await?;
    let paging_all = Paging {
        page: 1,
        per_page: u64::MAX / 4,
    };
    let (ids, total) =
        search::service_at_locations(&state.db, &q, if as_ndjson { paging_all } else { paging })
            .await?;
    let items = if full {
        let mut out = Vec::new();
        for id in &ids {
            if let Some(sal) = read::service_at_location_full(&state.db, id, View::Public).await? {
                out.push(sal);
            }
        }
        out
    } else {
        read::service_at_location_items(&state.db, &ids, View::Public).await?
    };
    if as_ndjson {
        return Ok(ndjson(&items));
    }
    Ok(page(items, total, paging))
}

pub async fn service_at_locations(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    ext: axum::http::Extensions,
) -> Open {
    throttle(&state, &ext)?;
    let pairs = parameters(query.as_deref(), &HeaderMap::new(), &[])?;
    list_service_at_locations(&state, pairs).await
}

pub async fn search_service_at_locations(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    ext: axum::http::Extensions,
    body: Bytes,
) -> Open {
    throttle(&state, &ext)?;
    let pairs = parameters(query.as_deref(), &headers, &body)?;
    list_service_at_locations(&state, pairs).await
}

pub async fn service_at_location(
    State(state): State<AppState>,
    super::extract::OpenPath(id): super::extract::OpenPath<String>,
    RawQuery(query): RawQuery,
    ext: axum::http::Extensions,
) -> Open {
    throttle(&state, &ext)?;
    no_parameters(query.as_deref())?;
    let id = valid_id(&id)?;
    match read::service_at_location_full(&state.db, &id, View::Public).await? {
        Some(s) => Ok(open_json(&s)),
        None => Err(ApiError::NotFound.into()),
    }
}

fn simple_paging(
    query: Option<&str>,
    known: &[&str],
) -> Result<(Vec<(String, String)>, Paging), ApiError> {
    let pairs = parameters(query, &HeaderMap::new(), &[])?;
    let mut e = FieldErrors::new();
    check_known(&pairs, known, &mut e);
    let p = paging(&pairs, &mut e);
    if !e.is_empty() {
        return Err(ApiError::InvalidParameters(e));
    }
    Ok((pairs, p))
}

pub async fn taxonomies(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    ext: axum::http::Extensions,
) -> Open {
    throttle(&state, &ext)?;
    let (_, paging) = simple_paging(query.as_deref(), TAXONOMY_PARAMS)?;
    let (items, total) = search::taxonomies(&state.db, paging).await?;
    Ok(page(items, total, paging))
}

pub async fn taxonomy(
    State(state): State<AppState>,
    super::extract::OpenPath(id): super::extract::OpenPath<String>,
    RawQuery(query): RawQuery,
    ext: axum::http::Extensions,
) -> Open {
    throttle(&state, &ext)?;
    no_parameters(query.as_deref())?;
    let id = valid_id(&id)?;
    match read::taxonomy(&state.db, &id).await? {
        Some(t) => Ok(open_json(&t)),
        None => Err(ApiError::NotFound.into()),
    }
}

pub async fn taxonomy_terms(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    ext: axum::http::Extensions,
) -> Open {
    throttle(&state, &ext)?;
    let (pairs, paging) = simple_paging(query.as_deref(), TERM_PARAMS)?;
    let mut e = FieldErrors::new();
    let taxonomy_id = uuid_param(&pairs, "taxonomy_id", &mut e);
    if !e.is_empty() {
        return Err(ApiError::InvalidParameters(e).into());
    }
    let (items, total) = search::taxonomy_terms(&state.db, taxonomy_id.as_deref(), paging).await?;
    Ok(page(items, total, paging))
}

pub async fn taxonomy_term(
    State(state): State<AppState>,
    super::extract::OpenPath(id): super::extract::OpenPath<String>,
    RawQuery(query): RawQuery,
    ext: axum::http::Extensions,
) -> Open {
    throttle(&state, &ext)?;
    no_parameters(query.as_deref())?;
    let id = valid_id(&id)?;
    match read::taxonomy_term(&state.db, &id).await? {
        Some(t) => Ok(open_json(&t)),
        None => Err(ApiError::NotFound.into()),
    }
}

/// The answer to a cross-origin preflight: any origin may GET or POST, with a JSON body.
pub fn preflight() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    r
}

/// Anything else under the base path: a 404 in the API's own format, readable cross-origin.
pub async fn not_found() -> OpenError {
    OpenError(ApiError::NotFound)
}
