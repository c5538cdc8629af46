//! Onward referrals: the hub refers a triaged person on to a service, with consent recorded per
//! recipient organisation; the receiving agency works it from its inbox; every step is kept.
//!
//! What a recipient reads is cut to the stage and the consent: before it takes the person on,
//! the minimum (first name, age, area, needs, tier, risk level, the crime category, the sender's
//! note and how it is safe to make contact); after, also what consent allows. The sender reads
//! everything. Every read and step is audited; sharing without consent is audited as such.

use crate::db::{WriteTx, format_time, new_id, now, parse_time, to_json};
use crate::error::{Result, StorageError};
use crate::referrals::{ReferralView, from_json, parse, read_referral};
use crate::scoped::ScopedStore;
use crate::triage::history;
use chrono::{DateTime, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::calendar::{WorkingDays, uk_date};
use harbour_domain::consent::{Consent, ConsentInput, LegalBasis, Share};
use harbour_domain::contact_gate::{self, AttemptResult, Permit, Refusal};
use harbour_domain::crime::CrimeCategory;
use harbour_domain::deadline::{self, Case, Circumstance, Milestone};
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
use harbour_domain::validation::{FieldErrors, check_fields};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A referral on to one service, as the hub asks for it.
#[derive(Debug, Clone, Default)]
pub struct ReferOnInput {
    /// Put before every field name in errors, for a form that refers to several services.
    pub field_prefix: String,
    pub service_id: String,
    pub consent: ConsentInput,
    pub note: String,
    pub circumstances: Vec<Circumstance>,
    pub returned_at: Option<DateTime<Utc>>,
    /// When it was sent, if not now: a referral made by phone and written up afterwards (and
    /// tests of the deadline rules). Never later than now.
    pub sent_at: Option<DateTime<Utc>>,
}

/// What became of a request to refer on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferredOn {
    Sent {
        id: String,
    },
    /// The person refused consent for this organisation: the refusal is recorded, nothing sent.
    ConsentRefused,
}

/// A step as asked for, with what it needs.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    pub step: String,
    pub reason: String,
    pub note: String,
    pub outcome: String,
    /// For a re-route: the service and the consent for its organisation.
    pub reroute: Option<ReferOnInput>,
}

/// One line of a list of onward referrals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnwardSummary {
    pub id: String,
    pub referral_id: String,
    pub service_id: String,
    pub service_name: String,
    pub recipient_agency_name: String,
    pub sender_agency_name: String,
    pub state: State,
    pub sent_at: String,
    pub state_at: String,
    pub next_due_at: Option<String>,
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
    pub at: String,
    pub reason: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineRecord {
    pub milestone: Milestone,
    pub due_at: String,
    pub rule_name: String,
    pub met_at: Option<String>,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    pub decision: String,
    pub shares: Vec<Share>,
    pub valid_until: Option<String>,
    pub legal_basis: Option<LegalBasis>,
    pub justification: Option<String>,
    pub recorded_at: String,
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
    pub at: String,
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

fn summary_from(r: &AnyRow, now: &str) -> Result<OnwardSummary> {
    let state: String = r.try_get("state")?;
    let next_due_at: Option<String> = r.try_get("next_due_at")?;
    let milestone: Option<String> = r.try_get("next_milestone")?;
    let state = parse(&state, "onward state", State::from_slug)?;
    Ok(OnwardSummary {
        id: r.try_get("id")?,
        referral_id: r.try_get("referral_id")?,
        service_id: r.try_get("service_id")?,
        service_name: r.try_get("service_name")?,
        recipient_agency_name: r.try_get("recipient_agency_name")?,
        sender_agency_name: r.try_get("sender_agency_name")?,
        state,
        sent_at: r.try_get("sent_at")?,
        state_at: r.try_get("state_at")?,
        overdue: !state.is_final() && next_due_at.as_deref().is_some_and(|d| d < now),
        next_due_at,
        next_due_milestone: milestone.as_deref().and_then(Milestone::from_slug),
        risk_level: r
            .try_get::<Option<String>, _>("risk_level")?
            .as_deref()
            .and_then(RiskLevel::from_slug),
        tier: r
            .try_get::<Option<String>, _>("tier")?
            .as_deref()
            .and_then(ServiceTier::from_slug),
        given_name: r.try_get("given_name")?,
        area: r.try_get("person_area")?,
        decline_reason: r
            .try_get::<Option<String>, _>("decline_reason")?
            .as_deref()
            .and_then(DeclineReason::from_slug),
        decline_note: r.try_get("decline_note")?,
        outcome: r
            .try_get::<Option<String>, _>("outcome")?
            .as_deref()
            .and_then(Outcome::from_slug),
        consent_decision: r.try_get("consent_decision")?,
    })
}

/// The summaries `sql` (a [`SUMMARY_SELECT`] with one parameter, `param`) finds.
async fn summaries(tx: &mut WriteTx, sql: &str, param: &str) -> Result<Vec<OnwardSummary>> {
    let now = now();
    sqlx::query(sql)
        .bind(param)
        .fetch_all(tx.conn())
        .await?
        .iter()
        .map(|r| summary_from(r, &now))
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
    fn user_id(&self) -> Result<String> {
        self.actor()
            .user_id
            .clone()
            .ok_or(StorageError::NotFound("person"))
    }

    /// Refers the person on a triaged referral to a service, recording consent for its
    /// organisation first. A refusal is recorded and nothing is sent.
    pub async fn refer_onward(
        &self,
        referral_id: &str,
        input: &ReferOnInput,
    ) -> Result<ReferredOn> {
        let mut sent = self
            .refer_onward_many(referral_id, std::slice::from_ref(input))
            .await?;
        Ok(sent.remove(0))
    }

    /// Refers the person to several services at once, all or nothing: every input is checked
    /// first (errors named with each input's `field_prefix`), and only then is anything written.
    pub async fn refer_onward_many(
        &self,
        referral_id: &str,
        inputs: &[ReferOnInput],
    ) -> Result<Vec<ReferredOn>> {
        self.grant(Action::ReferOnward)?;
        if inputs.is_empty() {
            return Err(StorageError::invalid(
                "services",
                "Choose at least one service to refer to",
            ));
        }
        let mut tx = self.db().begin_write().await?;
        let referral = read_referral(&mut tx, referral_id).await?;
        let latest = history(&mut tx, referral_id).await?.into_iter().next();
        let mut errors = FieldErrors::new();
        let mut unique: Vec<&ReferOnInput> = Vec::new();
        for input in inputs {
            if !unique
                .iter()
                .any(|u| u.service_id.trim() == input.service_id.trim())
            {
                unique.push(input);
            }
        }
        let mut checked = Vec::new();
        for input in &unique {
            let c = self
                .check_refer_on(&mut tx, &referral, latest.is_some(), input, &mut errors)
                .await?;
            checked.push(c);
        }
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let (Some(latest), Some(checked)) =
            (latest, checked.into_iter().collect::<Option<Vec<_>>>())
        else {
            return Err(StorageError::NotFound("service"));
        };
        let mut results = Vec::new();
        for (input, c) in unique.into_iter().zip(checked) {
            results.push(
                self.write_refer_on(&mut tx, &referral, &latest, input, c, None)
                    .await?,
            );
        }
        tx.commit().await?;
        Ok(results)
    }

    async fn refer_onward_in(
        &self,
        tx: &mut WriteTx,
        referral_id: &str,
        input: &ReferOnInput,
        rerouted_from: Option<&str>,
    ) -> Result<ReferredOn> {
        let referral = read_referral(tx, referral_id).await?;
        let latest = history(tx, referral_id).await?.into_iter().next();
        let mut errors = FieldErrors::new();
        let checked = self
            .check_refer_on(tx, &referral, latest.is_some(), input, &mut errors)
            .await?;
        match (checked, latest) {
            (Some(c), Some(latest)) if errors.is_empty() => {
                self.write_refer_on(tx, &referral, &latest, input, c, rerouted_from)
                    .await
            }
            _ => Err(StorageError::Invalid(errors)),
        }
    }

    /// Checks one referral on before anything is written: the service takes referrals through
    /// Harbour, is not already working this referral, the consent is complete, the referral
    /// is triaged. Problems go into `errors`, named with the input's prefix.
    async fn check_refer_on(
        &self,
        tx: &mut WriteTx,
        referral: &ReferralView,
        triaged: bool,
        input: &ReferOnInput,
        errors: &mut FieldErrors,
    ) -> Result<Option<Checked>> {
        let prefix = &input.field_prefix;
        let field = |f: &str| format!("{prefix}{f}");
        let today = uk_date(Utc::now());
        let service_id = input.service_id.trim();
        let target = match service(tx, service_id).await {
            Ok(s) => Some(s),
            Err(StorageError::NotFound(_)) => {
                errors.add(&field("service_id"), "Choose a service from the list");
                None
            }
            Err(e) => return Err(e),
        };
        if let Some(s) = &target {
            if s.status != "active" {
                errors.add(
                    &field("service_id"),
                    format!("{} is not taking referrals at present", s.name),
                );
            } else if s.agency_id.is_none() {
                errors.add(
                    &field("service_id"),
                    format!(
                        "{} does not receive referrals through Harbour; use its referral route in the directory",
                        s.name
                    ),
                );
            }
            let open = sqlx::query(
                "SELECT sent_at FROM onward_referrals WHERE referral_id = $1 AND service_id = $2 \
                 AND state NOT IN ('rerouted', 'closed', 'withdrawn', 'declined') LIMIT 1",
            )
            .bind(&referral.id)
            .bind(service_id)
            .fetch_optional(tx.conn())
            .await?;
            if let Some(row) = open {
                let sent: String = row.try_get("sent_at")?;
                errors.add(
                    &field("service_id"),
                    format!(
                        "{} already has this referral (sent {}); it cannot be sent twice",
                        s.name,
                        &sent[..10]
                    ),
                );
            }
        }
        let consent = input.consent.validate(
            &field("consent/"),
            today,
            self.may(Action::ShareWithoutConsent),
            errors,
        );
        check_fields(&[(&field("note"), "The note", &input.note, true)], errors);
        if input.note.chars().count() > 4000 {
            errors.add(&field("note"), "The note must be 4,000 characters or fewer");
        }
        if input
            .sent_at
            .is_some_and(|t| t > Utc::now() + chrono::Duration::minutes(1))
        {
            errors.add(
                &field("sent_at"),
                "The time it was sent cannot be in the future",
            );
        }
        if !triaged {
            errors.add(
                &field("service_id"),
                "Triage the referral before referring the person on",
            );
            return Ok(None);
        }
        Ok(match (target, consent) {
            (Some(target), Some(consent)) => Some(Checked { target, consent }),
            _ => None,
        })
    }

    async fn write_refer_on(
        &self,
        tx: &mut WriteTx,
        referral: &ReferralView,
        latest: &crate::triage::TriageRecord,
        input: &ReferOnInput,
        checked: Checked,
        rerouted_from: Option<&str>,
    ) -> Result<ReferredOn> {
        let Checked { target, consent } = checked;
        let referral_id = referral.id.as_str();
        let sent = input.sent_at.unwrap_or_else(Utc::now);
        let at = format_time(sent);
        let today = uk_date(sent);
        let Some(recipient) = target.agency_id.clone() else {
            return Err(StorageError::NotFound("service"));
        };
        let user = self.user_id()?;

        let consent_id = new_id();
        let (basis, justification, until) = match &consent {
            Consent::Override {
                basis,
                justification,
                ..
            } => (Some(basis.slug()), Some(justification.clone()), None),
            Consent::Given { until, .. } => (None, None, until.map(|d| d.to_string())),
            Consent::Refused => (None, None, None),
        };
        sqlx::query(
            "INSERT INTO consents (id, person_id, referral_id, organization_id, decision, shares, valid_until, \
             legal_basis, justification, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&consent_id)
        .bind(&referral.person_id)
        .bind(referral_id)
        .bind(&target.organization_id)
        .bind(consent.slug())
        .bind(to_json(&consent_shares(&consent))?)
        .bind(until)
        .bind(basis)
        .bind(justification)
        .bind(&user)
        .bind(&at)
        .execute(tx.conn())
        .await?;
        self.audit(
            tx,
            AuditAction::Create,
            "consent",
            Some(&consent_id),
            &format!("record consent ({}) for a referral on", consent.slug()),
        )
        .await?;
        if !consent.permits_referral(today) {
            return Ok(ReferredOn::ConsentRefused);
        }

        let id = new_id();
        let tier = ServiceTier::from_slug(&latest.tier);
        let risk = RiskLevel::from_slug(&latest.risk_level);
        sqlx::query(
            "INSERT INTO onward_referrals (id, referral_id, person_id, service_id, recipient_agency_id, sender_agency_id, \
             sent_by, sent_at, consent_id, state, state_at, tier, risk_level, circumstances, returned_at, note, \
             rerouted_from, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8, $11, $12, $13, $14, $15, $16, $8)",
        )
        .bind(&id)
        .bind(referral_id)
        .bind(&referral.person_id)
        .bind(input.service_id.trim())
        .bind(&recipient)
        .bind(&self.actor().agency_id)
        .bind(&user)
        .bind(&at)
        .bind(&consent_id)
        .bind(State::Sent.slug())
        .bind(tier.map(ServiceTier::slug))
        .bind(risk.map(RiskLevel::slug))
        .bind(to_json(&input.circumstances)?)
        .bind(input.returned_at.map(format_time))
        .bind(input.note.trim())
        .bind(rerouted_from)
        .execute(tx.conn())
        .await?;
        self.record_event(tx, &id, "send", None, State::Sent, None, None, &at)
            .await?;

        let received = parse_time(&referral.received_at)?;
        let case = Case {
            service_id: input.service_id.trim(),
            tier,
            risk,
            crime: referral.crime_category,
            circumstances: &input.circumstances,
            sent_at: sent,
            received_at: received,
            returned_at: input.returned_at,
        };
        let rules = deadline::default_rules();
        for due in deadline::deadlines(&rules, &case, &WorkingDays::england_and_wales()) {
            sqlx::query(
                "INSERT INTO onward_deadlines (onward_referral_id, milestone, due_at, rule_id, rule_name) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&id)
            .bind(due.milestone.slug())
            .bind(format_time(due.due_at))
            .bind(&due.rule_id)
            .bind(&due.rule_name)
            .execute(tx.conn())
            .await?;
        }
        refresh_next_due(tx, &id).await?;
        sqlx::query("UPDATE referrals SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(Status::ReferredOn.slug())
            .bind(&at)
            .bind(referral_id)
            .execute(tx.conn())
            .await?;
        match &consent {
            Consent::Override { basis, .. } => {
                self.audit(
                    tx,
                    AuditAction::ShareWithoutConsent,
                    "onward_referral",
                    Some(&id),
                    &format!(
                        "refer on without consent to {} (legal basis: {})",
                        target.name,
                        basis.slug()
                    ),
                )
                .await?;
            }
            _ => {
                self.audit(
                    tx,
                    AuditAction::Create,
                    "onward_referral",
                    Some(&id),
                    &format!("refer on to {}", target.name),
                )
                .await?;
            }
        }
        crate::jobs::notify_agency(
            tx,
            &recipient,
            Some(Role::Caseworker),
            Event::Received,
            &id,
            &format!("received:{id}"),
        )
        .await?;
        Ok(ReferredOn::Sent { id })
    }

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
        .bind(note)
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

    /// Takes a step on an onward referral: checks who may take it and whether it can be taken
    /// now, records who and when, meets the deadlines it meets.
    pub async fn take_step(&self, id: &str, input: &StepInput) -> Result<State> {
        if !self.may(Action::ReferOnward) {
            self.grant(Action::ReceiveReferrals)?;
        }
        let mut errors = FieldErrors::new();
        let Some(step) = Step::from_slug(&input.step) else {
            errors.add("step", "Choose what to do from the list");
            return Err(StorageError::Invalid(errors));
        };
        let mut tx = self.db().begin_write().await?;
        let (row, party) = self.onward_row(&mut tx, id).await?;
        let from: String = row.try_get("state")?;
        let from = parse(&from, "onward state", State::from_slug)?;
        let to = transition(from, step, party)
            .map_err(|e| StorageError::invalid("step", &e.to_string()))?;
        let note = input.note.trim();
        check_fields(&[("note", "The note", note, true)], &mut errors);
        if note.chars().count() > 4000 {
            errors.add("note", "The note must be 4,000 characters or fewer");
        }
        let mut reason = None;
        match step {
            Step::Decline => match DeclineReason::from_slug(&input.reason) {
                Some(DeclineReason::Other) if note.is_empty() => {
                    errors.add("note", "Say why the referral is declined");
                }
                Some(r) => reason = Some(r.slug()),
                None => errors.add("reason", "Choose why the referral is declined"),
            },
            Step::RecordOutcome => match Outcome::from_slug(&input.outcome) {
                Some(o) => reason = Some(o.slug()),
                None => errors.add("outcome", "Choose how support ended"),
            },
            Step::Withdraw if note.is_empty() => {
                errors.add("note", "Say why the referral is withdrawn");
            }
            Step::Reroute if input.reroute.is_none() => {
                errors.add(
                    "service_id",
                    "Choose the service to re-route the referral to",
                );
            }
            _ => {}
        }
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let at = now();
        let note = (!note.is_empty()).then_some(note);
        let changed = sqlx::query(
            "UPDATE onward_referrals SET state = $1, state_at = $2, updated_at = $2 WHERE id = $3 AND state = $4",
        )
        .bind(to.slug())
        .bind(&at)
        .bind(id)
        .bind(from.slug())
        .execute(tx.conn())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StorageError::invalid(
                "step",
                "Someone else changed this referral at the same moment; look at it again",
            ));
        }
        match step {
            Step::Decline => {
                sqlx::query("UPDATE onward_referrals SET decline_reason = $1, decline_note = $2 WHERE id = $3")
                    .bind(reason)
                    .bind(note)
                    .bind(id)
                    .execute(tx.conn())
                    .await?;
            }
            Step::RecordOutcome => {
                sqlx::query(
                    "UPDATE onward_referrals SET outcome = $1, outcome_note = $2 WHERE id = $3",
                )
                .bind(reason)
                .bind(note)
                .bind(id)
                .execute(tx.conn())
                .await?;
            }
            _ => {}
        }
        // Any answer from the service meets "acknowledge"; a final state ends every deadline.
        if party == Party::Recipient {
            meet(&mut tx, id, Milestone::Acknowledge, &at).await?;
        }
        if to.is_final() {
            sqlx::query(
                "UPDATE onward_deadlines SET met_at = $2 WHERE onward_referral_id = $1 AND met_at IS NULL",
            )
            .bind(id)
            .bind(&at)
            .execute(tx.conn())
            .await?;
        }
        refresh_next_due(&mut tx, id).await?;
        self.record_event(&mut tx, id, step.slug(), Some(from), to, reason, note, &at)
            .await?;
        // The other side hears of it: by e-mail when it must act (a decline for the sender to
        // re-route or close; a withdrawal for the service), and always by webhook.
        let (other, email_role) = match party {
            Party::Recipient => (
                row.try_get::<String, _>("sender_agency_id")?,
                (to == State::Declined).then_some(Role::TriageOfficer),
            ),
            Party::Sender => (
                row.try_get::<String, _>("recipient_agency_id")?,
                (to == State::Withdrawn).then_some(Role::Caseworker),
            ),
        };
        crate::jobs::notify_agency(
            &mut tx,
            &other,
            email_role,
            Event::Changed { state: to },
            id,
            &format!("{}:{id}", to.slug()),
        )
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "onward_referral",
            Some(id),
            &format!("onward referral: {}", step.slug()),
        )
        .await?;
        if let (Step::Reroute, Some(next)) = (step, &input.reroute) {
            let referral_id: String = row.try_get("referral_id")?;
            match self
                .refer_onward_in(&mut tx, &referral_id, next, Some(id))
                .await?
            {
                ReferredOn::Sent { .. } => {}
                ReferredOn::ConsentRefused => {
                    return Err(StorageError::invalid(
                        "consent/decision",
                        "The person refused consent for that organisation, so the referral cannot be re-routed there",
                    ));
                }
            }
        }
        tx.commit().await?;
        Ok(to)
    }

    /// The partner inbox: onward referrals to the actor's agency, those awaiting an answer
    /// first, then by the next deadline, oldest first.
    pub async fn inbox(&self, include_finished: bool) -> Result<Vec<OnwardSummary>> {
        self.grant(Action::ReceiveReferrals)?;
        self.onward_list(
            "o.recipient_agency_id = $1",
            include_finished,
            "view the partner inbox",
        )
        .await
    }

    /// The hub's follow-up list: every onward referral the actor's agency sent that is not
    /// finished (or all of them), ordered the same way, so overdue ones come first.
    pub async fn sent_onward(&self, include_finished: bool) -> Result<Vec<OnwardSummary>> {
        self.grant(Action::ReferOnward)?;
        self.onward_list(
            "o.sender_agency_id = $1",
            include_finished,
            "view onward referrals sent",
        )
        .await
    }

    async fn onward_list(
        &self,
        which: &str,
        include_finished: bool,
        purpose: &str,
    ) -> Result<Vec<OnwardSummary>> {
        let mut tx = self.db().begin_write().await?;
        let sql = format!(
            "{SUMMARY_SELECT} WHERE {which} {} \
             ORDER BY CASE WHEN o.state IN ('sent', 'acknowledged') THEN 0 ELSE 1 END, \
             CASE WHEN o.next_due_at IS NULL THEN 1 ELSE 0 END, o.next_due_at, o.sent_at LIMIT 500",
            if include_finished {
                ""
            } else {
                "AND o.state NOT IN ('rerouted', 'closed', 'withdrawn')"
            }
        );
        let list = summaries(&mut tx, &sql, &self.actor().agency_id).await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "onward_referral",
            None,
            &format!("{purpose} ({} referrals)", list.len()),
        )
        .await?;
        tx.commit().await?;
        Ok(list)
    }

    /// The onward referrals made from one referral, for the hub's triage page and the
    /// referrer's view of what happened.
    pub async fn onward_for_referral(&self, referral_id: &str) -> Result<Vec<OnwardSummary>> {
        if !self.may(Action::ReferOnward) {
            // The referrer sees what became of their own referral.
            self.own_referral(referral_id).await?;
        }
        let mut tx = self.db().begin_write().await?;
        let sql = format!("{SUMMARY_SELECT} WHERE o.referral_id = $1 ORDER BY o.sent_at");
        let list = summaries(&mut tx, &sql, referral_id).await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral",
            Some(referral_id),
            "view onward referrals",
        )
        .await?;
        tx.commit().await?;
        Ok(list)
    }

    /// One onward referral, cut to what the actor may see.
    pub async fn onward_referral(&self, id: &str) -> Result<OnwardView> {
        if !self.may(Action::ReferOnward) {
            self.grant(Action::ReceiveReferrals)?;
        }
        let mut tx = self.db().begin_write().await?;
        let row = sqlx::query(&format!("{SUMMARY_SELECT} WHERE o.id = $1"))
            .bind(id)
            .fetch_optional(tx.conn())
            .await?
            .ok_or(StorageError::NotFound("onward referral"))?;
        let party = self.party_for(&row)?;
        let now_text = now();
        let summary = summary_from(&row, &now_text)?;
        let referral = read_referral(&mut tx, &summary.referral_id).await?;
        let decisions = history(&mut tx, &summary.referral_id).await?;
        let latest = decisions.first();
        let consent_row = sqlx::query("SELECT * FROM consents WHERE id = $1")
            .bind(row.try_get::<String, _>("consent_id")?)
            .fetch_one(tx.conn())
            .await?;
        let consent = ConsentRecord {
            decision: consent_row.try_get("decision")?,
            shares: from_json(&consent_row.try_get::<String, _>("shares")?)?,
            valid_until: consent_row.try_get("valid_until")?,
            legal_basis: consent_row
                .try_get::<Option<String>, _>("legal_basis")?
                .as_deref()
                .and_then(LegalBasis::from_slug),
            justification: consent_row.try_get("justification")?,
            recorded_at: consent_row.try_get("recorded_at")?,
        };
        let today = uk_date(Utc::now());
        let shares: Vec<Share> = match party {
            Party::Sender => Share::ALL.to_vec(),
            Party::Recipient if summary.state.taken_on() => {
                let lapsed = consent
                    .valid_until
                    .as_deref()
                    .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
                    .is_some_and(|d| d < today);
                if lapsed {
                    Vec::new()
                } else {
                    consent.shares.clone()
                }
            }
            Party::Recipient => Vec::new(),
        };
        let shared = shared_details(&referral, latest, &shares);
        let events = sqlx::query(
            "SELECT e.*, COALESCE(u.display_name, 'Harbour') AS by_name, a.name AS agency_name FROM onward_events e \
             LEFT JOIN users u ON u.id = e.by_user JOIN agencies a ON a.id = e.by_agency \
             WHERE e.onward_referral_id = $1 ORDER BY e.at, e.id",
        )
        .bind(id)
        .fetch_all(tx.conn())
        .await?
        .iter()
        .map(|r| {
            let to: String = r.try_get("to_state")?;
            Ok(EventRecord {
                step: r.try_get("step")?,
                to_state: parse(&to, "onward state", State::from_slug)?,
                by: r.try_get("by_name")?,
                agency: r.try_get("agency_name")?,
                at: r.try_get("at")?,
                reason: r.try_get("reason")?,
                note: r.try_get("note")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let deadlines = sqlx::query(
            "SELECT * FROM onward_deadlines WHERE onward_referral_id = $1 ORDER BY due_at",
        )
        .bind(id)
        .fetch_all(tx.conn())
        .await?
        .iter()
        .map(|r| {
            let m: String = r.try_get("milestone")?;
            let due_at: String = r.try_get("due_at")?;
            let met_at: Option<String> = r.try_get("met_at")?;
            Ok(DeadlineRecord {
                milestone: parse(&m, "milestone", Milestone::from_slug)?,
                overdue: met_at.is_none() && due_at < now_text,
                due_at,
                rule_name: r.try_get("rule_name")?,
                met_at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let (safe_contact, suspended) =
            match contact_rules(&mut tx, party, summary.state, &referral.person_id).await? {
                Ok((safe, suspended)) => (Some(safe), suspended),
                Err(_) => (None, Vec::new()),
            };
        let attempts = sqlx::query(
            "SELECT c.*, COALESCE(u.display_name, 'Harbour') AS by_name, a.name AS agency_name \
             FROM contact_attempts c LEFT JOIN users u ON u.id = c.made_by \
             JOIN agencies a ON a.id = c.agency_id WHERE c.onward_referral_id = $1 ORDER BY c.made_at, c.id",
        )
        .bind(id)
        .fetch_all(tx.conn())
        .await?
        .iter()
        .map(|r| {
            let channel: String = r.try_get("channel")?;
            let result: String = r.try_get("result")?;
            Ok(AttemptRecord {
                channel: parse(&channel, "channel", Channel::from_slug)?,
                result: parse(&result, "attempt result", AttemptResult::from_slug)?,
                note: r.try_get("note")?,
                reason: r.try_get("override_reason")?,
                by: r.try_get("by_name")?,
                agency: r.try_get("agency_name")?,
                at: r.try_get("made_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let purpose = match (party, shares.is_empty()) {
            (Party::Sender, _) => "read an onward referral (sender)".to_owned(),
            (Party::Recipient, true) => "read an onward referral (minimum shared)".to_owned(),
            (Party::Recipient, false) => format!(
                "read an onward referral (shared by consent: {})",
                shares
                    .iter()
                    .map(|s| s.slug())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        self.audit(
            &mut tx,
            AuditAction::Read,
            "onward_referral",
            Some(id),
            &purpose,
        )
        .await?;
        tx.commit().await?;
        Ok(OnwardView {
            steps: steps_open_to(summary.state, party),
            party,
            age: referral.person.age_on(today),
            needs: latest.map(|d| d.needs.clone()).unwrap_or_default(),
            crime_category: referral.crime_category,
            note: row.try_get("note")?,
            safe_contact,
            suspended,
            consent,
            shared,
            events,
            deadlines,
            attempts,
            summary,
        })
    }
}

/// An attempt to contact the person on an onward referral, as logged.
#[derive(Debug, Clone, Default)]
pub struct AttemptInput {
    pub channel: String,
    pub result: String,
    pub note: String,
    /// Why contact was made when the gate would have refused it then.
    pub reason: String,
}

impl ScopedStore {
    /// Asks the contact gate whether the person on an onward referral may be contacted by
    /// `channel` now, and at which number or address.
    pub async fn contact_permit(
        &self,
        id: &str,
        channel: Channel,
    ) -> Result<std::result::Result<Permit, Refusal>> {
        let view = self.onward_referral(id).await?;
        Ok(match &view.safe_contact {
            Some(safe) => contact_gate::decide(safe, &view.suspended, channel, Utc::now()),
            None => Err(Refusal::NotWorkingReferral),
        })
    }

    /// Logs an attempt to contact the person on an onward referral. An unsafe or wrong-number
    /// result suspends the channel until someone reviews it; any attempt meets the first
    /// contact attempt deadline, speaking to the person the first contact one.
    pub async fn record_contact_attempt(&self, id: &str, input: &AttemptInput) -> Result<()> {
        self.grant(Action::RecordContact)?;
        let mut errors = FieldErrors::new();
        let channel = Channel::from_slug(&input.channel);
        if channel.is_none() {
            errors.add("channel", "Choose how contact was attempted");
        }
        let result = AttemptResult::from_slug(&input.result);
        if result.is_none() {
            errors.add("result", "Choose what happened");
        }
        check_fields(
            &[
                ("note", "The note", &input.note, true),
                ("reason", "The reason", &input.reason, true),
            ],
            &mut errors,
        );
        if input.note.chars().count() > 2000 {
            errors.add("note", "The note must be 2,000 characters or fewer");
        }
        let (Some(channel), Some(result)) = (channel, result) else {
            return Err(StorageError::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let mut tx = self.db().begin_write().await?;
        let (row, party) = self.onward_row(&mut tx, id).await?;
        let person_id: String = row.try_get("person_id")?;
        let (safe, suspended) = contact_rules_for_row(&mut tx, &row, party).await?;
        let reason = input.reason.trim();
        let refused = contact_gate::decide(&safe, &suspended, channel, Utc::now()).err();
        if let Some(refusal) = &refused
            && reason.is_empty()
        {
            return Err(StorageError::invalid(
                "reason",
                &contact_gate::attempt_reason_prompt(refusal),
            ));
        }
        if reason.chars().count() > 2000 {
            return Err(StorageError::invalid(
                "reason",
                "The reason must be 2,000 characters or fewer",
            ));
        }
        let at = now();
        let attempt_id = new_id();
        sqlx::query(
            "INSERT INTO contact_attempts (id, person_id, onward_referral_id, channel, result, note, made_by, agency_id, made_at, override_reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&attempt_id)
        .bind(&person_id)
        .bind(id)
        .bind(channel.slug())
        .bind(result.slug())
        .bind(input.note.trim())
        .bind(&self.actor().user_id)
        .bind(&self.actor().agency_id)
        .bind(&at)
        .bind(refused.is_some().then_some(reason))
        .execute(tx.conn())
        .await?;
        if result.suspends_channel() {
            sqlx::query(
                "INSERT INTO contact_suspensions (id, person_id, channel, attempt_id, suspended_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(new_id())
            .bind(&person_id)
            .bind(channel.slug())
            .bind(&attempt_id)
            .bind(&at)
            .execute(tx.conn())
            .await?;
        }
        for m in milestones_met_by(result) {
            meet(&mut tx, id, m, &at).await?;
        }
        refresh_next_due(&mut tx, id).await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "contact_attempt",
            Some(&attempt_id),
            &format!(
                "log a contact attempt ({}, {})",
                channel.slug(),
                result.slug()
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lifts the suspension of a channel for the person on an onward referral, after review.
    pub async fn review_channel(&self, id: &str, channel: Channel, note: &str) -> Result<()> {
        self.grant(Action::RecordContact)?;
        let note = note.trim();
        let mut errors = FieldErrors::new();
        check_fields(&[("review_note", "The reason", note, true)], &mut errors);
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        if note.chars().count() < 10 {
            return Err(StorageError::invalid(
                "review_note",
                "Say why the channel is safe to use again (at least 10 characters)",
            ));
        }
        let mut tx = self.db().begin_write().await?;
        let (row, _) = self.onward_row(&mut tx, id).await?;
        let person_id: String = row.try_get("person_id")?;
        sqlx::query(
            "UPDATE contact_suspensions SET reviewed_by = $1, reviewed_at = $2, review_note = $3 \
             WHERE person_id = $4 AND channel = $5 AND reviewed_at IS NULL",
        )
        .bind(&self.actor().user_id)
        .bind(now())
        .bind(note)
        .bind(&person_id)
        .bind(channel.slug())
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "person",
            Some(&person_id),
            &format!("review a suspended contact channel ({})", channel.slug()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The contact gate's rules for one side of an onward referral: the person's, unless the side
/// asking is a service that declined it or whose part has ended, which gets no way to contact them.
async fn contact_rules(
    tx: &mut WriteTx,
    party: Party,
    state: State,
    person_id: &str,
) -> Result<std::result::Result<(SafeContact, Vec<Channel>), Refusal>> {
    if party == Party::Recipient && !state.recipient_works_it() {
        return Ok(Err(Refusal::NotWorkingReferral));
    }
    Ok(Ok(
        crate::person_details::person_contact(tx, person_id).await?
    ))
}

/// [`contact_rules`] for the onward referral in `row`, for a step that contacts the person: a
/// side with no way to contact them is refused, naming the channel field.
async fn contact_rules_for_row(
    tx: &mut WriteTx,
    row: &AnyRow,
    party: Party,
) -> Result<(SafeContact, Vec<Channel>)> {
    let state: String = row.try_get("state")?;
    let state = parse(&state, "onward state", State::from_slug)?;
    let person_id: String = row.try_get("person_id")?;
    contact_rules(tx, party, state, &person_id)
        .await?
        .map_err(|refusal| StorageError::invalid("channel", &refusal.message()))
}

/// The channels suspended for a person by an unsafe or wrong-number attempt not yet reviewed.
pub(crate) async fn suspended_channels(tx: &mut WriteTx, person_id: &str) -> Result<Vec<Channel>> {
    Ok(sqlx::query(
        "SELECT DISTINCT channel FROM contact_suspensions WHERE person_id = $1 AND reviewed_at IS NULL",
    )
    .bind(person_id)
    .fetch_all(tx.conn())
    .await?
    .iter()
    .filter_map(|r| Channel::from_slug(&r.try_get::<String, _>("channel").ok()?))
    .collect())
}

fn shared_details(
    referral: &ReferralView,
    latest: Option<&crate::triage::TriageRecord>,
    shares: &[Share],
) -> SharedDetails {
    let has = |s: Share| shares.contains(&s);
    // The details held (confirmed), not what this referral first said.
    let p = &referral.held.person;
    let mut d = SharedDetails::default();
    if has(Share::Identity) {
        d.full_name = Some(p.full_name());
        d.date_of_birth = p.date_of_birth.map(|x| x.to_string());
        d.address = Some(p.address.clone());
        d.postcode = Some(p.postcode.clone());
    }
    if has(Share::Incident) {
        d.incident_date = referral.incident_date.map(|x| x.to_string());
        d.police_reference = referral.police_reference.clone();
        d.referral_notes = Some(referral.notes.clone());
    }
    if has(Share::Perpetrators) {
        d.perpetrators = Some(referral.perpetrators.clone());
    }
    if has(Share::Children) {
        d.children = Some(referral.children.clone());
    }
    if has(Share::RiskAssessment) {
        d.risk_score = latest.and_then(|l| l.risk_score);
        d.marac_referral = latest.map(|l| l.marac.met());
    }
    if has(Share::Circumstances) {
        d.language = Some(p.language.clone());
        d.interpreter_needed = Some(p.interpreter_needed);
        d.disability = Some(p.disability.clone());
    }
    d
}

/// What the attempt results mean for deadlines: any attempt meets "first contact attempt";
/// speaking to the person also meets "first contact" and the return-home interview.
pub(crate) fn milestones_met_by(result: AttemptResult) -> Vec<Milestone> {
    let mut m = vec![Milestone::FirstContactAttempt];
    if result.made_contact() {
        m.push(Milestone::FirstContact);
        m.push(Milestone::ReturnHomeInterview);
    }
    m
}

/// A service the hub can refer to through Harbour: active, and run by an organisation with an
/// agency (an inbox) here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referable {
    pub service_id: String,
    pub service_name: String,
    pub organization_id: String,
    pub organization_name: String,
}

impl ScopedStore {
    /// Every service that receives referrals through Harbour, by name.
    pub async fn referable_services(&self) -> Result<Vec<Referable>> {
        self.grant(Action::ReferOnward)?;
        let rows = sqlx::query(
            "SELECT s.id, s.name, o.id AS organization_id, o.name AS organization_name \
             FROM dir_services s JOIN dir_organizations o ON o.id = s.organization_id \
             WHERE s.status = 'active' AND o.agency_id IS NOT NULL ORDER BY s.name",
        )
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Referable {
                    service_id: r.try_get("id")?,
                    service_name: r.try_get("name")?,
                    organization_id: r.try_get("organization_id")?,
                    organization_name: r.try_get("organization_name")?,
                })
            })
            .collect()
    }
}

/// When a message to the person will go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageQueued {
    Now,
    /// Not a safe time now: it waits for the next safe time.
    At(DateTime<Utc>),
}

impl ScopedStore {
    /// Queues a message to the person on an onward referral, if the contact gate allows the
    /// channel. Outside their safe times it waits for the next one; the gate is asked again
    /// when it is sent. Harbour sends e-mail itself; other channels are the service's own.
    pub async fn send_message(
        &self,
        id: &str,
        channel: &str,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<MessageQueued> {
        self.grant(Action::RecordContact)?;
        let Some(channel) = Channel::from_slug(channel) else {
            return Err(StorageError::invalid("channel", "Choose how to send it"));
        };
        if channel != Channel::Email {
            return Err(StorageError::invalid(
                "channel",
                "Harbour sends e-mail only; use your service's phone for calls and texts",
            ));
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(StorageError::invalid("text", "Enter the message"));
        }
        if let Some(problem) = harbour_domain::validation::text_problem(text, true) {
            return Err(StorageError::invalid(
                "text",
                &format!("The message {problem}"),
            ));
        }
        if text.chars().count() > 2000 {
            return Err(StorageError::invalid(
                "text",
                "The message must be 2,000 characters or fewer",
            ));
        }
        let mut tx = self.db().begin_write().await?;
        let (row, party) = self.onward_row(&mut tx, id).await?;
        let (safe, suspended) = contact_rules_for_row(&mut tx, &row, party).await?;
        let queued = match contact_gate::decide(&safe, &suspended, channel, at) {
            Ok(_) => MessageQueued::Now,
            Err(Refusal::OutsideSafeTimes { next: Some(t) }) => MessageQueued::At(t),
            Err(refusal) => {
                return Err(StorageError::invalid("channel", &refusal.message()));
            }
        };
        let run_at = match queued {
            MessageQueued::Now => at,
            MessageQueued::At(t) => t,
        };
        crate::jobs::enqueue(
            &mut tx,
            &crate::jobs::Work::PersonMessage {
                onward_referral_id: id.to_owned(),
                channel,
                subject: "A message for you".to_owned(),
                text: text.to_owned(),
            },
            None,
            run_at,
        )
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "person_message",
            Some(id),
            &format!("queue a message to the person ({})", channel.slug()),
        )
        .await?;
        tx.commit().await?;
        Ok(queued)
    }
}

/// A message to the person queued through Harbour, and how it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub channel: Channel,
    pub text: String,
    pub queued_at: String,
    /// When it is (or was last) due.
    pub due_at: String,
    pub done_at: Option<String>,
    /// "delivered", or why it was held back.
    pub outcome: Option<String>,
}

impl ScopedStore {
    /// The messages queued to the person on an onward referral, newest first.
    pub async fn messages(&self, id: &str) -> Result<Vec<MessageRecord>> {
        self.grant(Action::RecordContact)?;
        let mut tx = self.db().begin_write().await?;
        self.onward_row(&mut tx, id).await?;
        let rows = sqlx::query(
            "SELECT payload, created_at, run_at, done_at, outcome FROM jobs \
             WHERE onward_referral_id = $1 AND kind = 'person_message' ORDER BY created_at DESC",
        )
        .bind(id)
        .fetch_all(tx.conn())
        .await?;
        let mut list = Vec::new();
        for r in &rows {
            let work: crate::jobs::Work = from_json(&r.try_get::<String, _>("payload")?)?;
            if let crate::jobs::Work::PersonMessage { channel, text, .. } = work {
                list.push(MessageRecord {
                    channel,
                    text,
                    queued_at: r.try_get("created_at")?,
                    due_at: r.try_get("run_at")?,
                    done_at: r.try_get("done_at")?,
                    outcome: r.try_get("outcome")?,
                });
            }
        }
        self.audit(
            &mut tx,
            AuditAction::Read,
            "person_message",
            Some(id),
            &format!("view messages to the person ({})", list.len()),
        )
        .await?;
        tx.commit().await?;
        Ok(list)
    }
}
