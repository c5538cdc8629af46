//! The intake writer: every new referral, from any channel, is written here.
//!
//! One task takes submissions from a channel and writes them in batches: whatever has
//! arrived while the previous batch was committing goes into the next transaction. If a batch
//! fails, each of its items is written again on its own, so one bad item cannot spoil the rest.
//! A submission is answered only after its batch has committed, so an acknowledged referral is
//! on disk (SQLite runs with synchronous=FULL; PostgreSQL commits are durable). Concurrent
//! submitters thus share one commit and one fsync instead of queueing for one each.
//!
//! On PostgreSQL two batches are written at once: one does its look-ups and inserts while the
//! other holds the audit head and commits. The audit head is taken last, so that is the only
//! part that runs one at a time.

use crate::audit;
use crate::db::{Backend, Db, WriteTx, format_time, insert_json_rows, new_id, to_json};
use crate::error::{Result, StorageError};
use chrono::{DateTime, NaiveDate, Utc};
use harbour_domain::audit::AuditEvent;
use harbour_domain::referral::{NewReferral, Status};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc, oneshot};

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

/// Batches written at once. SQLite has one writer, so one; on PostgreSQL a few, so one batch's
/// statements overlap another's commit. They meet only at the audit head, which each takes
/// last, just before its commit.
fn writers(db: &Db) -> usize {
    match db.backend() {
        Backend::Sqlite => 1,
        Backend::Postgres => 2,
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    let slots = Arc::new(Semaphore::new(writers(&db)));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = rx.recv().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let db = db.clone();
        tokio::spawn(async move {
            answer(&db, batch).await;
            drop(slot);
        });
    }
}

async fn answer(db: &Db, batch: Vec<Job>) {
    let (submissions, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    match write_batch(db, &submissions).await {
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

async fn write_batch(db: &Db, batch: &[Submission]) -> Result<Vec<Result<Submitted>>> {
    // The whole batch in one transaction. A failure here is rare (the rules ran before), but one
    // bad item must not spoil the rest: then each is written again on its own.
    match write_together(db, batch).await {
        Ok(results) => Ok(results),
        Err(_) if batch.len() > 1 => {
            let mut results = Vec::with_capacity(batch.len());
            for submission in batch {
                results.push(write_alone(db, submission).await);
            }
            Ok(results)
        }
        Err(e) if e.is_unique_violation() => Ok(vec![write_alone(db, &batch[0]).await]),
        Err(e) => Ok(vec![Err(e)]),
    }
}

/// Writes one submission in its own transaction. A unique-key clash means another batch, written
/// at the same moment, stored the same idempotency key or file row first; that batch has
/// committed by the time the clash is reported, so a second try finds it and answers with it.
async fn write_alone(db: &Db, submission: &Submission) -> Result<Submitted> {
    let once = |db| async move {
        write_together(db, std::slice::from_ref(submission))
            .await?
            .pop()
            .unwrap_or_else(|| Err(StorageError::Write("nothing written".into())))
    };
    match once(db).await {
        Err(e) if e.is_unique_violation() => once(db).await,
        other => other,
    }
}

fn receipt_from(r: &sqlx::any::AnyRow) -> Result<Receipt> {
    let status: String = r.try_get("status")?;
    Ok(Receipt {
        id: r.try_get("id")?,
        reference: r.try_get("reference")?,
        status: Status::from_slug(&status)
            .ok_or_else(|| StorageError::Corrupt(format!("status {status:?}")))?,
        received_at: r.try_get("received_at")?,
        due_on: r.try_get("due_on")?,
    })
}

type KeyIndex = HashMap<(Option<String>, String), (Receipt, Option<String>)>;

/// Referrals already stored under any of `keys` (agency, key) in `column`, by (agency, key).
/// The condition names the agency as well as the key, so it is answered from the unique index
/// on (submitting_agency, key) rather than by reading the table.
async fn stored_keys(
    tx: &mut WriteTx,
    column: &str,
    keys: &[(Option<&str>, &str)],
) -> Result<KeyIndex> {
    let mut found = HashMap::new();
    if keys.is_empty() {
        return Ok(found);
    }
    let mut by_agency: Vec<(Option<&str>, Vec<&str>)> = Vec::new();
    for (agency, key) in keys {
        match by_agency.iter_mut().find(|(a, _)| a == agency) {
            Some((_, list)) => list.push(key),
            None => by_agency.push((*agency, vec![key])),
        }
    }
    let mut binds: Vec<&str> = Vec::new();
    let mut conditions = Vec::new();
    for (agency, list) in &by_agency {
        let agency_condition = match agency {
            Some(a) => {
                binds.push(a);
                format!("submitting_agency = ${}", binds.len())
            }
            None => "submitting_agency IS NULL".to_owned(),
        };
        let mut placeholders = Vec::new();
        for k in list {
            binds.push(k);
            placeholders.push(format!("${}", binds.len()));
        }
        conditions.push(format!(
            "({agency_condition} AND {column} IN ({}))",
            placeholders.join(", ")
        ));
    }
    let sql = format!(
        "SELECT submitting_agency, {column} AS k, id, reference, status, received_at, due_on, idempotency_hash \
         FROM referrals WHERE {}",
        conditions.join(" OR ")
    );
    let mut q = sqlx::query(&sql);
    for b in binds {
        q = q.bind(b);
    }
    for r in q.fetch_all(tx.conn()).await? {
        found.insert(
            (r.try_get("submitting_agency")?, r.try_get("k")?),
            (receipt_from(&r)?, r.try_get("idempotency_hash")?),
        );
    }
    Ok(found)
}

/// Writes a batch in one transaction with a handful of statements, whatever its size: one
/// look-up of earlier keys, one of people already known, one INSERT each for the new people, the
/// referrals and their audit entries, and one update of the audit head.
async fn write_together(db: &Db, batch: &[Submission]) -> Result<Vec<Result<Submitted>>> {
    let mut tx = db.begin_write().await?;
    let idem_keys: Vec<(Option<&str>, &str)> = batch
        .iter()
        .filter_map(|s| {
            s.idempotency
                .as_ref()
                .map(|(k, _)| (s.origin.submitting_agency.as_deref(), k.as_str()))
        })
        .collect();
    let import_keys: Vec<(Option<&str>, &str)> = batch
        .iter()
        .filter_map(|s| {
            s.import_key
                .as_deref()
                .map(|k| (s.origin.submitting_agency.as_deref(), k))
        })
        .collect();
    let mut by_idem = stored_keys(&mut tx, "idempotency_key", &idem_keys).await?;
    let mut by_import = stored_keys(&mut tx, "import_key", &import_keys).await?;
    let mut known = known_people(&mut tx, batch).await?;

    let mut results = Vec::with_capacity(batch.len());
    let mut new_people: Vec<[Option<String>; 9]> = Vec::new();
    let mut referrals: Vec<Vec<Option<String>>> = Vec::new();
    let mut entries = Vec::new();
    for s in batch {
        let agency = s.origin.submitting_agency.clone();
        if let Some((key, hash)) = &s.idempotency
            && let Some((receipt, stored_hash)) = by_idem.get(&(agency.clone(), key.clone()))
        {
            results.push(Ok(if stored_hash.as_deref() == Some(hash.as_str()) {
                Submitted::Replayed(receipt.clone())
            } else {
                Submitted::KeyReused
            }));
            continue;
        }
        if let Some(key) = &s.import_key
            && let Some((receipt, _)) = by_import.get(&(agency.clone(), key.clone()))
        {
            results.push(Ok(Submitted::AlreadyImported(receipt.clone())));
            continue;
        }
        let r = &s.referral;
        let at = format_time(s.received_at);
        let person_key = r.person.date_of_birth.map(|dob| {
            (
                r.person.given_name.to_lowercase(),
                r.person.family_name.to_lowercase(),
                dob.to_string(),
            )
        });
        let person_id = match person_key.as_ref().and_then(|k| known.get(k)) {
            Some(id) => {
                // The newest referral knows the person's situation best: a new safe number, a move.
                sqlx::query("UPDATE persons SET postcode = $1, area = $2, details = $3, safe_contact = $4, updated_at = $5 WHERE id = $6")
                    .bind(&r.person.postcode)
                    .bind(&r.person.area)
                    .bind(to_json(&r.person)?)
                    .bind(to_json(&r.safe_contact)?)
                    .bind(&at)
                    .bind(id)
                    .execute(tx.conn())
                    .await?;
                id.clone()
            }
            None => {
                let id = new_id();
                new_people.push([
                    Some(id.clone()),
                    Some(r.person.given_name.clone()),
                    Some(r.person.family_name.clone()),
                    r.person.date_of_birth.map(|d| d.to_string()),
                    Some(r.person.postcode.clone()),
                    r.person.area.clone(),
                    Some(to_json(&r.person)?),
                    Some(to_json(&r.safe_contact)?),
                    Some(at.clone()),
                ]);
                if let Some(k) = person_key {
                    known.insert(k, id.clone());
                }
                id
            }
        };
        let id = new_id();
        let receipt = Receipt {
            id: id.clone(),
            reference: new_reference(),
            status: Status::Received,
            received_at: at.clone(),
            due_on: s.due_on.to_string(),
        };
        referrals.push(vec![
            Some(id.clone()),
            Some(receipt.reference.clone()),
            Some(person_id),
            Some(Status::Received.slug().into()),
            Some(r.source.slug().into()),
            s.origin.submitted_by.clone(),
            agency.clone(),
            s.origin.api_token_id.clone(),
            Some(at.clone()),
            Some(receipt.due_on.clone()),
            Some(r.crime_category.slug().into()),
            r.police_reference.clone(),
            r.incident_date.map(|d| d.to_string()),
            r.incident_area.clone(),
            r.person.area.clone().or_else(|| r.incident_area.clone()),
            Some(to_json(&r.perpetrators)?),
            Some(to_json(&r.children)?),
            Some(r.consent_to_referral.slug().into()),
            Some(r.crime_category.default_consent_basis_slug().into()),
            r.referrer_risk_level.map(|l| l.slug().into()),
            r.referrer_risk_level.map(|l| l.slug().into()),
            Some(r.notes.clone()),
            s.idempotency.as_ref().map(|(k, _)| k.clone()),
            s.idempotency.as_ref().map(|(_, h)| h.clone()),
            s.import_key.clone(),
            Some(at.clone()),
        ]);
        // Booleans are bound apart: their column type differs between the two databases.
        let mut event = s.event.clone();
        event.entity_id = Some(id);
        entries.push((event, r.reported_to_police, r.consent_to_aggregate));
        if let Some((key, hash)) = &s.idempotency {
            by_idem.insert(
                (agency.clone(), key.clone()),
                (receipt.clone(), Some(hash.clone())),
            );
        }
        if let Some(key) = &s.import_key {
            by_import.insert((agency, key.clone()), (receipt.clone(), None));
        }
        results.push(Ok(Submitted::Created(receipt)));
    }

    if !new_people.is_empty() {
        const PERSON: [&str; 9] = [
            "id",
            "given_name",
            "family_name",
            "date_of_birth",
            "postcode",
            "area",
            "details",
            "safe_contact",
            "created_at",
        ];
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = new_people
            .iter()
            .map(|p| {
                let mut row: serde_json::Map<String, serde_json::Value> = PERSON
                    .iter()
                    .zip(p)
                    .map(|(c, v)| ((*c).to_owned(), serde_json::json!(v)))
                    .collect();
                row.insert("updated_at".into(), serde_json::json!(p[8]));
                row
            })
            .collect();
        let mut columns: Vec<(&str, &str)> = PERSON.iter().map(|c| (*c, "text")).collect();
        columns.push(("updated_at", "text"));
        let sql = insert_json_rows(tx.backend(), "persons", &columns);
        sqlx::query(&sql)
            .bind(to_json(&rows)?)
            .execute(tx.conn())
            .await?;
    }
    if !referrals.is_empty() {
        const REFERRAL: [&str; 26] = [
            "id",
            "reference",
            "person_id",
            "status",
            "source",
            "submitted_by",
            "submitting_agency",
            "api_token_id",
            "received_at",
            "due_on",
            "crime_category",
            "police_reference",
            "incident_date",
            "incident_area",
            "area",
            "perpetrators",
            "children",
            "consent_to_referral",
            "consent_basis",
            "referrer_risk_level",
            "risk_level",
            "notes",
            "idempotency_key",
            "idempotency_hash",
            "import_key",
            "created_at",
        ];
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = referrals
            .iter()
            .zip(&entries)
            .map(|(r, (_, police, aggregate))| {
                let mut row: serde_json::Map<String, serde_json::Value> = REFERRAL
                    .iter()
                    .zip(r)
                    .map(|(c, v)| ((*c).to_owned(), serde_json::json!(v)))
                    .collect();
                row.insert("updated_at".into(), serde_json::json!(r[8]));
                row.insert("reported_to_police".into(), serde_json::json!(police));
                row.insert("consent_to_aggregate".into(), serde_json::json!(aggregate));
                row
            })
            .collect();
        let mut columns: Vec<(&str, &str)> = REFERRAL.iter().map(|c| (*c, "text")).collect();
        columns.push(("updated_at", "text"));
        columns.push(("reported_to_police", "boolean"));
        columns.push(("consent_to_aggregate", "boolean"));
        let sql = insert_json_rows(tx.backend(), "referrals", &columns);
        sqlx::query(&sql)
            .bind(to_json(&rows)?)
            .execute(tx.conn())
            .await?;
        // The audit head last: concurrent batches wait for each other only from here to commit.
        let events: Vec<AuditEvent> = entries.into_iter().map(|(e, _, _)| e).collect();
        let mut chain = audit::Chain::lock(&mut tx).await?;
        chain.append_all(&mut tx, &events).await?;
        chain.store(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(results)
}

/// People already known among a batch's dates of birth, by (given name, family name, date of
/// birth), ignoring case. Only an exact match links referrals here; recognising people despite
/// misspellings is a later step.
async fn known_people(
    tx: &mut WriteTx,
    batch: &[Submission],
) -> Result<HashMap<(String, String, String), String>> {
    let mut dobs: Vec<String> = batch
        .iter()
        .filter_map(|s| s.referral.person.date_of_birth.map(|d| d.to_string()))
        .collect();
    dobs.sort();
    dobs.dedup();
    let mut known = HashMap::new();
    if dobs.is_empty() {
        return Ok(known);
    }
    let list: Vec<String> = (1..=dobs.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT id, given_name, family_name, date_of_birth FROM persons WHERE date_of_birth IN ({})",
        list.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for d in &dobs {
        q = q.bind(d);
    }
    for r in q.fetch_all(tx.conn()).await? {
        let given: String = r.try_get("given_name")?;
        let family: String = r.try_get("family_name")?;
        let dob: String = r.try_get("date_of_birth")?;
        known
            .entry((given.to_lowercase(), family.to_lowercase(), dob))
            .or_insert(r.try_get("id")?);
    }
    Ok(known)
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

#[cfg(test)]
mod tests {
    use super::*;
    use harbour_domain::audit::AuditAction;
    use harbour_domain::referral::{PersonInput, ReferralInput};
    use harbour_domain::safe_contact::{ChannelInput, SafeContactInput};

    fn submission(given: &str, area: Option<&str>) -> Submission {
        let input = ReferralInput {
            source: "partner_agency".into(),
            crime_category: "burglary".into(),
            person: PersonInput {
                given_name: given.into(),
                ..Default::default()
            },
            safe_contact: SafeContactInput {
                channels: vec![ChannelInput {
                    channel: "email".into(),
                    value: "a@b.example".into(),
                }],
                ..Default::default()
            },
            ..Default::default()
        };
        let mut referral = input
            .validate(chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(), &[])
            .unwrap();
        // Planted past the rules: an area that does not exist breaks the foreign key.
        referral.person.area = area.map(str::to_owned);
        Submission {
            referral,
            origin: Origin::default(),
            received_at: chrono::Utc::now(),
            due_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            idempotency: None,
            import_key: None,
            event: AuditEvent {
                actor_user_id: None,
                actor_agency_id: None,
                action: AuditAction::Create,
                entity_kind: "referral".into(),
                entity_id: None,
                purpose: "test".into(),
                request_id: "r".into(),
            },
        }
    }

    #[tokio::test]
    async fn one_bad_item_does_not_spoil_its_batch() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite:{}", dir.path().join("t.db").display()), 2)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let batch = [
            submission("Good", None),
            submission("Bad", Some("E99999999")),
            submission("Also good", None),
        ];
        let results = write_batch(&db, &batch).await.unwrap();
        assert!(matches!(results[0], Ok(Submitted::Created(_))));
        assert!(results[1].is_err());
        assert!(matches!(results[2], Ok(Submitted::Created(_))));
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM referrals")
            .fetch_one(db.pool())
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
        assert_eq!(n, 2);
        assert!(matches!(
            crate::audit::verify_log(&db).await.unwrap(),
            crate::audit::Verification::Intact { entries: 2 }
        ));
    }

    #[test]
    fn references_are_readable_and_distinct() {
        let a = new_reference();
        let b = new_reference();
        assert_ne!(a, b);
        assert_eq!(a.len(), 18);
        assert!(a.starts_with("HBR-"));
        assert!(!a.contains(['I', 'L', 'O', 'U']));
    }
}
