//! Section 8: MARAC.

use super::{Choice, Section};
use crate::pages::reports::table::{Table, Value, counted, share};
use harbour_storage::error::Result;
use harbour_storage::scoped::ScopedStore;

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
