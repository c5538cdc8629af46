//! Who hears of what on an onward referral, and when: the other side told of each step (e-mail
//! to the staff who must act, a webhook to the agency's system), deadlines escalated once when
//! they pass, and the contact gate asked again before a message goes. The queue's mechanics are
//! `crate::jobs`; this is the policy that fills it.

use crate::db::{Db, WriteTx, format_time, new_id};
use crate::error::{Result, StorageError};
use crate::jobs::{Work, enqueue};
use chrono::{DateTime, Utc};
use harbour_domain::contact_gate::{self, Permit, Refusal};
use harbour_domain::deadline::Milestone;
use harbour_domain::notification::Event;
use harbour_domain::role::Role;
use harbour_domain::safe_contact::Channel;
use sqlx::Row;

/// Where Harbour's pages are, for links in messages.
pub fn onward_link(public_url: &str, onward_referral_id: &str) -> String {
    format!(
        "{}/onward/{onward_referral_id}",
        public_url.trim_end_matches('/')
    )
}

/// Tells `agency` about `event` on an onward referral: an e-mail to its active staff who hold
/// `email_role` (none: no e-mail), and a webhook to its system if it has one. In the caller's
/// transaction; `dedupe` makes a repeated call (an escalation run twice) queue nothing new.
pub(crate) async fn notify_agency(
    tx: &mut WriteTx,
    agency_id: &str,
    email_role: Option<Role>,
    event: Event,
    onward_referral_id: &str,
    dedupe: &str,
) -> Result<()> {
    let now = Utc::now();
    if let Some(role) = email_role {
        let to: Vec<String> = sqlx::query(
            "SELECT u.email FROM users u JOIN user_roles r ON r.user_id = u.id \
             WHERE u.agency_id = $1 AND r.role = $2 AND u.active ORDER BY u.email",
        )
        .bind(agency_id)
        .bind(role.slug())
        .fetch_all(tx.conn())
        .await?
        .iter()
        .map(|r| r.try_get("email"))
        .collect::<std::result::Result<_, _>>()?;
        if !to.is_empty() {
            let work = Work::StaffEmail {
                to,
                event,
                onward_referral_id: onward_referral_id.to_owned(),
            };
            enqueue(tx, &work, Some(&format!("email:{agency_id}:{dedupe}")), now).await?;
        }
    }
    let hooked = sqlx::query("SELECT webhook_url FROM agencies WHERE id = $1")
        .bind(agency_id)
        .fetch_optional(tx.conn())
        .await?
        .and_then(|r| r.try_get::<Option<String>, _>("webhook_url").ok().flatten())
        .is_some_and(|u| !u.is_empty());
    if hooked {
        let work = Work::Webhook {
            agency_id: agency_id.to_owned(),
            event,
            onward_referral_id: onward_referral_id.to_owned(),
        };
        enqueue(
            tx,
            &work,
            Some(&format!("webhook:{agency_id}:{dedupe}")),
            now,
        )
        .await?;
    }
    Ok(())
}

/// Escalates every deadline that passed unmet by `now` on an onward referral still open: the
/// receiving agency's caseworkers and the sending agency's triage officers are told, once.
/// Safe to run from several processes at once: a deadline is claimed by the update that marks
/// it escalated. Returns how many were escalated.
pub async fn escalate_overdue(db: &Db, now: DateTime<Utc>) -> Result<usize> {
    let now_text = format_time(now);
    let any = sqlx::query(
        "SELECT 1 AS x FROM onward_deadlines WHERE met_at IS NULL AND escalated_at IS NULL AND due_at < $1 LIMIT 1",
    )
    .bind(&now_text)
    .fetch_optional(db.pool())
    .await?;
    if any.is_none() {
        return Ok(0);
    }
    let mut tx = db.begin_write().await?;
    let due = sqlx::query(
        "SELECT d.onward_referral_id, d.milestone, o.recipient_agency_id, o.sender_agency_id \
         FROM onward_deadlines d JOIN onward_referrals o ON o.id = d.onward_referral_id \
         WHERE d.met_at IS NULL AND d.escalated_at IS NULL AND d.due_at < $1 \
         AND o.state NOT IN ('rerouted', 'closed', 'withdrawn') ORDER BY d.due_at LIMIT 200",
    )
    .bind(&now_text)
    .fetch_all(tx.conn())
    .await?;
    let mut escalated = 0;
    for row in &due {
        let id: String = row.try_get("onward_referral_id")?;
        let milestone: String = row.try_get("milestone")?;
        let Some(m) = Milestone::from_slug(&milestone) else {
            continue;
        };
        let claimed = sqlx::query(
            "UPDATE onward_deadlines SET escalated_at = $1 WHERE onward_referral_id = $2 \
             AND milestone = $3 AND escalated_at IS NULL",
        )
        .bind(&now_text)
        .bind(&id)
        .bind(&milestone)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if claimed == 0 {
            continue;
        }
        let event = Event::Overdue { milestone: m };
        let dedupe = format!("overdue:{id}:{milestone}");
        let recipient: String = row.try_get("recipient_agency_id")?;
        let sender: String = row.try_get("sender_agency_id")?;
        notify_agency(
            &mut tx,
            &recipient,
            Some(Role::Caseworker),
            event,
            &id,
            &dedupe,
        )
        .await?;
        notify_agency(
            &mut tx,
            &sender,
            Some(Role::TriageOfficer),
            event,
            &id,
            &dedupe,
        )
        .await?;
        crate::audit::append(
            &mut tx,
            &harbour_domain::audit::AuditEvent {
                actor_user_id: None,
                actor_agency_id: None,
                action: harbour_domain::audit::AuditAction::Change,
                entity_kind: "onward_referral".into(),
                entity_id: Some(id.clone()),
                purpose: format!("escalate an overdue deadline ({milestone})"),
                request_id: new_id(),
            },
        )
        .await?;
        escalated += 1;
    }
    tx.commit().await?;
    Ok(escalated)
}

/// Asks the contact gate about a message to the person on an onward referral at `at`. Reading
/// their safe-contact rules is audited, with the gate's answer.
pub async fn gate(
    db: &Db,
    onward_referral_id: &str,
    channel: Channel,
    at: DateTime<Utc>,
) -> Result<std::result::Result<Permit, Refusal>> {
    let mut tx = db.begin_write().await?;
    let person: harbour_domain::ids::PersonId =
        sqlx::query("SELECT person_id FROM onward_referrals WHERE id = $1")
            .bind(onward_referral_id)
            .fetch_optional(tx.conn())
            .await?
            .ok_or(StorageError::NotFound("onward referral"))?
            .try_get("person_id")?;
    let (safe, suspended) = crate::person_details::person_contact(&mut tx, &person).await?;
    let decision = contact_gate::decide(&safe, &suspended, channel, at);
    crate::audit::append(
        &mut tx,
        &harbour_domain::audit::AuditEvent {
            actor_user_id: None,
            actor_agency_id: None,
            action: harbour_domain::audit::AuditAction::Read,
            entity_kind: "person_message".into(),
            entity_id: Some(onward_referral_id.to_owned()),
            purpose: format!(
                "ask the contact gate before sending a message to the person ({}): {}",
                channel.slug(),
                decision.as_ref().map_or_else(Refusal::slug, |_| "allowed")
            ),
            request_id: new_id(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(decision)
}
