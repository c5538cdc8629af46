//! The possible matches the hub decides: the two records side by side with the explanation,
//! and the answer. "Same person" merges the two (undoably); "different people" is remembered,
//! so the pair is never proposed again.
//!
//! A match names two referrals, the new one and the earlier record it agreed with; the people
//! are whoever those referrals are about now, so a merge or unmerge since is always reflected.

use super::merge::merge;
use crate::db::{Stamp, WriteTx, now};
use crate::error::{Result, StorageError};
use crate::intake::MATCH_POSSIBLE;
use crate::referrals::from_json;
use crate::scoped::ScopedStore;
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::{MatchId, MergeId, PersonId, ReferralId};
use harbour_domain::linkage::Explanation;
use harbour_domain::permission::Action;
use harbour_domain::person_details::Details;
use harbour_domain::referral::Person;

/// Where a match stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchState {
    /// Linked at intake, above the link threshold.
    Linked,
    /// Waiting for the hub.
    Possible,
    /// The hub said: the same person (and the two were merged).
    Same,
    /// The hub said: different people.
    Different,
}

impl MatchState {
    fn from_column(s: &str) -> Result<MatchState> {
        Ok(match s {
            "linked" => MatchState::Linked,
            "possible" => MatchState::Possible,
            "same" => MatchState::Same,
            "different" => MatchState::Different,
            other => return Err(StorageError::Corrupt(format!("match state {other:?}"))),
        })
    }

    /// Waiting for the hub's decision.
    pub fn waiting(self) -> bool {
        self == MatchState::Possible
    }

    pub fn label(self) -> &'static str {
        match self {
            MatchState::Linked => "Linked when the referral arrived",
            MatchState::Possible => "Waiting for a decision",
            MatchState::Same => "Decided: the same person",
            MatchState::Different => "Decided: different people",
        }
    }
}

/// The hub's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Same,
    Different,
}

/// A possible match as the queue lists it.
#[derive(Debug, Clone)]
pub struct MatchSummary {
    pub id: MatchId,
    pub probability: f64,
    pub found_at: chrono::DateTime<chrono::Utc>,
    pub reference: String,
    pub name: String,
    pub born: Option<chrono::NaiveDate>,
    pub candidate_name: String,
    pub candidate_born: Option<chrono::NaiveDate>,
}

/// One side of a match: a referral's own record of the person, and whom it is about now.
#[derive(Debug, Clone)]
pub struct Side {
    pub person_id: PersonId,
    pub referral_id: ReferralId,
    pub reference: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub details: Details,
    /// How many referrals the person has now.
    pub referrals: i64,
}

/// A match in full, for deciding it.
#[derive(Debug, Clone)]
pub struct PossibleMatch {
    pub id: MatchId,
    pub state: MatchState,
    pub probability: f64,
    pub explanation: Explanation,
    pub found_at: chrono::DateTime<chrono::Utc>,
    /// The referral that raised it.
    pub this: Side,
    /// The earlier record it agreed with.
    pub other: Side,
    pub decided_by: Option<String>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The open matches the hub still has to decide: waiting, the two referrals about different
/// people, and the pair never judged different since.
const OPEN: &str = "m.state = 'possible' AND r.person_id <> c.person_id AND NOT EXISTS ( \
     SELECT 1 FROM person_matches d JOIN referrals dr ON dr.id = d.referral_id \
     JOIN referrals dc ON dc.id = d.candidate_referral_id WHERE d.state = 'different' AND \
     ((dr.person_id = r.person_id AND dc.person_id = c.person_id) OR \
      (dr.person_id = c.person_id AND dc.person_id = r.person_id)))";

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: MatchId,
    probability: f64,
    created_at: Stamp,
    reference: String,
    person_details: String,
    candidate_details: String,
}

#[derive(sqlx::FromRow)]
struct MatchRow {
    id: MatchId,
    state: String,
    probability: f64,
    explanation: String,
    created_at: Stamp,
    decided_at: Option<Stamp>,
    decided_by_name: Option<String>,
    referral_id: ReferralId,
    candidate_referral_id: ReferralId,
}

#[derive(sqlx::FromRow)]
struct SideRow {
    person_id: PersonId,
    id: ReferralId,
    reference: String,
    received_at: Stamp,
    person_details: String,
    person_safe_contact: String,
    referrals: i64,
}

async fn side(tx: &mut WriteTx, referral: &ReferralId) -> Result<Side> {
    let row: SideRow = sqlx::query_as(
        "SELECT r.person_id, r.id, r.reference, r.received_at, r.person_details, \
         r.person_safe_contact, (SELECT COUNT(*) FROM referrals o WHERE o.person_id = r.person_id) \
         AS referrals FROM referrals r WHERE r.id = $1",
    )
    .bind(referral)
    .fetch_one(tx.conn())
    .await?;
    Ok(Side {
        person_id: row.person_id,
        referral_id: row.id,
        reference: row.reference,
        received_at: row.received_at.0,
        details: Details {
            person: from_json(&row.person_details)?,
            safe_contact: from_json(&row.person_safe_contact)?,
        },
        referrals: row.referrals,
    })
}

async fn find(tx: &mut WriteTx, id: &MatchId) -> Result<PossibleMatch> {
    let row: MatchRow = sqlx::query_as(
        "SELECT m.id, m.state, m.probability, m.explanation, m.created_at, m.decided_at, \
         u.display_name AS decided_by_name, m.referral_id, m.candidate_referral_id \
         FROM person_matches m LEFT JOIN users u ON u.id = m.decided_by WHERE m.id = $1",
    )
    .bind(id)
    .fetch_optional(tx.conn())
    .await?
    .ok_or(StorageError::NotFound("possible match"))?;
    Ok(PossibleMatch {
        this: side(tx, &row.referral_id).await?,
        other: side(tx, &row.candidate_referral_id).await?,
        id: row.id,
        state: MatchState::from_column(&row.state)?,
        probability: row.probability,
        explanation: from_json(&row.explanation)?,
        found_at: row.created_at.0,
        decided_by: row.decided_by_name,
        decided_at: row.decided_at.map(|s| s.0),
    })
}

/// What recognition found for one referral, as its page says it.
#[derive(Debug, Clone)]
pub struct FoundFor {
    pub id: MatchId,
    pub state: MatchState,
    pub probability: f64,
}

impl ScopedStore {
    /// What recognition found for a referral, most likely first (empty when it made someone
    /// new known). Only those who decide matches see them.
    pub async fn matches_for_referral(&self, referral: &ReferralId) -> Result<Vec<FoundFor>> {
        self.grant(Action::RecognisePeople)?;
        let rows: Vec<(MatchId, String, f64)> = sqlx::query_as(
            "SELECT id, state, probability FROM person_matches WHERE referral_id = $1 \
             ORDER BY probability DESC",
        )
        .bind(referral)
        .fetch_all(self.db().pool())
        .await?;
        rows.into_iter()
            .map(|(id, state, probability)| {
                Ok(FoundFor {
                    id,
                    state: MatchState::from_column(&state)?,
                    probability,
                })
            })
            .collect()
    }

    /// The possible matches waiting for the hub, oldest first.
    pub async fn possible_matches(&self) -> Result<Vec<MatchSummary>> {
        self.grant(Action::RecognisePeople)?;
        let mut tx = self.db().begin_write().await?;
        let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
            "SELECT m.id, m.probability, m.created_at, r.reference, r.person_details, \
             c.person_details AS candidate_details FROM person_matches m \
             JOIN referrals r ON r.id = m.referral_id \
             JOIN referrals c ON c.id = m.candidate_referral_id \
             WHERE {OPEN} ORDER BY m.created_at, m.id LIMIT 500"
        ))
        .fetch_all(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "person match",
            None,
            &format!("list possible matches ({})", rows.len()),
        )
        .await?;
        tx.commit().await?;
        rows.into_iter()
            .map(|r| {
                let person: Person = from_json(&r.person_details)?;
                let candidate: Person = from_json(&r.candidate_details)?;
                Ok(MatchSummary {
                    id: r.id,
                    probability: r.probability,
                    found_at: r.created_at.0,
                    reference: r.reference,
                    name: person.full_name(),
                    born: person.date_of_birth,
                    candidate_name: candidate.full_name(),
                    candidate_born: candidate.date_of_birth,
                })
            })
            .collect()
    }

    /// How many possible matches wait, for the hub's home page.
    pub async fn count_possible_matches(&self) -> Result<i64> {
        self.grant(Action::RecognisePeople)?;
        Ok(sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM person_matches m JOIN referrals r ON r.id = m.referral_id \
             JOIN referrals c ON c.id = m.candidate_referral_id WHERE {OPEN}"
        ))
        .fetch_one(self.db().pool())
        .await?)
    }

    /// A match in full: both records, the explanation, and any decision.
    pub async fn possible_match(&self, id: &MatchId) -> Result<PossibleMatch> {
        self.grant(Action::RecognisePeople)?;
        let mut tx = self.db().begin_write().await?;
        let found = find(&mut tx, id).await?;
        for side in [&found.this, &found.other] {
            self.audit(
                &mut tx,
                AuditAction::Read,
                "person",
                Some(side.person_id.as_str()),
                &format!("possible match: compare with referral {}", side.reference),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(found)
    }

    /// Records the hub's answer to a waiting match. "Same person" merges the referral's person
    /// into the person known before (returned, so it can be undone); "different people" is kept,
    /// and the pair is never proposed again. Refused once decided, or once the two referrals are
    /// already one person's.
    pub async fn decide_match(
        &self,
        id: &MatchId,
        decision: Decision,
        reason: &str,
    ) -> Result<Option<MergeId>> {
        self.grant(Action::RecognisePeople)?;
        let mut tx = self.db().begin_write().await?;
        let found = find(&mut tx, id).await?;
        if found.state != MatchState::Possible || found.this.person_id == found.other.person_id {
            return Err(StorageError::invalid(
                "decision",
                "This match has already been decided",
            ));
        }
        let user = self.actor().user_id.as_ref().map(|u| u.as_str().to_owned());
        let state = match decision {
            Decision::Same => "same",
            Decision::Different => "different",
        };
        sqlx::query(
            "UPDATE person_matches SET state = $1, decided_by = $2, decided_at = $3 \
             WHERE id = $4 AND state = $5",
        )
        .bind(state)
        .bind(&user)
        .bind(now())
        .bind(id)
        .bind(MATCH_POSSIBLE)
        .execute(tx.conn())
        .await?;
        let merged = match decision {
            Decision::Same => Some(
                merge(
                    self,
                    &mut tx,
                    &found.other.person_id,
                    &found.this.person_id,
                    Some(id),
                    reason,
                )
                .await?,
            ),
            Decision::Different => None,
        };
        self.audit(
            &mut tx,
            AuditAction::Change,
            "person match",
            Some(id.as_str()),
            match decision {
                Decision::Same => "possible match decided: the same person",
                Decision::Different => "possible match decided: different people",
            },
        )
        .await?;
        tx.commit().await?;
        Ok(merged)
    }
}
