//! Sections 5 and 6: referrals on by service, and the outcomes of closed cases.

use super::{Choice, Section};
use crate::pages::reports::table::{Table, Value, counted, share};
use harbour_domain::onward::{DeclineReason, Outcome};
use harbour_storage::error::Result;
use harbour_storage::scoped::ScopedStore;
use std::collections::BTreeMap;

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
