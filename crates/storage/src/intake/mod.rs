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

pub(crate) mod look_up;
mod plan;
mod write;

pub use look_up::look_up_statement;
use look_up::{Found, Known, look_up};
pub(crate) use look_up::{in_json_array, key_in_json_array};
use plan::{Plan, Recognising, plan};
pub(crate) use write::DETAILS_PENDING;
pub use write::write_statements;
pub(crate) use write::{MATCH_LINKED, MATCH_POSSIBLE};
use write::{MatchRow, PersonRow, ReferralRow, new_reference, write_together};

use crate::audit;
use crate::db::{
    Backend, Db, Statement, WriteTx, format_time, insert_json_rows, insert_json_rows_from, new_id,
    now, to_json,
};
use crate::error::{Result, StorageError};
use crate::recognition::Recogniser;
use crate::recognition::candidates::{Entry, Pool};
use crate::recognition::keys::{BLOCK_COLUMNS, BlockRow, write_blocks_statement};
use crate::referrals::from_json;
use crate::reports::facts::{FACT_COLUMNS, WRITE_FACTS};
use chrono::{DateTime, NaiveDate, Utc};
use harbour_domain::audit::AuditEvent;
use harbour_domain::linkage::Prepared;
use harbour_domain::linkage::block::KEYS_VERSION;
use harbour_domain::linkage::known::{Candidate, Recognised, keys, recognise, record_of};
use harbour_domain::linkage::record::NameCache;
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
    pub id: harbour_domain::ids::ReferralId,
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
                    crate::referrals::from_json(&r.get::<String, _>(0)).unwrap();
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
