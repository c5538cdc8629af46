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
    read(db, true).await
}

/// Every topic, retired ones too: for naming the topics of alerts already sent.
pub async fn every(db: &Db) -> Result<Vec<Topic>> {
    read(db, false).await
}

async fn read(db: &Db, offered_only: bool) -> Result<Vec<Topic>> {
    let rows: Vec<TopicRow> = sqlx::query_as(
        "SELECT id, bit, name, hint, sector, active FROM alert_topics ORDER BY position, id",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.active.0 || !offered_only)
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

/// A topic as the administrator's page shows it, offered or retired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicEntry {
    pub topic: Topic,
    pub offered: bool,
}

impl crate::scoped::ScopedStore {
    /// Every topic, retired ones too, in their order.
    pub async fn all_alert_topics(&self) -> Result<Vec<TopicEntry>> {
        self.grant(harbour_domain::permission::Action::ManageAlertTopics)?;
        let rows: Vec<TopicRow> = sqlx::query_as(
            "SELECT id, bit, name, hint, sector, active FROM alert_topics ORDER BY position, id",
        )
        .fetch_all(self.db().pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| TopicEntry {
                offered: r.active.0,
                topic: Topic {
                    sector: r.sector.as_deref().and_then(BusinessSector::from_slug),
                    id: r.id,
                    bit: r.bit,
                    name: r.name,
                    hint: r.hint,
                },
            })
            .collect())
    }

    /// Adds a topic, offered at once to subscribers (to a sector's businesses, if `sector`) and
    /// to alerts' authors. Each topic takes one of 63 bits for good, retired or not.
    pub async fn add_alert_topic(&self, name: &str, hint: &str, sector: &str) -> Result<()> {
        use harbour_domain::validation::{FieldErrors, required_text};
        self.grant(harbour_domain::permission::Action::ManageAlertTopics)?;
        let mut errors = FieldErrors::new();
        let name = required_text(&mut errors, "name", name, "Enter the topic's name", 60);
        let hint = required_text(
            &mut errors,
            "hint",
            hint,
            "Say in a few words what alerts on it are about",
            120,
        );
        let sector = if sector.is_empty() {
            None
        } else if let Some(s) = BusinessSector::from_slug(sector) {
            Some(s)
        } else {
            errors.add("sector", "Choose a business sector from the list, or none");
            None
        };
        if !errors.is_empty() {
            return Err(crate::error::StorageError::Invalid(errors));
        }
        let mut tx = self.db().begin_write().await?;
        let taken: Vec<(i64, String)> = sqlx::query_as("SELECT bit, name FROM alert_topics")
            .fetch_all(tx.conn())
            .await?;
        if taken.iter().any(|(_, n)| n.eq_ignore_ascii_case(&name)) {
            return Err(crate::error::StorageError::invalid(
                "name",
                "There is already a topic with that name",
            ));
        }
        let Some(bit) = (0..=62).find(|b| !taken.iter().any(|(t, _)| t == b)) else {
            return Err(crate::error::StorageError::invalid(
                "name",
                "Harbour holds at most 63 topics, and every one has been used (retired topics keep theirs)",
            ));
        };
        let id = crate::db::new_id();
        sqlx::query(
            "INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) \
             VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(MAX(position), 0) + 1 FROM alert_topics), $6)",
        )
        .bind(&id)
        .bind(bit)
        .bind(&name)
        .bind(&hint)
        .bind(sector.map(|s| s.slug()))
        .bind(true)
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            harbour_domain::audit::AuditAction::Create,
            "alert_topic",
            Some(&id),
            "community alerts topic added",
        )
        .await?;
        tx.commit().await
    }

    /// Offers a topic again, or retires it: a retired topic is no longer offered to subscribers
    /// or authors; alerts already sent keep it.
    pub async fn offer_alert_topic(&self, id: &str, offered: bool) -> Result<()> {
        self.grant(harbour_domain::permission::Action::ManageAlertTopics)?;
        let mut tx = self.db().begin_write().await?;
        let n = sqlx::query("UPDATE alert_topics SET active = $1 WHERE id = $2")
            .bind(offered)
            .bind(id)
            .execute(tx.conn())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(crate::error::StorageError::NotFound("alert topic"));
        }
        self.audit(
            &mut tx,
            harbour_domain::audit::AuditAction::Change,
            "alert_topic",
            Some(id),
            if offered {
                "community alerts topic offered again"
            } else {
                "community alerts topic retired"
            },
        )
        .await?;
        tx.commit().await
    }
}
