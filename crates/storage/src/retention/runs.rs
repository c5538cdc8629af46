//! Each night's retention run: what fell due under the schedules in force, counted by kind,
//! listed record by record, and nothing erased until the data protection officer approves it.
//! A run not decided before the next night's is replaced by it; an approved run's erasure is a
//! job, which re-checks each record (still due, not held since) as it erases.

use super::due::{self, KindDue};
use super::erase::{self, Touched};
use super::schedules::in_force;
use crate::audit;
use crate::db::{Db, WriteTx, insert_json_rows, new_id, now, to_json};
use crate::error::{Result, StorageError};
use crate::jobs::{self, Work};
use crate::referrals::from_json;
use crate::scoped::ScopedStore;
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::calendar::{uk_date, uk_local};
use harbour_domain::ids::RetentionRunId;
use harbour_domain::permission::Action;
use harbour_domain::retention::{RecordKind, RunStatus, Schedule};
use serde::{Deserialize, Serialize};

/// One kind's count in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCount {
    pub kind: String,
    pub due: u64,
    pub held: u64,
    /// Once erased: how many were, and how many were not (held or no longer due by then).
    #[serde(default)]
    pub erased: Option<u64>,
}

impl KindCount {
    pub fn label(&self) -> &'static str {
        RecordKind::from_slug(&self.kind).map_or("Other records", RecordKind::label)
    }

    pub fn skipped(&self) -> u64 {
        self.erased.map_or(0, |e| self.due.saturating_sub(e))
    }
}

/// A run as the officer's page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: RetentionRunId,
    pub as_of: NaiveDate,
    pub prepared_at: String,
    pub status: RunStatus,
    pub counts: Vec<KindCount>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    pub erased_at: Option<String>,
}

impl Run {
    pub fn due(&self) -> u64 {
        self.counts.iter().map(|c| c.due).sum()
    }

    pub fn held(&self) -> u64 {
        self.counts.iter().map(|c| c.held).sum()
    }

    pub fn erased(&self) -> u64 {
        self.counts.iter().filter_map(|c| c.erased).sum()
    }
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: RetentionRunId,
    as_of: String,
    prepared_at: String,
    status: String,
    counts: String,
    decided_by_name: Option<String>,
    decided_at: Option<String>,
    decision_note: Option<String>,
    erased_at: Option<String>,
}

const RUN_COLUMNS: &str = "r.id, r.as_of, r.prepared_at, r.status, r.counts, u.display_name AS decided_by_name, \
     r.decided_at, r.decision_note, r.erased_at FROM retention_runs r LEFT JOIN users u ON u.id = r.decided_by";

impl TryFrom<RunRow> for Run {
    type Error = StorageError;
    fn try_from(r: RunRow) -> Result<Run> {
        Ok(Run {
            id: r.id,
            as_of: crate::referrals::parse(&r.as_of, "run day", |d| d.parse().ok())?,
            prepared_at: r.prepared_at,
            status: crate::referrals::parse(&r.status, "run status", RunStatus::from_slug)?,
            counts: from_json(&r.counts)?,
            decided_by: r.decided_by_name,
            decided_at: r.decided_at,
            decision_note: r.decision_note,
            erased_at: r.erased_at,
        })
    }
}

/// Finds what is due on `today` and records it as the day's run, replacing any run still
/// waiting for a decision. Returns the run, or none if the day has one already and `again` is
/// false. A day's run that was approved or declined is never replaced.
async fn prepare(
    db: &Db,
    today: NaiveDate,
    again: bool,
    by: Option<&str>,
) -> Result<Option<RetentionRunId>> {
    let schedules: Vec<Schedule> = in_force(db).await?;
    let mut tx = db.begin_write().await?;
    let existing: Option<(String, String)> =
        sqlx::query_as("SELECT id, status FROM retention_runs WHERE as_of = $1")
            .bind(today.to_string())
            .fetch_optional(tx.conn())
            .await?;
    if let Some((id, status)) = existing {
        if !again {
            return Ok(None);
        }
        if status != RunStatus::AwaitingApproval.slug() && status != RunStatus::NothingDue.slug() {
            return Err(StorageError::invalid(
                "run",
                "Today's run has been decided already: tomorrow night's run finds anything else that falls due",
            ));
        }
        sqlx::query("DELETE FROM retention_run_items WHERE run_id = $1")
            .bind(&id)
            .execute(tx.conn())
            .await?;
        sqlx::query("DELETE FROM retention_runs WHERE id = $1")
            .bind(&id)
            .execute(tx.conn())
            .await?;
    }
    sqlx::query("UPDATE retention_runs SET status = $1 WHERE status = $2")
        .bind(RunStatus::Superseded.slug())
        .bind(RunStatus::AwaitingApproval.slug())
        .execute(tx.conn())
        .await?;
    let backend = tx.backend();
    let found: Vec<KindDue> = due::find(tx.conn(), backend, &schedules, today).await?;
    let id = RetentionRunId::from(new_id());
    let counts: Vec<KindCount> = found
        .iter()
        .map(|k| KindCount {
            kind: k.kind.slug().to_owned(),
            due: k.due,
            held: k.held,
            erased: None,
        })
        .collect();
    let status = if counts.iter().any(|c| c.due > 0) {
        RunStatus::AwaitingApproval
    } else {
        RunStatus::NothingDue
    };
    sqlx::query(
        "INSERT INTO retention_runs (id, as_of, prepared_at, status, counts) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(today.to_string())
    .bind(now())
    .bind(status.slug())
    .bind(to_json(&counts)?)
    .execute(tx.conn())
    .await?;
    #[derive(Serialize)]
    struct Item<'a> {
        run_id: &'a str,
        kind: &'static str,
        record_id: &'a str,
    }
    let items: Vec<Item<'_>> = found
        .iter()
        .flat_map(|k| {
            k.ids.iter().map(|r| Item {
                run_id: id.as_str(),
                kind: k.kind.slug(),
                record_id: r,
            })
        })
        .collect();
    for chunk in items.chunks(5_000) {
        sqlx::query(&insert_json_rows(
            backend,
            "retention_run_items",
            &[("run_id", "text"), ("kind", "text"), ("record_id", "text")],
        ))
        .bind(to_json(chunk)?)
        .execute(tx.conn())
        .await?;
    }
    audit::append(
        &mut tx,
        &audit::event(
            by,
            AuditAction::Create,
            "retention_run",
            Some(id.to_string()),
            format!(
                "retention run for {today}: {} records due, {} held",
                counts.iter().map(|c| c.due).sum::<u64>(),
                counts.iter().map(|c| c.held).sum::<u64>()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// The night's run, once a UK day, after 1 a.m. (what the job worker calls each minute).
pub async fn prepare_nightly(db: &Db, at: DateTime<Utc>) -> Result<Option<RetentionRunId>> {
    if uk_local(at).hour() < 1 {
        return Ok(None);
    }
    let today = uk_date(at);
    let exists: Option<String> =
        sqlx::query_scalar("SELECT id FROM retention_runs WHERE as_of = $1")
            .bind(today.to_string())
            .fetch_optional(db.pool())
            .await?;
    if exists.is_some() {
        return Ok(None);
    }
    match prepare(db, today, false, None).await {
        Ok(run) => Ok(run),
        // Another worker prepared it at the same moment.
        Err(e) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The order kinds are erased in: what hangs off a case or referral first, so that the records
/// it hangs off can be seen to be bare afterwards.
const ORDER: [RecordKind; 11] = [
    RecordKind::CaseNote,
    RecordKind::ContactAttempt,
    RecordKind::Consent,
    RecordKind::OnwardReferral,
    RecordKind::Case,
    RecordKind::MaracCase,
    RecordKind::ReferralWithoutSupport,
    RecordKind::UntriagedSelfReferral,
    RecordKind::AlertSubscriber,
    RecordKind::Session,
    // Last: the entries recording this run's erasures are newer than any checkpoint it prunes at.
    RecordKind::AuditEntry,
];

/// How many records one transaction erases.
const BATCH: usize = 500;

async fn record_progress(tx: &mut WriteTx, run: &str, kind: RecordKind, n: u64) -> Result<()> {
    let counts: String = sqlx::query_scalar("SELECT counts FROM retention_runs WHERE id = $1")
        .bind(run)
        .fetch_one(tx.conn())
        .await?;
    let mut counts: Vec<KindCount> = from_json(&counts)?;
    for c in &mut counts {
        if c.kind == kind.slug() {
            c.erased = Some(c.erased.unwrap_or(0) + n);
        }
    }
    sqlx::query("UPDATE retention_runs SET counts = $1 WHERE id = $2")
        .bind(to_json(&counts)?)
        .bind(run)
        .execute(tx.conn())
        .await?;
    Ok(())
}

fn schedule_words(s: &Schedule) -> String {
    let child = s
        .until_age
        .map(|a| format!(", a child's until they are {a}"))
        .unwrap_or_default();
    format!("{} months after {}{child}", s.months, s.after.label())
}

/// Erases what an approved run listed that is still due and not held, batch by batch, each
/// with its audit entry; then the referrals and people left with nothing. Safe to run again
/// after a crash: what was erased is no longer due, and the rest carries on.
pub async fn erase_run(db: &Db, run: &RetentionRunId, at: DateTime<Utc>) -> Result<u64> {
    let row: Option<(String, Option<String>, String)> =
        sqlx::query_as("SELECT status, decided_by, as_of FROM retention_runs WHERE id = $1")
            .bind(run)
            .fetch_optional(db.pool())
            .await?;
    let Some((status, by, as_of)) = row else {
        return Ok(0);
    };
    if status != RunStatus::Approved.slug() {
        return Ok(0);
    }
    let by = by.as_deref();
    let schedules = in_force(db).await?;
    let now_due = {
        let mut conn = db.pool().acquire().await?;
        due::find(&mut conn, db.backend(), &schedules, uk_date(at)).await?
    };
    let mut total = 0;
    let mut touched = Touched::default();
    for kind in ORDER {
        let listed: Vec<String> = sqlx::query_scalar(
            "SELECT record_id FROM retention_run_items WHERE run_id = $1 AND kind = $2 ORDER BY record_id",
        )
        .bind(run)
        .bind(kind.slug())
        .fetch_all(db.pool())
        .await?;
        if listed.is_empty() {
            continue;
        }
        erase::owners_of(db, kind, &listed, &mut touched).await?;
        let still: std::collections::HashSet<&str> = now_due
            .iter()
            .filter(|k| k.kind == kind)
            .flat_map(|k| k.ids.iter().map(String::as_str))
            .collect();
        let to_erase: Vec<String> = listed
            .into_iter()
            .filter(|r| still.contains(r.as_str()))
            .collect();
        let schedule = schedules.iter().find(|s| s.kind == kind);
        for chunk in to_erase.chunks(BATCH) {
            let mut tx = db.begin_write().await?;
            let n = erase::erase_kind(&mut tx, kind, chunk).await?;
            record_progress(&mut tx, run.as_str(), kind, n).await?;
            audit::append(
                &mut tx,
                &audit::event(
                    by,
                    AuditAction::Delete,
                    "retention_run",
                    Some(run.to_string()),
                    format!(
                        "retention run for {as_of}: erased {n} of kind \"{}\" under the schedule {}",
                        kind.label(),
                        schedule.map(schedule_words).unwrap_or_default()
                    ),
                ),
            )
            .await?;
            tx.commit().await?;
            total += n;
        }
    }
    let mut tx = db.begin_write().await?;
    let bare = erase::referrals_left_bare(&mut tx, &touched.referrals).await?;
    let referrals = erase::erase_referrals(&mut tx, &bare).await?;
    let people = erase::people_left_bare(&mut tx, &touched.people).await?;
    let persons = erase::erase_people(&mut tx, &people).await?;
    if referrals + persons > 0 {
        audit::append(
            &mut tx,
            &audit::event(
                by,
                AuditAction::Delete,
                "retention_run",
                Some(run.to_string()),
                format!(
                    "retention run for {as_of}: erased {referrals} referrals whose support records had all been erased, \
                     and {persons} people with nothing left about them"
                ),
            ),
        )
        .await?;
    }
    sqlx::query("UPDATE retention_runs SET status = $1, erased_at = $2 WHERE id = $3")
        .bind(RunStatus::Erased.slug())
        .bind(now())
        .bind(run)
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(total + referrals + persons)
}

impl ScopedStore {
    /// The latest runs, newest first.
    pub async fn retention_runs(&self, limit: i64) -> Result<Vec<Run>> {
        self.grant(Action::ManageRetention)?;
        let rows: Vec<RunRow> = sqlx::query_as(&format!(
            "SELECT {RUN_COLUMNS} ORDER BY r.as_of DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.db().pool())
        .await?;
        rows.into_iter().map(Run::try_from).collect()
    }

    pub async fn retention_run(&self, id: &RetentionRunId) -> Result<Run> {
        self.grant(Action::ManageRetention)?;
        let row: Option<RunRow> = sqlx::query_as(&format!("SELECT {RUN_COLUMNS} WHERE r.id = $1"))
            .bind(id)
            .fetch_optional(self.db().pool())
            .await?;
        row.ok_or(StorageError::NotFound("retention run"))?
            .try_into()
    }

    /// Looks again now, as tonight's run would (after a schedule is changed, say), replacing
    /// today's run if it is still waiting.
    pub async fn prepare_retention_run(&self, at: DateTime<Utc>) -> Result<RetentionRunId> {
        self.grant(Action::ManageRetention)?;
        let by = self.actor().user_id.as_ref().map(ToString::to_string);
        prepare(self.db(), uk_date(at), true, by.as_deref())
            .await?
            .ok_or(StorageError::NotFound("retention run"))
    }

    /// Approves a run's erasure (it starts at once, as a job) or declines it with a reason.
    pub async fn decide_retention_run(
        &self,
        id: &RetentionRunId,
        approve: bool,
        note: &str,
    ) -> Result<()> {
        self.grant(Action::ManageRetention)?;
        let note = harbour_domain::retention::check_decision(approve, note)
            .map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let n = sqlx::query(
            "UPDATE retention_runs SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 \
             WHERE id = $5 AND status = $6",
        )
        .bind(if approve {
            RunStatus::Approved.slug()
        } else {
            RunStatus::Declined.slug()
        })
        .bind(self.actor().user_id.as_ref())
        .bind(now())
        .bind(&note)
        .bind(id)
        .bind(RunStatus::AwaitingApproval.slug())
        .execute(tx.conn())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StorageError::invalid(
                "run",
                "This run is no longer waiting for a decision: it was decided, or a later run replaced it",
            ));
        }
        if approve {
            jobs::enqueue(
                &mut tx,
                &Work::RetentionErase {
                    run_id: id.to_string(),
                },
                Some(&format!("retention-erase-{id}")),
                Utc::now(),
            )
            .await?;
        }
        self.audit(
            &mut tx,
            AuditAction::Change,
            "retention_run",
            Some(id.as_str()),
            if approve {
                "retention run approved for erasure"
            } else {
                "retention run declined"
            },
        )
        .await?;
        tx.commit().await
    }

    /// Whether a run waits for a decision: for the officer's home page.
    pub async fn retention_run_waiting(&self) -> Result<Option<Run>> {
        self.grant(Action::ManageRetention)?;
        let row: Option<RunRow> = sqlx::query_as(&format!(
            "SELECT {RUN_COLUMNS} WHERE r.status = $1 ORDER BY r.as_of DESC LIMIT 1"
        ))
        .bind(RunStatus::AwaitingApproval.slug())
        .fetch_optional(self.db().pool())
        .await?;
        row.map(Run::try_from).transpose()
    }
}
