//! Triage decisions and the instruments they use.

use crate::db::{Db, Stamp, WriteTx, new_id, now, to_json};
use crate::definitions::{self, Kind};
use crate::error::{Result, StorageError};
use crate::referrals::{ReferralView, from_json, read_referral};
use crate::scoped::ScopedStore;
use crate::sealed::{self, Opened};
use chrono::{Months, NaiveDate};
use harbour_domain::audit::AuditAction;
use harbour_domain::calendar::uk_date;
use harbour_domain::entitlement::{EntitlementProposal, propose};
use harbour_domain::ids::ReferralId;
use harbour_domain::instrument::Instrument;
use harbour_domain::marac::{MaracCriteria, MaracFacts, assess};
use harbour_domain::permission::Action;
use harbour_domain::triage::{TriageDecision, TriageFacts, TriageInput};
use serde::Serialize;
use sqlx::{FromRow, Row};

/// The instrument triage uses: the newest active one, or the shipped demonstration checklist.
pub async fn active_instrument(db: &Db) -> Result<Instrument> {
    match definitions::active(db, Kind::Instrument).await? {
        Some(text) => {
            Instrument::from_toml(&text).map_err(|e| StorageError::Corrupt(e.to_string()))
        }
        None => Ok(Instrument::demo()),
    }
}

/// Loads an instrument file and makes it the one triage uses. A version already loaded is refused.
pub async fn import_instrument(db: &Db, text: &str) -> Result<Instrument> {
    let instrument =
        Instrument::from_toml(text).map_err(|e| StorageError::invalid("file", &e.0))?;
    definitions::load(
        db,
        Kind::Instrument,
        &instrument.id,
        instrument.version,
        &instrument.title,
        text,
    )
    .await?;
    Ok(instrument)
}

/// A recorded decision, for the history on the referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TriageRecord {
    pub id: String,
    pub decided_by: String,
    pub decided_at: chrono::DateTime<chrono::Utc>,
    pub entitlement: String,
    pub entitlement_override_reason: Option<String>,
    pub needs: Vec<String>,
    pub risk_score: Option<i64>,
    pub risk_level: String,
    pub judgement_reason: Option<String>,
    pub marac: MaracCriteria,
    pub tier: String,
    pub tier_reason: String,
}

/// What the triage page shows before the officer decides.
#[derive(Debug, Clone)]
pub struct TriageContext {
    pub referral: ReferralView,
    pub facts: TriageFacts,
    pub proposal: EntitlementProposal,
    /// The MARAC criteria from the records alone, before any checklist score.
    pub marac_from_records: MaracCriteria,
    pub instrument: Instrument,
    pub history: Vec<TriageRecord>,
}

async fn facts_for(tx: &mut WriteTx, referral: &ReferralView) -> Result<TriageFacts> {
    let incident_date = referral
        .incident_date
        .unwrap_or_else(|| uk_date(referral.received_at));
    let since = incident_date
        .checked_sub_months(Months::new(12))
        .unwrap_or(NaiveDate::MIN)
        .to_string();
    let police_incidents = sqlx::query(
        "SELECT incident_date FROM referrals WHERE person_id = $1 AND reported_to_police = $2 \
         AND incident_date IS NOT NULL AND incident_date > $3",
    )
    .bind(&referral.person_id)
    .bind(true)
    .bind(&since)
    .fetch_all(tx.conn())
    .await?
    .iter()
    .filter_map(|r| r.try_get::<String, _>("incident_date").ok()?.parse().ok())
    .collect();
    let previous_marac_referrals = sqlx::query(
        "SELECT t.decided_at FROM triage_decisions t JOIN referrals r ON r.id = t.referral_id \
         WHERE r.person_id = $1 AND t.marac_referral = $2 AND t.referral_id <> $3",
    )
    .bind(&referral.person_id)
    .bind(true)
    .bind(&referral.id)
    .fetch_all(tx.conn())
    .await?
    .iter()
    .filter_map(|r| {
        r.try_get::<String, _>("decided_at")
            .ok()?
            .get(..10)?
            .parse()
            .ok()
    })
    .collect::<Vec<NaiveDate>>();
    // And the MARAC cases she was referred to (by any agency, from any referral).
    let mut previous_marac_referrals = previous_marac_referrals;
    previous_marac_referrals.extend(
        sqlx::query("SELECT referred_at FROM marac_cases WHERE person_id = $1 AND (referral_id IS NULL OR referral_id <> $2)")
            .bind(&referral.person_id)
            .bind(&referral.id)
            .fetch_all(tx.conn())
            .await?
            .iter()
            .filter_map(|r| {
                r.try_get::<String, _>("referred_at")
                    .ok()?
                    .get(..10)?
                    .parse::<NaiveDate>()
                    .ok()
            }),
    );
    Ok(TriageFacts {
        crime: referral.crime_category,
        age_at_offence: referral.person.age_on(incident_date),
        incident_date,
        police_incidents,
        previous_marac_referrals,
    })
}

/// A triage decision as stored, with who made it.
#[derive(FromRow)]
struct TriageRow {
    id: String,
    display_name: String,
    decided_at: Stamp,
    entitlement: String,
    entitlement_override_reason: Option<Opened>,
    needs: String,
    risk_score: Option<i64>,
    risk_level: String,
    judgement_reason: Option<Opened>,
    marac: String,
    tier: String,
    tier_reason: Opened,
}

pub(crate) async fn history(
    tx: &mut WriteTx,
    referral_id: &ReferralId,
) -> Result<Vec<TriageRecord>> {
    let rows = sqlx::query(
        "SELECT t.*, u.display_name FROM triage_decisions t JOIN users u ON u.id = t.decided_by \
         WHERE t.referral_id = $1 ORDER BY t.decided_at DESC",
    )
    .bind(referral_id)
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|r| {
            let r = TriageRow::from_row(r)?;
            Ok(TriageRecord {
                id: r.id,
                decided_by: r.display_name,
                decided_at: r.decided_at.0,
                entitlement: r.entitlement,
                entitlement_override_reason: r.entitlement_override_reason.map(String::from),
                needs: from_json(&r.needs)?,
                risk_score: r.risk_score,
                risk_level: r.risk_level,
                judgement_reason: r.judgement_reason.map(String::from),
                marac: from_json(&r.marac)?,
                tier: r.tier,
                tier_reason: r.tier_reason.0,
            })
        })
        .collect()
}

impl ScopedStore {
    /// Everything the triage page needs for one referral.
    pub async fn triage_context(&self, referral_id: &ReferralId) -> Result<TriageContext> {
        self.grant(Action::TriageReferral)?;
        let instrument = active_instrument(self.db()).await?;
        let mut tx = self.db().begin_write().await?;
        let referral = read_referral(&mut tx, referral_id).await?;
        let facts = facts_for(&mut tx, &referral).await?;
        let history = history(&mut tx, referral_id).await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral",
            Some(referral_id.as_str()),
            "open referral for triage",
        )
        .await?;
        tx.commit().await?;
        let proposal = propose(&TriageInput::default().entitlement_facts(&facts));
        let marac_from_records = assess(&MaracFacts {
            score: None,
            high_risk_threshold: instrument.high_risk_threshold,
            professional_judgement: None,
            police_incidents: facts.police_incidents.clone(),
            previous_marac_referrals: facts.previous_marac_referrals.clone(),
            incident_date: facts.incident_date,
        });
        Ok(TriageContext {
            referral,
            facts,
            proposal,
            marac_from_records,
            instrument,
            history,
        })
    }

    /// Records a triage decision (kept beside any earlier ones) and moves the referral on.
    pub async fn triage(
        &self,
        referral_id: &ReferralId,
        input: &TriageInput,
    ) -> Result<TriageDecision> {
        self.grant(Action::TriageReferral)?;
        let by = self
            .actor()
            .user_id
            .clone()
            .ok_or(StorageError::NotFound("person"))?;
        let instrument = active_instrument(self.db()).await?;
        let mut tx = self.db().begin_write().await?;
        let referral = read_referral(&mut tx, referral_id).await?;
        let facts = facts_for(&mut tx, &referral).await?;
        let decision = input
            .decide(&facts, &instrument)
            .map_err(StorageError::Invalid)?;
        let keyring = tx.keyring()?;
        sqlx::query(
            "INSERT INTO triage_decisions (id, referral_id, decided_by, decided_at, entitlement, \
             entitlement_proposed, entitlement_reasons, entitlement_override_reason, needs, instrument_id, \
             instrument_version, risk_answers, risk_score, risk_scored_level, risk_level, judgement_reason, \
             marac, marac_referral, tier, tier_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17, $18, $19, $20)",
        )
        .bind(new_id())
        .bind(referral_id)
        .bind(&by)
        .bind(now())
        .bind(decision.entitlement.entitlement.slug())
        .bind(decision.entitlement.proposed.slug())
        .bind(to_json(&decision.entitlement.reasons)?)
        .bind(keyring.seal_opt(
            sealed::TRIAGE_OVERRIDE_REASON,
            decision.entitlement.override_reason.as_deref(),
        )?)
        .bind(to_json(&decision.needs.iter().map(|n| n.slug()).collect::<Vec<_>>())?)
        .bind(&instrument.id)
        .bind(i64::from(instrument.version))
        .bind(keyring.seal_json(sealed::TRIAGE_RISK_ANSWERS, &decision.answers)?)
        .bind(i64::from(decision.risk.score))
        .bind(decision.risk.scored_level.slug())
        .bind(decision.risk.level.slug())
        .bind(keyring.seal_opt(
            sealed::TRIAGE_JUDGEMENT_REASON,
            decision.risk.judgement_reason.as_deref(),
        )?)
        .bind(to_json(&decision.marac)?)
        .bind(decision.marac.met())
        .bind(decision.tier.slug())
        .bind(keyring.seal(sealed::TRIAGE_TIER_REASON, &decision.tier_reason)?)
        .execute(tx.conn())
        .await?;
        sqlx::query(
            "UPDATE referrals SET status = $1, risk_level = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(harbour_domain::referral::Status::Triaged.slug())
        .bind(decision.risk.level.slug())
        .bind(now())
        .bind(referral_id)
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "referral",
            Some(referral_id.as_str()),
            "record triage decision",
        )
        .await?;
        crate::reports::facts::touch(&mut tx, referral_id.as_str()).await?;
        tx.commit().await?;
        Ok(decision)
    }
}
