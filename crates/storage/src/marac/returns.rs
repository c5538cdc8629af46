//! The quarterly national data return for a MARAC: the cases heard at its meetings held in the
//! quarter, counted by `domain::marac::dataset`; adult women estimated from the population of its
//! areas; the capacity figures against the planning ratios.

use super::*;
use crate::referrals::from_json;
use harbour_domain::audit::AuditAction;
use harbour_domain::marac::dataset::{
    ADULT_WOMEN_SHARE, Quarter, QuarterlyReturn, ReturnCase, quarterly_return,
};
use harbour_domain::referral::Perpetrator;

/// A return with the posts that carry the MARAC's work.
#[derive(Debug, Clone)]
pub struct ReturnReport {
    pub marac: Marac,
    pub figures: QuarterlyReturn,
    pub idva_posts: i64,
    pub coordinator_posts: i64,
}

impl ReturnReport {
    /// Cases a year per IDVA post at this quarter's rate (planning ratio: about 100).
    pub fn per_idva(&self) -> Option<f64> {
        (self.idva_posts > 0).then(|| {
            (f64::from(self.figures.cases) * 4.0 / self.idva_posts as f64 * 10.0).round() / 10.0
        })
    }

    /// Cases a year per coordinator post at this quarter's rate (planning ratio: about 400).
    pub fn per_coordinator(&self) -> Option<f64> {
        (self.coordinator_posts > 0).then(|| {
            (f64::from(self.figures.cases) * 4.0 / self.coordinator_posts as f64 * 10.0).round()
                / 10.0
        })
    }
}

#[derive(sqlx::FromRow)]
struct ReturnRow {
    repeat_of: Option<String>,
    agency_kind: String,
    agency: String,
    children: String,
    perpetrators: String,
    victim_minoritised: Option<crate::db::Flag>,
    victim_lgbt: Option<crate::db::Flag>,
    victim_disabled: Option<crate::db::Flag>,
    date_of_birth: Option<String>,
    details: String,
    held_on: String,
    return_facts: Option<String>,
}

/// What the return counts about one case beyond its flags: kept as it was when the case's
/// content is erased, so past returns still add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct ReturnFacts {
    pub children: u32,
    pub victim_male: bool,
    pub victim_aged_16_17: bool,
    pub perpetrator_under_18: bool,
}

/// Works out [`ReturnFacts`] from a case's lists and the person's details as heard on `heard`.
pub(crate) fn return_facts(
    children: &str,
    perpetrators: &str,
    details: &str,
    date_of_birth: Option<&str>,
    heard: chrono::NaiveDate,
) -> Result<ReturnFacts> {
    let details: serde_json::Value = from_json(details)?;
    let age = date_of_birth
        .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
        .and_then(|dob| heard.years_since(dob));
    let children: Vec<serde_json::Value> = from_json(children)?;
    let perpetrators: Vec<Perpetrator> = from_json(perpetrators)?;
    Ok(ReturnFacts {
        children: u32::try_from(children.len()).unwrap_or(u32::MAX),
        victim_male: details.get("gender").and_then(|g| g.as_str()) == Some("male"),
        victim_aged_16_17: matches!(age, Some(16 | 17)),
        perpetrator_under_18: perpetrators.iter().any(|p| p.age.is_some_and(|a| a <= 17)),
    })
}

impl ScopedStore {
    /// The return for a MARAC and quarter (coordinators only: figures, no names).
    pub async fn marac_return(&self, marac: &MaracId, quarter: Quarter) -> Result<ReturnReport> {
        self.grant(Action::ManageMarac)?;
        let mut tx = self.db().begin_write().await?;
        let m = self.marac_in(&mut tx, marac).await?;
        let (from, to) = (quarter.start().to_string(), quarter.end().to_string());
        let meetings: Vec<String> = sqlx::query_scalar(
            "SELECT held_on FROM marac_meetings WHERE marac_id = $1 AND status = 'held' \
             AND held_on >= $2 AND held_on <= $3 ORDER BY held_on",
        )
        .bind(marac)
        .bind(&from)
        .bind(&to)
        .fetch_all(tx.conn())
        .await?;
        let rows: Vec<ReturnRow> = sqlx::query_as(
            "SELECT c.repeat_of, a.kind AS agency_kind, a.name AS agency, c.children, c.perpetrators, \
             c.victim_minoritised, c.victim_lgbt, c.victim_disabled, p.date_of_birth, p.details, g.held_on, \
             c.return_facts \
             FROM marac_cases c JOIN marac_meetings g ON g.id = c.meeting_id \
             JOIN agencies a ON a.id = c.referring_agency_id JOIN persons p ON p.id = c.person_id \
             WHERE c.marac_id = $1 AND g.status = 'held' AND g.held_on >= $2 AND g.held_on <= $3",
        )
        .bind(marac)
        .bind(&from)
        .bind(&to)
        .fetch_all(tx.conn())
        .await?;
        let sql = format!(
            "SELECT CAST(SUM(population) AS BIGINT) FROM areas WHERE gss_code IN ({})",
            (1..=m.areas.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut query = sqlx::query_scalar(&sql);
        for area in &m.areas {
            query = query.bind(area);
        }
        let population: Option<i64> = query.fetch_one(tx.conn()).await?;
        let posts: (i64, i64) =
            sqlx::query_as("SELECT idva_posts, coordinator_posts FROM maracs WHERE id = $1")
                .bind(marac)
                .fetch_one(tx.conn())
                .await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "marac",
            Some(marac.as_str()),
            "make the MARAC quarterly return",
        )
        .await?;
        tx.commit().await?;
        let mut cases = Vec::with_capacity(rows.len());
        for r in rows {
            let heard: chrono::NaiveDate = r
                .held_on
                .parse()
                .map_err(|e: chrono::ParseError| StorageError::Corrupt(e.to_string()))?;
            let facts = match &r.return_facts {
                Some(kept) => from_json(kept)?,
                None => return_facts(
                    &r.children,
                    &r.perpetrators,
                    &r.details,
                    r.date_of_birth.as_deref(),
                    heard,
                )?,
            };
            cases.push(ReturnCase {
                repeat: r.repeat_of.is_some(),
                referred_by_police: r.agency_kind == "police",
                referring_agency: r.agency,
                children: facts.children,
                victim_minoritised: r.victim_minoritised.is_some_and(|f| f.0),
                victim_lgbt: r.victim_lgbt.is_some_and(|f| f.0),
                victim_disabled: r.victim_disabled.is_some_and(|f| f.0),
                victim_male: facts.victim_male,
                victim_aged_16_17: facts.victim_aged_16_17,
                perpetrator_under_18: facts.perpetrator_under_18,
            });
        }
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let adult_women = (population.unwrap_or(0) as f64 * ADULT_WOMEN_SHARE).round() as u64;
        let held: Vec<chrono::NaiveDate> = meetings.iter().filter_map(|d| d.parse().ok()).collect();
        Ok(ReturnReport {
            figures: quarterly_return(quarter, &cases, &held, adult_women),
            marac: m,
            idva_posts: posts.0,
            coordinator_posts: posts.1,
        })
    }
}
