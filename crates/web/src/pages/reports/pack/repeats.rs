//! Section 7: repeat victimisation.

use super::{Choice, Section};
use crate::pages::reports::table::{Table, Value, counted, share};
use harbour_domain::stats::breakdown::Breakdown;
use harbour_storage::error::Result;
use harbour_storage::scoped::ScopedStore;

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
