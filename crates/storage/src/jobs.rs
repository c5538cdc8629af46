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
use harbour_domain::notification::Event;
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
    /// The coordinator's chase of an agency's overdue MARAC actions: an e-mail to its staff
    /// with a count and a link, nothing about anyone.
    MaracChase { to: Vec<String>, overdue: usize },
    /// The quarter's report pack is ready: an e-mail to the commissioner's office carrying
    /// only a link.
    QuarterlyReport {
        to: Vec<String>,
        /// The quarter as a link carries it (`2026-Q3`), and in words.
        quarter: String,
        label: String,
    },
    /// An e-mail to a community alerts subscriber: the confirmation, the "already subscribed"
    /// notice, or a link to change preferences. The address and the link are read and made
    /// when it is sent, so a subscription deleted meanwhile is never written to.
    SubscriberEmail {
        subscriber_id: String,
        what: SubscriberMail,
    },
    /// A published alert's delivery: list its recipients (once), then send to those due, in
    /// leased batches, until none is left or the rest are held for quiet hours.
    AlertDelivery { alert_id: String },
    /// An approved retention run's erasure: what it listed that is still due and not held.
    RetentionErase { run_id: String },
    /// An approved erasure request: everything about the person.
    ErasureRequest { request_id: String },
}

/// Which e-mail a subscriber is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriberMail {
    Confirm,
    AlreadySubscribed,
    Manage,
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
            Work::AuditCheckpoint { .. }
            | Work::MaracChase { .. }
            | Work::QuarterlyReport { .. }
            | Work::SubscriberEmail { .. }
            | Work::AlertDelivery { .. }
            | Work::RetentionErase { .. }
            | Work::ErasureRequest { .. } => return None,
        };
        Some(id)
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Work::StaffEmail { .. } => "staff_email",
            Work::Webhook { .. } => "webhook",
            Work::PersonMessage { .. } => "person_message",
            Work::AuditCheckpoint { .. } => "audit_checkpoint",
            Work::MaracChase { .. } => "marac_chase",
            Work::QuarterlyReport { .. } => "quarterly_report",
            Work::SubscriberEmail { .. } => "subscriber_email",
            Work::AlertDelivery { .. } => "alert_delivery",
            Work::RetentionErase { .. } => "retention_erase",
            Work::ErasureRequest { .. } => "erasure_request",
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
