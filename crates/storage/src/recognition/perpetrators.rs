//! Perpetrators named across referrals (the rule is `harbour_domain::linkage::perpetrator`): for
//! each perpetrator a referral names, the other referrals in the twelve months before it that
//! name the same perpetrator, and how many people they are about. Only those who read every
//! referral (the hub) see it: who is named as harming whom is among the most sensitive things
//! Harbour holds.

use super::keys::year_of;
use crate::db::{Stamp, Statement, format_time, to_json};
use crate::error::{Result, StorageError};
use crate::intake::key_in_json_array;
use crate::referrals::from_json;
use crate::scoped::ScopedStore;
use chrono::Months;
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::{PersonId, ReferralId};
use harbour_domain::linkage::perpetrator::{Named, key, named, same};
use harbour_domain::permission::Action;
use harbour_domain::referral::Perpetrator;
use std::collections::HashSet;

/// The most earlier referrals one perpetrator's key brings: a common family name's sound.
const MAX_CANDIDATES: i64 = 2_000;

/// A perpetrator a referral names, and where else they are named.
#[derive(Debug, Clone)]
pub struct NamedElsewhere {
    pub name: String,
    pub relationship: String,
    /// The other referrals in the twelve months before this one naming them, newest first.
    pub referrals: Vec<OtherReferral>,
    /// How many people those referrals are about, besides this referral's person.
    pub other_people: usize,
}

#[derive(Debug, Clone)]
pub struct OtherReferral {
    pub id: ReferralId,
    pub reference: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub person_id: PersonId,
}

static NAMING: Statement = Statement::new(|backend| {
    format!(
        "SELECT DISTINCT r.id, r.reference, r.received_at, r.person_id, r.perpetrators, \
         r.incident_date FROM referral_blocks b JOIN referrals r ON r.id = b.referral_id \
         WHERE {} AND r.id <> $2 AND r.received_at > $3 AND r.received_at <= $4 \
         ORDER BY r.received_at DESC LIMIT {MAX_CANDIDATES}",
        key_in_json_array(backend, "b.block_key", 1)
    )
});

#[derive(sqlx::FromRow)]
struct ThisRow {
    person_id: PersonId,
    perpetrators: String,
    incident_date: Option<String>,
    received_at: String,
}

#[derive(sqlx::FromRow)]
struct OtherRow {
    id: ReferralId,
    reference: String,
    received_at: Stamp,
    person_id: PersonId,
    perpetrators: String,
    incident_date: Option<String>,
}

impl ScopedStore {
    /// Each perpetrator the referral names, with the other referrals naming them in the twelve
    /// months before it. Empty when it names no one.
    pub async fn perpetrators_named_elsewhere(
        &self,
        referral: &ReferralId,
    ) -> Result<Vec<NamedElsewhere>> {
        self.grant(Action::ViewReferrals)?;
        let mut tx = self.db().begin_write().await?;
        let this: ThisRow = sqlx::query_as(
            "SELECT person_id, perpetrators, incident_date, received_at FROM referrals WHERE id = $1",
        )
        .bind(referral)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(StorageError::NotFound("referral"))?;
        let listed: Vec<Perpetrator> = from_json(&this.perpetrators)?;
        let year = year_of(this.incident_date.as_deref(), &this.received_at);
        let named_here: Vec<(&Perpetrator, Named)> = listed
            .iter()
            .filter_map(|p| named(p, year).map(|n| (p, n)))
            .collect();
        let keys: Vec<i64> = named_here.iter().filter_map(|(_, n)| key(n)).collect();
        if keys.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        let received = crate::db::parse_time(&this.received_at)?;
        let since = received
            .checked_sub_months(Months::new(12))
            .unwrap_or(received);
        let others: Vec<OtherRow> = sqlx::query_as(NAMING.text(tx.backend()))
            .bind(to_json(&keys)?)
            .bind(referral)
            .bind(format_time(since))
            .bind(&this.received_at)
            .fetch_all(tx.conn())
            .await?;
        let mut found = Vec::new();
        for (p, n) in &named_here {
            let mut referrals = Vec::new();
            let mut people = HashSet::new();
            for o in &others {
                let theirs: Vec<Perpetrator> = from_json(&o.perpetrators)?;
                let their_year = year_of(o.incident_date.as_deref(), &o.received_at.0.to_rfc3339());
                if theirs
                    .iter()
                    .filter_map(|q| named(q, their_year))
                    .any(|m| same(n, &m))
                {
                    referrals.push(OtherReferral {
                        id: o.id.clone(),
                        reference: o.reference.clone(),
                        received_at: o.received_at.0,
                        person_id: o.person_id.clone(),
                    });
                    if o.person_id != this.person_id {
                        people.insert(o.person_id.clone());
                    }
                }
            }
            found.push(NamedElsewhere {
                name: n.name.clone(),
                relationship: p.relationship.clone(),
                referrals,
                other_people: people.len(),
            });
        }
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral",
            Some(referral.as_str()),
            "perpetrators named in other referrals",
        )
        .await?;
        tx.commit().await?;
        Ok(found)
    }
}
