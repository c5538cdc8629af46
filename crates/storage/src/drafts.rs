//! Drafts: a referral saved unfinished by the person making it, theirs alone.

use crate::db::{new_id, now, parse_time};
use crate::error::{Result, StorageError};
use crate::referrals::from_json;
use crate::scoped::ScopedStore;
use chrono::{DateTime, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::{DraftId, UserId};
use harbour_domain::permission::Action;
use harbour_domain::referral::ReferralInput;

/// A saved, unfinished referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub id: DraftId,
    pub input: ReferralInput,
    pub updated_at: DateTime<Utc>,
}

/// A draft's row as stored.
#[derive(sqlx::FromRow)]
struct DraftRow {
    id: String,
    input: String,
    updated_at: String,
}

impl TryFrom<DraftRow> for Draft {
    type Error = StorageError;

    fn try_from(r: DraftRow) -> Result<Draft> {
        Ok(Draft {
            id: DraftId::from(r.id),
            input: from_json(&r.input)?,
            updated_at: parse_time(&r.updated_at)?,
        })
    }
}

impl ScopedStore {
    /// Saves a draft (new, or over the actor's own draft `id`); returns its id.
    pub async fn save_draft(&self, id: Option<&DraftId>, input: &ReferralInput) -> Result<DraftId> {
        self.grant(Action::SubmitReferral)?;
        let owner = self
            .actor()
            .user_id
            .clone()
            .ok_or(StorageError::NotFound("person"))?;
        let mut tx = self.db().begin_write().await?;
        let text = tx.keyring()?.seal_json(crate::sealed::DRAFT_INPUT, input)?;
        let id = match id {
            Some(id) => {
                let changed = sqlx::query("UPDATE referral_drafts SET input = $1, updated_at = $2 WHERE id = $3 AND owner = $4")
                    .bind(&text)
                    .bind(now())
                    .bind(id.as_str())
                    .bind(&owner)
                    .execute(tx.conn())
                    .await?
                    .rows_affected();
                if changed == 0 {
                    return Err(StorageError::NotFound("draft"));
                }
                self.audit(
                    &mut tx,
                    AuditAction::Change,
                    "referral_draft",
                    Some(id.as_str()),
                    "save referral draft",
                )
                .await?;
                id.clone()
            }
            None => {
                let id = new_id();
                sqlx::query("INSERT INTO referral_drafts (id, owner, input, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
                    .bind(&id)
                    .bind(&owner)
                    .bind(&text)
                    .bind(now())
                    .execute(tx.conn())
                    .await?;
                self.audit(
                    &mut tx,
                    AuditAction::Create,
                    "referral_draft",
                    Some(&id),
                    "save referral draft",
                )
                .await?;
                DraftId::from(id)
            }
        };
        tx.commit().await?;
        Ok(id)
    }

    pub async fn drafts(&self) -> Result<Vec<Draft>> {
        self.grant(Action::SubmitReferral)?;
        let owner = self
            .actor()
            .user_id
            .clone()
            .map(UserId::into_string)
            .unwrap_or_default();
        let rows: Vec<DraftRow> = sqlx::query_as("SELECT id, input, updated_at FROM referral_drafts WHERE owner = $1 ORDER BY updated_at DESC")
            .bind(&owner)
            .fetch_all(self.db().pool())
            .await?;
        rows.into_iter().map(Draft::try_from).collect()
    }

    pub async fn draft(&self, id: &DraftId) -> Result<Draft> {
        self.grant(Action::SubmitReferral)?;
        let owner = self
            .actor()
            .user_id
            .clone()
            .map(UserId::into_string)
            .unwrap_or_default();
        let mut tx = self.db().begin_write().await?;
        let row: DraftRow = sqlx::query_as(
            "SELECT id, input, updated_at FROM referral_drafts WHERE id = $1 AND owner = $2",
        )
        .bind(id.as_str())
        .bind(&owner)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(StorageError::NotFound("draft"))?;
        let draft = Draft::try_from(row)?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral_draft",
            Some(id.as_str()),
            "open referral draft",
        )
        .await?;
        tx.commit().await?;
        Ok(draft)
    }

    /// Removes the actor's draft (after it was submitted, or when they discard it); anyone
    /// else's, or one already removed, is not found.
    pub async fn delete_draft(&self, id: &DraftId) -> Result<()> {
        self.grant(Action::SubmitReferral)?;
        let owner = self
            .actor()
            .user_id
            .clone()
            .map(UserId::into_string)
            .unwrap_or_default();
        let mut tx = self.db().begin_write().await?;
        let removed = sqlx::query("DELETE FROM referral_drafts WHERE id = $1 AND owner = $2")
            .bind(id.as_str())
            .bind(&owner)
            .execute(tx.conn())
            .await?
            .rows_affected();
        // Someone else's draft, or one already gone: nothing removed, so nothing to record.
        if removed == 0 {
            return Err(StorageError::NotFound("draft"));
        }
        self.audit(
            &mut tx,
            AuditAction::Change,
            "referral_draft",
            Some(id.as_str()),
            "remove referral draft",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
