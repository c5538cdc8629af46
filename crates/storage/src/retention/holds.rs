//! Legal holds: the data protection officer finds a person by a referral's reference and holds
//! everything about them, or that referral and all that came of it; nothing held is erased
//! until the hold is lifted, with who and why kept.

use crate::db::{new_id, now};
use crate::error::{Result, StorageError};
use crate::scoped::ScopedStore;
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::{LegalHoldId, PersonId, ReferralId};
use harbour_domain::legal_hold::{self, HoldKind, HoldScope};
use harbour_domain::permission::Action;

/// A referral found by its reference, to hold.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HoldTarget {
    pub referral_id: ReferralId,
    pub reference: String,
    pub person_id: PersonId,
    pub given_name: String,
    pub family_name: String,
    pub received_at: String,
}

impl HoldTarget {
    pub fn name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
            .trim()
            .to_owned()
    }
}

/// A hold as the officer's page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub id: LegalHoldId,
    pub kind: HoldKind,
    pub scope: HoldScope,
    pub reason: String,
    pub reference: String,
    pub person_name: String,
    pub placed_by: String,
    pub placed_at: String,
    pub lifted: Option<(String, String, String)>,
}

#[derive(sqlx::FromRow)]
struct HoldRow {
    id: LegalHoldId,
    kind: String,
    scope: String,
    reason: String,
    reference: String,
    given_name: String,
    family_name: String,
    placed_by: Option<String>,
    placed_at: String,
    lifted_by: Option<String>,
    lifted_at: Option<String>,
    lift_reason: Option<String>,
}

impl ScopedStore {
    /// The referral with this reference, and whom it is about, to hold.
    pub async fn find_for_hold(&self, reference: &str) -> Result<HoldTarget> {
        self.grant(Action::HoldRecords)?;
        self.find_by_reference(reference, "find a person for a legal hold")
            .await
    }

    /// The referral with this reference, and whom it is about, for an erasure request.
    pub async fn find_person_by_reference(&self, reference: &str) -> Result<HoldTarget> {
        self.grant(Action::HandleErasureRequests)?;
        self.find_by_reference(reference, "find a person for an erasure request")
            .await
    }

    /// A referral by its reference (any case), audited as read for `purpose`.
    pub(crate) async fn find_by_reference(
        &self,
        reference: &str,
        purpose: &str,
    ) -> Result<HoldTarget> {
        let reference = reference.trim();
        if reference.is_empty() {
            return Err(StorageError::invalid(
                "reference",
                "Enter the reference of a referral about the person",
            ));
        }
        let mut tx = self.db().begin_write().await?;
        let found: Option<HoldTarget> = sqlx::query_as(
            "SELECT r.id AS referral_id, r.reference, r.person_id, p.given_name, p.family_name, r.received_at \
             FROM referrals r JOIN persons p ON p.id = r.person_id WHERE UPPER(r.reference) = UPPER($1)",
        )
        .bind(reference)
        .fetch_optional(tx.conn())
        .await?;
        let Some(found) = found else {
            return Err(StorageError::invalid(
                "reference",
                "No referral has that reference: check it against the referral or case",
            ));
        };
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral",
            Some(found.referral_id.as_str()),
            purpose,
        )
        .await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Places a hold. Nothing it covers is erased until it is lifted.
    pub async fn place_legal_hold(
        &self,
        reference: &str,
        kind: &str,
        scope: &str,
        reason: &str,
    ) -> Result<LegalHoldId> {
        self.grant(Action::HoldRecords)?;
        let checked = legal_hold::check(kind, scope, reason);
        let target = self.find_for_hold(reference).await;
        let (kind, scope, reason, target) = match (checked, target) {
            (Ok((k, s, r)), Ok(t)) => (k, s, r, t),
            (Err(e), Err(StorageError::Invalid(first))) => {
                let mut all = first;
                for f in e.iter() {
                    all.add(&f.field, f.message.clone());
                }
                return Err(StorageError::Invalid(all));
            }
            (Err(e), _) => return Err(StorageError::Invalid(e)),
            (_, Err(e)) => return Err(e),
        };
        let id = LegalHoldId::from(new_id());
        let mut tx = self.db().begin_write().await?;
        sqlx::query(
            "INSERT INTO legal_holds (id, person_id, referral_id, scope, kind, reason, placed_by, placed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&target.person_id)
        .bind(&target.referral_id)
        .bind(scope.slug())
        .bind(kind.slug())
        .bind(&reason)
        .bind(self.actor().user_id.as_ref())
        .bind(now())
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "legal_hold",
            Some(id.as_str()),
            "legal hold placed",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Lifts a hold, with the reason: what it held falls due again as its schedule says.
    pub async fn lift_legal_hold(&self, id: &LegalHoldId, reason: &str) -> Result<()> {
        self.grant(Action::HoldRecords)?;
        let reason = legal_hold::check_lift(reason).map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let n = sqlx::query(
            "UPDATE legal_holds SET lifted_by = $1, lifted_at = $2, lift_reason = $3 \
             WHERE id = $4 AND lifted_at IS NULL",
        )
        .bind(self.actor().user_id.as_ref())
        .bind(now())
        .bind(&reason)
        .bind(id)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StorageError::NotFound("legal hold"));
        }
        self.audit(
            &mut tx,
            AuditAction::Change,
            "legal_hold",
            Some(id.as_str()),
            "legal hold lifted",
        )
        .await?;
        tx.commit().await
    }

    /// Every hold, live ones first, each with whom it is about.
    pub async fn legal_holds(&self) -> Result<Vec<Hold>> {
        self.grant(Action::HoldRecords)?;
        let mut tx = self.db().begin_write().await?;
        let rows: Vec<HoldRow> = sqlx::query_as(
            "SELECT h.id, h.kind, h.scope, h.reason, r.reference, p.given_name, p.family_name, \
             u.display_name AS placed_by, h.placed_at, l.display_name AS lifted_by, h.lifted_at, h.lift_reason \
             FROM legal_holds h JOIN referrals r ON r.id = h.referral_id JOIN persons p ON p.id = h.person_id \
             LEFT JOIN users u ON u.id = h.placed_by LEFT JOIN users l ON l.id = h.lifted_by \
             ORDER BY CASE WHEN h.lifted_at IS NULL THEN 0 ELSE 1 END, h.placed_at DESC",
        )
        .fetch_all(tx.conn())
        .await?;
        if !rows.is_empty() {
            self.audit(
                &mut tx,
                AuditAction::Read,
                "legal_hold",
                None,
                "list legal holds, with whom they are about",
            )
            .await?;
        }
        tx.commit().await?;
        rows.into_iter()
            .map(|r| {
                Ok(Hold {
                    kind: crate::referrals::parse(&r.kind, "hold kind", HoldKind::from_slug)?,
                    scope: crate::referrals::parse(&r.scope, "hold scope", HoldScope::from_slug)?,
                    person_name: format!("{} {}", r.given_name, r.family_name)
                        .trim()
                        .to_owned(),
                    id: r.id,
                    reason: r.reason,
                    reference: r.reference,
                    placed_by: r.placed_by.unwrap_or_default(),
                    placed_at: r.placed_at,
                    lifted: match (r.lifted_by, r.lifted_at, r.lift_reason) {
                        (by, Some(at), why) => {
                            Some((by.unwrap_or_default(), at, why.unwrap_or_default()))
                        }
                        _ => None,
                    },
                })
            })
            .collect()
    }
}
