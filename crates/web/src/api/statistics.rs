//! The statistics API for the partnership's analysts' own tools: the report pack's tables as
//! JSON, with exactly the suppression the pages and exports apply. Aggregate figures only.

use crate::access::Api;
use crate::api::extract::{ApiPath, ApiQuery};
use crate::api::referrals::json_response;
use crate::error::ApiError;
use crate::pages::reports::pack::Section;
use crate::pages::reports::{ReportQuery, build, describe, method_notes, months::chart_spec};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use harbour_domain::stats::period::Period;
use harbour_domain::validation::FieldErrors;
use harbour_storage::areas::list_areas;
use serde::Deserialize;
use serde_json::{Value, json};

/// The query the API takes: the page's, every parameter optional, nothing else.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsQuery {
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    compare: Option<String>,
    area: Option<String>,
    source: Option<String>,
    crime: Option<String>,
    confidence: Option<String>,
}

fn period(p: Period) -> Value {
    json!({ "id": p.slug(), "label": p.label(), "start": p.start(), "end": p.end() })
}

async fn pack(
    store: &harbour_storage::scoped::ScopedStore,
    state: &AppState,
    q: StatisticsQuery,
) -> Result<(Value, Vec<Section>), ApiError> {
    // A parameter given must say something: only the period may be empty (the default).
    let mut empty = FieldErrors::new();
    for (name, value) in [
        ("from", &q.from),
        ("to", &q.to),
        ("compare", &q.compare),
        ("area", &q.area),
        ("source", &q.source),
        ("crime", &q.crime),
        ("confidence", &q.confidence),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            empty.add(
                name,
                format!("{name} is empty: give a value or leave it out"),
            );
        }
    }
    if !empty.is_empty() {
        return Err(ApiError::InvalidParameters(empty));
    }
    let dated = q.from.is_some() || q.to.is_some();
    let rq = ReportQuery {
        period: if dated {
            "custom".into()
        } else {
            q.period.unwrap_or_default()
        },
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        compare: q.compare.unwrap_or_default(),
        area: q.area.unwrap_or_default(),
        source: q.source.unwrap_or_default(),
        crime: q.crime.unwrap_or_default(),
        confidence: q.confidence.unwrap_or_default(),
        ..ReportQuery::default()
    };
    let (choice, mut errors) = rq.choice(state.config.report_suppress_below);
    if rq.compare.as_str() != "" && rq.compare != "previous" && rq.compare != "year" {
        errors.add("compare", "compare must be previous or year");
    }
    if !rq.confidence.is_empty()
        && harbour_domain::stats::rate::Confidence::from_slug(&rq.confidence).is_none()
    {
        errors.add("confidence", "confidence must be 95 or 99.8");
    }
    let areas = list_areas(&state.db).await?;
    if let Some(a) = &choice.filter.area
        && !crate::pages::reports::pack::community_safety_areas(&areas)
            .iter()
            .any(|x| &x.gss_code == a)
    {
        errors.add(
            "area",
            "area must be the GSS code of one of the partnership's community safety areas",
        );
    }
    if !rq.source.is_empty() && choice.filter.source.is_none() {
        errors.add("source", "source must be police, partner_agency or self");
    }
    if !rq.crime.is_empty() && choice.filter.crime.is_none() {
        errors.add("crime", "crime must be one of the crime categories");
    }
    let (spec, _, _) = chart_spec(&rq, choice.period, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::InvalidParameters(errors));
    }
    let sections = build(store, &choice, &areas, spec).await?;
    let about = json!({
        "period": period(choice.period),
        "comparison": period(choice.comparison),
        "filter": {
            "area": choice.filter.area,
            "source": choice.filter.source,
            "crime": choice.filter.crime,
            "described": describe(&choice, &areas),
        },
        "confidence": choice.confidence.slug(),
        "suppression": {
            "threshold": choice.threshold,
            "marks": {
                format!("<{}", choice.threshold): format!("a count from 1 to {} hidden to protect the people counted", choice.threshold - 1),
                "[c]": "a figure hidden so that a small one cannot be worked out from a total",
            },
        },
        "notes": method_notes(&choice),
    });
    Ok((about, sections))
}

/// GET /api/v1/statistics: which tables the pack has for the period, with the method.
pub async fn index(
    Api(store): Api,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<StatisticsQuery>,
) -> Result<Response, ApiError> {
    let (mut body, sections) = pack(&store, &state, q).await?;
    body["tables"] = json!(
        sections
            .iter()
            .flat_map(|s| s.tables.iter().map(move |t| json!({
                "id": t.id,
                "title": t.title,
                "section": s.title,
                "href": format!("/api/v1/statistics/{}", t.id),
            })))
            .collect::<Vec<_>>()
    );
    Ok(json_response(StatusCode::OK, body.to_string()))
}

/// GET /api/v1/statistics/{table}: one table.
pub async fn table(
    Api(store): Api,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<StatisticsQuery>,
) -> Result<Response, ApiError> {
    let (mut body, sections) = pack(&store, &state, q).await?;
    let table = sections
        .iter()
        .flat_map(|s| &s.tables)
        .find(|t| t.id == id)
        .ok_or(ApiError::NotFound)?;
    body["table"] = json!(table);
    Ok(json_response(StatusCode::OK, body.to_string()))
}
