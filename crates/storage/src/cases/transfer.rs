//! Transferring a case to another service: a referral on from the case's service, with the
//! person's consent for the new organisation recorded as any referral on records it. The case
//! stays open until the new service accepts; then it closes as transferred, and the referral it
//! came from records that outcome.

use super::*;
use crate::onward::{CaseChange, ReferOnInput, ReferredOn};
use harbour_domain::onward::Outcome;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A transfer sent from a case, and how it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub onward_id: OnwardId,
    pub service_name: String,
    pub state: harbour_domain::onward::State,
    pub sent_at: DateTime<Utc>,
}

impl ScopedStore {
    /// Refers the person on from their case to another service, recording consent for its
    /// organisation first (a refusal is recorded and nothing is sent).
    pub async fn transfer_case(&self, case: &CaseId, input: &ReferOnInput) -> Result<ReferredOn> {
        self.grant(Action::WorkCases)?;
        let mut tx = self.db().begin_write().await?;
        let summary = self.case_in(&mut tx, case).await?;
        if summary.status == CaseStatus::Closed {
            return Err(StorageError::invalid(
                "service_id",
                "The case is closed: reopen it to transfer it",
            ));
        }
        let own: Option<String> = sqlx::query_scalar(
            "SELECT s.id FROM dir_services s JOIN dir_organizations o ON o.id = s.organization_id \
             WHERE s.id = $1 AND o.agency_id = $2",
        )
        .bind(input.service_id.trim())
        .bind(&self.actor().agency_id)
        .fetch_optional(tx.conn())
        .await?;
        if own.is_some() {
            return Err(StorageError::invalid(
                "service_id",
                "That is one of your own services: allocate the case to a colleague instead",
            ));
        }
        let sent = self
            .refer_onward_in(&mut tx, &summary.referral_id, input, None)
            .await?;
        let at = now();
        let service: Option<String> =
            sqlx::query_scalar("SELECT name FROM dir_services WHERE id = $1")
                .bind(input.service_id.trim())
                .fetch_optional(tx.conn())
                .await?;
        let service = service.unwrap_or_default();
        match &sent {
            ReferredOn::Sent { id } => {
                sqlx::query("UPDATE onward_referrals SET from_case_id = $1 WHERE id = $2")
                    .bind(case)
                    .bind(id)
                    .execute(tx.conn())
                    .await?;
                record_event(
                    &mut tx,
                    case,
                    "transfer_sent",
                    Some(&format!("to {service}")),
                    self,
                    &at,
                )
                .await?;
            }
            ReferredOn::ConsentRefused => {
                record_event(
                    &mut tx,
                    case,
                    "transfer_refused",
                    Some(&format!(
                        "the person did not agree to a referral to {service}"
                    )),
                    self,
                    &at,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(sent)
    }

    /// The transfers sent from a case, newest first.
    pub(super) async fn transfers_in(
        &self,
        tx: &mut WriteTx,
        case: &CaseId,
    ) -> Result<Vec<Transfer>> {
        let rows: Vec<(OnwardId, String, String, Stamp)> = sqlx::query_as(
            "SELECT o.id, s.name, o.state, o.sent_at FROM onward_referrals o \
             JOIN dir_services s ON s.id = o.service_id WHERE o.from_case_id = $1 \
             ORDER BY o.sent_at DESC, o.id",
        )
        .bind(case)
        .fetch_all(tx.conn())
        .await?;
        rows.into_iter()
            .map(|(onward_id, service_name, state, sent_at)| {
                Ok(Transfer {
                    onward_id,
                    service_name,
                    state: harbour_domain::onward::State::from_slug(&state)
                        .ok_or_else(|| StorageError::Corrupt(format!("onward state {state:?}")))?,
                    sent_at: sent_at.0,
                })
            })
            .collect()
    }
}

/// When a service accepts a transfer (`onward` is the accepted referral's row), the case it came
/// from closes as transferred, and the referral that case came from records that outcome. The
/// outcome questions were not asked at this hand-over: the new service asks them at its close.
pub(crate) async fn close_transferred(
    tx: &mut WriteTx,
    store: &ScopedStore,
    onward: &AnyRow,
    at: &str,
) -> Result<()> {
    let Some(from_case) = onward.try_get::<Option<String>, _>("from_case_id")? else {
        return Ok(());
    };
    let service: String = sqlx::query_scalar("SELECT name FROM dir_services WHERE id = $1")
        .bind(onward.try_get::<String, _>("service_id")?)
        .fetch_one(tx.conn())
        .await?;
    let note = format!("{service} accepted the transfer");
    let closed = sqlx::query(
        "UPDATE cases SET status = $1, closed_at = $2, closure_reason = $3, closure_note = $4, \
         cope = $5, recover = $5, next_review_on = NULL, updated_at = $2 \
         WHERE id = $6 AND status <> $1",
    )
    .bind(CaseStatus::Closed.slug())
    .bind(at)
    .bind(ClosureReason::Transferred.slug())
    .bind(
        tx.keyring()?
            .seal(crate::sealed::CASE_CLOSURE_NOTE, &note)?,
    )
    .bind(OutcomeAnswer::NotAsked.slug())
    .bind(&from_case)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if closed == 0 {
        return Ok(());
    }
    let case = CaseId::from(from_case);
    let detail = format!("{}. {note}", ClosureReason::Transferred.label());
    record_event(tx, &case, "closed", Some(&detail), store, at).await?;
    let origin: Option<String> =
        sqlx::query_scalar("SELECT onward_referral_id FROM cases WHERE id = $1")
            .bind(&case)
            .fetch_one(tx.conn())
            .await?;
    if let Some(origin) = origin {
        let row = sqlx::query("SELECT * FROM onward_referrals WHERE id = $1")
            .bind(&origin)
            .fetch_one(tx.conn())
            .await?;
        store
            .move_with_case(
                tx,
                &row,
                CaseChange::Closed {
                    outcome: Outcome::TransferredOn,
                    note,
                },
                at,
            )
            .await?;
    }
    store
        .audit(
            tx,
            AuditAction::Change,
            "case",
            Some(case.as_str()),
            "close a case on its transfer",
        )
        .await?;
    Ok(())
}
