//! The counts from `report_facts`: by a breakdown, the gateway funnel with timeliness, months
//! for a control chart, and repeat victimisation. Every figure is a count of referrals or of
//! people, never a row about one.

use super::{Filter, Where};
use crate::error::Result;
use crate::scoped::ScopedStore;
use chrono::NaiveDate;
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

#[derive(sqlx::FromRow)]
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
        let w = Where::facts("f", Some((from, to)), filter);
        let col = by.column();
        let sql = format!(
            "SELECT f.{col} AS key, COUNT(*) AS n FROM report_facts f WHERE {} GROUP BY f.{col}",
            w.sql
        );
        let rows: Vec<(Option<String>, i64)> = w
            .bind_all(sqlx::query_as(&sql))
            .fetch_all(self.db().pool())
            .await?;
        Ok(rows.into_iter().map(|(k, c)| (k, n(c))).collect())
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
        let w = Where::facts("f", Some((from, to)), filter);
        let (key, group) = match by {
            Some(b) => (
                format!("f.{}", b.column()),
                format!(" GROUP BY f.{}", b.column()),
            ),
            None => ("CAST(NULL AS TEXT)".to_owned(), String::new()),
        };
        let sql = format!(
            "SELECT {key} AS key, COUNT(*) AS referrals, COUNT(f.advised_at) AS advised, \
             COUNT(f.accepted_at) AS accepted, COUNT(f.referred_on_at) AS referred_on, \
             COUNT(f.completed_at) AS completed, COUNT(f.reached_on) AS reached, \
             COALESCE(SUM(CASE WHEN f.reached_on <= f.due_on THEN 1 ELSE 0 END), 0) AS reached_in_time, \
             COALESCE(SUM(CASE WHEN f.contact_days <= 1 THEN 1 ELSE 0 END), 0) AS contact_within_1, \
             COALESCE(SUM(CASE WHEN f.contact_days BETWEEN 2 AND 7 THEN 1 ELSE 0 END), 0) AS contact_within_7, \
             COALESCE(SUM(CASE WHEN f.contact_days BETWEEN 8 AND 14 THEN 1 ELSE 0 END), 0) AS contact_within_14, \
             COALESCE(SUM(CASE WHEN f.contact_days > 14 THEN 1 ELSE 0 END), 0) AS contact_later \
             FROM report_facts f WHERE {}{group}",
            w.sql
        );
        let rows: Vec<FunnelDb> = w
            .bind_all(sqlx::query_as(&sql))
            .fetch_all(self.db().pool())
            .await?;
        Ok(rows
            .into_iter()
            // An empty period still answers one row for the whole, of NULL sums.
            .filter(|r| r.referrals > 0 || by.is_none())
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

    /// Referrals a month from the month `from` to the month `to` (both `YYYY-MM`), every month
    /// present, none missing as zero.
    pub async fn report_months(
        &self,
        from: (i32, u32),
        to: (i32, u32),
        filter: &Filter,
    ) -> Result<Vec<((i32, u32), u64)>> {
        self.grant(Action::ViewStatistics)?;
        let mut w = Where::facts("f", None, filter);
        let (a, b) = (
            format!("{:04}-{:02}", from.0, from.1),
            format!("{:04}-{:02}", to.0, to.1),
        );
        w.push("f.month >= ", a);
        w.push("f.month <= ", b);
        let sql = format!(
            "SELECT f.month, COUNT(*) FROM report_facts f WHERE {} GROUP BY f.month",
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
