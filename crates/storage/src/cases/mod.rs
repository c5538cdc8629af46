//! Casework: a service's work with a person after it accepts an onward referral. A case belongs
//! to the service's agency; its caseworkers work it and its managers allocate it. Every read and
//! write is audited in the same transaction as the work.

mod caseload;
mod lifecycle;
mod notes;
mod open;
mod plan;
mod readings;
mod rights;
mod risk;
mod safety;
mod transfer;

pub use caseload::{COUNT_UP_TO, CaseCounts, Caseload, CaseloadFilter, PAGE, Whose};
pub use lifecycle::ChangeInput;
pub use notes::{NoteInput, NoteVersion};
pub(crate) use open::open_for_onward;
pub use plan::{Goal, GoalAction, ProgressInput, SupportPlan};
pub use readings::{Reading, Readings, active_outcome_tool, import_outcome_tool};
pub use rights::RightRecord;
pub use risk::{RiskHistory, RiskReview};
pub use safety::SafetyPlan;
pub use transfer::Transfer;
pub(crate) use transfer::close_transferred;

use crate::db::{Flag, Stamp, WriteTx, now};
use crate::error::{Result, StorageError};
use crate::scoped::ScopedStore;
use chrono::{DateTime, NaiveDate, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::calendar::uk_date;
use harbour_domain::case::{
    CaseStatus, ClosureReason, NoteKind, OutcomeAnswer, ReviewDue, review_due,
};
use harbour_domain::ids::{CaseId, CaseNoteId, OnwardId, PersonId, ReferralId, UserId};
use harbour_domain::instrument::RiskLevel;
use harbour_domain::needs::ServiceTier;
use harbour_domain::permission::Action;
use harbour_domain::validation::FieldErrors;

/// One case as a caseload lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    pub id: CaseId,
    pub person_id: PersonId,
    /// The referral the case came from.
    pub referral_id: ReferralId,
    pub onward_id: Option<OnwardId>,
    /// The person's given name: what every service that was sent the referral sees.
    pub given_name: String,
    pub service_name: String,
    pub caseworker_id: Option<UserId>,
    pub caseworker_name: Option<String>,
    pub status: CaseStatus,
    pub tier: Option<ServiceTier>,
    pub risk_level: Option<RiskLevel>,
    pub opened_at: DateTime<Utc>,
    pub next_review_on: Option<NaiveDate>,
    pub review: Option<ReviewDue>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub last_reviewed_on: Option<NaiveDate>,
    /// How it ended, once closed.
    pub closed_at: Option<DateTime<Utc>>,
    pub closure_reason: Option<ClosureReason>,
    pub cope: Option<OutcomeAnswer>,
    pub recover: Option<OutcomeAnswer>,
}

/// A note as the reader may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseNote {
    pub id: CaseNoteId,
    pub kind: NoteKind,
    pub body: String,
    pub restricted: bool,
    pub happened_on: NaiveDate,
    pub author_id: Option<UserId>,
    pub author_name: String,
    pub agency_name: String,
    pub written_at: DateTime<Utc>,
    pub version: i64,
    pub edited_at: Option<DateTime<Utc>>,
    /// The reader wrote it, so may correct it.
    pub own: bool,
}

/// Something that happened to a case, and who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    pub what: String,
    pub detail: Option<String>,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A case with its notes (those the reader may see) and its events.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub summary: CaseSummary,
    pub notes: Vec<CaseNote>,
    /// Restricted notes on the case the reader may not see (a count, so they know to ask).
    pub notes_withheld: i64,
    pub events: Vec<CaseEvent>,
    /// Outcome readings, oldest first, with the tool they are compared on.
    pub readings: Readings,
    /// The twelve Victims' Code rights, each with its latest record on the case.
    pub rights: Vec<RightRecord>,
    /// The tool a new reading would use.
    pub tool_now: harbour_domain::outcome::OutcomeTool,
    /// The reader may allocate the case.
    pub may_allocate: bool,
    /// Transfers sent from the case, newest first.
    pub transfers: Vec<Transfer>,
    /// The contact attempts logged on the referral the case came from, oldest first (each
    /// checked against the person's safe-contact rules when it was logged).
    pub contacts: Vec<crate::onward::AttemptRecord>,
}

/// A member of the agency's staff a case can be allocated to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocatable {
    pub id: UserId,
    pub name: String,
    pub open_cases: i64,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: CaseId,
    person_id: PersonId,
    referral_id: ReferralId,
    onward_referral_id: Option<OnwardId>,
    given_name: String,
    service_name: Option<String>,
    caseworker_id: Option<UserId>,
    caseworker_name: Option<String>,
    status: String,
    tier: Option<String>,
    risk_level: Option<String>,
    opened_at: Stamp,
    next_review_on: Option<String>,
    last_contact_at: Option<Stamp>,
    last_reviewed_on: Option<String>,
    closed_at: Option<Stamp>,
    closure_reason: Option<String>,
    cope: Option<String>,
    recover: Option<String>,
}

const SUMMARY_SELECT: &str = "SELECT c.id, c.person_id, c.referral_id, c.onward_referral_id, p.given_name, \
     s.name AS service_name, c.caseworker_id, u.display_name AS caseworker_name, c.status, c.tier, \
     c.risk_level, c.opened_at, c.next_review_on, c.last_contact_at, c.last_reviewed_on, \
     c.closed_at, c.closure_reason, c.cope, c.recover \
     FROM cases c JOIN persons p ON p.id = c.person_id \
     LEFT JOIN dir_services s ON s.id = c.service_id LEFT JOIN users u ON u.id = c.caseworker_id";

impl SummaryRow {
    fn into_summary(self, today: NaiveDate) -> Result<CaseSummary> {
        let status = CaseStatus::from_slug(&self.status)
            .ok_or_else(|| StorageError::Corrupt(format!("case status {:?}", self.status)))?;
        let day = |d: Option<&str>| {
            d.map(|d| {
                d.parse::<NaiveDate>()
                    .map_err(|e| StorageError::Corrupt(e.to_string()))
            })
            .transpose()
        };
        let next_review_on = day(self.next_review_on.as_deref())?;
        Ok(CaseSummary {
            id: self.id,
            person_id: self.person_id,
            referral_id: self.referral_id,
            onward_id: self.onward_referral_id,
            given_name: self.given_name,
            service_name: self.service_name.unwrap_or_default(),
            caseworker_id: self.caseworker_id,
            caseworker_name: self.caseworker_name,
            review: next_review_on
                .filter(|_| status == CaseStatus::Open)
                .map(|d| review_due(d, today)),
            status,
            tier: self.tier.as_deref().and_then(ServiceTier::from_slug),
            risk_level: self.risk_level.as_deref().and_then(RiskLevel::from_slug),
            opened_at: self.opened_at.0,
            next_review_on,
            last_contact_at: self.last_contact_at.map(|s| s.0),
            last_reviewed_on: day(self.last_reviewed_on.as_deref())?,
            closed_at: self.closed_at.map(|s| s.0),
            closure_reason: self
                .closure_reason
                .as_deref()
                .and_then(ClosureReason::from_slug),
            cope: self.cope.as_deref().and_then(OutcomeAnswer::from_slug),
            recover: self.recover.as_deref().and_then(OutcomeAnswer::from_slug),
        })
    }
}

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: CaseNoteId,
    kind: String,
    body: crate::sealed::Opened,
    restricted: Flag,
    happened_on: String,
    author_id: Option<UserId>,
    author_name: Option<String>,
    agency_name: String,
    written_at: Stamp,
    version: i64,
    edited_at: Option<Stamp>,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    what: String,
    detail: Option<crate::sealed::Opened>,
    by_name: Option<String>,
    at: Stamp,
}

/// What an event's stored name says, in words.
fn event_label(what: &str) -> String {
    match what {
        "opened" => "Case opened".into(),
        "allocated" => "Allocated".into(),
        "note_edited" => "Note corrected".into(),
        "paused" => "Paused".into(),
        "resumed" => "Support resumed".into(),
        "reviewed" => "Reviewed".into(),
        "closed" => "Closed".into(),
        "reopened" => "Reopened".into(),
        "reading" => "Outcome reading".into(),
        "rights" => "Victims' Code".into(),
        "goal_added" => "Goal added to the support plan".into(),
        "goal_progress" => "Goal updated".into(),
        "action_added" => "Action added to the support plan".into(),
        "action_done" => "Action done".into(),
        "safety_plan" => "Safety plan updated".into(),
        "safety_plan_printed" => "Safety plan printed".into(),
        "resource_issued" => "Resource issued".into(),
        "risk_reassessed" => "Risk reassessed".into(),
        "transfer_sent" => "Transfer sent".into(),
        "transfer_refused" => "Transfer not sent: no consent".into(),
        other => other.replace('_', " "),
    }
}

impl ScopedStore {
    /// A case of the actor's agency, with the notes they may read and its events. Anyone else's
    /// case is not found, whoever asks.
    pub async fn case(&self, id: &CaseId) -> Result<CaseView> {
        self.grant(Action::WorkCases)?;
        let mut tx = self.db().begin_write().await?;
        let summary = self.case_in(&mut tx, id).await?;
        let (notes, notes_withheld) = self.notes_in(&mut tx, id).await?;
        let tool_now = active_outcome_tool(self.db()).await?;
        let readings = self.readings_in(&mut tx, id, &tool_now).await?;
        let rights = self.rights_in(&mut tx, id).await?;
        let transfers = self.transfers_in(&mut tx, id).await?;
        let contacts = match &summary.onward_id {
            Some(onward) => crate::onward::attempts_for(&mut tx, onward.as_str()).await?,
            None => Vec::new(),
        };
        let events: Vec<EventRow> = sqlx::query_as(
            "SELECT e.what, e.detail, u.display_name AS by_name, e.at FROM case_events e \
             LEFT JOIN users u ON u.id = e.by_user WHERE e.case_id = $1 ORDER BY e.at, e.id",
        )
        .bind(id)
        .fetch_all(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "case",
            Some(id.as_str()),
            "view a case",
        )
        .await?;
        tx.commit().await?;
        Ok(CaseView {
            summary,
            notes,
            notes_withheld,
            events: events
                .into_iter()
                .map(|e| CaseEvent {
                    what: event_label(&e.what),
                    detail: e.detail.map(String::from),
                    by: e.by_name.unwrap_or_else(|| "Harbour".into()),
                    at: e.at.0,
                })
                .collect(),
            readings,
            rights,
            tool_now,
            may_allocate: self.may(Action::ManageCases),
            transfers,
            contacts,
        })
    }

    /// The case, if it is the actor's agency's.
    pub(crate) async fn case_in(&self, tx: &mut WriteTx, id: &CaseId) -> Result<CaseSummary> {
        let row: Option<SummaryRow> = sqlx::query_as(&format!(
            "{SUMMARY_SELECT} WHERE c.id = $1 AND c.agency_id = $2"
        ))
        .bind(id)
        .bind(&self.actor().agency_id)
        .fetch_optional(tx.conn())
        .await?;
        row.ok_or(StorageError::NotFound("case"))?
            .into_summary(uk_date(Utc::now()))
    }

    /// The case the actor's agency opened for an onward referral, if any (for a link to it).
    pub async fn case_for_onward(&self, onward: &OnwardId) -> Result<Option<CaseId>> {
        if !self.may(Action::WorkCases) {
            return Ok(None);
        }
        Ok(sqlx::query_scalar(
            "SELECT id FROM cases WHERE onward_referral_id = $1 AND agency_id = $2",
        )
        .bind(onward)
        .bind(&self.actor().agency_id)
        .fetch_optional(self.db().pool())
        .await?)
    }

    /// The staff of the actor's agency who may work cases, with how many open cases each has.
    pub async fn allocatable(&self) -> Result<Vec<Allocatable>> {
        self.grant(Action::ManageCases)?;
        let rows: Vec<(UserId, String, i64)> = sqlx::query_as(
            "SELECT u.id, u.display_name, COALESCE(c.n, 0) \
             FROM users u LEFT JOIN (SELECT caseworker_id, COUNT(*) AS n FROM cases \
             WHERE agency_id = $1 AND status <> 'closed' GROUP BY caseworker_id) c \
             ON c.caseworker_id = u.id \
             WHERE u.agency_id = $1 AND u.active = $2 AND EXISTS \
             (SELECT 1 FROM user_roles r WHERE r.user_id = u.id \
              AND r.role IN ('caseworker', 'service_manager')) \
             ORDER BY u.display_name",
        )
        .bind(&self.actor().agency_id)
        .bind(true)
        .fetch_all(self.db().pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, open_cases)| Allocatable {
                id,
                name,
                open_cases,
            })
            .collect())
    }

    /// Allocates a case to a member of the agency who works cases (or reassigns it).
    pub async fn allocate_case(&self, id: &CaseId, to: &UserId) -> Result<()> {
        self.grant(Action::ManageCases)?;
        let staff = self.allocatable().await?;
        let Some(who) = staff.iter().find(|s| s.id == *to) else {
            return Err(StorageError::invalid(
                "caseworker",
                "Choose a caseworker from your service",
            ));
        };
        let mut tx = self.db().begin_write().await?;
        let case = self.case_in(&mut tx, id).await?;
        if case.caseworker_id.as_ref() == Some(to) {
            return Err(StorageError::invalid(
                "caseworker",
                "The case is already allocated to them: choose someone else",
            ));
        }
        let at = now();
        sqlx::query("UPDATE cases SET caseworker_id = $1, updated_at = $2 WHERE id = $3")
            .bind(to)
            .bind(&at)
            .bind(id)
            .execute(tx.conn())
            .await?;
        let detail = match &case.caseworker_name {
            Some(from) => format!("from {from} to {}", who.name),
            None => format!("to {}", who.name),
        };
        record_event(&mut tx, id, "allocated", Some(&detail), self, &at).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "case",
            Some(id.as_str()),
            "allocate a case",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Records what happened to a case, by the actor.
async fn record_event(
    tx: &mut WriteTx,
    case: &CaseId,
    what: &str,
    detail: Option<&str>,
    store: &ScopedStore,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_events (id, case_id, what, detail, by_user, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(crate::db::new_id())
    .bind(case)
    .bind(what)
    .bind(
        tx.keyring()?
            .seal_opt(crate::sealed::CASE_EVENT_DETAIL, detail)?,
    )
    .bind(store.actor().user_id.as_ref())
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}
