//! Drafts: a referral saved unfinished by the person making it, theirs alone.

use crate::db::{new_id, now};
use crate::error::{Result, StorageError};
use crate::referrals::from_json;
use crate::scoped::ScopedStore;
use harbour_domain::audit::AuditAction;
use harbour_domain::permission::Action;
use harbour_domain::referral::ReferralInput;
use sqlx::Row;

/// A saved, unfinished referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub id: String,
    pub input: ReferralInput,
    pub updated_at: String,
}

impl ScopedStore {
    /// Saves a draft (new, or over the actor's own draft `id`); returns its id.
    pub async fn save_draft(&self, id: Option<&str>, input: &ReferralInput) -> Result<String> {
        self.grant(Action::SubmitReferral)?;
        let owner = self
            .actor()
            .user_id
            .clone()
            .ok_or(StorageError::NotFound("person"))?;
        let text =
            serde_json::to_string(input).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let mut tx = self.db().begin_write().await?;
        let id = match id {
            Some(id) => {
                let changed = sqlx::query("UPDATE referral_drafts SET input = $1, updated_at = $2 WHERE id = $3 AND owner = $4")
                    .bind(&text)
                    .bind(now())
                    .bind(id)
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
                    Some(id),
                    "save referral draft",
                )
                .await?;
                id.to_owned()
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
                id
            }
        };
        tx.commit().await?;
        Ok(id)
    }

    pub async fn drafts(&self) -> Result<Vec<Draft>> {
        self.grant(Action::SubmitReferral)?;
        let owner = self.actor().user_id.clone().unwrap_or_default();
        let rows = sqlx::query("SELECT id, input, updated_at FROM referral_drafts WHERE owner = $1 ORDER BY updated_at DESC")
            .bind(&owner)
            .fetch_all(self.db().pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Draft {
                    id: r.try_get("id")?,
                    input: from_json(&r.try_get::<String, _>("input")?)?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }

    pub async fn draft(&self, id: &str) -> Result<Draft> {
        let mut tx = self.db().begin_write().await?;
        let draft = self
            .drafts()
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or(StorageError::NotFound("draft"))?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral_draft",
            Some(id),
            "open referral draft",
        )
        .await?;
        tx.commit().await?;
        Ok(draft)
    }

    /// Removes the actor's draft (after it was submitted, or when they discard it); anyone
    /// else's, or one already removed, is not found.
    pub async fn delete_draft(&self, id: &str) -> Result<()> {
        self.grant(Action::SubmitReferral)?;
        let owner = self.actor().user_id.clone().unwrap_or_default();
        let mut tx = self.db().begin_write().await?;
        let removed = sqlx::query("DELETE FROM referral_drafts WHERE id = $1 AND owner = $2")
            .bind(id)
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
            Some(id),
            "remove referral draft",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
