//! The access seam: a store bound to one actor.
//!
//! Every method asks the permission table first (deny by default), narrows its query to
//! the scope granted, and records an audit entry in the same transaction as the work.

use crate::actor::Actor;
use crate::audit::{self, AuditFilter};
use crate::db::{Db, WriteTx};
use crate::error::Result;
use harbour_domain::audit::{AuditAction, AuditEntry, AuditEvent};
use harbour_domain::permission::{Action, Grant, authorize};

pub struct ScopedStore {
    db: Db,
    actor: Actor,
}

impl ScopedStore {
    pub fn new(db: Db, actor: Actor) -> ScopedStore {
        ScopedStore { db, actor }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Whether the actor may take `action` at all (for showing or hiding links).
    pub fn may(&self, action: Action) -> bool {
        authorize(&self.actor.roles, action).is_ok()
    }

    /// How far `action` reaches for this actor, if it is allowed at all.
    pub fn scope_of(&self, action: Action) -> Option<harbour_domain::permission::Scope> {
        authorize(&self.actor.roles, action).ok().map(|g| g.scope())
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn grant(&self, action: Action) -> Result<Grant> {
        Ok(authorize(&self.actor.roles, action)?)
    }

    pub(crate) fn event(
        &self,
        action: AuditAction,
        entity_kind: &str,
        entity_id: Option<&str>,
        purpose: &str,
    ) -> AuditEvent {
        AuditEvent {
            // An integration has no person: the entry names its token instead.
            actor_user_id: self
                .actor
                .user_id
                .as_ref()
                .map(|u| u.to_string())
                .or_else(|| {
                    self.actor
                        .token_id
                        .as_ref()
                        .map(|t| format!("api_token:{t}"))
                }),
            actor_agency_id: Some(self.actor.agency_id.to_string()),
            action,
            entity_kind: entity_kind.to_owned(),
            entity_id: entity_id.map(str::to_owned),
            purpose: purpose.to_owned(),
            request_id: self.actor.request_id.clone(),
        }
    }

    /// Records `action` on an entity inside `tx`.
    pub(crate) async fn audit(
        &self,
        tx: &mut WriteTx,
        action: AuditAction,
        entity_kind: &str,
        entity_id: Option<&str>,
        purpose: &str,
    ) -> Result<()> {
        audit::append(tx, &self.event(action, entity_kind, entity_id, purpose)).await?;
        Ok(())
    }

    /// What the records in `entries` are called, for an auditor to read: an agency's or a staff
    /// member's name, a referral's reference, the service an onward referral went to. Never a
    /// victim's name: the trail is read for who did what, not for the people it is about.
    pub async fn audit_record_names(
        &self,
        entries: &[AuditEntry],
    ) -> Result<std::collections::HashMap<String, String>> {
        use sqlx::Row;
        self.grant(Action::ViewAudit)?;
        let mut names = std::collections::HashMap::new();
        for e in entries {
            let Some(id) = &e.entity_id else { continue };
            if names.contains_key(id) {
                continue;
            }
            let sql = match e.entity_kind.as_str() {
                "agency" => "SELECT name AS n FROM agencies WHERE id = $1",
                "user" => "SELECT display_name AS n FROM users WHERE id = $1",
                "referral" => "SELECT reference AS n FROM referrals WHERE id = $1",
                "onward_referral" => {
                    "SELECT 'to ' || s.name || ', from referral ' || r.reference AS n \
                     FROM onward_referrals o JOIN dir_services s ON s.id = o.service_id \
                     JOIN referrals r ON r.id = o.referral_id WHERE o.id = $1"
                }
                "directory_service" => "SELECT name AS n FROM dir_services WHERE id = $1",
                // People referred are named by the referral that made them known, not by name:
                // the trail's reader needs to find the record, not to learn who it is about.
                "person" => {
                    "SELECT 'the person referred in ' || reference AS n FROM referrals \
                     WHERE person_id = $1 ORDER BY received_at, id LIMIT 1"
                }
                "contact_attempt" => {
                    "SELECT 'with the person referred in ' || r.reference AS n \
                     FROM contact_attempts c JOIN referrals r ON r.person_id = c.person_id \
                     WHERE c.id = $1 ORDER BY r.received_at, r.id LIMIT 1"
                }
                "person_message" => {
                    "SELECT 'on the referral to ' || s.name || ', from referral ' || r.reference AS n \
                     FROM onward_referrals o JOIN dir_services s ON s.id = o.service_id \
                     JOIN referrals r ON r.id = o.referral_id WHERE o.id = $1"
                }
                "referral_draft" => {
                    "SELECT 'a draft of ' || u.display_name AS n FROM referral_drafts d \
                     JOIN users u ON u.id = d.owner WHERE d.id = $1"
                }
                _ => continue,
            };
            if let Some(row) = sqlx::query(sql)
                .bind(id)
                .fetch_optional(self.db.pool())
                .await?
            {
                names.insert(id.clone(), row.try_get::<String, _>("n")?);
            }
        }
        Ok(names)
    }

    /// Searches the audit trail. The search is itself audited.
    pub async fn search_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        self.grant(Action::ViewAudit)?;
        let mut tx = self.db.begin_write().await?;
        let entries = audit::search(&mut tx, filter).await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "audit_log",
            None,
            "search the audit trail",
        )
        .await?;
        tx.commit().await?;
        Ok(entries)
    }
}
