//! Section 1: referrals by area with rates and intervals, and by each other breakdown.

use super::{Choice, Section, area_name, community_safety_areas, count_of};
use crate::pages::reports::svg::{self, FunnelPoint};
use crate::pages::reports::table::{Table, Value, counted, share};
use harbour_domain::area::Area;
use harbour_domain::stats::breakdown::Breakdown;
use harbour_domain::stats::control::{self};
use harbour_domain::stats::rate::{Confidence, funnel_limits, rate};
use harbour_storage::error::Result;
use harbour_storage::scoped::ScopedStore;

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
fn breakdown_table(by: Breakdown, counts: &[(Option<String>, u64)], c: &Choice) -> Table {
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
