//! Information, advice and guidance the hub gives on a referral without referring on: what was
//! given, how, and where the person was signposted; optionally closing the referral, as all the
//! person needs.

use crate::db::{Flag, Stamp, new_id, now, to_json};
use crate::error::{Result, StorageError};
use crate::referrals::{from_json, read_referral};
use crate::scoped::ScopedStore;
use chrono::{DateTime, Utc};
use harbour_domain::advice::{AdviceInput, Given, How, check_advice};
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::ReferralId;
use harbour_domain::permission::Action;
use harbour_domain::referral::Status;

/// Advice as recorded on a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceRecord {
    pub given: Vec<Given>,
    pub signposted: Vec<String>,
    pub how: How,
    pub note: Option<String>,
    pub closed_referral: bool,
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AdviceRow {
    given: String,
    signposted: String,
    how: String,
    note: Option<crate::sealed::Opened>,
    closed_referral: Flag,
    by_name: Option<String>,
    given_at: Stamp,
}

impl ScopedStore {
    /// Records the advice given on a referral; closes it too when asked and it has not been
    /// referred on.
    pub async fn record_advice(&self, referral: &ReferralId, input: &AdviceInput) -> Result<()> {
        self.grant(Action::TriageReferral)?;
        let advice = check_advice(input).map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let view = read_referral(&mut tx, referral).await?;
        if advice.close && !matches!(view.status, Status::Received | Status::Triaged) {
            return Err(StorageError::invalid(
                "close",
                match view.status {
                    Status::Closed => "The referral is already closed",
                    _ => {
                        "The referral has been referred on, so it stays open while services work it: record the advice without closing it"
                    }
                },
            ));
        }
        let at = now();
        let id = new_id();
        sqlx::query(
            "INSERT INTO referral_advice (id, referral_id, person_id, given, signposted, how, note, \
             closed_referral, by_user, agency_id, given_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(referral)
        .bind(&view.person_id)
        .bind(
            advice
                .given
                .iter()
                .map(|g| g.slug())
                .collect::<Vec<_>>()
                .join(","),
        )
        .bind(to_json(&advice.signposted)?)
        .bind(advice.how.slug())
        .bind(
            tx.keyring()?
                .seal_opt(crate::sealed::ADVICE_NOTE, advice.note.as_deref())?,
        )
        .bind(advice.close)
        .bind(self.actor().user_id.as_ref())
        .bind(&self.actor().agency_id)
        .bind(&at)
        .execute(tx.conn())
        .await?;
        if advice.close {
            sqlx::query("UPDATE referrals SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(Status::Closed.slug())
                .bind(&at)
                .bind(referral)
                .execute(tx.conn())
                .await?;
        }
        self.audit(
            &mut tx,
            AuditAction::Create,
            "referral_advice",
            Some(&id),
            if advice.close {
                "record advice given and close the referral"
            } else {
                "record advice given"
            },
        )
        .await?;
        crate::reports::facts::touch(&mut tx, referral.as_str()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The advice recorded on a referral, oldest first.
    pub async fn advice_for(&self, referral: &ReferralId) -> Result<Vec<AdviceRecord>> {
        self.grant(Action::TriageReferral)?;
        let mut tx = self.db().begin_write().await?;
        let rows: Vec<AdviceRow> = sqlx::query_as(
            "SELECT a.given, a.signposted, a.how, a.note, a.closed_referral, \
             u.display_name AS by_name, a.given_at FROM referral_advice a \
             LEFT JOIN users u ON u.id = a.by_user WHERE a.referral_id = $1 \
             ORDER BY a.given_at, a.id",
        )
        .bind(referral)
        .fetch_all(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral",
            Some(referral.as_str()),
            "view the advice given on a referral",
        )
        .await?;
        tx.commit().await?;
        rows.into_iter()
            .map(|r| {
                Ok(AdviceRecord {
                    given: r.given.split(',').filter_map(Given::from_slug).collect(),
                    signposted: from_json(&r.signposted)?,
                    how: How::from_slug(&r.how)
                        .ok_or_else(|| StorageError::Corrupt(format!("advice how {:?}", r.how)))?,
                    note: r.note.map(String::from),
                    closed_referral: r.closed_referral.0,
                    by: r.by_name.unwrap_or_else(|| "Harbour".into()),
                    at: r.given_at.0,
                })
            })
            .collect()
    }
}
