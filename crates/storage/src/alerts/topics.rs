//! The topics subscribers choose and alerts are about: data, in `alert_topics`, each with a bit
//! so that a set of topics is one number.

use crate::db::{Db, Flag};
use crate::error::Result;
use harbour_domain::alerts::subscription::BusinessSector;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub id: String,
    pub bit: i64,
    pub name: String,
    pub hint: String,
    /// The business sector it is for, if it is a sector's topic.
    pub sector: Option<BusinessSector>,
}

#[derive(sqlx::FromRow)]
struct TopicRow {
    id: String,
    bit: i64,
    name: String,
    hint: String,
    sector: Option<String>,
    active: Flag,
}

/// The topics offered, in their order.
pub async fn topics(db: &Db) -> Result<Vec<Topic>> {
    let rows: Vec<TopicRow> = sqlx::query_as(
        "SELECT id, bit, name, hint, sector, active FROM alert_topics ORDER BY position, id",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.active.0)
        .map(|r| Topic {
            sector: r.sector.as_deref().and_then(BusinessSector::from_slug),
            id: r.id,
            bit: r.bit,
            name: r.name,
            hint: r.hint,
        })
        .collect())
}

/// The bits of `chosen` (topic ids) as one number.
pub fn mask(all: &[Topic], chosen: &[String]) -> i64 {
    all.iter()
        .filter(|t| chosen.contains(&t.id))
        .fold(0, |m, t| m | (1i64 << t.bit))
}

/// The topics whose bits are in `mask`.
pub fn in_mask(all: &[Topic], mask: i64) -> Vec<&Topic> {
    all.iter().filter(|t| mask & (1i64 << t.bit) != 0).collect()
}

/// Topic ids as a comma-separated list, as `alerts.topics` keeps them.
pub fn ids(all: &[Topic], mask: i64) -> Vec<String> {
    in_mask(all, mask)
        .into_iter()
        .map(|t| t.id.clone())
        .collect()
}
