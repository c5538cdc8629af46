//! Onward referrals: the hub refers a triaged person on to a service, with consent recorded per
//! recipient organisation; the receiving agency works it from its inbox; every step is kept.
//!
//! What a recipient reads is cut to the stage and the consent: before it takes the person on,
//! the minimum (first name, age, area, needs, tier, risk level, the crime category, the sender's
//! note and how it is safe to make contact); after, also what consent allows. The sender reads
//! everything. Every read and step is audited; sharing without consent is audited as such.

mod contact;
mod messages;
pub mod notify;
mod read;
mod send;
mod steps;

pub(crate) use contact::suspended_channels;
use contact::{contact_rules, contact_rules_for_row};
pub use harbour_domain::onward::checks::{self, AttemptInput, ReferOnInput, StepInput};
pub use messages::{MessageQueued, MessageRecord};
pub(crate) use read::attempts_for;
pub use send::Referable;
pub(crate) use steps::CaseChange;

use crate::db::{Stamp, WriteTx, format_time, new_id, now, to_json};
use crate::error::{Result, StorageError};
use crate::referrals::{ReferralView, from_json, parse, read_referral};
use crate::scoped::ScopedStore;
use crate::triage::history;
use chrono::{DateTime, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::calendar::{WorkingDays, uk_date};
use harbour_domain::consent::{Consent, LegalBasis, Share};
use harbour_domain::contact_gate::{self, AttemptResult, Permit, Refusal};
use harbour_domain::crime::CrimeCategory;
use harbour_domain::deadline::{self, Case, Milestone};
use harbour_domain::ids::{OnwardId, PersonId, ReferralId, ServiceId, UserId};
use harbour_domain::instrument::RiskLevel;
use harbour_domain::needs::ServiceTier;
use harbour_domain::notification::Event;
use harbour_domain::onward::{
    DeclineReason, Outcome, Party, State, Step, steps_open_to, transition,
};
use harbour_domain::permission::Action;
use harbour_domain::referral::{Child, Perpetrator, Status};
use harbour_domain::role::Role;
use harbour_domain::safe_contact::{Channel, SafeContact};
use harbour_domain::validation::FieldErrors;
use sqlx::Row;
use sqlx::any::AnyRow;

/// What became of a request to refer on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferredOn {
    Sent {
        id: OnwardId,
    },
    /// The person refused consent for this organisation: the refusal is recorded, nothing sent.
    ConsentRefused,
}

/// One line of a list of onward referrals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnwardSummary {
    pub id: OnwardId,
    pub referral_id: ReferralId,
    /// Whom it is about (their history is `/persons/{id}`).
    pub person_id: PersonId,
    pub service_id: ServiceId,
    pub service_name: String,
    pub recipient_agency_name: String,
    pub sender_agency_name: String,
    pub state: State,
    pub sent_at: DateTime<Utc>,
    pub state_at: DateTime<Utc>,
    pub next_due_at: Option<DateTime<Utc>>,
    pub next_due_milestone: Option<Milestone>,
    pub overdue: bool,
    pub risk_level: Option<RiskLevel>,
    pub tier: Option<ServiceTier>,
    pub given_name: String,
    pub area: Option<String>,
    pub decline_reason: Option<DeclineReason>,
    pub decline_note: Option<String>,
    pub outcome: Option<Outcome>,
    pub consent_decision: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub step: String,
    pub to_state: State,
    pub by: String,
    pub agency: String,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineRecord {
    pub milestone: Milestone,
    pub due_at: DateTime<Utc>,
    pub rule_name: String,
    pub met_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    pub decision: String,
    pub shares: Vec<Share>,
    pub valid_until: Option<String>,
    pub legal_basis: Option<LegalBasis>,
    pub justification: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// What the recipient may see once it has taken the person on, as consent allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedDetails {
    pub full_name: Option<String>,
    pub date_of_birth: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub incident_date: Option<String>,
    pub police_reference: Option<String>,
    pub referral_notes: Option<String>,
    pub perpetrators: Option<Vec<Perpetrator>>,
    pub children: Option<Vec<Child>>,
    pub risk_score: Option<i64>,
    pub marac_referral: Option<bool>,
    pub language: Option<String>,
    pub interpreter_needed: Option<bool>,
    pub disability: Option<String>,
}

/// One onward referral as the actor may see it.
#[derive(Debug, Clone)]
pub struct OnwardView {
    pub summary: OnwardSummary,
    /// The side the actor is on.
    pub party: Party,
    pub steps: Vec<Step>,
    pub age: Option<u32>,
    pub needs: Vec<String>,
    pub crime_category: CrimeCategory,
    pub note: String,
    /// How it is safe to reach the person; none for a service no longer working the referral.
    pub safe_contact: Option<SafeContact>,
    pub suspended: Vec<Channel>,
    pub consent: ConsentRecord,
    pub shared: SharedDetails,
    pub events: Vec<EventRecord>,
    pub deadlines: Vec<DeadlineRecord>,
    pub attempts: Vec<AttemptRecord>,
}

/// One logged attempt to contact the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub channel: Channel,
    pub result: AttemptResult,
    pub note: String,
    /// Why it was made when the gate would have refused it.
    pub reason: Option<String>,
    pub by: String,
    pub agency: String,
    pub at: DateTime<Utc>,
}

/// A referral on that passed its checks, ready to write.
struct Checked {
    target: Service,
    consent: Consent,
}

struct Service {
    organization_id: String,
    agency_id: Option<String>,
    name: String,
    status: String,
}

async fn service(tx: &mut WriteTx, id: &str) -> Result<Service> {
    let r = sqlx::query(
        "SELECT s.name, s.status, s.organization_id, o.agency_id FROM dir_services s \
         JOIN dir_organizations o ON o.id = s.organization_id WHERE s.id = $1",
    )
    .bind(id)
    .fetch_optional(tx.conn())
    .await?
    .ok_or(StorageError::NotFound("service"))?;
    Ok(Service {
        organization_id: r.try_get("organization_id")?,
        agency_id: r.try_get("agency_id")?,
        name: r.try_get("name")?,
        status: r.try_get("status")?,
    })
}

const SUMMARY_SELECT: &str = "SELECT o.*, s.name AS service_name, ra.name AS recipient_agency_name, \
     sa.name AS sender_agency_name, p.given_name, r.area AS person_area, c.decision AS consent_decision, \
     (SELECT d.milestone FROM onward_deadlines d WHERE d.onward_referral_id = o.id AND d.met_at IS NULL \
      ORDER BY d.due_at LIMIT 1) AS next_milestone \
     FROM onward_referrals o JOIN dir_services s ON s.id = o.service_id \
     JOIN agencies ra ON ra.id = o.recipient_agency_id JOIN agencies sa ON sa.id = o.sender_agency_id \
     JOIN persons p ON p.id = o.person_id JOIN referrals r ON r.id = o.referral_id \
     JOIN consents c ON c.id = o.consent_id";

/// One line of a [`SUMMARY_SELECT`] as stored.
#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: OnwardId,
    referral_id: ReferralId,
    person_id: PersonId,
    service_id: ServiceId,
    service_name: String,
    recipient_agency_name: String,
    sender_agency_name: String,
    state: String,
    sent_at: Stamp,
    state_at: Stamp,
    next_due_at: Option<Stamp>,
    next_milestone: Option<String>,
    risk_level: Option<String>,
    tier: Option<String>,
    given_name: String,
    person_area: Option<String>,
    decline_reason: Option<String>,
    decline_note: Option<crate::sealed::Opened>,
    outcome: Option<String>,
    consent_decision: String,
}

fn summary_from(row: &AnyRow, now: DateTime<Utc>) -> Result<OnwardSummary> {
    use sqlx::FromRow;
    let r = SummaryRow::from_row(row)?;
    let state = parse(&r.state, "onward state", State::from_slug)?;
    let next_due_at = r.next_due_at.map(|s| s.0);
    Ok(OnwardSummary {
        overdue: !state.is_final() && next_due_at.is_some_and(|d| d < now),
        id: r.id,
        referral_id: r.referral_id,
        person_id: r.person_id,
        service_id: r.service_id,
        service_name: r.service_name,
        recipient_agency_name: r.recipient_agency_name,
        sender_agency_name: r.sender_agency_name,
        state,
        sent_at: r.sent_at.0,
        state_at: r.state_at.0,
        next_due_at,
        next_due_milestone: r.next_milestone.as_deref().and_then(Milestone::from_slug),
        risk_level: r.risk_level.as_deref().and_then(RiskLevel::from_slug),
        tier: r.tier.as_deref().and_then(ServiceTier::from_slug),
        given_name: r.given_name,
        area: r.person_area,
        decline_reason: r
            .decline_reason
            .as_deref()
            .and_then(DeclineReason::from_slug),
        decline_note: r.decline_note.map(String::from),
        outcome: r.outcome.as_deref().and_then(Outcome::from_slug),
        consent_decision: r.consent_decision,
    })
}

/// The summaries `sql` (a [`SUMMARY_SELECT`] with one parameter, `param`) finds.
async fn summaries(tx: &mut WriteTx, sql: &str, param: &str) -> Result<Vec<OnwardSummary>> {
    let now = Utc::now();
    sqlx::query(sql)
        .bind(param)
        .fetch_all(tx.conn())
        .await?
        .iter()
        .map(|r| summary_from(r, now))
        .collect()
}

/// The earliest unmet deadline, kept on the referral for ordering and for the overdue job.
async fn refresh_next_due(tx: &mut WriteTx, id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE onward_referrals SET next_due_at = (SELECT MIN(d.due_at) FROM onward_deadlines d \
         WHERE d.onward_referral_id = $1 AND d.met_at IS NULL) WHERE id = $1",
    )
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Marks `milestone` met (if it was set and not yet met).
async fn meet(tx: &mut WriteTx, id: &str, milestone: Milestone, at: &str) -> Result<()> {
    sqlx::query(
        "UPDATE onward_deadlines SET met_at = $3 WHERE onward_referral_id = $1 AND milestone = $2 \
         AND met_at IS NULL",
    )
    .bind(id)
    .bind(milestone.slug())
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

fn consent_shares(c: &Consent) -> Vec<Share> {
    match c {
        Consent::Given { shares, .. } | Consent::Override { shares, .. } => shares.clone(),
        Consent::Refused => Vec::new(),
    }
}

impl ScopedStore {
    #[allow(clippy::too_many_arguments)]
    async fn record_event(
        &self,
        tx: &mut WriteTx,
        id: &str,
        step: &str,
        from: Option<State>,
        to: State,
        reason: Option<&str>,
        note: Option<&str>,
        at: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO onward_events (id, onward_referral_id, step, from_state, to_state, by_user, by_agency, at, reason, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(new_id())
        .bind(id)
        .bind(step)
        .bind(from.map(State::slug))
        .bind(to.slug())
        .bind(&self.actor().user_id)
        .bind(&self.actor().agency_id)
        .bind(at)
        .bind(reason)
        .bind(
            tx.keyring()?
                .seal_opt(crate::sealed::ONWARD_EVENT_NOTE, note)?,
        )
        .execute(tx.conn())
        .await?;
        Ok(())
    }

    /// Which side of `row` the actor is on, or not found when neither (deny by default: a
    /// referral to another agency does not exist for this one).
    fn party_for(&self, row: &AnyRow) -> Result<Party> {
        let recipient: String = row.try_get("recipient_agency_id")?;
        if self.may(Action::ReferOnward) {
            return Ok(Party::Sender);
        }
        if self.may(Action::ReceiveReferrals) && recipient == self.actor().agency_id {
            return Ok(Party::Recipient);
        }
        Err(StorageError::NotFound("onward referral"))
    }

    /// The onward referral's row and the actor's side of it; not found for anyone on neither side.
    async fn onward_row(&self, tx: &mut WriteTx, id: &str) -> Result<(AnyRow, Party)> {
        let row = sqlx::query("SELECT * FROM onward_referrals WHERE id = $1")
            .bind(id)
            .fetch_optional(tx.conn())
            .await?
            .ok_or(StorageError::NotFound("onward referral"))?;
        let party = self.party_for(&row)?;
        Ok((row, party))
    }
}
