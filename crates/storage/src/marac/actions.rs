//! MARAC actions after the meeting: each owner agency sees its own and says how each ended
//! (done, with what was done; not possible, with why); a case closes once none is outstanding,
//! or when the chair closes it.

use super::record::{ACTION_SELECT, ActionRow, MaracAction};
use super::*;
use crate::db::now;
use chrono::Utc;
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::{MaracActionId, MaracCaseId};
use harbour_domain::marac::meeting::{ActionStatus, CaseStatus};
use harbour_domain::validation::FieldErrors;

impl ScopedStore {
    /// The actions the actor's agency owns, open ones first and soonest due (every agency's, for
    /// a coordinator).
    pub async fn marac_actions(&self, open_only: bool) -> Result<Vec<MaracAction>> {
        self.grant(Action::AttendMarac)?;
        let mut tx = self.db().begin_write().await?;
        let rows: Vec<ActionRow> = sqlx::query_as(&format!(
            "{ACTION_SELECT} WHERE ($1 OR t.owner_agency_id = $2) AND ($3 = FALSE OR t.status = 'open') \
             ORDER BY CASE WHEN t.status = 'open' THEN 0 ELSE 1 END, t.due_on, t.id LIMIT 500"
        ))
        .bind(self.may(Action::ManageMarac))
        .bind(&self.actor().agency_id)
        .bind(open_only)
        .fetch_all(tx.conn())
        .await?;
        // The actions say what is being done for named victims' safety: reading them is audited.
        self.audit(
            &mut tx,
            AuditAction::Read,
            "marac_action",
            None,
            "view MARAC actions",
        )
        .await?;
        tx.commit().await?;
        let today = harbour_domain::calendar::uk_date(Utc::now());
        rows.into_iter().map(|r| r.into_action(today)).collect()
    }

    /// The owner agency (or a coordinator) records how an action ended.
    pub async fn update_marac_action(
        &self,
        id: &MaracActionId,
        status: &str,
        note: &str,
    ) -> Result<()> {
        self.grant(Action::AttendMarac)?;
        let mut errors = FieldErrors::new();
        let status = ActionStatus::from_slug(status).filter(|s| s.finished());
        if status.is_none() {
            errors.add("status", "Choose whether it was done or was not possible");
        }
        let note = note.trim();
        match status {
            Some(ActionStatus::Done) if note.is_empty() => errors.add("note", "Say what was done"),
            Some(ActionStatus::NotPossible) if note.is_empty() => {
                errors.add("note", "Say why it was not possible");
            }
            _ => {}
        }
        if note.chars().count() > 4_000 {
            errors.add("note", "Keep this to 4,000 characters or fewer");
        }
        let Some(status) = status.filter(|_| errors.is_empty()) else {
            return Err(StorageError::Invalid(errors));
        };
        let mut tx = self.db().begin_write().await?;
        let row: Option<(MaracCaseId, String, String)> = sqlx::query_as(
            "SELECT t.case_id, t.owner_agency_id, c.marac_id FROM marac_actions t \
             JOIN marac_cases c ON c.id = t.case_id WHERE t.id = $1",
        )
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
        let (case, owner, marac) = row.ok_or(StorageError::NotFound("action"))?;
        self.marac_in(&mut tx, &MaracId::from(marac)).await?;
        if owner != self.actor().agency_id.as_str() && !self.may(Action::ManageMarac) {
            return Err(StorageError::NotFound("action"));
        }
        let at = now();
        let changed = sqlx::query(
            "UPDATE marac_actions SET status = $1, update_note = $2, updated_at = $3, updated_by = $4 \
             WHERE id = $5 AND status = 'open'",
        )
        .bind(status.slug())
        .bind(note)
        .bind(&at)
        .bind(self.actor().user_id.as_ref())
        .bind(id)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StorageError::invalid(
                "status",
                "This action has already been updated",
            ));
        }
        // The case closes once nothing is outstanding after its meeting.
        sqlx::query(
            "UPDATE marac_cases SET status = $1, closed_at = $2 WHERE id = $3 AND status = $4 \
             AND NOT EXISTS (SELECT 1 FROM marac_actions t WHERE t.case_id = $3 AND t.status = 'open')",
        )
        .bind(CaseStatus::Closed.slug())
        .bind(&at)
        .bind(&case)
        .bind(CaseStatus::Heard.slug())
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "marac_action",
            Some(id.as_str()),
            "update a MARAC action",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The chair closes a case, with why, whatever its actions.
    pub async fn close_marac_case(&self, case: &MaracCaseId, note: &str) -> Result<()> {
        self.grant(Action::ManageMarac)?;
        let note = note.trim();
        if note.is_empty() {
            return Err(StorageError::invalid(
                "closure_note",
                "Say why the chair closes the case",
            ));
        }
        let mut tx = self.db().begin_write().await?;
        let marac: MaracId = sqlx::query_scalar("SELECT marac_id FROM marac_cases WHERE id = $1")
            .bind(case)
            .fetch_optional(tx.conn())
            .await?
            .ok_or(StorageError::NotFound("MARAC case"))?;
        self.marac_in(&mut tx, &marac).await?;
        let changed = sqlx::query(
            "UPDATE marac_cases SET status = $1, closed_at = $2, closed_by = $3, closure_note = $4 \
             WHERE id = $5 AND status <> $1",
        )
        .bind(CaseStatus::Closed.slug())
        .bind(now())
        .bind(self.actor().user_id.as_ref())
        .bind(note)
        .bind(case)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StorageError::invalid(
                "closure_note",
                "The case is already closed",
            ));
        }
        self.audit(
            &mut tx,
            AuditAction::Change,
            "marac_case",
            Some(case.as_str()),
            "close a MARAC case",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// What is waiting at MARAC for the actor's home page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MaracCounts {
    /// Open actions the actor's agency owns, and how many of them are overdue.
    pub actions_open: i64,
    pub actions_overdue: i64,
    /// For a coordinator: cases referred with no meeting to go to.
    pub unlisted: i64,
}

impl ScopedStore {
    /// Counts for the home page.
    pub async fn marac_counts(&self) -> Result<MaracCounts> {
        self.grant(Action::AttendMarac)?;
        let today = harbour_domain::calendar::uk_date(Utc::now()).to_string();
        let (open, overdue): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN due_on < $2 THEN 1 ELSE 0 END), 0) \
             FROM marac_actions WHERE owner_agency_id = $1 AND status = 'open'",
        )
        .bind(&self.actor().agency_id)
        .bind(&today)
        .fetch_one(self.db().pool())
        .await?;
        let unlisted = if self.may(Action::ManageMarac) {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM marac_cases WHERE meeting_id IS NULL AND status = 'listed'",
            )
            .fetch_one(self.db().pool())
            .await?
        } else {
            0
        };
        Ok(MaracCounts {
            actions_open: open,
            actions_overdue: overdue,
            unlisted,
        })
    }
}

/// The coordinator's chase, run by the job worker: each agency with MARAC actions newly past
/// their due date gets one e-mail to its staff (a count and a link, nothing about anyone), and
/// each action is chased once. Safe to run from several workers: an action is claimed by the
/// update that marks it chased. Returns how many agencies were chased.
pub async fn chase_overdue(db: &crate::db::Db, now: chrono::DateTime<Utc>) -> Result<usize> {
    let today = harbour_domain::calendar::uk_date(now).to_string();
    let any: Option<String> = sqlx::query_scalar(
        "SELECT id FROM marac_actions WHERE status = 'open' AND due_on < $1 AND chased_at IS NULL LIMIT 1",
    )
    .bind(&today)
    .fetch_optional(db.pool())
    .await?;
    if any.is_none() {
        return Ok(0);
    }
    let at = crate::db::format_time(now);
    let mut tx = db.begin_write().await?;
    let owners: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT owner_agency_id FROM marac_actions WHERE status = 'open' AND due_on < $1 \
         AND chased_at IS NULL",
    )
    .bind(&today)
    .fetch_all(tx.conn())
    .await?;
    let mut chased = 0;
    for agency in &owners {
        let claimed = sqlx::query(
            "UPDATE marac_actions SET chased_at = $1 WHERE owner_agency_id = $2 AND status = 'open' \
             AND due_on < $3 AND chased_at IS NULL",
        )
        .bind(&at)
        .bind(agency)
        .bind(&today)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if claimed == 0 {
            continue;
        }
        let overdue: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM marac_actions WHERE owner_agency_id = $1 AND status = 'open' AND due_on < $2",
        )
        .bind(agency)
        .bind(&today)
        .fetch_one(tx.conn())
        .await?;
        let to: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT u.email FROM users u JOIN user_roles r ON r.user_id = u.id \
             WHERE u.agency_id = $1 AND u.active = $2 \
             AND r.role IN ('service_manager', 'caseworker', 'triage_officer', 'referrer') ORDER BY u.email",
        )
        .bind(agency)
        .bind(true)
        .fetch_all(tx.conn())
        .await?;
        if !to.is_empty() {
            let work = crate::jobs::Work::MaracChase {
                to,
                overdue: usize::try_from(overdue).unwrap_or(0),
            };
            crate::jobs::enqueue(
                &mut tx,
                &work,
                Some(&format!("marac-chase:{agency}:{today}")),
                now,
            )
            .await?;
        }
        chased += 1;
    }
    tx.commit().await?;
    Ok(chased)
}

impl ScopedStore {
    /// The coordinator moves a case still waiting to be heard to another scheduled meeting of its
    /// MARAC (or takes it off the agenda, with none).
    pub async fn move_marac_case(&self, case: &MaracCaseId, meeting: &str) -> Result<()> {
        self.grant(Action::ManageMarac)?;
        let mut tx = self.db().begin_write().await?;
        let row: Option<(MaracId, String)> =
            sqlx::query_as("SELECT marac_id, status FROM marac_cases WHERE id = $1")
                .bind(case)
                .fetch_optional(tx.conn())
                .await?;
        let (marac, status) = row.ok_or(StorageError::NotFound("MARAC case"))?;
        self.marac_in(&mut tx, &marac).await?;
        if status != CaseStatus::Listed.slug() {
            return Err(StorageError::invalid(
                "meeting",
                "The case has been heard: it stays with the meeting that heard it",
            ));
        }
        let target: Option<String> = if meeting.trim().is_empty() {
            None
        } else {
            let found: Option<String> = sqlx::query_scalar(
                "SELECT id FROM marac_meetings WHERE id = $1 AND marac_id = $2 AND status = 'scheduled'",
            )
            .bind(meeting.trim())
            .bind(&marac)
            .fetch_optional(tx.conn())
            .await?;
            if found.is_none() {
                return Err(StorageError::invalid(
                    "meeting",
                    "Choose a scheduled meeting of this MARAC",
                ));
            }
            found
        };
        sqlx::query("UPDATE marac_cases SET meeting_id = $1 WHERE id = $2")
            .bind(&target)
            .bind(case)
            .execute(tx.conn())
            .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "marac_case",
            Some(case.as_str()),
            "move a MARAC case to another meeting",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
