//! A triage decision: the Victims' Code entitlement (proposed, confirmed or overridden), the
//! needs, the risk assessment, the MARAC criteria and the service tier, made from the referral's
//! facts and the officer's answers. Pure: storage gathers the facts and records the result.

use crate::crime::CrimeCategory;
use crate::entitlement::{Entitlement, EntitlementDecision, EntitlementFacts, decide, propose};
use crate::instrument::{Answer, Instrument, RiskOutcome};
use crate::marac::{MaracCriteria, MaracFacts, assess};
use crate::needs::{NeedCategory, ServiceTier};
use crate::validation::FieldErrors;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// What the triage officer submits, as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriageInput {
    pub persistently_targeted: bool,
    pub mental_disorder: bool,
    pub impaired_functioning: bool,
    pub physical_disability: bool,
    pub intimidated: bool,
    /// enhanced or standard
    pub entitlement: String,
    pub entitlement_override_reason: String,
    pub needs: Vec<String>,
    /// item id → yes, no, dont_know, not_asked
    pub answers: BTreeMap<String, String>,
    /// "" for none, else standard, medium or high
    pub judgement_level: String,
    pub judgement_reason: String,
    /// Reasons to refer to MARAC below the threshold, if any.
    pub marac_judgement: String,
    pub tier: String,
    pub tier_reason: String,
}

/// What the referral and Harbour's records say, gathered by storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageFacts {
    pub crime: CrimeCategory,
    pub age_at_offence: Option<u32>,
    pub incident_date: NaiveDate,
    pub police_incidents: Vec<NaiveDate>,
    pub previous_marac_referrals: Vec<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageDecision {
    pub entitlement: EntitlementDecision,
    pub needs: Vec<NeedCategory>,
    pub answers: BTreeMap<String, Answer>,
    pub risk: RiskOutcome,
    pub marac: MaracCriteria,
    pub tier: ServiceTier,
    pub tier_reason: String,
}

impl TriageInput {
    pub fn entitlement_facts(&self, facts: &TriageFacts) -> EntitlementFacts {
        EntitlementFacts {
            crime: Some(facts.crime),
            age_at_offence: facts.age_at_offence,
            persistently_targeted: self.persistently_targeted,
            mental_disorder: self.mental_disorder,
            impaired_functioning: self.impaired_functioning,
            physical_disability: self.physical_disability,
            intimidated: self.intimidated,
        }
    }

    pub fn decide(
        &self,
        facts: &TriageFacts,
        instrument: &Instrument,
    ) -> Result<TriageDecision, FieldErrors> {
        let mut e = FieldErrors::new();
        crate::validation::check_fields(
            &[
                (
                    "entitlement_override_reason",
                    "The reason",
                    &self.entitlement_override_reason,
                    true,
                ),
                (
                    "judgement_reason",
                    "The reason",
                    &self.judgement_reason,
                    true,
                ),
                ("marac_judgement", "The reason", &self.marac_judgement, true),
                ("tier_reason", "The reason", &self.tier_reason, true),
            ],
            &mut e,
        );
        let proposal = propose(&self.entitlement_facts(facts));
        let chosen = match self.entitlement.trim() {
            "" => Some(proposal.entitlement),
            "enhanced" => Some(Entitlement::Enhanced),
            "standard" => Some(Entitlement::Standard),
            _ => {
                e.add("entitlement", "Choose enhanced or standard");
                None
            }
        };
        let entitlement = chosen.and_then(|c| {
            decide(&proposal, c, &self.entitlement_override_reason)
                .map_err(|m| e.add("entitlement_override_reason", m))
                .ok()
        });
        let mut needs = Vec::new();
        for slug in &self.needs {
            match NeedCategory::from_slug(slug) {
                Some(n) if !needs.contains(&n) => needs.push(n),
                Some(_) => {}
                None => e.add("needs", "Choose needs from the list"),
            }
        }
        needs.sort();
        let risk = match instrument.score_typed(
            &self.answers,
            &self.judgement_level,
            &self.judgement_reason,
        ) {
            Ok(risk) => Some(risk),
            Err(errors) => {
                for err in errors.iter() {
                    e.add(&err.field, err.message.clone());
                }
                None
            }
        };
        let marac_judgement = self.marac_judgement.trim();
        let tier = ServiceTier::from_slug(self.tier.trim());
        if tier.is_none() {
            e.add("tier", "Choose the service tier");
        }
        let tier_reason = self.tier_reason.trim().to_owned();
        if tier_reason.is_empty() {
            e.add("tier_reason", "Give the reason for the tier");
        }
        match (entitlement, risk, tier) {
            (Some(entitlement), Some(risk), Some(tier)) if e.is_empty() => {
                let marac = assess(&MaracFacts {
                    score: Some(risk.score),
                    high_risk_threshold: instrument.high_risk_threshold,
                    professional_judgement: (!marac_judgement.is_empty())
                        .then(|| marac_judgement.to_owned()),
                    police_incidents: facts.police_incidents.clone(),
                    previous_marac_referrals: facts.previous_marac_referrals.clone(),
                    incident_date: facts.incident_date,
                });
                Ok(TriageDecision {
                    entitlement,
                    needs,
                    answers: risk.answers.clone(),
                    risk,
                    marac,
                    tier,
                    tier_reason,
                })
            }
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::RiskLevel;

    fn facts() -> TriageFacts {
        TriageFacts {
            crime: CrimeCategory::DomesticAbuse,
            age_at_offence: Some(34),
            incident_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            police_incidents: vec![],
            previous_marac_referrals: vec![],
        }
    }

    fn input(yes: usize) -> TriageInput {
        let demo = Instrument::demo();
        TriageInput {
            needs: vec!["accommodation".into(), "health".into()],
            answers: demo
                .items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    (
                        item.id.clone(),
                        if i < yes { "yes" } else { "no" }.to_owned(),
                    )
                })
                .collect(),
            tier: "targeted".into(),
            tier_reason: "Ongoing contact from the ex-partner".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_triage_decides_everything() {
        let d = input(15).decide(&facts(), &Instrument::demo()).unwrap();
        assert_eq!(
            d.entitlement.entitlement,
            Entitlement::Enhanced,
            "domestic abuse brings enhanced rights"
        );
        assert_eq!(
            d.needs,
            vec![
                NeedCategory::HealthMentalAndPhysical,
                NeedCategory::ShelterAndAccommodation
            ]
        );
        assert_eq!((d.risk.score, d.risk.level), (15, RiskLevel::High));
        assert!(d.marac.visible_high_risk && d.marac.met());
        assert_eq!(d.tier, ServiceTier::Targeted);
    }

    #[test]
    fn marac_uses_the_records_too() {
        let mut f = facts();
        f.police_incidents = vec![
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        ];
        let d = input(3).decide(&f, &Instrument::demo()).unwrap();
        assert!(!d.marac.visible_high_risk);
        assert!(d.marac.potential_escalation && d.marac.met());
    }

    #[test]
    fn problems_are_named() {
        let mut bad = input(2);
        bad.entitlement = "standard".into();
        bad.tier = String::new();
        bad.tier_reason = " ".into();
        bad.answers.insert("injury".into(), "perhaps".into());
        bad.judgement_level = "high".into();
        let e = bad.decide(&facts(), &Instrument::demo()).unwrap_err();
        assert_eq!(
            e.get("entitlement_override_reason"),
            Some("Give the reason for not following Harbour's proposal")
        );
        assert_eq!(e.get("tier"), Some("Choose the service tier"));
        assert_eq!(e.get("tier_reason"), Some("Give the reason for the tier"));
        assert!(e.get("answers/injury").is_some());
        assert_eq!(
            e.get("judgement_reason"),
            Some("Give the reasons for your professional judgement")
        );
    }
}
