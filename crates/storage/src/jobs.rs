//! The job queue, kept in the database: notifications are written in the same transaction as
//! the change they report (so an acknowledged change never loses its message), and the worker
//! leases them, delivers them and marks them done, or puts them back with a later time.
//!
//! Claiming is safe with several Harbour processes: on PostgreSQL with `FOR UPDATE SKIP
//! LOCKED`; on SQLite every write already runs one at a time. A lease that lapses (its process
//! died mid-delivery) is taken over by the next claim.

use crate::db::{Backend, Db, WriteTx, format_time, new_id, to_json};
use crate::error::{Result, StorageError};
use chrono::{DateTime, Duration, Utc};
use harbour_domain::contact_gate::{self, Permit, Refusal};
use harbour_domain::deadline::Milestone;
use harbour_domain::notification::Event;
use harbour_domain::role::Role;
use harbour_domain::safe_contact::Channel;
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// What a job does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Work {
    /// An e-mail to staff, about something to look at in Harbour (written when it is sent,
    /// from the event and a link: see [`harbour_domain::notification::staff_email`]).
    StaffEmail {
        to: Vec<String>,
        event: Event,
        onward_referral_id: String,
    },
    /// A signed POST to an agency's system. The URL and secret are read when it is sent.
    Webhook {
        agency_id: String,
        event: Event,
        onward_referral_id: String,
    },
    /// A message to the person on an onward referral, by a channel they allowed. The contact
    /// gate is asked again when it is due: outside their safe times it waits for the next one;
    /// refused outright (a channel since suspended, "do not contact") it is never sent.
    PersonMessage {
        onward_referral_id: String,
        channel: Channel,
        subject: String,
        text: String,
    },
    /// The day's signed checkpoint of the audit trail, made when the job runs and e-mailed to
    /// the auditors (or, if the trail fails its check, the alarm instead).
    AuditCheckpoint { to: Vec<String> },
}

impl Work {
    /// The onward referral it is about, if any.
    pub fn onward_referral_id(&self) -> Option<&str> {
        let id = match self {
            Work::StaffEmail {
                onward_referral_id, ..
            }
            | Work::Webhook {
                onward_referral_id, ..
            }
            | Work::PersonMessage {
                onward_referral_id, ..
            } => onward_referral_id,
            Work::AuditCheckpoint { .. } => return None,
        };
        Some(id)
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Work::StaffEmail { .. } => "staff_email",
            Work::Webhook { .. } => "webhook",
            Work::PersonMessage { .. } => "person_message",
            Work::AuditCheckpoint { .. } => "audit_checkpoint",
        }
    }
}

/// A job leased to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub work: Work,
    /// Tries so far, this one included.
    pub attempts: u32,
}

/// Adds a job to run at `run_at`, in the caller's transaction. A job with the same
/// `dedupe_key` as one already queued is not added again.
pub async fn enqueue(
    tx: &mut WriteTx,
    work: &Work,
    dedupe_key: Option<&str>,
    run_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, onward_referral_id, dedupe_key, run_at, attempts, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(new_id())
    .bind(work.kind())
    .bind(to_json(work)?)
    .bind(work.onward_referral_id())
    .bind(dedupe_key)
    .bind(format_time(run_at))
    .bind(format_time(Utc::now()))
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Adds a job in a transaction of its own: for work that no change of data brings about, such
/// as the day's audit checkpoint. With a `dedupe_key`, several workers add it once.
pub async fn schedule(
    db: &Db,
    work: &Work,
    dedupe_key: Option<&str>,
    run_at: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    enqueue(&mut tx, work, dedupe_key, run_at).await?;
    tx.commit().await
}

/// Leases up to `limit` jobs that are due at `now` to `worker` for `lease`.
pub async fn claim(
    db: &Db,
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Job>> {
    let now_text = format_time(now);
    // An empty queue costs one read, not a write transaction (on SQLite, the writer lock).
    let due = sqlx::query(
        "SELECT 1 AS x FROM jobs WHERE done_at IS NULL AND run_at <= $1 \
         AND (locked_until IS NULL OR locked_until < $1) LIMIT 1",
    )
    .bind(&now_text)
    .fetch_optional(db.pool())
    .await?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    let skip_locked = match db.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let mut tx = db.begin_write().await?;
    let rows = sqlx::query(&format!(
        "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $3 \
         AND (locked_until IS NULL OR locked_until < $3) ORDER BY run_at LIMIT $4 {skip_locked}) \
         RETURNING id, payload, attempts"
    ))
    .bind(worker)
    .bind(format_time(now + lease))
    .bind(&now_text)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    rows.iter()
        .map(|r| {
            let payload: String = r.try_get("payload")?;
            let attempts: i64 = r.try_get("attempts")?;
            Ok(Job {
                id: r.try_get("id")?,
                work: serde_json::from_str(&payload)
                    .map_err(|e| StorageError::Corrupt(format!("job payload: {e}")))?,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// Marks a leased job done with its outcome. False if the lease had lapsed and another worker
/// took the job over (it will finish it).
pub async fn complete(db: &Db, job: &str, worker: &str, outcome: &str) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let n = sqlx::query(
        "UPDATE jobs SET done_at = $1, outcome = $2, locked_by = NULL, locked_until = NULL \
         WHERE id = $3 AND locked_by = $4 AND done_at IS NULL",
    )
    .bind(format_time(Utc::now()))
    .bind(outcome)
    .bind(job)
    .bind(worker)
    .execute(tx.conn())
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(n == 1)
}

/// Puts a leased job back to run at `run_at`: after a failure (with what went wrong, which
/// must name no person), or because it is waiting for a safe time (not counted as a try).
pub async fn release(
    db: &Db,
    job: &str,
    worker: &str,
    run_at: DateTime<Utc>,
    error: Option<&str>,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query(&format!(
        "UPDATE jobs SET run_at = $1, last_error = COALESCE($2, last_error), locked_by = NULL, \
         locked_until = NULL{} WHERE id = $3 AND locked_by = $4",
        if error.is_none() {
            ", attempts = attempts - 1"
        } else {
            ""
        }
    ))
    .bind(format_time(run_at))
    .bind(error)
    .bind(job)
    .bind(worker)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Jobs not yet done, and how many of those have failed at least once.
pub async fn backlog(db: &Db) -> Result<(i64, i64)> {
    let r = sqlx::query(
        "SELECT COUNT(*) AS waiting, COALESCE(SUM(CASE WHEN last_error IS NULL THEN 0 ELSE 1 END), 0) AS failing \
         FROM jobs WHERE done_at IS NULL",
    )
    .fetch_one(db.pool())
    .await?;
    Ok((r.try_get("waiting")?, r.try_get("failing")?))
}

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
    let person: String = sqlx::query("SELECT person_id FROM onward_referrals WHERE id = $1")
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
