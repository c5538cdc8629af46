//! The quarterly report: ready on the first working day after each calendar quarter, when the
//! job worker e-mails the commissioner's office a link to it (and nothing else).

use crate::db::Db;
use crate::error::Result;
use crate::jobs::{Work, schedule};
use chrono::{DateTime, Utc};
use harbour_domain::calendar::{WorkingDays, uk_date};
use harbour_domain::marac::dataset::Quarter;

/// The quarter whose report is ready on `today`, or later: the last one ended, from the first
/// working day after it.
pub fn ready_quarter(today: chrono::NaiveDate, calendar: &WorkingDays) -> Option<Quarter> {
    let last = Quarter::of(today).previous();
    let ready = calendar.add_working_days(last.end(), 1);
    (today >= ready).then_some(last)
}

/// Queues the e-mail for the quarter just ended, once (the job's dedupe key is the quarter's),
/// to every active commissioner. Returns the quarter when it is due.
pub async fn queue_quarterly_report(db: &Db, now: DateTime<Utc>) -> Result<Option<Quarter>> {
    let Some(quarter) = ready_quarter(uk_date(now), &WorkingDays::england_and_wales()) else {
        return Ok(None);
    };
    let key = format!("quarterly-report:{}", quarter.slug());
    let queued: Option<String> = sqlx::query_scalar("SELECT id FROM jobs WHERE dedupe_key = $1")
        .bind(&key)
        .fetch_optional(db.pool())
        .await?;
    if queued.is_some() {
        return Ok(None);
    }
    let to: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT u.email FROM users u JOIN user_roles r ON r.user_id = u.id \
         WHERE r.role = 'commissioner' AND u.active = $1 ORDER BY u.email",
    )
    .bind(true)
    .fetch_all(db.pool())
    .await?;
    if to.is_empty() {
        return Ok(None);
    }
    let work = Work::QuarterlyReport {
        to,
        quarter: quarter.slug(),
        label: quarter.label(),
    };
    schedule(db, &work, Some(&key), now).await?;
    Ok(Some(quarter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarters_report_is_ready_on_the_first_working_day_after_it() {
        let cal = WorkingDays::england_and_wales();
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        // 1 October 2026 is a Thursday: ready that day.
        assert_eq!(
            ready_quarter(d("2026-10-01"), &cal).map(|q| q.slug()),
            Some("2026-Q3".into())
        );
        assert_eq!(
            ready_quarter(d("2026-09-30"), &cal).map(|q| q.slug()),
            Some("2026-Q2".into())
        );
        // 1 January is a bank holiday and 2 January 2027 a Saturday: ready Monday 4 January.
        assert_eq!(ready_quarter(d("2027-01-01"), &cal), None);
        assert_eq!(ready_quarter(d("2027-01-03"), &cal), None);
        assert_eq!(
            ready_quarter(d("2027-01-04"), &cal).map(|q| q.slug()),
            Some("2026-Q4".into())
        );
    }
}
