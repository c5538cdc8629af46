//! The intake writer: every new referral, from any channel, is written here.
//!
//! One task takes submissions from a channel and writes them in batches: whatever has
//! arrived while the previous batch was committing goes into the next transaction, each item
//! inside its own savepoint so one bad item cannot spoil the rest. A submission is answered
//! only after its batch has committed, so an acknowledged referral is on disk (SQLite runs
//! with synchronous=FULL; PostgreSQL commits are durable). Concurrent submitters thus share
//! one commit and one fsync instead of queueing for one each.

use crate::audit;
use crate::db::{Db, WriteTx, format_time, new_id, to_json};
use crate::error::{Result, StorageError};
use chrono::{DateTime, NaiveDate, Utc};
use harbour_domain::audit::AuditEvent;
use harbour_domain::referral::{NewReferral, Status};
use serde::Serialize;
use sqlx::Row;
use tokio::sync::{mpsc, oneshot};

/// The most submissions written in one transaction.
const MAX_BATCH: usize = 256;

/// Who submitted a referral.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub submitted_by: Option<String>,
    pub submitting_agency: Option<String>,
    pub api_token_id: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Submission {
    pub referral: NewReferral,
    pub origin: Origin,
    pub received_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    /// The client's idempotency key and a digest of its request.
    pub idempotency: Option<(String, String)>,
    /// The bulk file's own identifier for the row.
    pub import_key: Option<String>,
    /// The audit entry to write; its entity id is filled in here.
    pub event: AuditEvent,
}

/// What became of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    Created(Receipt),
    /// The idempotency key was seen before with the same request: the earlier referral.
    Replayed(Receipt),
    /// The bulk file row was imported before: the earlier referral.
    AlreadyImported(Receipt),
    /// The idempotency key was seen before with a different request.
    KeyReused,
}

/// What the submitter is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub id: String,
    pub reference: String,
    pub status: Status,
    pub received_at: String,
    pub due_on: String,
}

type Job = (Submission, oneshot::Sender<Result<Submitted>>);

#[derive(Clone)]
pub(crate) struct IntakeWriter {
    tx: mpsc::Sender<Job>,
}

impl IntakeWriter {
    pub(crate) fn spawn(db: Db) -> IntakeWriter {
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(db, rx));
        IntakeWriter { tx }
    }

    pub(crate) async fn submit(&self, submission: Submission) -> Result<Submitted> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((submission, reply))
            .await
            .map_err(|_| StorageError::Write("the intake writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StorageError::Write("the intake writer stopped before answering".into()))?
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (submissions, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        match write_batch(&db, &submissions).await {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, items = replies.len(), "intake batch failed; nothing in it was stored");
                for reply in replies {
                    let _ = reply.send(Err(StorageError::Write(
                        "the referral could not be stored".into(),
                    )));
                }
            }
        }
    }
}

async fn write_batch(db: &Db, batch: &[Submission]) -> Result<Vec<Result<Submitted>>> {
    // The whole batch in one transaction. A failure here is rare (the rules ran before), but one
    // bad item must not spoil the rest: then each is written again on its own.
    match write_together(db, batch).await {
        Ok(results) => Ok(results),
        Err(_) if batch.len() > 1 => {
            let mut results = Vec::with_capacity(batch.len());
            for submission in batch {
                let alone = write_together(db, std::slice::from_ref(submission)).await;
                results.push(alone.and_then(|mut r| {
                    r.pop()
                        .unwrap_or_else(|| Err(StorageError::Write("nothing written".into())))
                }));
            }
            Ok(results)
        }
        Err(e) => Ok(vec![Err(e)]),
    }
}

async fn write_together(db: &Db, batch: &[Submission]) -> Result<Vec<Result<Submitted>>> {
    let mut tx = db.begin_write().await?;
    let mut chain = audit::Chain::lock(&mut tx).await?;
    let mut results = Vec::with_capacity(batch.len());
    for submission in batch {
        results.push(Ok(write_one(&mut tx, &mut chain, submission).await?));
    }
    chain.store(&mut tx).await?;
    tx.commit().await?;
    Ok(results)
}

async fn earlier(
    tx: &mut WriteTx,
    column: &str,
    agency: Option<&str>,
    key: &str,
) -> Result<Option<(Receipt, Option<String>)>> {
    const COLUMNS: &str = "id, reference, status, received_at, due_on, idempotency_hash";
    // `= NULL` matches nothing: submissions with no agency (self-referrals) are looked up apart.
    let row =
        match agency {
            Some(agency) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM referrals WHERE submitting_agency = $1 AND {column} = $2"
                ))
                .bind(agency)
                .bind(key)
                .fetch_optional(tx.conn())
                .await?
            }
            None => sqlx::query(&format!(
                "SELECT {COLUMNS} FROM referrals WHERE submitting_agency IS NULL AND {column} = $1"
            ))
            .bind(key)
            .fetch_optional(tx.conn())
            .await?,
        };
    row.map(|r| {
        let status: String = r.try_get("status")?;
        Ok((
            Receipt {
                id: r.try_get("id")?,
                reference: r.try_get("reference")?,
                status: Status::from_slug(&status)
                    .ok_or_else(|| StorageError::Corrupt(format!("status {status:?}")))?,
                received_at: r.try_get("received_at")?,
                due_on: r.try_get("due_on")?,
            },
            r.try_get("idempotency_hash")?,
        ))
    })
    .transpose()
}

/// A person already known: the same names (ignoring case) and the same date of birth. Only an
/// exact match links referrals here; recognising people despite misspellings is a later step.
async fn known_person(
    tx: &mut WriteTx,
    p: &harbour_domain::referral::Person,
) -> Result<Option<String>> {
    let Some(dob) = p.date_of_birth else {
        return Ok(None);
    };
    let rows =
        sqlx::query("SELECT id, given_name, family_name FROM persons WHERE date_of_birth = $1")
            .bind(dob.to_string())
            .fetch_all(tx.conn())
            .await?;
    for row in rows {
        let given: String = row.try_get("given_name")?;
        let family: String = row.try_get("family_name")?;
        if given.to_lowercase() == p.given_name.to_lowercase()
            && family.to_lowercase() == p.family_name.to_lowercase()
        {
            return Ok(Some(row.try_get("id")?));
        }
    }
    Ok(None)
}

/// A reference people can read out on the phone: 60 random bits in Crockford's base 32.
fn new_reference() -> String {
    use rand::RngCore;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut n = rand::rngs::OsRng.next_u64();
    let mut chars = Vec::with_capacity(12);
    for _ in 0..12 {
        chars.push(ALPHABET[(n & 31) as usize] as char);
        n >>= 5;
    }
    let s: String = chars.into_iter().collect();
    format!("HBR-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12])
}

async fn write_one(
    tx: &mut WriteTx,
    chain: &mut audit::Chain,
    s: &Submission,
) -> Result<Submitted> {
    let agency = s.origin.submitting_agency.as_deref();
    if let Some((key, hash)) = &s.idempotency
        && let Some((receipt, stored_hash)) = earlier(tx, "idempotency_key", agency, key).await?
    {
        return Ok(if stored_hash.as_deref() == Some(hash.as_str()) {
            Submitted::Replayed(receipt)
        } else {
            Submitted::KeyReused
        });
    }
    if let Some(key) = &s.import_key
        && let Some((receipt, _)) = earlier(tx, "import_key", agency, key).await?
    {
        return Ok(Submitted::AlreadyImported(receipt));
    }
    let r = &s.referral;
    let at = format_time(s.received_at);
    let person_id = match known_person(tx, &r.person).await? {
        Some(id) => {
            // The newest referral knows the person's situation best: a new safe number, a move.
            sqlx::query("UPDATE persons SET postcode = $1, area = $2, details = $3, safe_contact = $4, updated_at = $5 WHERE id = $6")
                .bind(&r.person.postcode)
                .bind(&r.person.area)
                .bind(to_json(&r.person)?)
                .bind(to_json(&r.safe_contact)?)
                .bind(&at)
                .bind(&id)
                .execute(tx.conn())
                .await?;
            id
        }
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO persons (id, given_name, family_name, date_of_birth, postcode, area, details, \
                 safe_contact, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            )
            .bind(&id)
            .bind(&r.person.given_name)
            .bind(&r.person.family_name)
            .bind(r.person.date_of_birth.map(|d| d.to_string()))
            .bind(&r.person.postcode)
            .bind(&r.person.area)
            .bind(to_json(&r.person)?)
            .bind(to_json(&r.safe_contact)?)
            .bind(&at)
            .execute(tx.conn())
            .await?;
            id
        }
    };
    let id = new_id();
    let reference = new_reference();
    let due_on = s.due_on.to_string();
    sqlx::query(
        "INSERT INTO referrals (id, reference, person_id, status, source, submitted_by, \
         submitting_agency, api_token_id, received_at, due_on, crime_category, reported_to_police, \
         police_reference, incident_date, incident_area, area, perpetrators, children, \
         consent_to_referral, consent_basis, consent_to_aggregate, referrer_risk_level, risk_level, \
         notes, idempotency_key, idempotency_hash, import_key, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20, $21, $22, $22, $23, $24, $25, $26, $9, $9)",
    )
    .bind(&id)
    .bind(&reference)
    .bind(&person_id)
    .bind(Status::Received.slug())
    .bind(r.source.slug())
    .bind(&s.origin.submitted_by)
    .bind(agency)
    .bind(&s.origin.api_token_id)
    .bind(&at)
    .bind(&due_on)
    .bind(r.crime_category.slug())
    .bind(r.reported_to_police)
    .bind(&r.police_reference)
    .bind(r.incident_date.map(|d| d.to_string()))
    .bind(&r.incident_area)
    .bind(r.person.area.clone().or_else(|| r.incident_area.clone()))
    .bind(to_json(&r.perpetrators)?)
    .bind(to_json(&r.children)?)
    .bind(r.consent_to_referral.slug())
    .bind(match r.consent_basis {
        harbour_domain::crime::ConsentBasis::OptOut => "opt_out",
        harbour_domain::crime::ConsentBasis::Explicit => "explicit",
    })
    .bind(r.consent_to_aggregate)
    .bind(r.referrer_risk_level.map(|l| l.slug()))
    .bind(&r.notes)
    .bind(s.idempotency.as_ref().map(|(k, _)| k.as_str()))
    .bind(s.idempotency.as_ref().map(|(_, h)| h.as_str()))
    .bind(&s.import_key)
    .execute(tx.conn())
    .await?;
    let mut event = s.event.clone();
    event.entity_id = Some(id.clone());
    chain.append(tx, &event).await?;
    Ok(Submitted::Created(Receipt {
        id,
        reference,
        status: Status::Received,
        received_at: at,
        due_on,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn references_are_readable_and_distinct() {
        let a = super::new_reference();
        let b = super::new_reference();
        assert_ne!(a, b);
        assert_eq!(a.len(), 18);
        assert!(a.starts_with("HBR-"));
        assert!(!a.contains(['I', 'L', 'O', 'U']));
    }
}
