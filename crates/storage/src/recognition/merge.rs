//! Merging two people into one, and undoing it exactly.
//!
//! A merge moves everything of the merged person's (their referrals, onward referrals, consents,
//! contact attempts and suspensions, resources issued) to the kept person, and marks the merged
//! person's row as merged into the kept one; nothing is deleted, and each referral keeps its own
//! record of the person. Where a moved referral's record differs from the details held about the
//! kept person, it waits for the hub's choice, as any such referral does, so the contact gate
//! allows only what both allow. The merge lists every row it moved and every review it changed,
//! so unmerging puts back exactly what was there.

use crate::db::{WriteTx, new_id, now, to_json};
use crate::error::{Result, StorageError};
use crate::intake::{DETAILS_PENDING, in_json_array};
use crate::referrals::from_json;
use crate::scoped::ScopedStore;
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::{MatchId, MergeId, PersonId};
use harbour_domain::permission::Action;
use harbour_domain::person_details::{self, Details};
use serde::{Deserialize, Serialize};

/// Every table whose rows belong to a person, by `person_id`.
pub const PERSON_TABLES: [&str; 9] = [
    "referrals",
    "cases",
    "onward_referrals",
    "consents",
    "contact_attempts",
    "contact_suspensions",
    "resources_issued",
    "referral_advice",
    "marac_cases",
];

/// What a merge changed, to undo it.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Moved {
    /// Each table's rows moved to the kept person.
    rows: Vec<(String, Vec<String>)>,
    /// Referrals whose details review the merge set waiting, with what it was before.
    reviews: Vec<(String, Option<String>)>,
}

/// A merge as a person's page lists it.
#[derive(Debug, Clone)]
pub struct MergeSummary {
    pub id: MergeId,
    pub kept_id: PersonId,
    pub merged_id: PersonId,
    pub merged_name: String,
    pub reason: String,
    pub merged_by: String,
    pub merged_at: chrono::DateTime<chrono::Utc>,
    pub undone_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(sqlx::FromRow)]
struct HeldRow {
    details: String,
    safe_contact: String,
    merged_into: Option<String>,
}

async fn held(tx: &mut WriteTx, person: &PersonId) -> Result<(Details, Option<String>)> {
    let row: HeldRow =
        sqlx::query_as("SELECT details, safe_contact, merged_into FROM persons WHERE id = $1")
            .bind(person)
            .fetch_optional(tx.conn())
            .await?
            .ok_or(StorageError::NotFound("person"))?;
    Ok((
        Details {
            person: from_json(&row.details)?,
            safe_contact: from_json(&row.safe_contact)?,
        },
        row.merged_into,
    ))
}

/// Merges `merged` into `kept` inside `tx`, for the hub officer `store` acts for; audited.
pub(crate) async fn merge(
    store: &ScopedStore,
    tx: &mut WriteTx,
    kept: &PersonId,
    merged: &PersonId,
    match_id: Option<&MatchId>,
    reason: &str,
) -> Result<MergeId> {
    let user = store.actor().user_id.clone().ok_or(StorageError::invalid(
        "decision",
        "Only a person can merge people",
    ))?;
    if kept == merged {
        return Err(StorageError::invalid(
            "decision",
            "These are already one person",
        ));
    }
    let (kept_held, kept_into) = held(tx, kept).await?;
    let (_, merged_into) = held(tx, merged).await?;
    if kept_into.is_some() || merged_into.is_some() {
        return Err(StorageError::invalid(
            "decision",
            "One of these people has since been merged into another",
        ));
    }
    let mut moved = Moved::default();
    for table in PERSON_TABLES {
        let ids: Vec<String> =
            sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE person_id = $1"))
                .bind(merged)
                .fetch_all(tx.conn())
                .await?;
        if ids.is_empty() {
            continue;
        }
        sqlx::query(&format!(
            "UPDATE {table} SET person_id = $1 WHERE person_id = $2"
        ))
        .bind(kept)
        .bind(merged)
        .execute(tx.conn())
        .await?;
        if table == "referrals" {
            let backend = tx.backend();
            crate::reports::facts::follow_people(tx.conn(), backend, &ids).await?;
        }
        moved.rows.push((table.to_owned(), ids));
    }
    // Each moved referral set against what is held about the kept person.
    let referrals: Vec<(String, String, String, Option<String>)> = sqlx::query_as(&format!(
        "SELECT id, person_details, person_safe_contact, details_review FROM referrals WHERE {}",
        in_json_array(tx.backend(), "id", 1)
    ))
    .bind(to_json(
        &moved
            .rows
            .iter()
            .find(|(t, _)| t == "referrals")
            .map(|(_, ids)| ids.clone())
            .unwrap_or_default(),
    )?)
    .fetch_all(tx.conn())
    .await?;
    for (id, details, safe_contact, review) in referrals {
        let referred = Details {
            person: from_json(&details)?,
            safe_contact: from_json(&safe_contact)?,
        };
        let differs = !person_details::differences(&kept_held, &referred).is_empty();
        if differs && review.as_deref() != Some(DETAILS_PENDING) {
            sqlx::query("UPDATE referrals SET details_review = $1 WHERE id = $2")
                .bind(DETAILS_PENDING)
                .bind(&id)
                .execute(tx.conn())
                .await?;
            moved.reviews.push((id, review));
        }
    }
    sqlx::query("UPDATE persons SET merged_into = $1 WHERE id = $2")
        .bind(kept)
        .bind(merged)
        .execute(tx.conn())
        .await?;
    let id = MergeId::from(new_id());
    sqlx::query(
        "INSERT INTO person_merges (id, kept_id, merged_id, match_id, moved, reason, merged_by, \
         merged_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(kept)
    .bind(merged)
    .bind(match_id)
    .bind(to_json(&moved)?)
    .bind(reason.trim())
    .bind(&user)
    .bind(now())
    .execute(tx.conn())
    .await?;
    for (person, purpose) in [
        (kept, "merge: another person's records joined this person's"),
        (
            merged,
            "merge: this person's records moved to another person",
        ),
    ] {
        store
            .audit(
                tx,
                AuditAction::Change,
                "person",
                Some(person.as_str()),
                purpose,
            )
            .await?;
    }
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct MergeRow {
    kept_id: PersonId,
    merged_id: PersonId,
    match_id: Option<MatchId>,
    moved: String,
    undone_at: Option<String>,
}

impl ScopedStore {
    /// Undoes a merge exactly: every row it moved goes back to the merged person, every review
    /// it set waiting is as it was, the merged person stands alone again, and the match that led
    /// to it (if any) waits for a decision again. Refused if already undone, or if the kept
    /// person has since been merged into someone else (undo that first).
    pub async fn unmerge(&self, id: &MergeId, reason: &str) -> Result<PersonId> {
        self.grant(Action::RecognisePeople)?;
        let user = self.actor().user_id.clone().ok_or(StorageError::invalid(
            "reason",
            "Only a person can unmerge people",
        ))?;
        if reason.trim().is_empty() {
            return Err(StorageError::invalid(
                "reason",
                "Enter why these are not the same person",
            ));
        }
        let mut tx = self.db().begin_write().await?;
        let row: MergeRow = sqlx::query_as(
            "SELECT kept_id, merged_id, match_id, moved, undone_at FROM person_merges WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(StorageError::NotFound("merge"))?;
        if row.undone_at.is_some() {
            return Err(StorageError::invalid(
                "reason",
                "This merge has already been undone",
            ));
        }
        let (_, kept_into) = held(&mut tx, &row.kept_id).await?;
        if kept_into.is_some() {
            return Err(StorageError::invalid(
                "reason",
                "The person these records were merged into has since been merged again: undo that merge first",
            ));
        }
        let moved: Moved = from_json(&row.moved)?;
        let backend = tx.backend();
        for (table, ids) in &moved.rows {
            if !PERSON_TABLES.contains(&table.as_str()) {
                return Err(StorageError::Corrupt(format!(
                    "merge moved rows of {table}"
                )));
            }
            sqlx::query(&format!(
                "UPDATE {table} SET person_id = $1 WHERE {}",
                in_json_array(backend, "id", 2)
            ))
            .bind(&row.merged_id)
            .bind(to_json(ids)?)
            .execute(tx.conn())
            .await?;
            if table == "referrals" {
                crate::reports::facts::follow_people(tx.conn(), backend, ids).await?;
            }
        }
        for (referral, review) in &moved.reviews {
            sqlx::query("UPDATE referrals SET details_review = $1 WHERE id = $2")
                .bind(review)
                .bind(referral)
                .execute(tx.conn())
                .await?;
        }
        sqlx::query("UPDATE persons SET merged_into = NULL WHERE id = $1")
            .bind(&row.merged_id)
            .execute(tx.conn())
            .await?;
        sqlx::query(
            "UPDATE person_merges SET undone_by = $1, undone_at = $2, undo_reason = $3 WHERE id = $4",
        )
        .bind(&user)
        .bind(now())
        .bind(reason.trim())
        .bind(id)
        .execute(tx.conn())
        .await?;
        if let Some(m) = &row.match_id {
            sqlx::query(
                "UPDATE person_matches SET state = 'possible', decided_by = NULL, \
                 decided_at = NULL WHERE id = $1",
            )
            .bind(m)
            .execute(tx.conn())
            .await?;
        }
        for person in [&row.kept_id, &row.merged_id] {
            self.audit(
                &mut tx,
                AuditAction::Change,
                "person",
                Some(person.as_str()),
                "unmerge: the records of two people separated again",
            )
            .await?;
        }
        tx.commit().await?;
        Ok(row.merged_id)
    }
}

#[derive(sqlx::FromRow)]
struct MergeListRow {
    id: MergeId,
    kept_id: PersonId,
    merged_id: PersonId,
    merged_details: String,
    reason: String,
    merged_by: String,
    merged_at: crate::db::Stamp,
    undone_at: Option<crate::db::Stamp>,
}

/// The merges into or out of `person`, newest first, for their page.
pub(crate) async fn merges_of(tx: &mut WriteTx, person: &PersonId) -> Result<Vec<MergeSummary>> {
    let rows: Vec<MergeListRow> = sqlx::query_as(
        "SELECT g.id, g.kept_id, g.merged_id, p.details AS merged_details, g.reason, \
         u.display_name AS merged_by, g.merged_at, g.undone_at FROM person_merges g \
         JOIN persons p ON p.id = g.merged_id JOIN users u ON u.id = g.merged_by \
         WHERE g.kept_id = $1 OR g.merged_id = $1 ORDER BY g.merged_at DESC",
    )
    .bind(person)
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter()
        .map(|r| {
            let merged: harbour_domain::referral::Person = from_json(&r.merged_details)?;
            Ok(MergeSummary {
                id: r.id,
                kept_id: r.kept_id,
                merged_id: r.merged_id,
                merged_name: merged.full_name(),
                reason: r.reason,
                merged_by: r.merged_by,
                merged_at: r.merged_at.0,
                undone_at: r.undone_at.map(|s| s.0),
            })
        })
        .collect()
}
