//! Referring a victim to MARAC from a triaged referral: the form's answers beside what Harbour
//! already holds (the criteria from triage, the perpetrators and children from the referral, not
//! typed again); a repeat found by person recognition's rules for the victim and perpetrators; the
//! case listed for the next meeting of the MARAC covering the victim's area with room.

use super::*;
use crate::db::{new_id, now, to_json};
use crate::referrals::read_referral;
use crate::sealed;
use crate::triage::history;
use chrono::{Datelike, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::calendar::uk_date;
use harbour_domain::ids::{MaracCaseId, MeetingId, ReferralId};
use harbour_domain::linkage::perpetrator::{Named, named, same};
use harbour_domain::marac::MaracCriteria;
use harbour_domain::marac::meeting::{CaseStatus, Slot, place};
use harbour_domain::marac::repeat::{Earlier, repeat_of};
use harbour_domain::referral::Perpetrator;
use harbour_domain::validation::FieldErrors;

/// The MARAC referral form's answers (the rest comes from the referral).
#[derive(Debug, Clone, Default)]
pub struct MaracReferralInput {
    /// Blank for the MARAC covering the victim's area.
    pub marac_id: String,
    pub referring_officer: String,
    /// Needed when the criteria from triage are not met.
    pub judgement_reason: String,
    /// `yes` or `no`.
    pub victim_aware: String,
    pub victim_consented: String,
    pub no_consent_reason: String,
    pub afraid_of: String,
    pub safe_to_talk: String,
    pub unsafe_to_talk: String,
    pub previous_maracs: String,
    /// `yes`, `no` or `not_known`.
    pub minoritised: String,
    pub lgbt: String,
    pub disabled: String,
    /// The IDVA service to refer her to as well, with consent for its organisation (errors
    /// named under `idva/`); none when she already has an IDVA.
    pub idva: Option<crate::onward::ReferOnInput>,
}

/// What a referral to MARAC did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referred {
    pub case: MaracCaseId,
    pub reference: String,
    /// The meeting it is listed for; none when the MARAC has none scheduled yet.
    pub meeting: Option<MeetingId>,
    /// The earlier MARAC case it repeats, within 12 months with the same perpetrator.
    pub repeat_of: Option<MaracCaseId>,
    /// The meeting is over its capacity with this case.
    pub over_capacity: bool,
    /// What became of the referral to the IDVA service, if one was asked for.
    pub idva: Option<crate::onward::ReferredOn>,
}

fn yes_no(errors: &mut FieldErrors, field: &str, value: &str, question: &str) -> Option<bool> {
    match value {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.add(field, question);
            None
        }
    }
}

fn known(errors: &mut FieldErrors, field: &str, value: &str) -> Option<Option<bool>> {
    match value {
        "yes" => Some(Some(true)),
        "no" => Some(Some(false)),
        "not_known" => Some(None),
        _ => {
            errors.add(field, "Answer yes, no or not known");
            None
        }
    }
}

fn long(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    let value = value.trim();
    if value.chars().count() > 4_000 {
        errors.add(field, "Keep this to 4,000 characters or fewer");
    }
    value.to_owned()
}

/// The perpetrators of a referral as recognition compares them.
fn perpetrators_named(list: &[Perpetrator], year: i32) -> Vec<Named> {
    list.iter().filter_map(|p| named(p, year)).collect()
}

impl ScopedStore {
    /// Refers the victim of a triaged referral to MARAC.
    pub async fn refer_to_marac(
        &self,
        referral: &ReferralId,
        input: &MaracReferralInput,
    ) -> Result<Referred> {
        self.grant(Action::ReferToMarac)?;
        let mut errors = FieldErrors::new();
        let officer = long(&mut errors, "referring_officer", &input.referring_officer);
        if officer.is_empty() {
            errors.add(
                "referring_officer",
                "Enter the referring officer's name and role",
            );
        }
        let aware = yes_no(
            &mut errors,
            "victim_aware",
            &input.victim_aware,
            "Say whether the victim knows of the referral",
        );
        let consented = yes_no(
            &mut errors,
            "victim_consented",
            &input.victim_consented,
            "Say whether the victim consented",
        );
        let no_consent_reason = long(&mut errors, "no_consent_reason", &input.no_consent_reason);
        if consented == Some(false) && no_consent_reason.is_empty() {
            errors.add(
                "no_consent_reason",
                "Say why the referral is made without consent",
            );
        }
        let afraid_of = long(&mut errors, "afraid_of", &input.afraid_of);
        if afraid_of.is_empty() {
            errors.add("afraid_of", "Say who the victim is afraid of");
        }
        let safe = long(&mut errors, "safe_to_talk", &input.safe_to_talk);
        let unsafe_ = long(&mut errors, "unsafe_to_talk", &input.unsafe_to_talk);
        let previous = long(&mut errors, "previous_maracs", &input.previous_maracs);
        let judgement = long(&mut errors, "judgement_reason", &input.judgement_reason);
        let minoritised = known(&mut errors, "minoritised", &input.minoritised);
        let lgbt = known(&mut errors, "lgbt", &input.lgbt);
        let disabled = known(&mut errors, "disabled", &input.disabled);

        let mut tx = self.db().begin_write().await?;
        self.may_refer_from(&mut tx, referral).await?;
        let view = read_referral(&mut tx, referral).await?;
        // Referring her on to an IDVA is the hub's: others leave it to the hub.
        let input_idva = input
            .idva
            .as_ref()
            .filter(|_| self.may(Action::ReferOnward));
        let criteria: Option<MaracCriteria> = history(&mut tx, referral)
            .await?
            .into_iter()
            .next()
            .map(|t| t.marac);
        // The MARAC: the one chosen, or the one covering the victim's area (else the incident's).
        let marac: Option<MaracId> = if input.marac_id.trim().is_empty() {
            let area = view
                .area
                .clone()
                .or_else(|| view.incident_area.clone())
                .unwrap_or_default();
            let covering: Vec<(MaracId, String)> =
                sqlx::query_as("SELECT id, areas FROM maracs ORDER BY name")
                    .fetch_all(tx.conn())
                    .await?;
            covering
                .into_iter()
                .find(|(_, areas)| !area.is_empty() && areas.split(',').any(|a| a == area))
                .map(|(id, _)| id)
        } else {
            Some(MaracId::from(input.marac_id.trim()))
        };
        let marac = match marac {
            Some(m) => match self.marac_in(&mut tx, &m).await {
                Ok(found) => Some(found),
                Err(StorageError::NotFound(_)) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        if marac.is_none() {
            errors.add("marac_id", "No MARAC covers the victim's area: choose one");
        }
        let (
            Some(marac),
            Some(aware),
            Some(consented),
            Some(minoritised),
            Some(lgbt),
            Some(disabled),
        ) = (marac, aware, consented, minoritised, lgbt, disabled)
        else {
            return Err(StorageError::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let open: Option<String> = sqlx::query_scalar(
            "SELECT reference FROM marac_cases WHERE person_id = $1 AND status <> 'closed' LIMIT 1",
        )
        .bind(&view.person_id)
        .fetch_optional(tx.conn())
        .await?;
        if let Some(reference) = open {
            return Err(StorageError::invalid(
                "marac_id",
                &format!("The victim is already at MARAC ({reference}): add to that case instead"),
            ));
        }

        let today = uk_date(Utc::now());
        let year = view.incident_date.unwrap_or(today).year();
        let ours = perpetrators_named(&view.perpetrators, year);
        let earlier_rows: Vec<(MaracCaseId, String, String)> = sqlx::query_as(
            "SELECT id, referred_at, perpetrators FROM marac_cases WHERE person_id = $1",
        )
        .bind(&view.person_id)
        .fetch_all(tx.conn())
        .await?;
        let mut earlier = Vec::new();
        for (id, at, perpetrators) in &earlier_rows {
            let on = uk_date(crate::db::parse_time(at)?);
            let list: Vec<Perpetrator> = crate::referrals::from_json(perpetrators)?;
            earlier.push((
                id,
                Earlier {
                    referred_on: on,
                    perpetrators: perpetrators_named(&list, on.year()),
                },
            ));
        }
        let plain: Vec<Earlier<Named>> = earlier.iter().map(|(_, e)| e.clone()).collect();
        let repeat = repeat_of(&plain, today, &ours, same)
            .and_then(|found| plain.iter().position(|e| std::ptr::eq(e, found)))
            .map(|i| earlier[i].0.clone());

        // A repeat is re-referred whatever the threshold; otherwise the criteria or judgement.
        if repeat.is_none()
            && !criteria.as_ref().is_some_and(MaracCriteria::met)
            && judgement.is_empty()
        {
            return Err(StorageError::invalid(
                "judgement_reason",
                "The referral does not meet the MARAC criteria from triage: give the reasons for professional judgement",
            ));
        }
        // The next meeting with room.
        let slots: Vec<(MeetingId, String, i64, i64)> = sqlx::query_as(
            "SELECT g.id, g.held_on, g.capacity, (SELECT COUNT(*) FROM marac_cases c WHERE c.meeting_id = g.id) \
             FROM marac_meetings g WHERE g.marac_id = $1 AND g.status = 'scheduled' AND g.held_on > $2",
        )
        .bind(&marac.id)
        .bind(today.to_string())
        .fetch_all(tx.conn())
        .await?;
        let slots: Vec<Slot<MeetingId>> = slots
            .into_iter()
            .filter_map(|(id, on, capacity, listed)| {
                Some(Slot {
                    id,
                    held_on: on.parse().ok()?,
                    capacity: u32::try_from(capacity).ok()?,
                    listed: u32::try_from(listed).ok()?,
                })
            })
            .collect();
        let slot = place(&slots, today);
        let over_capacity = slot.is_some_and(|s| s.listed >= s.capacity);

        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM marac_cases WHERE marac_id = $1")
            .bind(&marac.id)
            .fetch_one(tx.conn())
            .await?;
        let prefix: String = marac
            .name
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .filter(|c| c.is_alphabetic())
            .flat_map(char::to_uppercase)
            .collect();
        let reference = format!("{prefix}-{}-{:04}", today.year(), count + 1);
        let id = MaracCaseId::from(new_id());
        let at = now();
        let keyring = tx.keyring()?;
        sqlx::query(
            "INSERT INTO marac_cases (id, reference, marac_id, meeting_id, person_id, referral_id, \
             referring_agency_id, referring_officer, referred_by, referred_at, criteria, judgement_reason, \
             victim_aware, victim_consented, no_consent_reason, afraid_of, safe_to_talk, unsafe_to_talk, \
             previous_maracs, perpetrators, children, victim_minoritised, victim_lgbt, victim_disabled, \
             repeat_of, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)",
        )
        .bind(&id)
        .bind(&reference)
        .bind(&marac.id)
        .bind(slot.map(|s| &s.id))
        .bind(&view.person_id)
        .bind(referral)
        .bind(&self.actor().agency_id)
        .bind(&officer)
        .bind(self.actor().user_id.as_ref())
        .bind(&at)
        .bind(to_json(&criteria)?)
        .bind(keyring.seal_opt(
            sealed::MARAC_JUDGEMENT_REASON,
            Some(judgement.as_str()).filter(|j| !j.is_empty()),
        )?)
        .bind(aware)
        .bind(consented)
        .bind(keyring.seal_opt(
            sealed::MARAC_NO_CONSENT_REASON,
            Some(no_consent_reason.as_str()).filter(|r| !r.is_empty() && !consented),
        )?)
        .bind(keyring.seal(sealed::MARAC_AFRAID_OF, &afraid_of)?)
        .bind(keyring.seal(sealed::MARAC_SAFE_TO_TALK, &safe)?)
        .bind(keyring.seal(sealed::MARAC_UNSAFE_TO_TALK, &unsafe_)?)
        .bind(&previous)
        .bind(keyring.seal_json(sealed::MARAC_PERPETRATORS, &view.perpetrators)?)
        .bind(keyring.seal_json(sealed::MARAC_CHILDREN, &view.children)?)
        .bind(minoritised)
        .bind(lgbt)
        .bind(disabled)
        .bind(&repeat)
        .bind(CaseStatus::Listed.slug())
        .execute(tx.conn())
        .await?;
        // A high-risk victim is always offered an IDVA: the referral on goes with the MARAC
        // referral, with the consent recorded for the IDVA's organisation as any referral on.
        let idva = match input_idva {
            Some(on) => {
                let mut on = on.clone();
                on.field_prefix = "idva/".into();
                if on.note.trim().is_empty() {
                    on.note = "Referred to MARAC: a high-risk victim is offered an IDVA.".into();
                }
                let sent = self.refer_onward_in(&mut tx, referral, &on, None).await?;
                if let crate::onward::ReferredOn::Sent { id: onward } = &sent {
                    sqlx::query("UPDATE marac_cases SET idva_onward_id = $1 WHERE id = $2")
                        .bind(onward)
                        .bind(&id)
                        .execute(tx.conn())
                        .await?;
                }
                Some(sent)
            }
            None => None,
        };
        self.audit(
            &mut tx,
            if consented {
                AuditAction::Create
            } else {
                AuditAction::ShareWithoutConsent
            },
            "marac_case",
            Some(id.as_str()),
            if consented {
                "refer to MARAC"
            } else {
                "refer to MARAC without consent (safeguarding: DPA 2018 Sch. 1 para. 18)"
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Referred {
            case: id,
            reference,
            meeting: slot.map(|s| s.id.clone()),
            repeat_of: repeat,
            over_capacity,
            idva,
        })
    }
}

/// What the MARAC referral form shows of a referral: the referral, and the criteria from its
/// latest triage.
#[derive(Debug, Clone)]
pub struct ReferralForMarac {
    pub referral: crate::referrals::ReferralView,
    pub criteria: Option<MaracCriteria>,
}

impl ScopedStore {
    /// Who may refer to MARAC from a referral: the hub; the agency that made the referral; an
    /// agency with a case opened from it. Anyone else finds nothing.
    async fn may_refer_from(&self, tx: &mut WriteTx, referral: &ReferralId) -> Result<()> {
        if self.may(Action::ViewReferrals) {
            return Ok(());
        }
        let ours: Option<String> = sqlx::query_scalar(
            "SELECT r.id FROM referrals r WHERE r.id = $1 AND (r.submitting_agency = $2 OR EXISTS \
             (SELECT 1 FROM cases c WHERE c.referral_id = r.id AND c.agency_id = $2))",
        )
        .bind(referral)
        .bind(&self.actor().agency_id)
        .fetch_optional(tx.conn())
        .await?;
        ours.map(|_| ()).ok_or(StorageError::NotFound("referral"))
    }

    /// A referral as the MARAC referral form shows it, for whoever may refer from it.
    pub async fn referral_for_marac(&self, referral: &ReferralId) -> Result<ReferralForMarac> {
        self.grant(Action::ReferToMarac)?;
        let mut tx = self.db().begin_write().await?;
        self.may_refer_from(&mut tx, referral).await?;
        let view = read_referral(&mut tx, referral).await?;
        let criteria = history(&mut tx, referral)
            .await?
            .into_iter()
            .next()
            .map(|t| t.marac);
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral",
            Some(referral.as_str()),
            "read a referral to refer to MARAC",
        )
        .await?;
        tx.commit().await?;
        Ok(ReferralForMarac {
            referral: view,
            criteria,
        })
    }
}
