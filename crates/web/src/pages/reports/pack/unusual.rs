//! Section 2: unusual months, on a control chart with the run rules.

use super::{Choice, Section};
use crate::pages::reports::svg::{self, ChartPoint};
use crate::pages::reports::table::{Table, Value};
use harbour_domain::stats::control::{self, ChartKind, RunRules};
use harbour_domain::stats::period::{Period, short_month};
use harbour_storage::error::Result;
use harbour_storage::scoped::ScopedStore;

/// A month as (year, month), `n` months on (or back, negative).
pub fn add_months((y, m): (i32, u32), n: i32) -> (i32, u32) {
    let index = y * 12 + m as i32 - 1 + n;
    (index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
}

/// What a control chart shows: its months, and the months its centre and limits come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartSpec {
    pub kind: ChartKind,
    pub from: (i32, u32),
    pub to: (i32, u32),
    /// The baseline; None: the first twelve months shown, or, where nothing was recorded in
    /// them, every month from the first with a referral.
    pub baseline: Option<((i32, u32), (i32, u32))>,
}

impl ChartSpec {
    /// The pack's: two years to the end of the period.
    pub fn for_period(period: Period, kind: ChartKind) -> ChartSpec {
        let end = period.end();
        let to = (chrono::Datelike::year(&end), chrono::Datelike::month(&end));
        ChartSpec {
            kind,
            from: add_months(to, -23),
            to,
            baseline: None,
        }
    }
}

/// Section 2: monthly counts on a control chart.
pub async fn months(store: &ScopedStore, c: &Choice, spec: ChartSpec) -> Result<Section> {
    let mut series = store.report_months(spec.from, spec.to, &c.filter).await?;
    if spec.baseline.is_none() {
        // Months before the first referral Harbour recorded are not months of none: leave
        // them off.
        let first = series.iter().position(|(_, n)| *n > 0).unwrap_or(0);
        series.drain(..first);
    }
    let counts: Vec<u64> = series.iter().map(|(_, n)| *n).collect();
    let index = |month: (i32, u32)| series.iter().position(|(m, _)| *m == month);
    let (start, end) = match spec.baseline {
        Some((a, b)) => (index(a).unwrap_or(0), index(b).unwrap_or(series.len() - 1)),
        None => {
            let first_year = (0, 11.min(series.len() - 1));
            if counts[first_year.0..=first_year.1].iter().any(|n| *n > 0) {
                first_year
            } else {
                (
                    counts.iter().position(|n| *n > 0).unwrap_or(0),
                    series.len() - 1,
                )
            }
        }
    };
    let baseline = &counts[start..=end.max(start)];
    let label = |i: usize| short_month(series[i].0.0, series[i].0.1);
    let rules = RunRules::default();
    let mut section = Section {
        id: "months",
        title: "Unusual months",
        intro: format!(
            "Referrals each month on a {}. The centre and limits come from the {} months from {} to {}; a month is flagged when it is outside the limits, when {} or more months in a row are on one side of the centre, or when {} or more months in a row each rise (or each fall).",
            spec.kind.label(),
            end.max(start) - start + 1,
            label(start),
            label(end.max(start)),
            rules.shift,
            rules.trend,
        ),
        charts: Vec::new(),
        tables: Vec::new(),
        empty: None,
    };
    let Some(limits) = control::limits(spec.kind, baseline) else {
        section.empty = Some("Not enough months recorded yet.".into());
        return Ok(section);
    };
    if baseline.iter().all(|n| *n == 0) {
        section.empty = Some(
            "Not yet recorded: there were no referrals in these months to set the limits from."
                .into(),
        );
        return Ok(section);
    }
    let signals = control::signals(&counts, limits, rules);
    // Months are published as counts too: a small month is hidden on the chart and in the table.
    let hidden = |n: u64| n > 0 && n < c.threshold;
    let mut t = Table::new(
        "referrals-by-month",
        "Referrals by month, with the control limits",
        &[
            "Month",
            "Referrals",
            "Centre",
            "Lower limit",
            "Upper limit",
            "Flagged",
        ],
    );
    let mut points = Vec::new();
    let mut flagged_words = Vec::new();
    for (((y, m), n), s) in series.iter().zip(&signals) {
        let label = short_month(*y, *m);
        let value = if hidden(*n) {
            Value::Suppressed(format!("<{}", c.threshold))
        } else {
            Value::Count(*n)
        };
        let words: Vec<String> = s.iter().map(|x| x.describe(rules)).collect();
        if !words.is_empty() && !hidden(*n) {
            flagged_words.push(format!("{label}: {}", words.join("; ")));
        }
        t.row(
            label.clone(),
            vec![
                value,
                Value::Decimal(limits.centre, 1),
                Value::Decimal(limits.lower, 1),
                Value::Decimal(limits.upper, 1),
                Value::Text(if words.is_empty() || hidden(*n) {
                    "No".into()
                } else {
                    words.join("; ")
                }),
            ],
        );
        points.push(ChartPoint {
            label,
            value: (!hidden(*n)).then_some(*n),
            flagged: !s.is_empty(),
        });
    }
    t.note_suppression(c.threshold);
    section.charts.push(svg::control_chart(
        "control-chart",
        "Referrals each month",
        &format!(
            "Monthly referrals from {} to {}, with the centre line at {:.1} and limits at {:.1} and {:.1}. {}",
            points.first().map(|p| p.label.as_str()).unwrap_or_default(),
            points.last().map(|p| p.label.as_str()).unwrap_or_default(),
            limits.centre,
            limits.lower,
            limits.upper,
            if flagged_words.is_empty() { "No month is flagged.".to_owned() } else { format!("Flagged: {}.", flagged_words.join(". ")) }
        ),
        &points,
        limits.centre,
        limits.lower,
        limits.upper,
    ));
    section.intro.push_str(&if flagged_words.is_empty() {
        " No month is outside normal variation.".to_owned()
    } else {
        format!(" Flagged: {}.", flagged_words.join(". "))
    });
    section.tables.push(t);
    Ok(section)
}
