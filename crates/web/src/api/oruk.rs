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

/// Where the open API lives.
pub const BASE: &str = "/oruk/v3";

pub const DEFAULT_PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 1000;

/// The parameters each list endpoint accepts.
const SERVICE_PARAMS: &[&str] = &[
    "page",
    "per_page",
    "search",
    "taxonomy_term_id",
    "taxonomy_id",
    "organization_id",
    "minimum_age",
    "maximum_age",
    "day",
    "start_time",
    "end_time",
    "modified_after",
    "postcode",
    "proximity",
    "full",
    "format",
];
const TAXONOMY_PARAMS: &[&str] = &["page", "per_page"];
const TERM_PARAMS: &[&str] = &["page", "per_page", "taxonomy_id"];

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

/// The request's parameters: the query string, then (for POST) the body's, as a form or a
/// JSON object.
fn parameters(
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|_| ApiError::BadRequest("The query string could not be read.".into()))?;
    if body.is_empty() {
        return Ok(pairs);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/json") {
        let value: Value = serde_json::from_slice(body)
            .map_err(|_| ApiError::BadRequest("The body is not valid JSON.".into()))?;
        let Value::Object(map) = value else {
            return Err(ApiError::BadRequest(
                "The body must be a JSON object of parameters.".into(),
            ));
        };
        for (k, v) in map {
            let text = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(ApiError::BadRequest(format!(
                        "The parameter {k} must be a string, number or true/false."
                    )));
                }
            };
            pairs.push((k, text));
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|_| ApiError::BadRequest("The form body could not be read.".into()))?;
        pairs.extend(form);
    } else {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(pairs)
}

fn single<'a>(pairs: &'a [(String, String)], name: &str, e: &mut FieldErrors) -> Option<&'a str> {
    let mut values = pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        e.add(name, format!("Give {name} once"));
    }
    first.map(str::trim).filter(|v| !v.is_empty())
}

fn check_known(pairs: &[(String, String)], known: &[&str], e: &mut FieldErrors) {
    for (k, _) in pairs {
        if !known.contains(&k.as_str()) {
            e.add(
                k,
                format!("{k} is not a parameter here; use {}", known.join(", ")),
            );
        }
    }
}

fn paging(pairs: &[(String, String)], e: &mut FieldErrors) -> Paging {
    let mut number = |name: &str, default: u64, max: u64| match single(pairs, name, e) {
        None => default,
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                e.add(
                    name,
                    format!("{name} must be a whole number from 1 to {max}"),
                );
                default
            }
        },
    };
    Paging {
        page: number("page", 1, 1_000_000),
        per_page: number("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE),
    }
}

fn uuid_param(pairs: &[(String, String)], name: &str, e: &mut FieldErrors) -> Option<String> {
    let v = single(pairs, name, e)?;
    // Only the hyphenated form the document states, not the other forms the uuid crate reads.
    match uuid::Uuid::try_parse(v) {
        Ok(u) if v.len() == 36 => Some(u.to_string()),
        _ => {
            e.add(name, format!("{name} must be a UUID"));
            None
        }
    }
}

fn age_param(pairs: &[(String, String)], name: &str, e: &mut FieldErrors) -> Option<f64> {
    let v = single(pairs, name, e)?;
    match v.parse::<f64>() {
        Ok(n) if (0.0..=150.0).contains(&n) => Some(n),
        _ => {
            e.add(
                name,
                format!("{name} must be a number of years from 0 to 150"),
            );
            None
        }
    }
}

fn time_param(pairs: &[(String, String)], name: &str, e: &mut FieldErrors) -> Option<i64> {
    let v = single(pairs, name, e)?;
    let ok = v.len() >= 5 && v.as_bytes()[2] == b':';
    match ok
        .then(|| harbour_storage::directory::import::minutes(v))
        .flatten()
    {
        Some(m) => Some(m),
        None => {
            e.add(
                name,
                format!("{name} must be a time of day as HH:MM, like 09:30"),
            );
            None
        }
    }
}

fn day_param(pairs: &[(String, String)], e: &mut FieldErrors) -> Option<String> {
    let v = single(pairs, "day", e)?;
    const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
    match DAYS.iter().find(|code| **code == v) {
        Some(code) => Some((*code).to_owned()),
        None => {
            e.add(
                "day",
                "day must be a day of the week: MO, TU, WE, TH, FR, SA or SU",
            );
            None
        }
    }
}

fn bool_param(pairs: &[(String, String)], name: &str, e: &mut FieldErrors) -> bool {
    match single(pairs, name, e) {
        None => false,
        Some("true") | Some("1") => true,
        Some("false") | Some("0") => false,
        Some(_) => {
            e.add(name, format!("{name} must be true or false"));
            false
        }
    }
}

/// The filters of a service search, checked; every problem is reported against its parameter.
async fn service_query(
    state: &AppState,
    pairs: &[(String, String)],
) -> Result<(Query, Paging, bool, bool), ApiError> {
    let mut e = FieldErrors::new();
    check_known(pairs, SERVICE_PARAMS, &mut e);
    let paging = paging(pairs, &mut e);
    let search = single(pairs, "search", &mut e).map(str::to_owned);
    if search.as_ref().is_some_and(|s| s.chars().count() > 200) {
        e.add("search", "search must be 200 characters or fewer");
    }
    let mut q = Query {
        search,
        taxonomy_term_ids: uuid_param(pairs, "taxonomy_term_id", &mut e)
            .into_iter()
            .collect(),
        taxonomy_id: uuid_param(pairs, "taxonomy_id", &mut e),
        organization_id: uuid_param(pairs, "organization_id", &mut e),
        minimum_age: age_param(pairs, "minimum_age", &mut e),
        maximum_age: age_param(pairs, "maximum_age", &mut e),
        day: day_param(pairs, &mut e),
        start_minute: time_param(pairs, "start_time", &mut e),
        end_minute: time_param(pairs, "end_time", &mut e),
        ..Query::default()
    };
    if let Some(m) = single(pairs, "modified_after", &mut e) {
        let parsed = chrono::DateTime::parse_from_rfc3339(m)
            .map(|d| d.with_timezone(&chrono::Utc))
            .ok()
            .or_else(|| {
                chrono::NaiveDate::parse_from_str(m, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc())
            });
        match parsed {
            Some(d) => q.modified_after = Some(harbour_storage::db::format_time(d)),
            None => e.add("modified_after", "modified_after must be a date (2026-01-31) or a date and time (2026-01-31T09:00:00Z)"),
        }
    }
    let full = bool_param(pairs, "full", &mut e);
    let ndjson = match single(pairs, "format", &mut e) {
        None | Some("json") => false,
        Some("ndjson") => true,
        Some(_) => {
            e.add("format", "format must be json or ndjson");
            false
        }
    };
    let proximity = match single(pairs, "proximity", &mut e) {
        None => None,
        Some(v) => match v.parse::<f64>() {
            Ok(m) if m > 0.0 && m <= 1_000_000.0 => Some(m),
            _ => {
                e.add(
                    "proximity",
                    "proximity must be a distance in metres, more than 0 and at most 1000000",
                );
                None
            }
        },
    };
    let postcode = match single(pairs, "postcode", &mut e) {
        None => None,
        Some(v) => match Postcode::parse(v) {
            Some(p) => Some(p),
            None => {
                e.add("postcode", "postcode must be a UK postcode, like ST16 2DH");
                None
            }
        },
    };
    if proximity.is_some() && postcode.is_none() && e.get("postcode").is_none() {
        e.add("proximity", "proximity needs a postcode to measure from");
    }
    if let Some(p) = postcode {
        match postcodes::whereabouts(&state.db, &p).await? {
            Some(w) => {
                q.near = w.point.map(|point| Near {
                    point,
                    areas: w.areas,
                    proximity_m: proximity,
                });
            }
            None => e.add(
                "postcode",
                "postcode is not one this directory knows; check it, or search without it",
            ),
        }
    }
    if !e.is_empty() {
        return Err(ApiError::InvalidParameters(e));
    }
    Ok((q, paging, full, ndjson))
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
