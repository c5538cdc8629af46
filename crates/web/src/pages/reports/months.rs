//! Unusual months on their own page: the control chart with the analyst's choices (c-chart or
//! XmR, how many months, which months set the centre and limits), for the same filters as the
//! pack.

use super::pack::{self, ChartSpec, Section, add_months};
use super::{Options, ReportQuery, options};
use crate::access::Staff;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::render;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use harbour_domain::stats::control::ChartKind;
use harbour_domain::stats::period::short_month;
use harbour_domain::validation::FieldErrors;
use harbour_storage::areas::list_areas;

/// How many months the chart can show.
const LENGTHS: [i32; 4] = [24, 36, 48, 60];

fn month_slug((y, m): (i32, u32)) -> String {
    format!("{y:04}-{m:02}")
}

fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.trim().split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    ((1..=12).contains(&m) && (1900..=9999).contains(&y)).then_some((y, m))
}

/// The chart the query asks for, its months and how many; errors beside the baseline's fields.
pub fn chart_spec(
    q: &ReportQuery,
    period: harbour_domain::stats::period::Period,
    errors: &mut FieldErrors,
) -> (ChartSpec, Vec<(i32, u32)>, i32) {
    let kind = ChartKind::from_slug(&q.chart).unwrap_or_default();
    let length = q
        .months
        .parse::<i32>()
        .ok()
        .filter(|n| LENGTHS.contains(n))
        .unwrap_or(24);
    let mut spec = ChartSpec::for_period(period, kind);
    spec.from = add_months(spec.to, 1 - length);
    let months: Vec<(i32, u32)> = (0..length).map(|i| add_months(spec.from, i)).collect();
    if !q.baseline_from.is_empty() || !q.baseline_to.is_empty() {
        let a = parse_month(&q.baseline_from).filter(|m| months.contains(m));
        let b = parse_month(&q.baseline_to).filter(|m| months.contains(m));
        match (a, b) {
            (Some(a), Some(b)) if a < b => spec.baseline = Some((a, b)),
            (Some(_), Some(_)) => errors.add(
                "baseline_to",
                "The baseline's last month must be after its first month",
            ),
            (a, b) => {
                if a.is_none() {
                    errors.add(
                        "baseline_from",
                        "Choose the baseline's first month from the list",
                    );
                }
                if b.is_none() {
                    errors.add(
                        "baseline_to",
                        "Choose the baseline's last month from the list",
                    );
                }
            }
        }
    }
    (spec, months, length)
}

#[derive(Template)]
#[template(path = "reports_months.html")]
struct MonthsPage {
    chrome: Chrome,
    q: ReportQuery,
    query: String,
    options: Options,
    errors: FieldErrors,
    section: Section,
    kinds: Vec<(String, String)>,
    lengths: Vec<(String, String)>,
    month_choices: Vec<(String, String)>,
    shown: String,
    baseline: (String, String),
    period_label: String,
}

/// GET /reports/months
pub async fn show(
    staff: Staff,
    State(state): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let areas = list_areas(&state.db).await?;
    let (choice, mut errors) = q.choice(state.config.report_suppress_below);
    let (spec, months, length) = chart_spec(&q, choice.period, &mut errors);
    let section = pack::months(&staff.store, &choice, spec).await?;
    // What the person chose stays chosen, refused or not.
    let baseline = spec.baseline.map_or_else(
        || (q.baseline_from.clone(), q.baseline_to.clone()),
        |(a, b)| (month_slug(a), month_slug(b)),
    );
    Ok(render(&MonthsPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/reports"),
        query: q.query(),
        options: options(&areas),
        errors,
        section,
        kinds: ChartKind::ALL
            .iter()
            .map(|k| (k.slug().to_owned(), k.label().to_owned()))
            .collect(),
        lengths: LENGTHS
            .iter()
            .map(|n| (n.to_string(), format!("{n} months ({} years)", n / 12)))
            .collect(),
        month_choices: months
            .iter()
            .map(|m| (month_slug(*m), short_month(m.0, m.1)))
            .collect(),
        shown: length.to_string(),
        baseline,
        period_label: choice.period.label(),
        q,
    }))
}
