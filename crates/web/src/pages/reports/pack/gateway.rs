//! Sections 3 and 4: the gateway funnel and timeliness, by area and by source.

use super::{Choice, Section, area_name, community_safety_areas};
use crate::pages::reports::svg::{self};
use crate::pages::reports::table::{Table, Value, counted, share};
use harbour_domain::area::Area;
use harbour_domain::deadline::Milestone;
use harbour_domain::stats::breakdown::Breakdown;
use harbour_storage::error::Result;
use harbour_storage::scoped::ScopedStore;

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
