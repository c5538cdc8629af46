//! A person's history: their referrals across agencies in time order, as far as the viewer's
//! scope reaches (the hub sees all; a service's caseworker only the referrals sent on to their
//! agency), with the counts that make a repeat victim, and the merges that shaped it.

use super::merge::{MergeSummary, merges_of};
use crate::db::Stamp;
use crate::error::{Result, StorageError};
use crate::referrals::from_json;
use crate::scoped::ScopedStore;
use chrono::{DateTime, Months, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::crime::CrimeCategory;
use harbour_domain::ids::{PersonId, ReferralId};
use harbour_domain::permission::{Action, Scope};
use harbour_domain::referral::{Person, Source, Status};

/// One referral in a person's history.
#[derive(Debug, Clone)]
pub struct HistoryItem {
    pub referral_id: ReferralId,
    pub reference: String,
    pub received_at: DateTime<Utc>,
    pub source: Source,
    pub crime: CrimeCategory,
    pub status: Status,
    pub reported_to_police: bool,
    pub submitting_agency: Option<String>,
    /// The name as this referral gave it.
    pub name: String,
}

/// A person's page.
#[derive(Debug, Clone)]
pub struct PersonHistory {
    pub person_id: PersonId,
    pub name: String,
    pub born: Option<chrono::NaiveDate>,
    /// The whole history (the hub), or only what was shared with the viewer's agency.
    pub whole: bool,
    pub referrals: Vec<HistoryItem>,
    /// Referrals in the 12 months to now, and those reported to the police.
    pub referrals_12_months: usize,
    pub police_reported_12_months: usize,
    pub merges: Vec<MergeSummary>,
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    details: String,
    merged_into: Option<PersonId>,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: ReferralId,
    reference: String,
    received_at: Stamp,
    source: String,
    crime_category: String,
    status: String,
    reported_to_police: crate::db::Flag,
    agency_name: Option<String>,
    person_details: String,
}

impl ScopedStore {
    /// The person's history as far as the viewer may see it. A person merged into another is
    /// shown as the person they were merged into. Not found when the viewer may see none of it.
    pub async fn person_history(&self, person: &PersonId) -> Result<PersonHistory> {
        let grant = self.grant(Action::ViewPersonHistory)?;
        let mut tx = self.db().begin_write().await?;
        let mut id = person.clone();
        let row: PersonRow = loop {
            let row: PersonRow =
                sqlx::query_as("SELECT details, merged_into FROM persons WHERE id = $1")
                    .bind(&id)
                    .fetch_optional(tx.conn())
                    .await?
                    .ok_or(StorageError::NotFound("person"))?;
            match row.merged_into.clone() {
                Some(next) if next != id => id = next,
                _ => break row,
            }
        };
        let whole = grant.scope() == Scope::Partnership;
        let agency = self.actor().agency_id.clone();
        let filter = if whole {
            ""
        } else {
            " AND EXISTS (SELECT 1 FROM onward_referrals o WHERE o.referral_id = r.id \
              AND o.recipient_agency_id = $2)"
        };
        let query = format!(
            "SELECT r.id, r.reference, r.received_at, r.source, r.crime_category, r.status, \
             r.reported_to_police, a.name AS agency_name, r.person_details FROM referrals r \
             LEFT JOIN agencies a ON a.id = r.submitting_agency WHERE r.person_id = $1{filter} \
             ORDER BY r.received_at DESC, r.id"
        );
        let mut q = sqlx::query_as::<_, ItemRow>(&query).bind(&id);
        if !whole {
            q = q.bind(&agency);
        }
        let rows = q.fetch_all(tx.conn()).await?;
        if rows.is_empty() && !whole {
            return Err(StorageError::NotFound("person"));
        }
        let held: Person = from_json(&row.details)?;
        let merges = if whole {
            merges_of(&mut tx, &id).await?
        } else {
            Vec::new()
        };
        self.audit(
            &mut tx,
            AuditAction::Read,
            "person",
            Some(id.as_str()),
            "view a person's history",
        )
        .await?;
        tx.commit().await?;
        let parse = |what: &str, s: &str| StorageError::Corrupt(format!("{what} {s:?}"));
        let referrals = rows
            .into_iter()
            .map(|r| {
                let as_given: Person = from_json(&r.person_details)?;
                Ok(HistoryItem {
                    referral_id: r.id,
                    reference: r.reference,
                    received_at: r.received_at.0,
                    source: Source::from_slug(&r.source)
                        .ok_or_else(|| parse("source", &r.source))?,
                    crime: CrimeCategory::from_slug(&r.crime_category)
                        .ok_or_else(|| parse("crime", &r.crime_category))?,
                    status: Status::from_slug(&r.status)
                        .ok_or_else(|| parse("status", &r.status))?,
                    reported_to_police: r.reported_to_police.0,
                    submitting_agency: r.agency_name,
                    name: if whole {
                        as_given.full_name()
                    } else {
                        as_given.given_name
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let year_ago = Utc::now()
            .checked_sub_months(Months::new(12))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let recent = referrals.iter().filter(|r| r.received_at > year_ago);
        Ok(PersonHistory {
            person_id: id,
            // Outside the hub, no more than any onward referral shows before the person's
            // consent shares more: the given name, no date of birth.
            name: if whole {
                held.full_name()
            } else {
                held.given_name
            },
            born: if whole { held.date_of_birth } else { None },
            whole,
            referrals_12_months: recent.clone().count(),
            police_reported_12_months: recent.filter(|r| r.reported_to_police).count(),
            referrals,
            merges,
        })
    }
}
