//! The partnership's reports for the commissioner, the administrator and service managers:
//! the report pack for a period (referrals, unusual months, the funnel, timeliness, referrals
//! on, outcomes, repeats, MARAC and coverage), compared with another period, filtered by area,
//! source and crime. Aggregate figures only, small numbers suppressed, never a person.

pub mod export;
pub mod months;
pub mod pack;
pub mod svg;
pub mod table;

use crate::access::Staff;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::render;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::Utc;
use harbour_domain::area::Area;
use harbour_domain::calendar::uk_date;
use harbour_domain::crime::CrimeCategory;
use harbour_domain::marac::dataset::Quarter;
use harbour_domain::referral::Source;
use harbour_domain::stats::period::Period;
use harbour_domain::stats::rate::Confidence;
use harbour_domain::support_plan::parse_day;
use harbour_domain::validation::FieldErrors;
use harbour_storage::areas::list_areas;
use harbour_storage::reports::Filter;
use pack::{Choice, Section};
use serde::Deserialize;

/// The choices as a link carries them.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub compare: String,
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub crime: String,
    #[serde(default)]
    pub confidence: String,
    #[serde(default)]
    pub chart: String,
    /// The control chart: how many months it shows, and its baseline's first and last months.
    #[serde(default)]
    pub months: String,
    #[serde(default)]
    pub baseline_from: String,
    #[serde(default)]
    pub baseline_to: String,
}

pub type Choices = Vec<(String, String)>;

/// The periods offered: this quarter so far and the eight before, this month so far and the
/// twelve before, and three financial years.
fn periods(today: chrono::NaiveDate) -> Choices {
    let mut out = Vec::new();
    let now = Period::Quarter(Quarter::of(today));
    out.push((now.slug(), format!("{} (so far)", now.label())));
    let mut q = Quarter::of(today).previous();
    for _ in 0..8 {
        let p = Period::Quarter(q);
        out.push((p.slug(), p.label()));
        q = q.previous();
    }
    let this_month = Period::month_of(today);
    out.push((
        this_month.slug(),
        format!("{} (so far)", this_month.label()),
    ));
    let mut m = this_month.previous();
    for _ in 0..12 {
        out.push((m.slug(), m.label()));
        m = m.previous();
    }
    let mut y = Period::financial_year_of(today);
    for _ in 0..3 {
        out.push((y.slug(), format!("Financial year {}", y.label())));
        y = y.previous();
    }
    out.push(("custom".into(), "Dates I choose".into()));
    out
}

impl ReportQuery {
    /// What the query asks for, or its errors beside the fields (and the default meanwhile).
    pub fn choice(&self, threshold: u64) -> (Choice, FieldErrors) {
        let today = uk_date(Utc::now());
        let mut errors = FieldErrors::new();
        let default = Period::Quarter(Quarter::of(today).previous());
        let period = if self.period == "custom" {
            let from = parse_day(&self.from);
            let to = parse_day(&self.to);
            if from.is_none() {
                errors.add(
                    "from",
                    "Enter the first day as day/month/year, for example 1/4/2026",
                );
            }
            if to.is_none() {
                errors.add(
                    "to",
                    "Enter the last day as day/month/year, for example 30/6/2026",
                );
            }
            match (from, to) {
                (Some(f), Some(t)) if f > t => {
                    errors.add(
                        "to",
                        "The last day must be the same as or after the first day",
                    );
                    default
                }
                (Some(f), Some(t))
                    if t > f.checked_add_months(chrono::Months::new(120)).unwrap_or(t) =>
                {
                    errors.add("to", "Choose a period of ten years or less");
                    default
                }
                (Some(from), Some(to)) => Period::Custom { from, to },
                _ => default,
            }
        } else if self.period.is_empty() {
            default
        } else {
            Period::from_slug(&self.period).unwrap_or_else(|| {
                errors.add("period", "Choose a period from the list");
                default
            })
        };
        let comparison = if self.compare == "year" {
            period.year_earlier()
        } else {
            period.previous()
        };
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let filter = Filter {
            area: some(&self.area),
            source: some(&self.source).filter(|s| Source::from_slug(s).is_some()),
            crime: some(&self.crime).filter(|c| CrimeCategory::from_slug(c).is_some()),
        };
        let confidence = Confidence::from_slug(&self.confidence).unwrap_or_default();
        (
            Choice {
                period,
                comparison,
                filter,
                confidence,
                threshold,
            },
            errors,
        )
    }

    /// The same choices as a query string, for links and downloads that keep them.
    pub fn query(&self) -> String {
        let pairs = [
            ("period", &self.period),
            ("from", &self.from),
            ("to", &self.to),
            ("compare", &self.compare),
            ("area", &self.area),
            ("source", &self.source),
            ("crime", &self.crime),
            ("confidence", &self.confidence),
            ("chart", &self.chart),
            ("months", &self.months),
            ("baseline_from", &self.baseline_from),
            ("baseline_to", &self.baseline_to),
        ];
        let kept: Vec<(&str, &String)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        if kept.is_empty() {
            String::new()
        } else {
            format!("?{}", serde_urlencoded::to_string(kept).unwrap_or_default())
        }
    }
}

/// The filters' options.
pub struct Options {
    pub periods: Choices,
    pub areas: Choices,
    pub sources: Choices,
    pub crimes: Choices,
}

pub(crate) fn options(areas: &[Area]) -> Options {
    let today = uk_date(Utc::now());
    let mut a = vec![(String::new(), "All areas".to_owned())];
    a.extend(
        pack::community_safety_areas(areas)
            .into_iter()
            .map(|x| (x.gss_code, x.name)),
    );
    let mut sources = vec![(String::new(), "Everyone who refers".to_owned())];
    sources.extend(
        Source::ALL
            .iter()
            .map(|s| (s.slug().to_owned(), s.label().to_owned())),
    );
    let mut crimes = vec![(String::new(), "All crime categories".to_owned())];
    crimes.extend(
        CrimeCategory::ALL
            .iter()
            .map(|c| (c.slug().to_owned(), c.label().to_owned())),
    );
    Options {
        periods: periods(today),
        areas: a,
        sources,
        crimes,
    }
}

/// Builds every section of the pack.
pub async fn build(
    store: &harbour_storage::scoped::ScopedStore,
    choice: &Choice,
    areas: &[Area],
    spec: pack::ChartSpec,
) -> Result<Vec<Section>, harbour_storage::error::StorageError> {
    // The sections read independently: on their own connections at once.
    let (referrals, months, (funnel, timely), onward, outcomes, repeats, marac) = tokio::try_join!(
        pack::referrals(store, choice, areas),
        pack::months(store, choice, spec),
        pack::funnel(store, choice, areas),
        pack::onward(store, choice),
        pack::outcomes(store, choice),
        pack::repeats(store, choice),
        pack::marac(store, choice),
    )?;
    let mut sections = vec![
        referrals, months, funnel, timely, onward, outcomes, repeats, marac,
    ];
    if store.may(harbour_domain::permission::Action::ViewCoverage) {
        let services = store.coverage_profiles().await?;
        sections.push(pack::coverage(areas, &services));
    }
    Ok(sections)
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    chrome: Chrome,
    q: ReportQuery,
    query: String,
    choice: Choice,
    options: Options,
    errors: FieldErrors,
    sections: Vec<Section>,
    described: String,
    method: Vec<String>,
}

/// In words: which referrals the pack counts.
pub(crate) fn describe(choice: &Choice, areas: &[Area]) -> String {
    let f = &choice.filter;
    let mut d = Vec::new();
    if let Some(a) = &f.area {
        d.push(
            areas
                .iter()
                .find(|x| &x.gss_code == a)
                .map_or_else(|| "one area".to_owned(), |x| format!("in {}", x.name)),
        );
    }
    if let Some(s) = f.source.as_deref().and_then(Source::from_slug) {
        d.push(format!("referred by {}", s.label().to_lowercase()));
    }
    if let Some(c) = f.crime.as_deref().and_then(CrimeCategory::from_slug) {
        d.push(format!("for {}", c.label().to_lowercase()));
    }
    if d.is_empty() {
        "All referrals".into()
    } else {
        format!("Referrals {}", d.join(", "))
    }
}

/// The notes on method every report carries.
pub fn method_notes(choice: &Choice) -> Vec<String> {
    vec![
        format!(
            "The period is {} ({} days), by the UK date each referral was received; it is compared with {}.",
            choice.period.label(),
            choice.period.days(),
            choice.comparison.label()
        ),
        "A referral is counted once, in the area where the person lives, or where it happened when that is not known. Areas are the partnership's nine community safety areas; nothing is broken down below them, so no domestic abuse or sexual offence figure is below district level.".into(),
        "Populations are usual residents at the 2021 Census (some rounded), from the areas Harbour holds. Rates are per 1,000 residents; their intervals use Byar's method from 10 events and the exact Poisson limits below 10.".into(),
        format!(
            "An area is significantly higher (or lower) than the partnership when its whole {} interval is above (or below) the partnership's rate; otherwise similar. The 99.8% limits suit screening many areas at once.",
            choice.confidence.label()
        ),
        "Unusual months: a c-chart whose centre is the mean of the baseline months and whose limits are three square roots of it either side (or an XmR chart, 2.66 mean moving ranges). Months outside the limits, seven or more in a row on one side of the centre, and seven or more in a row each rising or each falling are flagged. Change between two periods is a Poisson z, not a percentage, on small counts.".into(),
        "Repeats: a referral is a repeat when the same person was referred in the 365 days before it, for any crime. People Harbour has recognised as the same person count as one.".into(),
        "Consent to aggregate reporting: everyone referred is counted, because the partnership must account for its work; but the age group, gender, ethnic group and disability of anyone who did not consent are never used, and show as \"Not shared for reporting\".".into(),
        format!(
            "Disclosure control: counts from 1 to {} show as \"<{}\", and wherever a total would give one away the next smallest figure in its row or column shows as \"[c]\". No rate, share or change is shown for a hidden count.",
            choice.threshold - 1,
            choice.threshold
        ),
        "Tier and entitlement are as decided at the latest triage; the funnel's stages are each the first time they happened, whenever that was. Outcomes count the cases closed in the period.".into(),
    ]
}

fn download(body: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

fn export_failed(e: &dyn std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "a report export could not be written");
    AppError::Internal
}

/// GET /reports/csv/{table}: one table of the pack as CSV.
pub async fn csv(
    staff: Staff,
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let areas = list_areas(&state.db).await?;
    let (choice, mut errors) = q.choice(state.config.report_suppress_below);
    let (spec, _, _) = months::chart_spec(&q, choice.period, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors.to_string()));
    }
    let sections = build(&staff.store, &choice, &areas, spec).await?;
    let table = sections
        .iter()
        .flat_map(|s| &s.tables)
        .find(|t| t.id == id)
        .ok_or(AppError::NotFound)?;
    let body = export::table_csv(table).map_err(|e| export_failed(&e))?;
    Ok(download(
        body,
        "text/csv; charset=utf-8",
        &format!("harbour-{}-{}.csv", table.id, choice.period.slug()),
    ))
}

/// GET /reports/pack.xlsx: the whole pack as a spreadsheet.
pub async fn xlsx(
    staff: Staff,
    State(state): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let areas = list_areas(&state.db).await?;
    let (choice, mut errors) = q.choice(state.config.report_suppress_below);
    let (spec, _, _) = months::chart_spec(&q, choice.period, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors.to_string()));
    }
    let sections = build(&staff.store, &choice, &areas, spec).await?;
    let cover = export::Cover {
        title: format!("Harbour partnership report: {}", choice.period.label()),
        lines: vec![
            ("Period".into(), choice.period.label()),
            ("Compared with".into(), choice.comparison.label()),
            ("Which referrals".into(), describe(&choice, &areas)),
            (
                "Source".into(),
                format!(
                    "Harbour, the victim-support partnership's shared system: its records as they stood on {}.",
                    uk_date(Utc::now()).format("%-d %B %Y")
                ),
            ),
            (
                "About these figures".into(),
                "Aggregate figures only: counts of referrals, people, services and cases, with small numbers hidden. The Notes worksheet explains how each is counted.".into(),
            ),
        ],
    };
    let body = export::pack_xlsx(&cover, &method_notes(&choice), &sections)
        .map_err(|e| export_failed(&e))?;
    Ok(download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("harbour-report-{}.xlsx", choice.period.slug()),
    ))
}

pub async fn show(
    staff: Staff,
    State(state): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let areas = list_areas(&state.db).await?;
    let (choice, mut errors) = q.choice(state.config.report_suppress_below);
    let (spec, _, _) = months::chart_spec(&q, choice.period, &mut errors);
    let sections = build(&staff.store, &choice, &areas, spec).await?;
    let described = describe(&choice, &areas);
    let method = method_notes(&choice);
    Ok(render(&ReportsPage {
        method,
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/reports"),
        query: q.query(),
        options: options(&areas),
        q,
        choice,
        errors,
        sections,
        described,
    }))
}
