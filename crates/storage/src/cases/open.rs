//! Opening a case: when a service accepts an onward referral, in the same transaction.

use super::record_event;
use crate::db::{WriteTx, new_id, parse_time};
use crate::error::Result;
use crate::scoped::ScopedStore;
use harbour_domain::calendar::{WorkingDays, uk_date};
use harbour_domain::case::{CaseStatus, REVIEW_RULES, next_review};
use harbour_domain::ids::CaseId;
use harbour_domain::needs::ServiceTier;
use harbour_domain::role::Role;
use sqlx::Row;
use sqlx::any::AnyRow;

/// Opens the case for an onward referral the actor's service has just accepted (`onward` is
/// its row), allocated to the actor if they work cases, with its first review due by its tier's
/// rule. An onward referral has one case: accepting again opens nothing new.
pub(crate) async fn open_for_onward(
    tx: &mut WriteTx,
    store: &ScopedStore,
    onward: &AnyRow,
    at: &str,
) -> Result<Option<CaseId>> {
    let onward_id: String = onward.try_get("id")?;
    let exists: Option<String> =
        sqlx::query_scalar("SELECT id FROM cases WHERE onward_referral_id = $1")
            .bind(&onward_id)
            .fetch_optional(tx.conn())
            .await?;
    if exists.is_some() {
        return Ok(None);
    }
    let tier: Option<String> = onward.try_get("tier")?;
    let opened = uk_date(parse_time(at)?);
    let review = next_review(
        &REVIEW_RULES,
        tier.as_deref().and_then(ServiceTier::from_slug),
        opened,
        &WorkingDays::england_and_wales(),
    );
    let actor = store.actor();
    let caseworker = actor
        .roles
        .iter()
        .any(|r| matches!(r, Role::Caseworker | Role::ServiceManager))
        .then_some(actor.user_id.as_ref())
        .flatten();
    let id = CaseId::from(new_id());
    sqlx::query(
        "INSERT INTO cases (id, person_id, referral_id, onward_referral_id, agency_id, service_id, \
         caseworker_id, tier, risk_level, status, opened_at, next_review_on, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11)",
    )
    .bind(&id)
    .bind(onward.try_get::<String, _>("person_id")?)
    .bind(onward.try_get::<String, _>("referral_id")?)
    .bind(&onward_id)
    .bind(onward.try_get::<String, _>("recipient_agency_id")?)
    .bind(onward.try_get::<String, _>("service_id")?)
    .bind(caseworker)
    .bind(&tier)
    .bind(onward.try_get::<Option<String>, _>("risk_level")?)
    .bind(CaseStatus::Open.slug())
    .bind(at)
    .bind(review.to_string())
    .execute(tx.conn())
    .await?;
    record_event(
        tx,
        &id,
        "opened",
        Some("the service accepted the referral"),
        store,
        at,
    )
    .await?;
    if caseworker.is_some() {
        record_event(
            tx,
            &id,
            "allocated",
            Some("to whoever accepted it"),
            store,
            at,
        )
        .await?;
    }
    store
        .audit(
            tx,
            harbour_domain::audit::AuditAction::Create,
            "case",
            Some(id.as_str()),
            "open a case",
        )
        .await?;
    Ok(Some(id))
}
