//! A person's details: those held (current and confirmed), each referral's own record of them,
//! the hub's choice between the two, and the safe-contact rules the contact gate uses meanwhile.
//!
//! The rules are `harbour_domain::person_details`; this gathers the data and records the choice.

use crate::db::{Stamp, WriteTx, now};
use crate::error::{Result, StorageError};
use crate::intake::DETAILS_PENDING;
use crate::referrals::from_json;
use crate::scoped::ScopedStore;
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::{PersonId, ReferralId, UserId};
use harbour_domain::permission::Action;
use harbour_domain::person_details::{self, Details, Difference, Field};
use harbour_domain::safe_contact::{Channel, SafeContact};
use serde::Serialize;
use sqlx::Row;

/// Where a referral's own record of the person stands against the details held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Review {
    /// It agreed with what was held when it arrived, or it made the person known.
    Agreed,
    /// It differs, and no one has chosen between them yet.
    Pending,
    /// Someone chose between them.
    Resolved,
}

impl Review {
    pub(crate) fn from_column(value: Option<&str>) -> Result<Review> {
        match value {
            None => Ok(Review::Agreed),
            Some("pending") => Ok(Review::Pending),
            Some("resolved") => Ok(Review::Resolved),
            Some(other) => Err(StorageError::Corrupt(format!("details review {other:?}"))),
        }
    }
}

/// What is held about a referral's person set against what the referral said.
#[derive(Debug, Clone)]
pub struct DetailsComparison {
    pub referral_id: ReferralId,
    pub reference: String,
    pub person_id: PersonId,
    pub review: Review,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub held: Details,
    pub referred: Details,
    pub differences: Vec<Difference>,
    /// When the held details last changed: the form sends it back, so a choice made against
    /// details someone has changed since is refused rather than applied over their change.
    pub held_version: String,
}

#[derive(sqlx::FromRow)]
struct ComparisonRow {
    id: ReferralId,
    reference: String,
    person_id: PersonId,
    person_details: String,
    person_safe_contact: String,
    details_review: Option<String>,
    details_reviewed_at: Option<Stamp>,
    reviewed_by_name: Option<String>,
    held_details: String,
    held_safe_contact: String,
    held_version: String,
}

async fn comparison(tx: &mut WriteTx, referral_id: &ReferralId) -> Result<DetailsComparison> {
    let row: ComparisonRow = sqlx::query_as(
        "SELECT r.id, r.reference, r.person_id, r.person_details, r.person_safe_contact, \
         r.details_review, r.details_reviewed_at, u.display_name AS reviewed_by_name, \
         p.details AS held_details, p.safe_contact AS held_safe_contact, p.updated_at AS held_version \
         FROM referrals r JOIN persons p ON p.id = r.person_id \
         LEFT JOIN users u ON u.id = r.details_reviewed_by WHERE r.id = $1",
    )
    .bind(referral_id)
    .fetch_optional(tx.conn())
    .await?
    .ok_or(StorageError::NotFound("referral"))?;
    let held = Details {
        person: from_json(&row.held_details)?,
        safe_contact: from_json(&row.held_safe_contact)?,
    };
    let referred = Details {
        person: from_json(&row.person_details)?,
        safe_contact: from_json(&row.person_safe_contact)?,
    };
    Ok(DetailsComparison {
        differences: person_details::differences(&held, &referred),
        referral_id: row.id,
        reference: row.reference,
        person_id: row.person_id,
        review: Review::from_column(row.details_review.as_deref())?,
        reviewed_by: row.reviewed_by_name,
        reviewed_at: row.details_reviewed_at.map(|s| s.0),
        held,
        referred,
        held_version: row.held_version,
    })
}

impl ScopedStore {
    /// The details held about a referral's person beside the referral's own record of them.
    pub async fn details_comparison(&self, referral_id: &ReferralId) -> Result<DetailsComparison> {
        self.grant(Action::ConfirmPersonDetails)?;
        let mut tx = self.db().begin_write().await?;
        let found = comparison(&mut tx, referral_id).await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "person",
            Some(found.person_id.as_str()),
            &format!("compare held details with referral {}", found.reference),
        )
        .await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Records the officer's choice: for each field in `take` the referral's version becomes
    /// the one held; the rest stay as held. The referral's review is resolved, and so is any
    /// other waiting referral about the person that now agrees with what is held.
    ///
    /// Refused if the held details changed since `held_version` was read, or if a field is
    /// chosen that does not differ.
    pub async fn confirm_person_details(
        &self,
        referral_id: &ReferralId,
        take: &[Field],
        held_version: &str,
    ) -> Result<()> {
        self.grant(Action::ConfirmPersonDetails)?;
        let mut tx = self.db().begin_write().await?;
        let found = comparison(&mut tx, referral_id).await?;
        if found.held_version != held_version {
            return Err(StorageError::invalid(
                "held_version",
                "Someone changed the details we hold while you were choosing. Check the differences again and choose.",
            ));
        }
        if let Some(f) = take
            .iter()
            .find(|f| !found.differences.iter().any(|d| d.field == **f))
        {
            return Err(StorageError::invalid(
                &f.slug(),
                "This no longer differs from what we hold. Check the differences again and choose.",
            ));
        }
        let chosen = person_details::apply(&found.held, &found.referred, take)
            .map_err(StorageError::Invalid)?;
        let stamp = now();
        if chosen != found.held {
            sqlx::query(
                "UPDATE persons SET details = $1, safe_contact = $2, postcode = $3, area = $4, \
                 updated_at = $5 WHERE id = $6",
            )
            .bind(
                tx.keyring()?
                    .seal_json(crate::sealed::PERSON_DETAILS, &chosen.person)?,
            )
            .bind(
                tx.keyring()?
                    .seal_json(crate::sealed::PERSON_SAFE_CONTACT, &chosen.safe_contact)?,
            )
            .bind(&chosen.person.postcode)
            .bind(chosen.person.area.as_deref())
            .bind(&stamp)
            .bind(found.person_id.as_str())
            .execute(tx.conn())
            .await?;
        }
        let reviewer = self.actor().user_id.as_ref().map(UserId::as_str);
        resolve(&mut tx, found.referral_id.as_str(), reviewer, &stamp).await?;
        // Others waiting about the same person that now agree need no choice of their own.
        for (other, details, safe) in pending_records(&mut tx, &found.person_id).await? {
            let referred = Details {
                person: from_json(&details)?,
                safe_contact: from_json(&safe)?,
            };
            if person_details::differences(&chosen, &referred).is_empty() {
                resolve(&mut tx, &other, reviewer, &stamp).await?;
            }
        }
        let slugs = |fields: Vec<Field>| {
            if fields.is_empty() {
                "nothing".to_owned()
            } else {
                fields
                    .iter()
                    .map(|f| f.slug())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let kept: Vec<Field> = found
            .differences
            .iter()
            .map(|d| d.field)
            .filter(|f| !take.contains(f))
            .collect();
        self.audit(
            &mut tx,
            AuditAction::Change,
            "person",
            Some(found.person_id.as_str()),
            &format!(
                "confirm details against referral {}: took {}; kept {}",
                found.reference,
                slugs(take.to_vec()),
                slugs(kept)
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn resolve(tx: &mut WriteTx, id: &str, reviewer: Option<&str>, stamp: &str) -> Result<()> {
    sqlx::query(
        "UPDATE referrals SET details_review = 'resolved', details_reviewed_by = $1, \
         details_reviewed_at = $2, updated_at = $2 WHERE id = $3",
    )
    .bind(reviewer)
    .bind(stamp)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The referrals about a person still waiting for a choice: (id, details, safe contact).
async fn pending_records(
    tx: &mut WriteTx,
    person_id: &PersonId,
) -> Result<Vec<(String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, person_details, person_safe_contact FROM referrals \
         WHERE person_id = $1 AND details_review = $2",
    )
    .bind(person_id)
    .bind(DETAILS_PENDING)
    .fetch_all(tx.conn())
    .await?)
}

/// What the contact gate needs about a person: the safe-contact rules it must use, and the
/// channels suspended now. While referrals about them differ from what is held and no one has
/// chosen, the rules are the most restrictive combination of all of them.
pub(crate) async fn person_contact(
    tx: &mut WriteTx,
    person_id: &PersonId,
) -> Result<(SafeContact, Vec<Channel>)> {
    // The held rules first.
    let rows = sqlx::query(
        "SELECT 0 AS n, safe_contact FROM persons WHERE id = $1 UNION ALL \
         SELECT 1, person_safe_contact FROM referrals WHERE person_id = $1 AND details_review = $2 \
         ORDER BY n",
    )
    .bind(person_id)
    .bind(DETAILS_PENDING)
    .fetch_all(tx.conn())
    .await?;
    let mut rules = rows
        .iter()
        .map(|r| from_json::<SafeContact>(&r.try_get::<String, _>(1)?))
        .collect::<Result<Vec<_>>>()?;
    if rules.is_empty() {
        return Err(StorageError::NotFound("person"));
    }
    let held = rules.remove(0);
    let others: Vec<&SafeContact> = rules.iter().collect();
    let safe = person_details::most_restrictive(&held, &others);
    let suspended = crate::onward::suspended_channels(tx, person_id).await?;
    Ok((safe, suspended))
}
