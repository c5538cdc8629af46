//! MARAC figures for the partnership's reports: per MARAC, the meetings held in a period, the
//! cases heard there, repeats and referrals from agencies other than the police. Counts only;
//! the coordinator's quarterly return (`crate::marac::returns`) has the rest.

use crate::error::Result;
use crate::scoped::ScopedStore;
use chrono::NaiveDate;
use harbour_domain::permission::Action;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaracRow {
    pub marac: String,
    pub meetings: u64,
    pub cases: u64,
    pub repeats: u64,
    pub not_police: u64,
}

#[derive(sqlx::FromRow)]
struct MaracDb {
    marac: String,
    meetings: i64,
    cases: i64,
    repeats: i64,
    not_police: i64,
}

impl ScopedStore {
    /// Every MARAC's meetings held from `from` to `to` and the cases heard at them.
    pub async fn report_maracs(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<MaracRow>> {
        self.grant(Action::ViewStatistics)?;
        let rows: Vec<MaracDb> = sqlx::query_as(
            "SELECT m.name AS marac, \
             (SELECT COUNT(*) FROM marac_meetings g WHERE g.marac_id = m.id AND g.status = 'held' \
              AND g.held_on >= $1 AND g.held_on <= $2) AS meetings, \
             COUNT(c.id) AS cases, \
             COALESCE(SUM(CASE WHEN c.repeat_of IS NOT NULL THEN 1 ELSE 0 END), 0) AS repeats, \
             COALESCE(SUM(CASE WHEN c.id IS NOT NULL AND a.kind <> 'police' THEN 1 ELSE 0 END), 0) AS not_police \
             FROM maracs m \
             LEFT JOIN marac_meetings g ON g.marac_id = m.id AND g.status = 'held' AND g.held_on >= $1 AND g.held_on <= $2 \
             LEFT JOIN marac_cases c ON c.meeting_id = g.id \
             LEFT JOIN agencies a ON a.id = c.referring_agency_id \
             GROUP BY m.id, m.name ORDER BY m.name",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(self.db().pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| MaracRow {
                marac: r.marac,
                meetings: u64::try_from(r.meetings).unwrap_or(0),
                cases: u64::try_from(r.cases).unwrap_or(0),
                repeats: u64::try_from(r.repeats).unwrap_or(0),
                not_police: u64::try_from(r.not_police).unwrap_or(0),
            })
            .collect())
    }
}
