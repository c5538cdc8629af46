//! The MARAC quarterly data return for a coordinator: a quarter's figures as a page (printable)
//! and as CSV, with small numbers suppressed when it is for publication.

use crate::access::Staff;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::render;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use harbour_domain::calendar::uk_date;
use harbour_domain::ids::MaracId;
use harbour_domain::marac::dataset::{
    CASES_A_YEAR_PER_10K_WOMEN, CASES_PER_COORDINATOR, Quarter, REFERRALS_PER_IDVA, SUPPRESS_BELOW,
    percent, suppress,
};
use harbour_storage::marac::ReturnReport;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct ReturnQuery {
    #[serde(default)]
    quarter: String,
    #[serde(default)]
    publish: String,
}

impl ReturnQuery {
    fn quarter(&self) -> Quarter {
        Quarter::from_slug(&self.quarter)
            .unwrap_or_else(|| Quarter::of(uk_date(Utc::now())).previous())
    }
}

/// One line of the return: what it counts, and the figure as shown.
pub struct Line {
    pub label: &'static str,
    pub value: String,
}

/// The return's lines, with counts of 1 to 4 shown as "<5" (and their shares hidden) when
/// `publish`.
fn lines(r: &ReturnReport, publish: bool) -> Vec<Line> {
    let f = &r.figures;
    let count = |n: u32| -> String {
        if publish && n > 0 && n < SUPPRESS_BELOW {
            format!("<{SUPPRESS_BELOW}")
        } else {
            n.to_string()
        }
    };
    let share = |n: u32| -> String {
        match percent(n, f.cases) {
            Some(p) if !(publish && n > 0 && n < SUPPRESS_BELOW) => format!("{} ({p}%)", count(n)),
            _ => count(n),
        }
    };
    let rate = |v: Option<f64>| v.map_or_else(|| "Not known".to_owned(), |v| v.to_string());
    vec![
        Line {
            label: "Meetings held",
            value: f.meetings.len().to_string(),
        },
        Line {
            label: "Cases heard",
            value: count(f.cases),
        },
        Line {
            label: "Children in the households",
            value: count(f.children),
        },
        Line {
            label: "Repeat cases",
            value: share(f.repeats),
        },
        Line {
            label: "Referred by agencies other than the police",
            value: share(f.non_police),
        },
        Line {
            label: "Adult women in the area (estimated from the population)",
            value: f.adult_women.to_string(),
        },
        Line {
            label: "Cases per 10,000 adult women in the quarter",
            value: rate(f.per_10k_women()),
        },
        Line {
            label: "The same, a year at this rate (planning ratio 40)",
            value: rate(f.annual_rate()),
        },
        Line {
            label: "Victims racially minoritised",
            value: share(f.minoritised),
        },
        Line {
            label: "Victims LGBT+",
            value: share(f.lgbt),
        },
        Line {
            label: "Victims disabled",
            value: share(f.disabled),
        },
        Line {
            label: "Victims male",
            value: share(f.male),
        },
        Line {
            label: "Victims aged 16 or 17",
            value: share(f.aged_16_17),
        },
        Line {
            label: "Perpetrators aged 17 or under",
            value: share(f.perpetrators_under_18),
        },
        Line {
            label: "Cases a year per IDVA post (planning ratio about 100)",
            value: rate(r.per_idva()),
        },
        Line {
            label: "Cases a year per coordinator post (planning ratio about 400)",
            value: rate(r.per_coordinator()),
        },
    ]
}

/// Referrals by agency, suppressed with the next smallest when for publication.
fn by_agency(r: &ReturnReport, publish: bool) -> Vec<(String, String)> {
    let names: Vec<&String> = r.figures.by_agency.keys().collect();
    let counts: Vec<u32> = r.figures.by_agency.values().copied().collect();
    let shown: Vec<String> = if publish {
        suppress(&counts, SUPPRESS_BELOW)
            .into_iter()
            .map(|c| c.show(u64::from(SUPPRESS_BELOW)))
            .collect()
    } else {
        counts.iter().map(ToString::to_string).collect()
    };
    names.into_iter().cloned().zip(shown).collect()
}

#[derive(Template)]
#[template(path = "marac_return.html")]
struct ReturnPage {
    chrome: Chrome,
    report: ReturnReport,
    quarter: Quarter,
    publish: bool,
    lines: Vec<Line>,
    agencies: Vec<(String, String)>,
    ratio: f64,
    per_idva: f64,
    per_coordinator: f64,
}

impl ReturnPage {
    fn day(&self, d: &NaiveDate) -> String {
        d.format("%-d %B %Y").to_string()
    }
}

/// GET /marac/{id}/return?quarter=2026-Q4&publish=yes
pub async fn page(
    staff: Staff,
    Path(id): Path<MaracId>,
    Query(q): Query<ReturnQuery>,
) -> Result<Response, AppError> {
    let quarter = q.quarter();
    let report = staff.store.marac_return(&id, quarter).await?;
    let publish = q.publish == "yes";
    Ok(render(&ReturnPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/marac"),
        lines: lines(&report, publish),
        agencies: by_agency(&report, publish),
        report,
        quarter,
        publish,
        ratio: CASES_A_YEAR_PER_10K_WOMEN,
        per_idva: REFERRALS_PER_IDVA,
        per_coordinator: CASES_PER_COORDINATOR,
    }))
}

/// GET /marac/{id}/return.csv?quarter=2026-Q4&publish=yes
pub async fn csv(
    staff: Staff,
    Path(id): Path<MaracId>,
    Query(q): Query<ReturnQuery>,
) -> Result<Response, AppError> {
    let quarter = q.quarter();
    let report = staff.store.marac_return(&id, quarter).await?;
    let publish = q.publish == "yes";
    let failed = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "the MARAC return CSV could not be written");
        AppError::Internal
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["marac", "quarter", "measure", "value"])
        .map_err(|e| failed(&e))?;
    let name = report.marac.name.clone();
    for l in lines(&report, publish) {
        w.write_record([name.as_str(), &quarter.slug(), l.label, &l.value])
            .map_err(|e| failed(&e))?;
    }
    for (agency, n) in by_agency(&report, publish) {
        w.write_record([
            name.as_str(),
            &quarter.slug(),
            &format!("Referred by {agency}"),
            &n,
        ])
        .map_err(|e| failed(&e))?;
    }
    let body = w.into_inner().map_err(|e| failed(&e))?;
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let file = format!(
        "attachment; filename=\"marac-return-{}.csv\"",
        quarter.slug()
    );
    if let Ok(v) = HeaderValue::from_str(&file) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
