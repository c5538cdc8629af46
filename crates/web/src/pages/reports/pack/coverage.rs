//! Coverage gaps, from the directory as it is now.

use super::Section;
use crate::pages::reports::table::{Table, Value};
use harbour_domain::area::Area;

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
