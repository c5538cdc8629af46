//! Recording a MARAC meeting: who attended and the legal basis for sharing (once per meeting),
//! per case what each agency shared (with its own legal basis where it differs), the risks
//! identified and the actions agreed (what, owner agency, due date); then the chair's summary,
//! which marks the meeting held and its cases heard. The minutes are made from this record.

use super::*;
use crate::db::{Stamp, new_id, now};
use chrono::{DateTime, NaiveDate, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::{AgencyId, MaracActionId, MaracCaseId, MeetingId};
use harbour_domain::marac::meeting::{ActionStatus, CaseStatus};
use harbour_domain::validation::FieldErrors;

/// Something an agency shared about a case at the meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    pub agency: String,
    pub information: String,
    pub legal_basis: Option<String>,
    pub at: DateTime<Utc>,
}

/// An action agreed at the meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaracAction {
    pub id: MaracActionId,
    pub case_id: MaracCaseId,
    pub case_reference: String,
    pub what: String,
    pub owner_agency_id: AgencyId,
    pub owner: String,
    pub due_on: NaiveDate,
    pub status: ActionStatus,
    pub update_note: Option<String>,
    pub overdue: bool,
}

#[derive(sqlx::FromRow)]
pub(super) struct ActionRow {
    id: MaracActionId,
    case_id: MaracCaseId,
    reference: String,
    what: String,
    owner_agency_id: AgencyId,
    owner: String,
    due_on: String,
    status: String,
    update_note: Option<String>,
}

impl ActionRow {
    pub(super) fn into_action(self, today: NaiveDate) -> Result<MaracAction> {
        let status = ActionStatus::from_slug(&self.status)
            .ok_or_else(|| StorageError::Corrupt(format!("action status {:?}", self.status)))?;
        let due_on: NaiveDate = self
            .due_on
            .parse()
            .map_err(|e: chrono::ParseError| StorageError::Corrupt(e.to_string()))?;
        Ok(MaracAction {
            overdue: status == ActionStatus::Open && due_on < today,
            id: self.id,
            case_id: self.case_id,
            case_reference: self.reference,
            what: self.what,
            owner_agency_id: self.owner_agency_id,
            owner: self.owner,
            due_on,
            status,
            update_note: self.update_note,
        })
    }
}

pub(super) const ACTION_SELECT: &str = "SELECT t.id, t.case_id, c.reference, t.what, t.owner_agency_id, \
     a.name AS owner, t.due_on, t.status, t.update_note FROM marac_actions t \
     JOIN marac_cases c ON c.id = t.case_id JOIN agencies a ON a.id = t.owner_agency_id";

fn required(errors: &mut FieldErrors, field: &str, value: &str, message: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, message);
    } else if value.chars().count() > 4_000 {
        errors.add(field, "Keep this to 4,000 characters or fewer");
    }
    value.to_owned()
}

/// Refuses, beside `field`, an agency that does not attend the MARAC.
async fn member_of(tx: &mut WriteTx, marac: &MaracId, agency: &str, field: &str) -> Result<()> {
    let member: Option<String> = sqlx::query_scalar(
        "SELECT agency_id FROM marac_members WHERE marac_id = $1 AND agency_id = $2",
    )
    .bind(marac)
    .bind(agency)
    .fetch_optional(tx.conn())
    .await?;
    match member {
        Some(_) => Ok(()),
        None => Err(StorageError::invalid(
            field,
            "Choose an agency that attends this MARAC",
        )),
    }
}

impl ScopedStore {
    /// The case's meeting, which must be the one being recorded (and the actor a coordinator).
    async fn recording(
        &self,
        tx: &mut WriteTx,
        case: &MaracCaseId,
    ) -> Result<(MaracId, MeetingId)> {
        self.grant(Action::ManageMarac)?;
        let row: Option<(MaracId, Option<MeetingId>)> =
            sqlx::query_as("SELECT marac_id, meeting_id FROM marac_cases WHERE id = $1")
                .bind(case)
                .fetch_optional(tx.conn())
                .await?;
        let (marac, meeting) = row.ok_or(StorageError::NotFound("MARAC case"))?;
        self.marac_in(tx, &marac).await?;
        let meeting = meeting.ok_or_else(|| {
            StorageError::invalid("information", "The case is not listed for a meeting yet")
        })?;
        Ok((marac, meeting))
    }

    /// Records who attended a meeting and the legal basis for sharing at it.
    pub async fn record_attendance(
        &self,
        meeting: &MeetingId,
        attended: &[String],
        legal_basis: &str,
    ) -> Result<()> {
        self.grant(Action::ManageMarac)?;
        let mut errors = FieldErrors::new();
        let basis = required(
            &mut errors,
            "legal_basis",
            legal_basis,
            "Enter the legal basis for sharing at this meeting",
        );
        if attended.is_empty() {
            errors.add("attended", "Choose the agencies that attended");
        }
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let mut tx = self.db().begin_write().await?;
        let marac: MaracId =
            sqlx::query_scalar("SELECT marac_id FROM marac_meetings WHERE id = $1")
                .bind(meeting)
                .fetch_optional(tx.conn())
                .await?
                .ok_or(StorageError::NotFound("meeting"))?;
        self.marac_in(&mut tx, &marac).await?;
        let expected: Vec<String> =
            sqlx::query_scalar("SELECT agency_id FROM marac_attendance WHERE meeting_id = $1")
                .bind(meeting)
                .fetch_all(tx.conn())
                .await?;
        if attended.iter().any(|a| !expected.contains(a)) {
            return Err(StorageError::invalid(
                "attended",
                "Choose from the agencies expected",
            ));
        }
        for agency in &expected {
            sqlx::query("UPDATE marac_attendance SET attended = $1 WHERE meeting_id = $2 AND agency_id = $3")
                .bind(attended.contains(agency))
                .bind(meeting)
                .bind(agency)
                .execute(tx.conn())
                .await?;
        }
        sqlx::query("UPDATE marac_meetings SET legal_basis = $1 WHERE id = $2")
            .bind(&basis)
            .bind(meeting)
            .execute(tx.conn())
            .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "marac_meeting",
            Some(meeting.as_str()),
            "record MARAC attendance",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records what an agency shared about a case at its meeting; `legal_basis` only where it
    /// differs from the meeting's.
    pub async fn record_shared(
        &self,
        case: &MaracCaseId,
        agency: &str,
        information: &str,
        legal_basis: &str,
    ) -> Result<()> {
        let mut errors = FieldErrors::new();
        let information = required(
            &mut errors,
            "information",
            information,
            "Enter what was shared",
        );
        if agency.trim().is_empty() {
            errors.add("agency", "Choose the agency that shared it");
        }
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let mut tx = self.db().begin_write().await?;
        let (marac, meeting) = self.recording(&mut tx, case).await?;
        member_of(&mut tx, &marac, agency, "agency").await?;
        sqlx::query(
            "INSERT INTO marac_shared (id, case_id, meeting_id, agency_id, information, legal_basis, recorded_at, recorded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(case)
        .bind(&meeting)
        .bind(agency)
        .bind(
            tx.keyring()?
                .seal(crate::sealed::MARAC_SHARED, &information)?,
        )
        .bind(Some(legal_basis.trim()).filter(|b| !b.is_empty()))
        .bind(now())
        .bind(self.actor().user_id.as_ref())
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "marac_case",
            Some(case.as_str()),
            "record information shared at MARAC",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the risks the meeting identified for a case.
    pub async fn record_risks(&self, case: &MaracCaseId, risks: &str) -> Result<()> {
        let mut errors = FieldErrors::new();
        let risks = required(&mut errors, "risks", risks, "Enter the risks identified");
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let mut tx = self.db().begin_write().await?;
        self.recording(&mut tx, case).await?;
        sqlx::query("UPDATE marac_cases SET risks = $1 WHERE id = $2")
            .bind(tx.keyring()?.seal(crate::sealed::MARAC_RISKS, &risks)?)
            .bind(case)
            .execute(tx.conn())
            .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "marac_case",
            Some(case.as_str()),
            "record MARAC risks",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an action agreed for a case: what, which member agency owns it, by when.
    pub async fn add_marac_action(
        &self,
        case: &MaracCaseId,
        what: &str,
        owner: &str,
        due: &str,
    ) -> Result<MaracActionId> {
        let mut errors = FieldErrors::new();
        let what = required(&mut errors, "what", what, "Enter the action");
        if owner.trim().is_empty() {
            errors.add("owner", "Choose the agency that owns the action");
        }
        let today = harbour_domain::calendar::uk_date(Utc::now());
        let due_on = harbour_domain::support_plan::parse_day(due);
        match due_on {
            None => {
                errors.add("due_on", "Enter the date it is due, for example 27/3/2026");
            }
            Some(d) if d < today => {
                errors.add("due_on", "The date it is due must be today or later");
            }
            Some(_) => {}
        }
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let mut tx = self.db().begin_write().await?;
        let (marac, meeting) = self.recording(&mut tx, case).await?;
        member_of(&mut tx, &marac, owner, "owner").await?;
        let id = MaracActionId::from(new_id());
        sqlx::query(
            "INSERT INTO marac_actions (id, case_id, meeting_id, what, owner_agency_id, due_on, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(case)
        .bind(&meeting)
        .bind(&what)
        .bind(owner)
        .bind(due_on.map(|d| d.to_string()))
        .bind(ActionStatus::Open.slug())
        .bind(now())
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "marac_action",
            Some(id.as_str()),
            "agree a MARAC action",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The chair's summary: the meeting is held, its cases heard (closed where no action is
    /// outstanding).
    pub async fn finish_meeting(&self, meeting: &MeetingId, summary: &str) -> Result<()> {
        self.grant(Action::ManageMarac)?;
        let mut errors = FieldErrors::new();
        let summary = required(&mut errors, "summary", summary, "Enter the chair's summary");
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let mut tx = self.db().begin_write().await?;
        let (marac, basis): (MaracId, Option<String>) =
            sqlx::query_as("SELECT marac_id, legal_basis FROM marac_meetings WHERE id = $1")
                .bind(meeting)
                .fetch_optional(tx.conn())
                .await?
                .ok_or(StorageError::NotFound("meeting"))?;
        self.marac_in(&mut tx, &marac).await?;
        if basis.is_none() {
            return Err(StorageError::invalid(
                "summary",
                "Record who attended and the legal basis for sharing first",
            ));
        }
        let at = now();
        sqlx::query("UPDATE marac_meetings SET status = 'held', summary = $1 WHERE id = $2")
            .bind(tx.keyring()?.seal(crate::sealed::MARAC_SUMMARY, &summary)?)
            .bind(meeting)
            .execute(tx.conn())
            .await?;
        sqlx::query(
            "UPDATE marac_cases SET status = CASE WHEN EXISTS (SELECT 1 FROM marac_actions t \
             WHERE t.case_id = marac_cases.id AND t.status = 'open') THEN $1 ELSE $2 END, \
             closed_at = CASE WHEN EXISTS (SELECT 1 FROM marac_actions t \
             WHERE t.case_id = marac_cases.id AND t.status = 'open') THEN NULL ELSE $3 END \
             WHERE meeting_id = $4 AND status = $5",
        )
        .bind(CaseStatus::Heard.slug())
        .bind(CaseStatus::Closed.slug())
        .bind(&at)
        .bind(meeting)
        .bind(CaseStatus::Listed.slug())
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "marac_meeting",
            Some(meeting.as_str()),
            "record a MARAC meeting held",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What was shared about a case and its actions, for the case page and the minutes.
    pub(super) async fn shared_and_actions(
        &self,
        tx: &mut WriteTx,
        case: &MaracCaseId,
    ) -> Result<(Vec<Shared>, Vec<MaracAction>)> {
        let shared: Vec<(String, crate::sealed::Opened, Option<String>, Stamp)> = sqlx::query_as(
            "SELECT a.name, s.information, s.legal_basis, s.recorded_at FROM marac_shared s \
             JOIN agencies a ON a.id = s.agency_id WHERE s.case_id = $1 ORDER BY s.recorded_at, s.id",
        )
        .bind(case)
        .fetch_all(tx.conn())
        .await?;
        let today = harbour_domain::calendar::uk_date(Utc::now());
        let actions: Vec<ActionRow> = sqlx::query_as(&format!(
            "{ACTION_SELECT} WHERE t.case_id = $1 ORDER BY t.due_on, t.id"
        ))
        .bind(case)
        .fetch_all(tx.conn())
        .await?;
        Ok((
            shared
                .into_iter()
                .map(|(agency, information, legal_basis, at)| Shared {
                    agency,
                    information: information.0,
                    legal_basis,
                    at: at.0,
                })
                .collect(),
            actions
                .into_iter()
                .map(|a| a.into_action(today))
                .collect::<Result<_>>()?,
        ))
    }
}
