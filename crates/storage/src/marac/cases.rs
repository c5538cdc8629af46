//! A MARAC case as its member agencies see it: what the referral said, the criteria, consent,
//! who the victim fears and who is safe to talk to, the perpetrators and children; which
//! agencies have completed their research; and the actor's own agency's research, which is its
//! internal document (no other agency reads it).

use super::*;
use crate::db::{Flag, Stamp, now};
use crate::referrals::from_json;
use crate::sealed::{self, Opened};
use chrono::{DateTime, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::{AgencyId, MaracCaseId, MeetingId, PersonId, ReferralId};
use harbour_domain::marac::MaracCriteria;
use harbour_domain::marac::meeting::CaseStatus;
use harbour_domain::referral::{Child, Perpetrator};
use harbour_domain::validation::FieldErrors;

/// The actor's agency's research on a case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Research {
    pub facts: String,
    pub opinion: String,
    pub withheld: String,
    pub completed_at: Option<DateTime<Utc>>,
    pub version: i64,
}

/// Research as the form gives it.
#[derive(Debug, Clone, Default)]
pub struct ResearchInput {
    pub facts: String,
    pub opinion: String,
    pub withheld: String,
    /// Mark it complete (it can still be corrected until the meeting).
    pub complete: bool,
    /// The version the form showed (0 before the first save).
    pub version: i64,
}

/// A MARAC case as a member agency sees it.
#[derive(Debug, Clone)]
pub struct MaracCase {
    pub id: MaracCaseId,
    pub reference: String,
    pub marac_id: MaracId,
    pub marac_name: String,
    pub meeting_id: Option<MeetingId>,
    pub meeting_on: Option<chrono::NaiveDate>,
    pub person_id: PersonId,
    pub given_name: String,
    pub family_name: String,
    pub referral_id: Option<ReferralId>,
    pub referring_agency: String,
    pub referring_officer: String,
    pub referred_at: DateTime<Utc>,
    pub criteria: Option<MaracCriteria>,
    pub judgement_reason: Option<String>,
    pub victim_aware: bool,
    pub victim_consented: bool,
    pub no_consent_reason: Option<String>,
    pub afraid_of: String,
    pub safe_to_talk: String,
    pub unsafe_to_talk: String,
    pub previous_maracs: String,
    pub perpetrators: Vec<Perpetrator>,
    pub children: Vec<Child>,
    /// The earlier case this repeats: its reference.
    pub repeat_of: Option<String>,
    pub status: CaseStatus,
    /// Each agency expected to research it, and whether it has completed its research.
    pub research_done: Vec<(String, bool)>,
    /// The actor's agency's own research, if it is expected or has begun.
    pub own_research: Option<Research>,
    /// What was shared at the meeting, the risks identified and the actions agreed.
    pub shared: Vec<super::Shared>,
    pub risks: Option<String>,
    pub actions: Vec<super::MaracAction>,
    /// The MARAC's member agencies (who may share and own actions).
    pub members: Vec<(AgencyId, String)>,
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: MaracCaseId,
    reference: String,
    marac_id: MaracId,
    marac_name: String,
    meeting_id: Option<MeetingId>,
    held_on: Option<String>,
    person_id: PersonId,
    given_name: String,
    family_name: String,
    referral_id: Option<ReferralId>,
    agency: String,
    referring_officer: String,
    referred_at: Stamp,
    criteria: String,
    judgement_reason: Option<Opened>,
    victim_aware: Flag,
    victim_consented: Flag,
    no_consent_reason: Option<Opened>,
    afraid_of: Opened,
    safe_to_talk: Opened,
    unsafe_to_talk: Opened,
    previous_maracs: String,
    perpetrators: String,
    children: String,
    repeat_reference: Option<String>,
    status: String,
    risks: Option<Opened>,
}

#[derive(sqlx::FromRow)]
struct ResearchRow {
    facts: Opened,
    opinion: Opened,
    withheld: Opened,
    completed_at: Option<Stamp>,
    version: i64,
}

const MAX_RESEARCH_CHARS: usize = 20_000;

impl ScopedStore {
    /// The case's row, if the actor may see its MARAC.
    async fn case_row(&self, tx: &mut WriteTx, id: &MaracCaseId) -> Result<CaseRow> {
        let row: CaseRow = sqlx::query_as(
            "SELECT c.id, c.reference, c.marac_id, m.name AS marac_name, c.meeting_id, g.held_on, \
             c.person_id, p.given_name, p.family_name, c.referral_id, a.name AS agency, \
             c.referring_officer, c.referred_at, c.criteria, c.judgement_reason, c.victim_aware, \
             c.victim_consented, c.no_consent_reason, c.afraid_of, c.safe_to_talk, c.unsafe_to_talk, \
             c.previous_maracs, c.perpetrators, c.children, r.reference AS repeat_reference, c.status, c.risks \
             FROM marac_cases c JOIN maracs m ON m.id = c.marac_id JOIN persons p ON p.id = c.person_id \
             JOIN agencies a ON a.id = c.referring_agency_id \
             LEFT JOIN marac_meetings g ON g.id = c.meeting_id \
             LEFT JOIN marac_cases r ON r.id = c.repeat_of WHERE c.id = $1",
        )
        .bind(id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(StorageError::NotFound("MARAC case"))?;
        self.marac_in(tx, &row.marac_id).await?;
        Ok(row)
    }

    /// The agencies expected to research a case: those expected at its meeting, else the
    /// MARAC's members.
    async fn researchers(
        &self,
        tx: &mut WriteTx,
        row: &CaseRow,
    ) -> Result<Vec<(AgencyId, String)>> {
        Ok(match &row.meeting_id {
            Some(meeting) => sqlx::query_as(
                "SELECT a.id, a.name FROM marac_attendance t JOIN agencies a ON a.id = t.agency_id \
                     WHERE t.meeting_id = $1 ORDER BY a.name",
            )
            .bind(meeting)
            .fetch_all(tx.conn())
            .await?,
            None => sqlx::query_as(
                "SELECT a.id, a.name FROM marac_members t JOIN agencies a ON a.id = t.agency_id \
                     WHERE t.marac_id = $1 ORDER BY a.name",
            )
            .bind(&row.marac_id)
            .fetch_all(tx.conn())
            .await?,
        })
    }

    /// A MARAC case, with the actor's agency's research.
    pub async fn marac_case(&self, id: &MaracCaseId) -> Result<MaracCase> {
        self.grant(Action::AttendMarac)?;
        let mut tx = self.db().begin_write().await?;
        let row = self.case_row(&mut tx, id).await?;
        let researchers = self.researchers(&mut tx, &row).await?;
        let done: Vec<(AgencyId, Option<Stamp>)> =
            sqlx::query_as("SELECT agency_id, completed_at FROM marac_research WHERE case_id = $1")
                .bind(id)
                .fetch_all(tx.conn())
                .await?;
        let research_done = researchers
            .iter()
            .map(|(agency, name)| {
                let complete = done.iter().any(|(a, at)| a == agency && at.is_some());
                (name.clone(), complete)
            })
            .collect();
        let own: Option<ResearchRow> = sqlx::query_as(
            "SELECT facts, opinion, withheld, completed_at, version FROM marac_research \
             WHERE case_id = $1 AND agency_id = $2",
        )
        .bind(id)
        .bind(&self.actor().agency_id)
        .fetch_optional(tx.conn())
        .await?;
        let expected = researchers
            .iter()
            .any(|(a, _)| *a == self.actor().agency_id);
        let own_research = match own {
            Some(r) => Some(Research {
                facts: r.facts.0,
                opinion: r.opinion.0,
                withheld: r.withheld.0,
                completed_at: r.completed_at.map(|s| s.0),
                version: r.version,
            }),
            None if expected => Some(Research::default()),
            None => None,
        };
        let (shared, actions) = self.shared_and_actions(&mut tx, id).await?;
        let members: Vec<(AgencyId, String)> = sqlx::query_as(
            "SELECT a.id, a.name FROM marac_members t JOIN agencies a ON a.id = t.agency_id \
             WHERE t.marac_id = $1 ORDER BY a.name",
        )
        .bind(&row.marac_id)
        .fetch_all(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "marac_case",
            Some(id.as_str()),
            "view a MARAC case",
        )
        .await?;
        tx.commit().await?;
        Ok(MaracCase {
            status: CaseStatus::from_slug(&row.status).ok_or_else(|| {
                StorageError::Corrupt(format!("MARAC case status {:?}", row.status))
            })?,
            criteria: from_json(&row.criteria)?,
            perpetrators: from_json(&row.perpetrators)?,
            children: from_json(&row.children)?,
            meeting_on: row.held_on.as_deref().and_then(|d| d.parse().ok()),
            id: row.id,
            reference: row.reference,
            marac_id: row.marac_id,
            marac_name: row.marac_name,
            meeting_id: row.meeting_id,
            person_id: row.person_id,
            given_name: row.given_name,
            family_name: row.family_name,
            referral_id: row.referral_id,
            referring_agency: row.agency,
            referring_officer: row.referring_officer,
            referred_at: row.referred_at.0,
            judgement_reason: row.judgement_reason.map(String::from),
            victim_aware: row.victim_aware.0,
            victim_consented: row.victim_consented.0,
            no_consent_reason: row.no_consent_reason.map(String::from),
            afraid_of: row.afraid_of.0,
            safe_to_talk: row.safe_to_talk.0,
            unsafe_to_talk: row.unsafe_to_talk.0,
            previous_maracs: row.previous_maracs,
            repeat_of: row.repeat_reference,
            research_done,
            own_research,
            shared,
            risks: row.risks.map(String::from),
            actions,
            members,
        })
    }

    /// Saves the actor's agency's research on a case over the version the form showed.
    pub async fn save_research(&self, id: &MaracCaseId, input: &ResearchInput) -> Result<()> {
        self.grant(Action::AttendMarac)?;
        let mut errors = FieldErrors::new();
        let text = |field: &str, value: &str, errors: &mut FieldErrors| {
            let value = value.trim().to_owned();
            if value.chars().count() > MAX_RESEARCH_CHARS {
                errors.add(field, "Keep this to 20,000 characters or fewer");
            }
            value
        };
        let facts = text("facts", &input.facts, &mut errors);
        let opinion = text("opinion", &input.opinion, &mut errors);
        let withheld = text("withheld", &input.withheld, &mut errors);
        if input.complete && facts.is_empty() {
            errors.add(
                "facts",
                "Enter what your agency's records show (or that they show nothing) before marking the research complete",
            );
        }
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let mut tx = self.db().begin_write().await?;
        let keyring = tx.keyring()?;
        let (facts, opinion, withheld) = (
            keyring.seal(sealed::MARAC_FACTS, &facts)?,
            keyring.seal(sealed::MARAC_OPINION, &opinion)?,
            keyring.seal(sealed::MARAC_WITHHELD, &withheld)?,
        );
        let row = self.case_row(&mut tx, id).await?;
        let researchers = self.researchers(&mut tx, &row).await?;
        if !researchers
            .iter()
            .any(|(a, _)| *a == self.actor().agency_id)
        {
            return Err(StorageError::invalid(
                "facts",
                "Your agency is not expected at this case's meeting, so it has no research to do",
            ));
        }
        let at = now();
        let completed = input.complete.then_some(at.as_str());
        let me = self.actor().user_id.as_ref();
        let changed = if input.version == 0 {
            sqlx::query(
                "INSERT INTO marac_research (case_id, agency_id, facts, opinion, withheld, completed_at, \
                 version, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8) \
                 ON CONFLICT (case_id, agency_id) DO NOTHING",
            )
            .bind(id)
            .bind(&self.actor().agency_id)
            .bind(&facts)
            .bind(&opinion)
            .bind(&withheld)
            .bind(completed)
            .bind(&at)
            .bind(me)
            .execute(tx.conn())
            .await?
            .rows_affected()
        } else {
            sqlx::query(
                "UPDATE marac_research SET facts = $1, opinion = $2, withheld = $3, \
                 completed_at = $4, version = version + 1, updated_at = $5, updated_by = $6 \
                 WHERE case_id = $7 AND agency_id = $8 AND version = $9",
            )
            .bind(&facts)
            .bind(&opinion)
            .bind(&withheld)
            .bind(completed)
            .bind(&at)
            .bind(me)
            .bind(id)
            .bind(&self.actor().agency_id)
            .bind(input.version)
            .execute(tx.conn())
            .await?
            .rows_affected()
        };
        if changed == 0 {
            return Err(StorageError::invalid(
                "facts",
                "A colleague saved your agency's research since you opened it. Your text is below: look at theirs and add yours to it",
            ));
        }
        self.audit(
            &mut tx,
            AuditAction::Change,
            "marac_case",
            Some(id.as_str()),
            if input.complete {
                "complete MARAC research"
            } else {
                "save MARAC research"
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
