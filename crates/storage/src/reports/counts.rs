//! The counts from `report_facts`: by a breakdown, the gateway funnel with timeliness, months
//! for a control chart, and repeat victimisation. Every figure is a count of referrals or of
//! people, never a row about one.

use super::summary::{FACT_SUMS, MEASURES};
use super::{Filter, Where};
use crate::error::Result;
use crate::scoped::ScopedStore;
use chrono::{Datelike, Months, NaiveDate};
use harbour_domain::permission::Action;
use harbour_domain::stats::breakdown::Breakdown;
use std::collections::{BTreeMap, HashSet};

/// Referrals by one breakdown: each value (None where nothing is recorded) and its count.
pub type Counts = Vec<(Option<String>, u64)>;

/// The gateway funnel for one group of referrals, with how quickly they reached support.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunnelRow {
    /// The breakdown's value; None for the whole or where nothing is recorded.
    pub key: Option<String>,
    pub referrals: u64,
    pub advised: u64,
    pub accepted: u64,
    pub referred_on: u64,
    pub completed: u64,
    /// Reached support (advice given or referred on) at all, and by the due date (2 working
    /// days for most, as the Victims' Code asks).
    pub reached: u64,
    pub reached_in_time: u64,
    /// Days from receipt to first speaking to the person: same or next day, 2 to 7, 8 to 14,
    /// over 14; and not yet.
    pub contact_within_1: u64,
    pub contact_within_7: u64,
    pub contact_within_14: u64,
    pub contact_later: u64,
    pub contact_none: u64,
}

#[derive(sqlx::FromRow, Default)]
struct FunnelDb {
    key: Option<String>,
    referrals: i64,
    advised: i64,
    accepted: i64,
    referred_on: i64,
    completed: i64,
    reached: i64,
    reached_in_time: i64,
    contact_within_1: i64,
    contact_within_7: i64,
    contact_within_14: i64,
    contact_later: i64,
}

impl FunnelDb {
    fn add(&mut self, o: &FunnelDb) {
        self.referrals += o.referrals;
        self.advised += o.advised;
        self.accepted += o.accepted;
        self.referred_on += o.referred_on;
        self.completed += o.completed;
        self.reached += o.reached;
        self.reached_in_time += o.reached_in_time;
        self.contact_within_1 += o.contact_within_1;
        self.contact_within_7 += o.contact_within_7;
        self.contact_within_14 += o.contact_within_14;
        self.contact_later += o.contact_later;
    }
}

/// A period as the whole months in it (`YYYY-MM`, first and last), read from the sums, and the
/// days at either end outside them, read from the facts.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) months: Option<(String, String)>,
    pub(crate) days: Vec<(NaiveDate, NaiveDate)>,
}

impl Span {
    pub(crate) fn of(from: NaiveDate, to: NaiveDate) -> Span {
        let first = if from.day() == 1 {
            Some(from)
        } else {
            from.checked_add_months(Months::new(1))
                .and_then(|d| d.with_day(1))
        };
        let next = to.succ_opt();
        let last = if next.is_some_and(|d| d.day() == 1) {
            Some(to)
        } else {
            to.with_day(1).and_then(|d| d.pred_opt())
        };
        match (first, last) {
            (Some(a), Some(b)) if a <= b => {
                let mut days = Vec::new();
                if from < a {
                    days.push((from, a.pred_opt().unwrap_or(a)));
                }
                if b < to {
                    days.push((b.succ_opt().unwrap_or(b), to));
                }
                Span {
                    months: Some((a.format("%Y-%m").to_string(), b.format("%Y-%m").to_string())),
                    days,
                }
            }
            _ => Span {
                months: None,
                days: if from <= to { vec![(from, to)] } else { vec![] },
            },
        }
    }
}

fn n(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Repeat victimisation in one crime category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepeatRow {
    pub crime: String,
    pub referrals: u64,
    /// Referrals of a person referred before in the 365 days before.
    pub repeats: u64,
    pub victims: u64,
    /// People with at least one repeat referral in the period.
    pub repeat_victims: u64,
    /// Referrals of those people in the period.
    pub by_repeat_victims: u64,
}

/// How far back a referral counts as making the next one a repeat.
pub const REPEAT_WINDOW_DAYS: i64 = 365;

impl ScopedStore {
    /// Referrals received from `from` to `to` (UK dates, both included) by `by`.
    pub async fn report_counts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        filter: &Filter,
        by: Breakdown,
    ) -> Result<Counts> {
        self.grant(Action::ViewStatistics)?;
        Ok(self
            .funnel_rows(from, to, filter, Some(by))
            .await?
            .into_iter()
            .map(|r| (r.key, n(r.referrals)))
            .collect())
    }

    /// The funnel, for the whole (`by` None) or by a breakdown.
    pub async fn report_funnel(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        filter: &Filter,
        by: Option<Breakdown>,
    ) -> Result<Vec<FunnelRow>> {
        self.grant(Action::ViewStatistics)?;
        let mut rows = self.funnel_rows(from, to, filter, by).await?;
        // An empty period still has a row for the whole.
        if rows.is_empty() && by.is_none() {
            rows.push(FunnelDb::default());
        }
        Ok(rows
            .into_iter()
            .map(|r| {
                let contacted =
                    r.contact_within_1 + r.contact_within_7 + r.contact_within_14 + r.contact_later;
                FunnelRow {
                    key: r.key,
                    referrals: n(r.referrals),
                    advised: n(r.advised),
                    accepted: n(r.accepted),
                    referred_on: n(r.referred_on),
                    completed: n(r.completed),
                    reached: n(r.reached),
                    reached_in_time: n(r.reached_in_time),
                    contact_within_1: n(r.contact_within_1),
                    contact_within_7: n(r.contact_within_7),
                    contact_within_14: n(r.contact_within_14),
                    contact_later: n(r.contact_later),
                    contact_none: n(r.referrals - contacted),
                }
            })
            .collect())
    }

    /// The funnel's sums for the period by `by`: the whole months from `report_summary`, the
    /// days outside them from `report_facts`, added together. Keys with no referrals are left
    /// out.
    async fn funnel_rows(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        filter: &Filter,
        by: Option<Breakdown>,
    ) -> Result<Vec<FunnelDb>> {
        let span = Span::of(from, to);
        let mut parts = Vec::new();
        if let Some((a, b)) = &span.months {
            let mut w = Where::facts("s", None, filter);
            let (key, group) = match by {
                Some(b @ (Breakdown::Area | Breakdown::Source | Breakdown::Crime)) => {
                    w.push("s.breakdown = ", "all".into());
                    let c = format!("s.{}", b.column());
                    (format!("NULLIF({c}, '')"), format!(" GROUP BY {c}"))
                }
                Some(b) => {
                    w.push("s.breakdown = ", b.column().into());
                    ("NULLIF(s.value, '')".into(), " GROUP BY s.value".into())
                }
                None => {
                    w.push("s.breakdown = ", "all".into());
                    ("CAST(NULL AS TEXT)".into(), String::new())
                }
            };
            w.push("s.month >= ", a.clone());
            w.push("s.month <= ", b.clone());
            let sums: Vec<String> = MEASURES
                .iter()
                .map(|m| format!("CAST(COALESCE(SUM(s.{m}), 0) AS BIGINT) AS {m}"))
                .collect();
            let sql = format!(
                "SELECT {key} AS key, {} FROM report_summary s WHERE {}{group}",
                sums.join(", "),
                w.sql
            );
            parts.push((sql, w));
        }
        for (a, b) in &span.days {
            let w = Where::facts("f", Some((*a, *b)), filter);
            let (key, group) = match by {
                Some(b) => (
                    format!("f.{}", b.column()),
                    format!(" GROUP BY f.{}", b.column()),
                ),
                None => ("CAST(NULL AS TEXT)".to_owned(), String::new()),
            };
            let sql = format!(
                "SELECT {key} AS key, {FACT_SUMS} \
                 FROM report_facts f WHERE {}{group}",
                w.sql
            );
            parts.push((sql, w));
        }
        let mut by_key: BTreeMap<Option<String>, FunnelDb> = BTreeMap::new();
        for (sql, w) in &parts {
            let rows: Vec<FunnelDb> = w
                .bind_all(sqlx::query_as(sql))
                .fetch_all(self.db().pool())
                .await?;
            for r in rows {
                by_key.entry(r.key.clone()).or_default().add(&r);
            }
        }
        Ok(by_key
            .into_iter()
            .filter(|(_, r)| r.referrals > 0)
            .map(|(key, r)| FunnelDb { key, ..r })
            .collect())
    }

    /// Referrals a month from the month `from` to the month `to` (both `YYYY-MM`), every month
    /// present, none missing as zero.
    pub async fn report_months(
        &self,
        from: (i32, u32),
        to: (i32, u32),
        filter: &Filter,
    ) -> Result<Vec<((i32, u32), u64)>> {
        self.grant(Action::ViewStatistics)?;
        let mut w = Where::facts("s", None, filter);
        let (a, b) = (
            format!("{:04}-{:02}", from.0, from.1),
            format!("{:04}-{:02}", to.0, to.1),
        );
        w.push("s.breakdown = ", "all".into());
        w.push("s.month >= ", a);
        w.push("s.month <= ", b);
        let sql = format!(
            "SELECT s.month, CAST(SUM(s.referrals) AS BIGINT) FROM report_summary s WHERE {} \
             GROUP BY s.month",
            w.sql
        );
        let rows: Vec<(String, i64)> = w
            .bind_all(sqlx::query_as(&sql))
            .fetch_all(self.db().pool())
            .await?;
        let found: BTreeMap<String, u64> = rows.into_iter().map(|(m, c)| (m, n(c))).collect();
        let mut out = Vec::new();
        let (mut y, mut m) = from;
        while (y, m) <= to {
            let key = format!("{y:04}-{m:02}");
            out.push(((y, m), found.get(&key).copied().unwrap_or(0)));
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        Ok(out)
    }

    /// Repeat victimisation by crime category: a referral is a repeat when the same person
    /// (people recognised as one count as one) was referred in the 365 days before it, for any
    /// crime.
    pub async fn report_repeats(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        filter: &Filter,
    ) -> Result<Vec<RepeatRow>> {
        self.grant(Action::ViewStatistics)?;
        let w = Where::facts("f", Some((from, to)), filter);
        let sql = format!(
            "SELECT f.crime_category, f.person_id, CASE WHEN EXISTS (SELECT 1 FROM report_facts g \
             WHERE g.person_id = f.person_id AND g.received_day >= f.received_day - {REPEAT_WINDOW_DAYS} \
             AND g.received_day <= f.received_day AND g.received_at < f.received_at) THEN 1 ELSE 0 END \
             FROM report_facts f WHERE {}",
            w.sql
        );
        let rows: Vec<(String, String, i32)> = w
            .bind_all(sqlx::query_as(&sql))
            .fetch_all(self.db().pool())
            .await?;
        /// One crime category as it is counted: its row, its people, those with a repeat,
        /// and whose each referral was.
        #[derive(Default)]
        struct Tally {
            row: RepeatRow,
            people: HashSet<String>,
            repeaters: HashSet<String>,
            whose: Vec<String>,
        }
        let mut by: BTreeMap<String, Tally> = BTreeMap::new();
        for (crime, person, repeat) in rows {
            let e = by.entry(crime.clone()).or_insert_with(|| Tally {
                row: RepeatRow {
                    crime,
                    ..RepeatRow::default()
                },
                ..Tally::default()
            });
            e.row.referrals += 1;
            if repeat == 1 {
                e.row.repeats += 1;
                e.repeaters.insert(person.clone());
            }
            e.people.insert(person.clone());
            e.whose.push(person);
        }
        Ok(by
            .into_values()
            .map(|t| {
                let mut row = t.row;
                row.victims = t.people.len() as u64;
                row.repeat_victims = t.repeaters.len() as u64;
                row.by_repeat_victims =
                    t.whose.iter().filter(|p| t.repeaters.contains(*p)).count() as u64;
                row
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::Span;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn months(a: &str, b: &str) -> Option<(String, String)> {
        Some((a.to_owned(), b.to_owned()))
    }

    #[test]
    fn a_period_splits_into_whole_months_and_the_days_either_side() {
        assert_eq!(
            Span::of(d("2026-07-01"), d("2026-09-30")),
            Span {
                months: months("2026-07", "2026-09"),
                days: vec![]
            }
        );
        assert_eq!(
            Span::of(d("2026-02-01"), d("2026-02-28")),
            Span {
                months: months("2026-02", "2026-02"),
                days: vec![]
            }
        );
        assert_eq!(
            Span::of(d("2026-07-15"), d("2026-09-10")),
            Span {
                months: months("2026-08", "2026-08"),
                days: vec![
                    (d("2026-07-15"), d("2026-07-31")),
                    (d("2026-09-01"), d("2026-09-10"))
                ]
            }
        );
        assert_eq!(
            Span::of(d("2025-12-31"), d("2026-01-31")),
            Span {
                months: months("2026-01", "2026-01"),
                days: vec![(d("2025-12-31"), d("2025-12-31"))]
            }
        );
        for (a, b) in [("2026-07-15", "2026-08-10"), ("2026-07-15", "2026-07-20")] {
            assert_eq!(
                Span::of(d(a), d(b)),
                Span {
                    months: None,
                    days: vec![(d(a), d(b))]
                }
            );
        }
    }
}
