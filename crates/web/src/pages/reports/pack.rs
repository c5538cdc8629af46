//! The report pack: each section's tables and charts for one period, filter and comparison,
//! built from the store's counts with every published figure suppressed. The page, the CSV,
//! the spreadsheet and the statistics API all show what this builds.

use super::svg::{self, ChartPoint, FunnelPoint};
use super::table::{Table, Value, counted, share};
use harbour_domain::area::Area;
use harbour_domain::deadline::Milestone;
use harbour_domain::onward::{DeclineReason, Outcome};
use harbour_domain::stats::breakdown::Breakdown;
use harbour_domain::stats::control::{self, ChartKind, RunRules};
use harbour_domain::stats::period::{Period, short_month};
use harbour_domain::stats::rate::{Confidence, funnel_limits, rate};
use harbour_storage::error::Result;
use harbour_storage::reports::Filter;
use harbour_storage::scoped::ScopedStore;
use std::collections::BTreeMap;

/// What a pack is for: the period, what it is compared with, which referrals.
#[derive(Debug, Clone)]
pub struct Choice {
    pub period: Period,
    pub comparison: Period,
    pub filter: Filter,
    pub confidence: Confidence,
    pub threshold: u64,
}

/// A section of the pack.
#[derive(Debug, Clone)]
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub intro: String,
    /// Server-drawn SVG, each described in words and tabulated below.
    pub charts: Vec<String>,
    pub tables: Vec<Table>,
    /// Said instead when there is nothing recorded yet to count.
    pub empty: Option<String>,
}

/// The nine community safety areas, and the partnership's population.
pub fn community_safety_areas(all: &[Area]) -> Vec<Area> {
    let mut areas: Vec<Area> = all
        .iter()
        .filter(|a| a.kind == "district" || a.kind == "unitary")
        .cloned()
        .collect();
    areas.sort_by(|a, b| a.name.cmp(&b.name));
    areas
}

fn area_name(areas: &[Area], code: Option<&str>) -> String {
    match code {
        Some(c) => areas
            .iter()
            .find(|a| a.gss_code == c)
            .map_or_else(|| "Another area".to_owned(), |a| a.name.clone()),
        None => "Area not known".to_owned(),
    }
}

fn count_of(counts: &[(Option<String>, u64)], key: Option<&str>) -> u64 {
    counts
        .iter()
        .filter(|(k, _)| k.as_deref() == key)
        .map(|(_, n)| *n)
        .sum()
}

/// Section 1: referrals by area, with rates, intervals and the comparison with the partnership;
/// then by each other breakdown.
pub async fn referrals(store: &ScopedStore, c: &Choice, all_areas: &[Area]) -> Result<Section> {
    let areas = community_safety_areas(all_areas);
    let (from, to) = (c.period.start(), c.period.end());
    let now = store
        .report_counts(from, to, &c.filter, Breakdown::Area)
        .await?;
    let before = store
        .report_counts(
            c.comparison.start(),
            c.comparison.end(),
            &c.filter,
            Breakdown::Area,
        )
        .await?;
    let total: u64 = now.iter().map(|(_, n)| n).sum();
    let mut section = Section {
        id: "referrals",
        title: "Referrals",
        intro: format!(
            "Referrals received in {}, against {}, by the area where the person lives (or, where not known, where it happened). Rates are per 1,000 residents (Census 2021) with {} confidence intervals; an area is significantly higher or lower than the partnership when its whole interval is above or below the partnership's rate.",
            c.period.label(),
            c.comparison.label(),
            c.confidence.label()
        ),
        charts: Vec::new(),
        tables: Vec::new(),
        empty: (total == 0).then(|| format!("No referrals were received in {}.", c.period.label())),
    };
    let mut keys: Vec<Option<String>> = areas.iter().map(|a| Some(a.gss_code.clone())).collect();
    if now.iter().chain(&before).any(|(k, _)| k.is_none()) {
        keys.push(None);
    }
    let current: Vec<u64> = keys.iter().map(|k| count_of(&now, k.as_deref())).collect();
    let previous: Vec<u64> = keys
        .iter()
        .map(|k| count_of(&before, k.as_deref()))
        .collect();
    let (shown, shown_total) = counted(&current, c.threshold);
    let (shown_before, shown_before_total) = counted(&previous, c.threshold);
    let population: u64 = areas
        .iter()
        .filter_map(|a| a.population)
        .map(|p| p.max(0) as u64)
        .sum();
    let in_areas: u64 = current
        .iter()
        .zip(&keys)
        .filter(|(_, k)| k.is_some())
        .map(|(n, _)| n)
        .sum();
    let comparator = if population > 0 {
        in_areas as f64 * 1000.0 / population as f64
    } else {
        0.0
    };
    let mut t = Table::new(
        "referrals-by-area",
        format!("Referrals by area, {}", c.period.label()),
        &[
            "Area",
            "Referrals",
            "Referrals in the comparison period",
            "Change",
            "Rate per 1,000 residents",
            "Lower limit",
            "Upper limit",
            "Compared with the partnership",
        ],
    );
    let mut points = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let area = key
            .as_ref()
            .and_then(|k| areas.iter().find(|a| &a.gss_code == k));
        let pop = area.and_then(|a| a.population).map(|p| p.max(0) as u64);
        let visible = shown[i].count().is_some();
        let r = pop
            .and_then(|p| rate(current[i], p, c.confidence))
            .filter(|_| visible);
        let change = match (shown[i].count(), shown_before[i].count()) {
            (Some(a), Some(b)) => Value::Text(control::describe_change(a, b)),
            _ => Value::Empty,
        };
        t.row(
            area_name(&areas, key.as_deref()),
            vec![
                shown[i].clone(),
                shown_before[i].clone(),
                change,
                r.map_or(Value::Empty, |r| Value::Decimal(r.per_thousand, 2)),
                r.map_or(Value::Empty, |r| Value::Decimal(r.lower, 2)),
                r.map_or(Value::Empty, |r| Value::Decimal(r.upper, 2)),
                r.map_or(Value::Empty, |r| {
                    Value::Text(r.against(comparator).label().into())
                }),
            ],
        );
        if let (Some(a), Some(p)) = (area, pop) {
            points.push(FunnelPoint {
                label: a.name.clone(),
                population: p,
                rate: r.map(|r| r.per_thousand),
            });
        }
    }
    let partnership = rate(in_areas, population, c.confidence);
    t.total(
        "The partnership",
        vec![
            shown_total.clone(),
            shown_before_total.clone(),
            match (shown_total.count(), shown_before_total.count()) {
                (Some(a), Some(b)) => Value::Text(control::describe_change(a, b)),
                _ => Value::Empty,
            },
            partnership.map_or(Value::Empty, |r| Value::Decimal(r.per_thousand, 2)),
            partnership.map_or(Value::Empty, |r| Value::Decimal(r.lower, 2)),
            partnership.map_or(Value::Empty, |r| Value::Decimal(r.upper, 2)),
            Value::Empty,
        ],
    );
    t.notes.push("Change is tested as a Poisson z, 2(√now − √before): more than 3 is more than chance explains, more than 2 worth watching. A percentage is given only where both counts are 100 or more.".into());
    t.notes.push(
        "Figures for domestic abuse and sexual offences are never broken down below these areas."
            .into(),
    );
    t.note_suppression(c.threshold);
    if total > 0 && population > 0 {
        section.charts.push(svg::funnel_plot(
            "funnel-plot",
            &format!("Referral rates by area, {}", c.period.label()),
            &format!(
                "Each area's referrals per 1,000 residents against its population. The solid line is the partnership's rate, {comparator:.2} per 1,000; the dashed lines are the 95% limits and the dotted lines the 99.8% limits of what chance alone would give an area of each size. The table below gives every figure."
            ),
            &points,
            comparator,
            move |pop, wide| {
                funnel_limits(comparator, pop, if wide { Confidence::NinetyNinePointEight } else { Confidence::NinetyFive })
            },
        ));
    }
    section.tables.push(t);
    let count = |by| store.report_counts(from, to, &c.filter, by);
    let (source, crime, entitlement, tier, age, gender, ethnicity, disability) = tokio::try_join!(
        count(Breakdown::Source),
        count(Breakdown::Crime),
        count(Breakdown::Entitlement),
        count(Breakdown::Tier),
        count(Breakdown::Age),
        count(Breakdown::Gender),
        count(Breakdown::Ethnicity),
        count(Breakdown::Disability),
    )?;
    for (by, counts) in [
        (Breakdown::Source, source),
        (Breakdown::Crime, crime),
        (Breakdown::Entitlement, entitlement),
        (Breakdown::Tier, tier),
        (Breakdown::Age, age),
        (Breakdown::Gender, gender),
        (Breakdown::Ethnicity, ethnicity),
        (Breakdown::Disability, disability),
    ] {
        section.tables.push(breakdown_table(by, &counts, c));
    }
    Ok(section)
}

/// Referrals by one breakdown, with each value's share.
pub fn breakdown_table(by: Breakdown, counts: &[(Option<String>, u64)], c: &Choice) -> Table {
    let mut sorted: Vec<(Option<String>, u64)> = counts.to_vec();
    sorted.sort_by(|a, b| {
        by.order(a.0.as_deref())
            .cmp(&by.order(b.0.as_deref()))
            .then(
                by.value_label(a.0.as_deref())
                    .cmp(&by.value_label(b.0.as_deref())),
            )
    });
    let values: Vec<u64> = sorted.iter().map(|(_, n)| *n).collect();
    let (shown, total) = counted(&values, c.threshold);
    let mut t = Table::new(
        &format!("referrals-by-{}", by.slug()),
        format!(
            "Referrals by {}, {}",
            by.label().to_lowercase(),
            c.period.label()
        ),
        &[by.label(), "Referrals", "Share"],
    );
    for ((key, _), v) in sorted.iter().zip(shown) {
        let s = share(&v, &total);
        t.row(by.value_label(key.as_deref()), vec![v, s]);
    }
    let all = Value::Percent(100.0);
    t.total(
        "All referrals",
        vec![
            total.clone(),
            if total.count().is_some_and(|n| n > 0) {
                all
            } else {
                Value::Empty
            },
        ],
    );
    if by.is_personal() {
        t.notes.push("\"Not shared for reporting\" counts the people who did not consent to their details appearing in aggregate reporting: they are counted, but nothing about them is.".into());
    }
    if by == Breakdown::Tier || by == Breakdown::Entitlement {
        t.notes.push("As decided at the latest triage.".into());
    }
    t.note_suppression(c.threshold);
    t
}

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

/// Section 3 and 4's funnel and timeliness, by area and by source.
pub async fn funnel(
    store: &ScopedStore,
    c: &Choice,
    all_areas: &[Area],
) -> Result<(Section, Section)> {
    let areas = community_safety_areas(all_areas);
    let (from, to) = (c.period.start(), c.period.end());
    let whole = store.report_funnel(from, to, &c.filter, None).await?;
    let whole = whole.into_iter().next().unwrap_or_default();
    let mut funnel = Section {
        id: "funnel",
        title: "The gateway funnel",
        intro: format!(
            "What became of the referrals received in {}: given information and advice, support accepted by a service (or a case opened), referred on to specialist services, and support completed. A referral can reach several stages, in any order.",
            c.period.label()
        ),
        charts: Vec::new(),
        tables: Vec::new(),
        empty: (whole.referrals == 0).then(|| "No referrals were received in the period.".into()),
    };
    let stages = |r: &harbour_storage::reports::counts::FunnelRow| {
        vec![
            r.referrals,
            r.advised,
            r.accepted,
            r.referred_on,
            r.completed,
        ]
    };
    let headers = [
        "Referrals",
        "Given information and advice",
        "Support accepted",
        "Referred to specialists",
        "Support completed",
    ];
    let mut chart_items = Vec::new();
    {
        let values = stages(&whole);
        for (h, v) in headers.iter().zip(&values) {
            let hidden = *v > 0 && *v < c.threshold;
            chart_items.push(((*h).to_owned(), (!hidden).then_some(*v as f64)));
        }
    }
    if whole.referrals > 0 {
        funnel.charts.push(svg::bars(
            "gateway-funnel",
            &format!("The gateway funnel, {}", c.period.label()),
            &format!(
                "Of {} referrals: {} given information and advice, {} accepted for support, {} referred to specialists, {} completed support. The tables below break these down.",
                whole.referrals, whole.advised, whole.accepted, whole.referred_on, whole.completed
            ),
            &chart_items,
            "",
        ));
    }
    let (by_area, by_source) = tokio::try_join!(
        store.report_funnel(from, to, &c.filter, Some(Breakdown::Area)),
        store.report_funnel(from, to, &c.filter, Some(Breakdown::Source)),
    )?;
    for (by, rows) in [(Breakdown::Area, &by_area), (Breakdown::Source, &by_source)] {
        let mut t = Table::new(
            &format!("funnel-by-{}", by.slug()),
            format!("The gateway funnel by {}", by.label().to_lowercase()),
            &[
                by.label(),
                headers[0],
                headers[1],
                headers[2],
                headers[3],
                headers[4],
            ],
        );
        let labels: Vec<String> = rows
            .iter()
            .map(|r| match by {
                Breakdown::Area => area_name(&areas, r.key.as_deref()),
                _ => by.value_label(r.key.as_deref()),
            })
            .collect();
        let columns: Vec<(Vec<Value>, Value)> = (0..5)
            .map(|i| {
                counted(
                    &rows.iter().map(|r| stages(r)[i]).collect::<Vec<_>>(),
                    c.threshold,
                )
            })
            .collect();
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by(|a, b| labels[*a].cmp(&labels[*b]));
        for i in order {
            t.row(
                labels[i].clone(),
                columns.iter().map(|(col, _)| col[i].clone()).collect(),
            );
        }
        t.total(
            "All referrals",
            columns.iter().map(|(_, total)| total.clone()).collect(),
        );
        t.note_suppression(c.threshold);
        funnel.tables.push(t);
    }

    // Timeliness.
    let mut timely = Section {
        id: "timeliness",
        title: "Timeliness",
        intro: "How quickly referrals reached support services (advice given or a referral on made), against the due date the Victims' Code sets (2 working days for most); each deadline rule on referrals on, met in time, late or missed; and the days from receipt to first speaking to the person.".into(),
        charts: Vec::new(),
        tables: Vec::new(),
        empty: (whole.referrals == 0).then(|| "No referrals were received in the period.".into()),
    };
    let mut t = Table::new(
        "reached-support-in-time",
        "Referrals reaching support services by the due date",
        &[
            "Area",
            "Referrals",
            "Reached support",
            "By the due date",
            "Share by the due date",
        ],
    );
    let (refs, refs_total) = counted(
        &by_area.iter().map(|r| r.referrals).collect::<Vec<_>>(),
        c.threshold,
    );
    let (reached, reached_total) = counted(
        &by_area.iter().map(|r| r.reached).collect::<Vec<_>>(),
        c.threshold,
    );
    let (in_time, in_time_total) = counted(
        &by_area
            .iter()
            .map(|r| r.reached_in_time)
            .collect::<Vec<_>>(),
        c.threshold,
    );
    let mut order: Vec<usize> = (0..by_area.len()).collect();
    order.sort_by_key(|i| area_name(&areas, by_area[*i].key.as_deref()));
    for i in order {
        t.row(
            area_name(&areas, by_area[i].key.as_deref()),
            vec![
                refs[i].clone(),
                reached[i].clone(),
                in_time[i].clone(),
                share(&in_time[i], &refs[i]),
            ],
        );
    }
    let s = share(&in_time_total, &refs_total);
    t.total(
        "All referrals",
        vec![refs_total, reached_total, in_time_total, s],
    );
    t.note_suppression(c.threshold);
    timely.tables.push(t);

    let deadlines = store.report_deadlines(from, to, &c.filter).await?;
    let mut t = Table::new(
        "deadline-rules",
        "Deadline rules on referrals on sent in the period",
        &[
            "Rule and milestone",
            "Due",
            "Met in time",
            "Met late",
            "Missed",
            "Not yet due",
            "Share met in time",
        ],
    );
    for d in &deadlines {
        let (cells, total) = counted(
            &[d.met_in_time, d.met_late, d.missed, d.pending],
            c.threshold,
        );
        let s = share(&cells[0], &total);
        let mut row = vec![total];
        row.extend(cells);
        row.push(s);
        let milestone =
            Milestone::from_slug(&d.milestone).map_or("Another milestone", Milestone::label);
        t.row(format!("{}: {}", d.rule, milestone.to_lowercase()), row);
    }
    if deadlines.is_empty() {
        t.notes
            .push("No referrals on were sent in the period.".into());
    }
    t.note_suppression(c.threshold);
    timely.tables.push(t);

    let buckets = [
        ("The same or the next day", whole.contact_within_1),
        ("2 to 7 days", whole.contact_within_7),
        ("8 to 14 days", whole.contact_within_14),
        ("More than 14 days", whole.contact_later),
        ("Not yet spoken to", whole.contact_none),
    ];
    let (cells, total) = counted(
        &buckets.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        c.threshold,
    );
    let mut t = Table::new(
        "time-to-first-contact",
        "Days from receipt to first speaking to the person",
        &["Time to first contact", "Referrals", "Share"],
    );
    let mut items = Vec::new();
    for ((label, _), v) in buckets.iter().zip(cells) {
        items.push(((*label).to_owned(), v.count().map(|n| n as f64)));
        let s = share(&v, &total);
        t.row(*label, vec![v, s]);
    }
    t.total("All referrals", vec![total, Value::Empty]);
    t.notes.push("First contact is the first attempt logged as \"spoke to the person\" by a service the referral was sent on to.".into());
    t.note_suppression(c.threshold);
    if whole.referrals > 0 {
        timely.charts.push(svg::bars(
            "first-contact",
            "Days from receipt to first speaking to the person",
            "How many referrals were first spoken to within each span of days; the table below gives the figures.",
            &items,
            "",
        ));
    }
    timely.tables.push(t);
    Ok((funnel, timely))
}

/// Section 5: referrals on by service, declines by reason, outcomes, and consent.
pub async fn onward(store: &ScopedStore, c: &Choice) -> Result<Section> {
    let (from, to) = (c.period.start(), c.period.end());
    let rows = store.report_onward(from, to, &c.filter).await?;
    let mut section = Section {
        id: "onward",
        title: "Referrals on to services",
        intro: format!(
            "Referrals on sent in {} to each service, by where each stands now.",
            c.period.label()
        ),
        charts: Vec::new(),
        tables: Vec::new(),
        empty: rows
            .is_empty()
            .then(|| "No referrals on were sent in the period.".into()),
    };
    let headers = [
        "Service",
        "Sent",
        "Waiting for an answer",
        "Accepted",
        "Declined",
        "Re-routed",
        "Withdrawn",
    ];
    let mut t = Table::new("onward-by-service", "Referrals on by service", &headers);
    let columns: Vec<(Vec<Value>, Value)> = (0..6)
        .map(|i| {
            counted(
                &rows
                    .iter()
                    .map(|r| {
                        [
                            r.sent,
                            r.waiting,
                            r.accepted,
                            r.declined,
                            r.rerouted,
                            r.withdrawn,
                        ][i]
                    })
                    .collect::<Vec<_>>(),
                c.threshold,
            )
        })
        .collect();
    for (i, r) in rows.iter().enumerate() {
        t.row(
            r.service.clone(),
            columns.iter().map(|(col, _)| col[i].clone()).collect(),
        );
    }
    t.total(
        "All services",
        columns.iter().map(|(_, total)| total.clone()).collect(),
    );
    t.note_suppression(c.threshold);
    section.tables.push(t);

    let mut declined: BTreeMap<String, u64> = BTreeMap::new();
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    for r in &rows {
        for (k, n) in &r.declined_by {
            *declined.entry(k.clone()).or_default() += n;
        }
        for (k, n) in &r.outcomes {
            *outcomes.entry(k.clone()).or_default() += n;
        }
    }
    let mut list = |id: &str, title: &str, head: &str, items: Vec<(String, u64)>| {
        let (cells, total) = counted(
            &items.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
            c.threshold,
        );
        let mut t = Table::new(id, title, &[head, "Referrals on", "Share"]);
        for ((label, _), v) in items.iter().zip(cells) {
            let s = share(&v, &total);
            t.row(label.clone(), vec![v, s]);
        }
        t.total("All", vec![total, Value::Empty]);
        t.note_suppression(c.threshold);
        section.tables.push(t);
    };
    list(
        "declines-by-reason",
        "Declined, by the service's reason",
        "Reason",
        declined
            .into_iter()
            .map(|(k, n)| {
                (
                    DeclineReason::from_slug(&k)
                        .map_or("Another reason", DeclineReason::label)
                        .to_owned(),
                    n,
                )
            })
            .collect(),
    );
    list(
        "onward-outcomes",
        "How support ended, as services recorded it",
        "Outcome",
        outcomes
            .into_iter()
            .map(|(k, n)| {
                (
                    Outcome::from_slug(&k)
                        .map_or("Another outcome", Outcome::label)
                        .to_owned(),
                    n,
                )
            })
            .collect(),
    );
    let consents = store.report_consents(from, to).await?;
    let get = |k: &str| consents.get(k).copied().unwrap_or(0);
    list(
        "consent-decisions",
        "Consent to refer on, recorded in the period (the whole partnership)",
        "Decision",
        vec![
            ("Consent given".into(), get("given")),
            ("Consent refused".into(), get("refused")),
            (
                "Shared without consent on a recorded legal basis".into(),
                get("override"),
            ),
        ],
    );
    Ok(section)
}

/// Section 6: outcomes of the cases closed in the period.
pub async fn outcomes(store: &ScopedStore, c: &Choice) -> Result<Section> {
    let (from, to) = (c.period.start(), c.period.end());
    let rows = store.report_outcomes(from, to, &c.filter).await?;
    let mut section = Section {
        id: "outcomes",
        title: "Outcomes",
        intro: format!(
            "Cases closed in {}: whether the person felt better able to cope with the immediate impact of the crime and on the way to recovering (the Ministry of Justice's two questions), whether their risk was lower at closure than when referred, and the distance travelled on the outcome tool.",
            c.period.label()
        ),
        charts: Vec::new(),
        tables: Vec::new(),
        empty: rows
            .is_empty()
            .then(|| "Not yet recorded: no cases were closed in the period.".into()),
    };
    let mut t = Table::new(
        "outcomes-by-service",
        "Closed cases by service and tier",
        &[
            "Service and tier",
            "Closed",
            "Better able to cope",
            "Not better able to cope",
            "Recovering",
            "Not recovering",
            "Not asked",
            "Risk lower at closure",
        ],
    );
    let columns: Vec<(Vec<Value>, Value)> = (0..7)
        .map(|i| {
            counted(
                &rows
                    .iter()
                    .map(|r| {
                        [
                            r.closed,
                            r.cope_yes,
                            r.cope_no,
                            r.recover_yes,
                            r.recover_no,
                            r.not_asked,
                            r.risk_lower,
                        ][i]
                    })
                    .collect::<Vec<_>>(),
                c.threshold,
            )
        })
        .collect();
    for (i, r) in rows.iter().enumerate() {
        let tier = r
            .tier
            .as_deref()
            .and_then(harbour_domain::needs::ServiceTier::from_slug)
            .map_or("no tier", |t| t.label());
        t.row(
            format!("{}, {}", r.service, tier.to_lowercase()),
            columns.iter().map(|(col, _)| col[i].clone()).collect(),
        );
    }
    t.total(
        "All closed cases",
        columns.iter().map(|(_, total)| total.clone()).collect(),
    );
    t.note_suppression(c.threshold);
    section.tables.push(t);
    let distance = store.report_distance(from, to, &c.filter).await?;
    let mut t = Table::new(
        "distance-travelled",
        "Distance travelled on the outcome tool, first reading to latest",
        &[
            "Area of need",
            "Cases with two readings",
            "Improved",
            "Worse",
            "Average change",
        ],
    );
    for d in &distance {
        let hidden = d.cases > 0 && d.cases < c.threshold;
        let cell = |n: u64| {
            if hidden || (n > 0 && n < c.threshold) {
                Value::Suppressed(format!("<{}", c.threshold))
            } else {
                Value::Count(n)
            }
        };
        t.row(
            d.area.clone(),
            vec![
                cell(d.cases),
                cell(d.improved),
                cell(d.worse),
                if hidden {
                    Value::Empty
                } else {
                    Value::Decimal(d.mean_change, 1)
                },
            ],
        );
    }
    if distance.is_empty() {
        t.notes
            .push("Not yet recorded: no closed case in the period has two readings.".into());
    }
    t.notes.push("Each area is scored from 1 to 10; the change is the latest reading less the first, so a positive change is better.".into());
    t.note_suppression(c.threshold);
    section.tables.push(t);
    Ok(section)
}

/// Section 7: repeat victimisation by crime category.
pub async fn repeats(store: &ScopedStore, c: &Choice) -> Result<Section> {
    let (from, to) = (c.period.start(), c.period.end());
    let rows = store.report_repeats(from, to, &c.filter).await?;
    let mut section = Section {
        id: "repeats",
        title: "Repeat victimisation",
        intro: "A referral is a repeat when the same person was referred in the 365 days before it, for any crime; people Harbour has recognised as one person count as one. A repeat victim is a person with a repeat referral in the period.".into(),
        charts: Vec::new(),
        tables: Vec::new(),
        empty: rows.is_empty().then(|| "No referrals were received in the period.".into()),
    };
    let mut t = Table::new(
        "repeat-victimisation",
        "Repeat victimisation by crime category",
        &[
            "Crime category",
            "Referrals",
            "Repeats",
            "Share of referrals that were repeats",
            "People referred",
            "Repeat victims",
            "Share of people who were repeat victims",
            "Share of referrals about repeat victims",
        ],
    );
    let col = |f: fn(&harbour_storage::reports::counts::RepeatRow) -> u64| {
        counted(&rows.iter().map(f).collect::<Vec<_>>(), c.threshold)
    };
    let (refs, refs_t) = col(|r| r.referrals);
    let (reps, reps_t) = col(|r| r.repeats);
    let (people, _) = col(|r| r.victims);
    let (rv, _) = col(|r| r.repeat_victims);
    let (by, by_t) = col(|r| r.by_repeat_victims);
    for (i, r) in rows.iter().enumerate() {
        t.row(
            Breakdown::Crime.value_label(Some(&r.crime)),
            vec![
                refs[i].clone(),
                reps[i].clone(),
                share(&reps[i], &refs[i]),
                people[i].clone(),
                rv[i].clone(),
                share(&rv[i], &people[i]),
                share(&by[i], &refs[i]),
            ],
        );
    }
    let (s1, s2) = (share(&reps_t, &refs_t), share(&by_t, &refs_t));
    t.total(
        "All crime categories",
        vec![
            refs_t,
            reps_t,
            s1,
            Value::Empty,
            Value::Empty,
            Value::Empty,
            s2,
        ],
    );
    t.notes.push("People are not added up across crime categories: one person can be referred for more than one.".into());
    t.note_suppression(c.threshold);
    section.tables.push(t);
    Ok(section)
}

/// Section 8: MARAC, per MARAC.
pub async fn marac(store: &ScopedStore, c: &Choice) -> Result<Section> {
    let rows = store
        .report_maracs(c.period.start(), c.period.end())
        .await?;
    let mut section = Section {
        id: "marac",
        title: "MARAC",
        intro: format!(
            "Cases heard at each MARAC's meetings in {}. Each coordinator's quarterly return has the national dataset's full figures.",
            c.period.label()
        ),
        charts: Vec::new(),
        tables: Vec::new(),
        empty: rows
            .is_empty()
            .then(|| "Not yet recorded: no MARAC is set up.".into()),
    };
    let mut t = Table::new(
        "marac",
        "MARAC meetings and cases",
        &[
            "MARAC",
            "Meetings held",
            "Cases heard",
            "Repeats",
            "Share repeats",
            "Referred by agencies other than the police",
            "Share not from the police",
        ],
    );
    let (cases, cases_t) = counted(
        &rows.iter().map(|r| r.cases).collect::<Vec<_>>(),
        c.threshold,
    );
    let (reps, reps_t) = counted(
        &rows.iter().map(|r| r.repeats).collect::<Vec<_>>(),
        c.threshold,
    );
    let (np, np_t) = counted(
        &rows.iter().map(|r| r.not_police).collect::<Vec<_>>(),
        c.threshold,
    );
    for (i, r) in rows.iter().enumerate() {
        t.row(
            r.marac.clone(),
            vec![
                Value::Count(r.meetings),
                cases[i].clone(),
                reps[i].clone(),
                share(&reps[i], &cases[i]),
                np[i].clone(),
                share(&np[i], &cases[i]),
            ],
        );
    }
    let meetings: u64 = rows.iter().map(|r| r.meetings).sum();
    let (s1, s2) = (share(&reps_t, &cases_t), share(&np_t, &cases_t));
    t.total(
        "All MARACs",
        vec![Value::Count(meetings), cases_t, reps_t, s1, np_t, s2],
    );
    t.note_suppression(c.threshold);
    section.tables.push(t);
    Ok(section)
}

/// Coverage gaps, from the directory as it is now: per area, the categories of need no running
/// service there meets.
pub fn coverage(
    all_areas: &[Area],
    services: &[harbour_domain::directory::ServiceProfile],
) -> Section {
    use harbour_domain::coverage::{CoverageFilter, coverage};
    let rows = coverage(all_areas, services, &CoverageFilter::default());
    let mut t = Table::new(
        "coverage-gaps",
        "Categories of need with no service, by area (the directory today)",
        &["Area", "Gaps", "Needs no service there meets"],
    );
    let mut total = 0;
    for r in &rows {
        let gaps: Vec<&str> = harbour_domain::needs::NeedCategory::ALL
            .iter()
            .zip(&r.cells)
            .filter(|(_, c)| c.is_gap())
            .map(|(n, _)| n.label())
            .collect();
        total += gaps.len() as u64;
        t.row(
            r.area.name.clone(),
            vec![
                Value::Count(gaps.len() as u64),
                Value::Text(if gaps.is_empty() {
                    "None".into()
                } else {
                    gaps.join("; ")
                }),
            ],
        );
    }
    t.total("All areas", vec![Value::Count(total), Value::Empty]);
    t.notes.push("Counts of services, not of people, so nothing here is suppressed. The coverage page breaks these down by age group, gender and tier.".into());
    Section {
        id: "coverage",
        title: "Coverage gaps",
        intro: "Where there is no service: for each area, the categories of need that no running service a resident there can use meets, from the directory as it stands today.".into(),
        charts: Vec::new(),
        tables: vec![t],
        empty: None,
    }
}
