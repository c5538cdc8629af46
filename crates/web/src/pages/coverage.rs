//! The coverage view: for every area and category of need, how many running services a
//! resident there can use, with the gaps picked out; filtered by age group, gender and tier;
//! a page per area; and the table as CSV for the board papers.

use crate::access::Staff;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::render;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use harbour_domain::area::Area;
use harbour_domain::coverage::{AgeGroup, Cell, CoverageFilter, area_by_tier, coverage};
use harbour_domain::directory::{GenderEligibility, ServiceProfile};
use harbour_domain::needs::{NeedCategory, ServiceTier};
use harbour_storage::areas::list_areas;

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct Filters {
    #[serde(default)]
    age: String,
    #[serde(default)]
    gender: String,
    #[serde(default)]
    tier: String,
}

impl Filters {
    fn filter(&self) -> CoverageFilter {
        CoverageFilter {
            age_group: AgeGroup::from_slug(&self.age),
            gender: GenderEligibility::from_slug(&self.gender)
                .filter(|g| *g != GenderEligibility::Any),
            tier: ServiceTier::from_slug(&self.tier),
        }
    }

    /// The same filters as a query string, for links that keep them.
    fn query(&self) -> String {
        let f = self.filter();
        let mut parts = Vec::new();
        if let Some(a) = f.age_group {
            parts.push(format!("age={}", a.slug()));
        }
        if let Some(g) = f.gender {
            parts.push(format!("gender={}", g.slug()));
        }
        if let Some(t) = f.tier {
            parts.push(format!("tier={}", t.slug()));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    fn describe(&self) -> String {
        let f = self.filter();
        let mut d = Vec::new();
        if let Some(a) = f.age_group {
            d.push(a.label().to_lowercase());
        }
        if let Some(g) = f.gender {
            d.push(format!("open to {}", g.label().to_lowercase()));
        }
        if let Some(t) = f.tier {
            d.push(format!("at the {} tier", t.label().to_lowercase()));
        }
        if d.is_empty() {
            "for everyone".into()
        } else {
            d.join(", ")
        }
    }
}

type Choice = (String, String);

fn options() -> (Vec<Choice>, Vec<Choice>, Vec<Choice>) {
    let mut ages = vec![(String::new(), "Any age".to_owned())];
    ages.extend(
        AgeGroup::ALL
            .iter()
            .map(|a| (a.slug().to_owned(), a.label().to_owned())),
    );
    let genders = vec![
        (String::new(), "Any gender".to_owned()),
        ("women".to_owned(), "Women".to_owned()),
        ("men".to_owned(), "Men".to_owned()),
    ];
    let mut tiers = vec![(String::new(), "Any tier".to_owned())];
    tiers.extend(
        ServiceTier::ALL
            .iter()
            .map(|t| (t.slug().to_owned(), t.label().to_owned())),
    );
    (ages, genders, tiers)
}

/// A row of the table, ready to show.
pub struct ShownRow {
    pub area: Area,
    pub cells: Vec<Cell>,
    pub gaps: usize,
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage {
    chrome: Chrome,
    needs: Vec<NeedCategory>,
    rows: Vec<ShownRow>,
    filters: Filters,
    query: String,
    described: String,
    total_gaps: usize,
    ages: Vec<Choice>,
    genders: Vec<Choice>,
    tiers: Vec<Choice>,
}

async fn gather(
    state: &AppState,
    staff: &Staff,
) -> Result<(Vec<Area>, std::sync::Arc<Vec<ServiceProfile>>), AppError> {
    let services = staff.store.coverage_profiles().await?;
    let areas = list_areas(&state.db).await?;
    Ok((areas, services))
}

pub async fn table(
    State(state): State<AppState>,
    staff: Staff,
    Query(filters): Query<Filters>,
) -> Result<Response, AppError> {
    let (areas, services) = gather(&state, &staff).await?;
    let rows: Vec<ShownRow> = coverage(&areas, &services, &filters.filter())
        .into_iter()
        .map(|r| ShownRow {
            gaps: r.gaps(),
            area: r.area,
            cells: r.cells,
        })
        .collect();
    let (ages, genders, tiers) = options();
    Ok(render(&CoveragePage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/coverage"),
        needs: NeedCategory::ALL.to_vec(),
        total_gaps: rows.iter().map(|r| r.gaps).sum(),
        rows,
        query: filters.query(),
        described: filters.describe(),
        filters,
        ages,
        genders,
        tiers,
    }))
}

/// The table as CSV: one line per area and category of need.
pub async fn csv(
    State(state): State<AppState>,
    staff: Staff,
    Query(filters): Query<Filters>,
) -> Result<Response, AppError> {
    let (areas, services) = gather(&state, &staff).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "area_code",
        "area_name",
        "population",
        "category_of_need",
        "services",
        "partly_covering",
        "gap",
        "filter",
    ];
    let described = filters.describe();
    let mut lines = vec![
        header
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<String>>(),
    ];
    for row in coverage(&areas, &services, &filters.filter()) {
        for (need, cell) in NeedCategory::ALL.iter().zip(&row.cells) {
            lines.push(vec![
                row.area.gss_code.clone(),
                row.area.name.clone(),
                row.area
                    .population
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                need.label().to_owned(),
                cell.count().to_string(),
                cell.partial.len().to_string(),
                if cell.is_gap() { "yes" } else { "no" }.to_owned(),
                described.clone(),
            ]);
        }
    }
    for line in lines {
        w.write_record(&line).map_err(|e| csv_failed(&e))?;
    }
    let body = w.into_inner().map_err(|e| csv_failed(&e))?;
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"harbour-coverage.csv\""),
    );
    Ok(r)
}

/// One need in the per-area page: a cell per tier, and the services.
pub struct NeedRow {
    pub need: NeedCategory,
    pub by_tier: Vec<Cell>,
    pub services: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "coverage_area.html")]
struct AreaPage {
    chrome: Chrome,
    area: Area,
    tiers: Vec<ServiceTier>,
    rows: Vec<NeedRow>,
    query: String,
    described: String,
}

pub async fn area(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(filters): Query<Filters>,
) -> Result<Response, AppError> {
    let (areas, services) = gather(&state, &staff).await?;
    let Some(area) = areas.iter().find(|a| a.gss_code == code).cloned() else {
        return Err(AppError::NotFound);
    };
    let f = filters.filter();
    let all = coverage(&areas, &services, &f);
    let whole = all.iter().find(|r| r.area.gss_code == code);
    let rows = area_by_tier(&code, &areas, &services, &f)
        .into_iter()
        .enumerate()
        .map(|(i, (need, by_tier))| {
            let listed = |ids: &[uuid::Uuid], partly: bool| -> Vec<(String, String, bool)> {
                ids.iter()
                    .filter_map(|id| services.iter().find(|s| s.id == *id))
                    .map(|s| (s.id.to_string(), s.name.clone(), partly))
                    .collect()
            };
            let mut services_here = Vec::new();
            if let Some(c) = whole.and_then(|w| w.cells.get(i)) {
                services_here.extend(listed(&c.full, false));
                services_here.extend(listed(&c.partial, true));
            }
            NeedRow {
                need,
                by_tier,
                services: services_here,
            }
        })
        .collect();
    Ok(render(&AreaPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/coverage"),
        area,
        tiers: ServiceTier::ALL.to_vec(),
        rows,
        query: filters.query(),
        described: filters.describe(),
    }))
}

fn csv_failed(e: &dyn std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "the coverage CSV could not be written");
    AppError::Internal
}
