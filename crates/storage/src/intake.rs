//! The intake writer: every new referral, from any channel, is written here.
//!
//! One task takes submissions from a channel and writes them in batches: whatever has
//! arrived while the previous batch was being written goes into the next. If a batch
//! fails, each of its items is written again on its own, so one bad item cannot spoil the rest.
//! A submission is answered only after its batch has committed, so an acknowledged referral is
//! on disk (SQLite runs with synchronous=FULL; PostgreSQL commits are durable). Concurrent
//! submitters thus share one commit and one fsync instead of queueing for one each.
//!
//! On PostgreSQL a batch is two round trips, its look-ups and one statement that writes it all,
//! and two batches are written at once: one does its look-ups and inserts while the other holds
//! the audit head and commits. The audit head is taken last, so that is the only part that runs
//! one at a time.

use crate::audit;
use crate::db::{
    Backend, Db, Statement, WriteTx, format_time, insert_json_rows, insert_json_rows_from, new_id,
    now, to_json,
};
use crate::error::{Result, StorageError};
use crate::referrals::from_json;
use chrono::{DateTime, NaiveDate, Utc};
use harbour_domain::audit::AuditEvent;
use harbour_domain::person_details::{self, Details};
use harbour_domain::referral::{NewReferral, Status};
use serde::Serialize;
use sqlx::{AnyConnection, Row};
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

/// The writer, started on first use; kept beside the connection.
#[derive(Default)]
struct Intake(std::sync::OnceLock<IntakeWriter>);

impl Db {
    /// The intake writer, started on first use. Its task holds a [`Db::detached`] handle, so
    /// when the last outside handle goes the channel closes and the task ends.
    pub(crate) fn intake(&self) -> IntakeWriter {
        self.owned::<Intake>()
            .0
            .get_or_init(|| IntakeWriter::spawn(self.detached()))
            .clone()
    }
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

/// The condition that `column` holds one of the strings in the JSON array bound as `$param`: how
/// a batch's keys are looked up.
///
/// The values travel as one parameter, so the statement's text is the same whatever the batch:
/// it is prepared once per connection, and PostgreSQL remakes its plan whenever the table's
/// statistics change. (A list of placeholders made a statement for every batch size, each with
/// a plan of its own, some made while the table was small and kept after it had grown.) On
/// PostgreSQL the values are an array, which the planner takes to be short and so looks each up
/// in the column's index; a set-returning function in a join it takes to be a hundred rows, and
/// it then reads the whole table instead once the table holds a few thousand. The condition also
/// says the column is not null, so an index of only the rows with a value serves it.
fn in_json_array(backend: Backend, column: &str, param: usize) -> String {
    let one_of = match backend {
        Backend::Postgres => {
            format!("= ANY (ARRAY(SELECT json_array_elements_text(${param}::json)))")
        }
        Backend::Sqlite => format!("IN (SELECT value FROM json_each(${param}))"),
    };
    format!("{column} IS NOT NULL AND {column} {one_of}")
}

/// A batch's look-ups in one statement, so they cost one round trip: earlier referrals by
/// idempotency key (`$1`) and by bulk-file row (`$2`), and people by match key (`$3`), each a
/// JSON array, empty when the batch has none; a person comes with the details held about them,
/// which a new referral is compared with. Every agency's referrals with a key are
/// returned; the writer matches the agency too. A key comes first in its unique index on (key,
/// submitting_agency), so each is one index probe.
static LOOK_UP: Statement = Statement::new(|backend| {
    let referrals = |kind: &str, column: &str, param: usize| {
        format!(
            "SELECT '{kind}' AS kind, submitting_agency, {column} AS k, id, reference, status, \
             received_at, due_on, idempotency_hash, NULL AS details, NULL AS safe_contact \
             FROM referrals WHERE {}",
            in_json_array(backend, column, param)
        )
    };
    format!(
        "{} UNION ALL {} UNION ALL SELECT 'person', NULL, match_key, id, NULL, NULL, NULL, \
         NULL, NULL, details, safe_contact FROM persons WHERE {}",
        referrals("idempotency", "idempotency_key", 1),
        referrals("import", "import_key", 2),
        in_json_array(backend, "match_key", 3)
    )
});

/// The text of the intake's look-up, with its three JSON array parameters (idempotency keys,
/// bulk-file rows, match keys), so a test can ask the database how it plans it.
pub fn look_up_statement(backend: Backend) -> &'static str {
    LOOK_UP.text(backend)
}

/// What a batch's look-ups found: earlier referrals by key and people already known.
#[derive(Default)]
struct Found {
    by_idem: KeyIndex,
    by_import: KeyIndex,
    /// People already stored, by match key.
    known: HashMap<String, Known>,
}

/// A person already stored (or first met earlier in the batch): their id and the details held.
struct Known {
    id: String,
    held: Details,
}

/// Looks up everything a batch depends on already stored: earlier idempotency keys, bulk-file
/// rows and people known by their match key (`harbour_domain::person_match`).
async fn look_up(
    conn: &mut AnyConnection,
    backend: Backend,
    batch: &[Submission],
) -> Result<Found> {
    let values = |value: fn(&Submission) -> Option<String>| {
        let mut values: Vec<String> = batch.iter().filter_map(value).collect();
        values.sort_unstable();
        values.dedup();
        values
    };
    let idem_keys = values(|s| s.idempotency.as_ref().map(|(k, _)| k.clone()));
    let import_keys = values(|s| s.import_key.clone());
    let match_keys = values(|s| s.referral.person.match_key());
    let mut found = Found::default();
    if idem_keys.is_empty() && import_keys.is_empty() && match_keys.is_empty() {
        return Ok(found);
    }
    let rows = sqlx::query(LOOK_UP.text(backend))
        .bind(to_json(&idem_keys)?)
        .bind(to_json(&import_keys)?)
        .bind(to_json(&match_keys)?)
        .fetch_all(conn)
        .await?;
    for r in rows {
        let kind: String = r.try_get("kind")?;
        let index = match kind.as_str() {
            "idempotency" => &mut found.by_idem,
            "import" => &mut found.by_import,
            "person" => {
                let key: String = r.try_get("k")?;
                if let std::collections::hash_map::Entry::Vacant(slot) = found.known.entry(key) {
                    let held = Details {
                        person: from_json(&r.try_get::<String, _>("details")?)?,
                        safe_contact: from_json(&r.try_get::<String, _>("safe_contact")?)?,
                    };
                    slot.insert(Known {
                        id: r.try_get("id")?,
                        held,
                    });
                }
                continue;
            }
            other => return Err(StorageError::Corrupt(format!("look-up row {other:?}"))),
        };
        index.insert(
            (r.try_get("submitting_agency")?, r.try_get("k")?),
            (receipt_from(&r)?, r.try_get("idempotency_hash")?),
        );
    }
    Ok(found)
}

/// A batch once its look-ups are done: each submission's answer, and the rows and audit
/// entries that write it.
#[derive(Default)]
struct Plan<'a> {
    results: Vec<Result<Submitted>>,
    new_people: Vec<PersonRow<'a>>,
    referrals: Vec<ReferralRow<'a>>,
    events: Vec<AuditEvent>,
}

/// Decides what becomes of each submission in `batch`, given what is already stored.
fn plan(batch: &[Submission], found: Found) -> Result<Plan<'_>> {
    let Found {
        mut by_idem,
        mut by_import,
        mut known,
    } = found;
    let mut plan = Plan::default();
    for s in batch {
        let agency = s.origin.submitting_agency.clone();
        if let Some((key, hash)) = &s.idempotency
            && let Some((receipt, stored_hash)) = by_idem.get(&(agency.clone(), key.clone()))
        {
            plan.results
                .push(Ok(if stored_hash.as_deref() == Some(hash.as_str()) {
                    Submitted::Replayed(receipt.clone())
                } else {
                    Submitted::KeyReused
                }));
            continue;
        }
        if let Some(key) = &s.import_key
            && let Some((receipt, _)) = by_import.get(&(agency.clone(), key.clone()))
        {
            plan.results
                .push(Ok(Submitted::AlreadyImported(receipt.clone())));
            continue;
        }
        let r = &s.referral;
        let at = format_time(s.received_at);
        let person_key = r.person.match_key();
        let details = to_json(&r.person)?;
        let safe_contact = to_json(&r.safe_contact)?;
        // A person already known keeps the details held: the referral keeps its own record, and
        // where it differs it waits for someone to choose between them, the contact gate
        // meanwhile allowing only what both allow.
        let (person_id, details_review) = match person_key.as_ref().and_then(|k| known.get(k)) {
            Some(k) => {
                let referred = Details {
                    person: r.person.clone(),
                    safe_contact: r.safe_contact.clone(),
                };
                let differs = !person_details::differences(&k.held, &referred).is_empty();
                (k.id.clone(), differs.then_some(DETAILS_PENDING))
            }
            None => {
                let id = new_id();
                plan.new_people.push(PersonRow {
                    id: id.clone(),
                    given_name: &r.person.given_name,
                    family_name: &r.person.family_name,
                    date_of_birth: r.person.date_of_birth.map(|d| d.to_string()),
                    match_key: person_key.clone(),
                    postcode: &r.person.postcode,
                    area: r.person.area.as_deref(),
                    details: details.clone(),
                    safe_contact: safe_contact.clone(),
                    created_at: at.clone(),
                    updated_at: at.clone(),
                });
                if let Some(k) = person_key {
                    let held = Details {
                        person: r.person.clone(),
                        safe_contact: r.safe_contact.clone(),
                    };
                    known.insert(
                        k,
                        Known {
                            id: id.clone(),
                            held,
                        },
                    );
                }
                (id, None)
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
        plan.referrals.push(ReferralRow {
            id: id.clone(),
            reference: receipt.reference.clone(),
            person_id,
            status: Status::Received.slug(),
            source: r.source.slug(),
            submitted_by: s.origin.submitted_by.as_deref(),
            submitting_agency: s.origin.submitting_agency.as_deref(),
            api_token_id: s.origin.api_token_id.as_deref(),
            received_at: at.clone(),
            due_on: receipt.due_on.clone(),
            crime_category: r.crime_category.slug(),
            reported_to_police: r.reported_to_police,
            police_reference: r.police_reference.as_deref(),
            incident_date: r.incident_date.map(|d| d.to_string()),
            incident_area: r.incident_area.as_deref(),
            area: r.person.area.as_deref().or(r.incident_area.as_deref()),
            perpetrators: to_json(&r.perpetrators)?,
            children: to_json(&r.children)?,
            consent_to_referral: r.consent_to_referral.slug(),
            consent_basis: r.crime_category.default_consent_basis_slug(),
            consent_to_aggregate: r.consent_to_aggregate,
            referrer_risk_level: r.referrer_risk_level.map(|l| l.slug()),
            risk_level: r.referrer_risk_level.map(|l| l.slug()),
            notes: &r.notes,
            person_details: details,
            person_safe_contact: safe_contact,
            details_review,
            idempotency_key: s.idempotency.as_ref().map(|(k, _)| k.as_str()),
            idempotency_hash: s.idempotency.as_ref().map(|(_, h)| h.as_str()),
            import_key: s.import_key.as_deref(),
            created_at: at.clone(),
            updated_at: at,
        });
        let mut event = s.event.clone();
        event.entity_id = Some(id);
        plan.events.push(event);
        if let Some((key, hash)) = &s.idempotency {
            by_idem.insert(
                (agency.clone(), key.clone()),
                (receipt.clone(), Some(hash.clone())),
            );
        }
        if let Some(key) = &s.import_key {
            by_import.insert((agency, key.clone()), (receipt.clone(), None));
        }
        plan.results.push(Ok(Submitted::Created(receipt)));
    }
    Ok(plan)
}

/// Writes a batch with a few statements, whatever its size.
///
/// On PostgreSQL: the look-ups, then one statement that inserts the new people and the
/// referrals, updates the people already known and appends the audit entries, committed on its
/// own. Each round trip wakes a process on both sides, and on these machines that, not the rows,
/// was most of a batch's cost; one statement is also all-or-nothing without a transaction
/// around it. On SQLite: one transaction with a statement each, under the database's write lock.
async fn write_together(db: &Db, batch: &[Submission]) -> Result<Vec<Result<Submitted>>> {
    match db.backend() {
        Backend::Postgres => {
            let mut conn = db.intake_pool().acquire().await?;
            let found = look_up(&mut conn, Backend::Postgres, batch).await?;
            let plan = plan(batch, found)?;
            if !plan.referrals.is_empty() {
                write_in_one_statement(&mut conn, &plan).await?;
            }
            Ok(plan.results)
        }
        Backend::Sqlite => {
            let mut tx = db.begin_write().await?;
            let found = look_up(tx.conn(), Backend::Sqlite, batch).await?;
            let plan = plan(batch, found)?;
            if !plan.referrals.is_empty() {
                write_statement_by_statement(&mut tx, &plan).await?;
            }
            tx.commit().await?;
            Ok(plan.results)
        }
    }
}

/// PostgreSQL: the whole batch in one statement, from three JSON parameters (new people,
/// referrals, audit entries). The referrals' foreign keys are checked at its end,
/// when the people are there. The audit head is locked last, inside `audit_append`, after the
/// rows are in (its FROM reads every WITH first), so concurrent batches wait for each other only
/// from there to the commit.
static WRITE_ALL: Statement = Statement::new(|backend| {
    let people = insert_json_rows_from(backend, "persons", &PERSON_COLUMNS, 1);
    let referrals = insert_json_rows_from(backend, "referrals", &REFERRAL_COLUMNS, 2);
    format!(
        "WITH people AS ({people} RETURNING 1), referrals AS ({referrals} RETURNING 1) \
         SELECT audit_append($3::json) FROM (SELECT count(*) FROM people) AS p, \
         (SELECT count(*) FROM referrals) AS r"
    )
});

/// SQLite: a statement each for the new people and the referrals, each from one JSON parameter;
/// then the audit entries.
static WRITE_PEOPLE: Statement =
    Statement::new(|backend| insert_json_rows(backend, "persons", &PERSON_COLUMNS));
static WRITE_REFERRALS: Statement =
    Statement::new(|backend| insert_json_rows(backend, "referrals", &REFERRAL_COLUMNS));

/// The texts of the statements that write a batch on `backend`, each with the number of JSON
/// array parameters it takes, so a test can ask the database how it plans them.
pub fn write_statements(backend: Backend) -> Vec<(&'static str, usize)> {
    match backend {
        Backend::Postgres => vec![(WRITE_ALL.text(backend), 3)],
        Backend::Sqlite => [&WRITE_PEOPLE, &WRITE_REFERRALS]
            .into_iter()
            .map(|s| (s.text(backend), 1))
            .collect(),
    }
}

async fn write_in_one_statement(conn: &mut AnyConnection, plan: &Plan<'_>) -> Result<()> {
    sqlx::query(WRITE_ALL.text(Backend::Postgres))
        .bind(to_json(&plan.new_people)?)
        .bind(to_json(&plan.referrals)?)
        .bind(audit::to_append(&plan.events, &now())?)
        .execute(conn)
        .await?;
    Ok(())
}

async fn write_statement_by_statement(tx: &mut WriteTx, plan: &Plan<'_>) -> Result<()> {
    let backend = tx.backend();
    if !plan.new_people.is_empty() {
        sqlx::query(WRITE_PEOPLE.text(backend))
            .bind(to_json(&plan.new_people)?)
            .execute(tx.conn())
            .await?;
    }
    sqlx::query(WRITE_REFERRALS.text(backend))
        .bind(to_json(&plan.referrals)?)
        .execute(tx.conn())
        .await?;
    audit::append_all(tx, &plan.events).await
}

/// A new person as the INSERT reads it; the names are the columns'.
#[derive(Serialize)]
struct PersonRow<'a> {
    id: String,
    given_name: &'a str,
    family_name: &'a str,
    date_of_birth: Option<String>,
    match_key: Option<String>,
    postcode: &'a str,
    area: Option<&'a str>,
    details: String,
    safe_contact: String,
    created_at: String,
    updated_at: String,
}

const PERSON_COLUMNS: [(&str, &str); 11] = [
    ("id", "text"),
    ("given_name", "text"),
    ("family_name", "text"),
    ("date_of_birth", "text"),
    ("match_key", "text"),
    ("postcode", "text"),
    ("area", "text"),
    ("details", "text"),
    ("safe_contact", "text"),
    ("created_at", "text"),
    ("updated_at", "text"),
];

/// A new referral as the INSERT reads it; the names are the columns'.
#[derive(Serialize)]
struct ReferralRow<'a> {
    id: String,
    reference: String,
    person_id: String,
    status: &'static str,
    source: &'static str,
    submitted_by: Option<&'a str>,
    submitting_agency: Option<&'a str>,
    api_token_id: Option<&'a str>,
    received_at: String,
    due_on: String,
    crime_category: &'static str,
    reported_to_police: bool,
    police_reference: Option<&'a str>,
    incident_date: Option<String>,
    incident_area: Option<&'a str>,
    area: Option<&'a str>,
    perpetrators: String,
    children: String,
    consent_to_referral: &'static str,
    consent_basis: &'static str,
    consent_to_aggregate: bool,
    referrer_risk_level: Option<&'static str>,
    risk_level: Option<&'static str>,
    notes: &'a str,
    person_details: String,
    person_safe_contact: String,
    details_review: Option<&'static str>,
    idempotency_key: Option<&'a str>,
    idempotency_hash: Option<&'a str>,
    import_key: Option<&'a str>,
    created_at: String,
    updated_at: String,
}

const REFERRAL_COLUMNS: [(&str, &str); 32] = [
    ("id", "text"),
    ("reference", "text"),
    ("person_id", "text"),
    ("status", "text"),
    ("source", "text"),
    ("submitted_by", "text"),
    ("submitting_agency", "text"),
    ("api_token_id", "text"),
    ("received_at", "text"),
    ("due_on", "text"),
    ("crime_category", "text"),
    ("reported_to_police", "boolean"),
    ("police_reference", "text"),
    ("incident_date", "text"),
    ("incident_area", "text"),
    ("area", "text"),
    ("perpetrators", "text"),
    ("children", "text"),
    ("consent_to_referral", "text"),
    ("consent_basis", "text"),
    ("consent_to_aggregate", "boolean"),
    ("referrer_risk_level", "text"),
    ("risk_level", "text"),
    ("notes", "text"),
    ("person_details", "text"),
    ("person_safe_contact", "text"),
    ("details_review", "text"),
    ("idempotency_key", "text"),
    ("idempotency_hash", "text"),
    ("import_key", "text"),
    ("created_at", "text"),
    ("updated_at", "text"),
];

/// A referral whose details differ from those held, until someone chooses between them.
pub(crate) const DETAILS_PENDING: &str = "pending";

/// A reference people can read out on the phone: 60 random bits in Crockford's base 32.
fn new_reference() -> String {
    use rand::RngCore;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut n = rand::thread_rng().next_u64();
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

    /// A migrated SQLite database in a folder that lasts as long as the returned guard.
    async fn sqlite_db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite:{}", dir.path().join("t.db").display()), 2)
            .await
            .unwrap();
        crate::schema::prepare(&db).await.unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn one_bad_item_does_not_spoil_its_batch() {
        let (_dir, db) = sqlite_db().await;
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

    /// A later referral, in the same batch or a later one, never changes what the first recorded
    /// about the person: it keeps its own record, and where it differs it waits for review.
    #[tokio::test]
    async fn a_later_referral_keeps_its_own_record_and_waits_for_review() {
        let (_dir, db) = sqlite_db().await;
        let at = |postcode: &str, given: &str| {
            let mut s = submission(given, None);
            s.referral.person.family_name = "Okafor".into();
            s.referral.person.date_of_birth = chrono::NaiveDate::from_ymd_opt(1990, 3, 4);
            s.referral.person.postcode = postcode.into();
            s
        };
        let rows = |db: Db| async move {
            let held: Vec<String> = sqlx::query("SELECT postcode FROM persons")
                .fetch_all(db.pool())
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect();
            let referred: Vec<(String, Option<String>)> = sqlx::query(
                "SELECT person_details, details_review FROM referrals ORDER BY received_at, id",
            )
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| {
                let person: harbour_domain::referral::Person =
                    serde_json::from_str(&r.get::<String, _>(0)).unwrap();
                (person.postcode, r.get::<Option<String>, _>(1))
            })
            .collect();
            (held, referred)
        };
        // A person first met in this batch, then referred again in it, once the same and once not.
        let batch = [
            at("ST1 1AA", "Ngozi"),
            at("st1 1aa", "NGOZI"),
            at("ST2 2BB", "ngozi"),
        ];
        write_batch(&db, &batch).await.unwrap();
        // The same person already stored, referred again later.
        write_batch(&db, &[at("ST3 3CC", "Ngozi")]).await.unwrap();
        let pending = Some("pending".to_owned());
        assert_eq!(
            rows(db.clone()).await,
            (
                vec!["ST1 1AA".to_owned()],
                vec![
                    ("ST1 1AA".to_owned(), None),
                    ("st1 1aa".to_owned(), None),
                    ("ST2 2BB".to_owned(), pending.clone()),
                    ("ST3 3CC".to_owned(), pending),
                ]
            ),
            "the first referral's details are held; each keeps its own; those that differ wait"
        );
        let linked: i64 = sqlx::query("SELECT COUNT(DISTINCT person_id) FROM referrals")
            .fetch_one(db.pool())
            .await
            .unwrap()
            .get(0);
        assert_eq!(linked, 1, "all four referrals are the one person's");
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
