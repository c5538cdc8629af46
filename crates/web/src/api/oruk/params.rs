//! The open API's parameters: read from the query string or a POSTed body, each checked and
//! every problem named against its parameter.

use super::*;

/// The parameters each list endpoint accepts.
pub(super) const SERVICE_PARAMS: &[&str] = &[
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
pub(super) const TAXONOMY_PARAMS: &[&str] = &["page", "per_page"];
pub(super) const TERM_PARAMS: &[&str] = &["page", "per_page", "taxonomy_id"];

/// The request's parameters: the query string, then (for POST) the body's, as a form or a
/// JSON object.
pub(super) fn parameters(
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

pub(super) fn single<'a>(
    pairs: &'a [(String, String)],
    name: &str,
    e: &mut FieldErrors,
) -> Option<&'a str> {
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

pub(super) fn check_known(pairs: &[(String, String)], known: &[&str], e: &mut FieldErrors) {
    for (k, _) in pairs {
        if !known.contains(&k.as_str()) {
            e.add(
                k,
                format!("{k} is not a parameter here; use {}", known.join(", ")),
            );
        }
    }
}

pub(super) fn paging(pairs: &[(String, String)], e: &mut FieldErrors) -> Paging {
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

pub(super) fn uuid_param(
    pairs: &[(String, String)],
    name: &str,
    e: &mut FieldErrors,
) -> Option<String> {
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

pub(super) fn age_param(
    pairs: &[(String, String)],
    name: &str,
    e: &mut FieldErrors,
) -> Option<f64> {
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

pub(super) fn time_param(
    pairs: &[(String, String)],
    name: &str,
    e: &mut FieldErrors,
) -> Option<i64> {
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

pub(super) fn day_param(pairs: &[(String, String)], e: &mut FieldErrors) -> Option<String> {
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

pub(super) fn bool_param(pairs: &[(String, String)], name: &str, e: &mut FieldErrors) -> bool {
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
pub(super) async fn service_query(
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
