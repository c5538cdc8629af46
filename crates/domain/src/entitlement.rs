//! Victims' Code entitlement: Harbour proposes enhanced or standard rights from the facts,
//! naming every reason; the triage officer confirms or overrides, and an override needs a reason.

use crate::crime::CrimeCategory;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entitlement {
    Enhanced,
    Standard,
}

impl Entitlement {
    pub fn slug(self) -> &'static str {
        match self {
            Entitlement::Enhanced => "enhanced",
            Entitlement::Standard => "standard",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Entitlement::Enhanced => "Enhanced",
            Entitlement::Standard => "Standard",
        }
    }
}

/// Why enhanced rights apply. Several can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnhancedReason {
    MostSeriousCrime,
    PersistentlyTargeted,
    UnderEighteenAtOffence,
    MentalDisorder,
    ImpairedIntelligenceOrSocialFunctioning,
    PhysicalDisability,
    Intimidated,
}

impl EnhancedReason {
    pub fn label(self) -> &'static str {
        match self {
            EnhancedReason::MostSeriousCrime => "Victim of one of the most serious crimes",
            EnhancedReason::PersistentlyTargeted => "Persistently targeted",
            EnhancedReason::UnderEighteenAtOffence => "Under 18 at the time of the offence",
            EnhancedReason::MentalDisorder => "Has a mental disorder",
            EnhancedReason::ImpairedIntelligenceOrSocialFunctioning => {
                "Significant impairment of intelligence and social functioning"
            }
            EnhancedReason::PhysicalDisability => {
                "Physical disability likely to affect their evidence"
            }
            EnhancedReason::Intimidated => "Intimidated: fear or distress about giving evidence",
        }
    }
}

/// What is known about the victim and the offence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntitlementFacts {
    pub crime: Option<CrimeCategory>,
    pub age_at_offence: Option<u32>,
    pub persistently_targeted: bool,
    pub mental_disorder: bool,
    pub impaired_functioning: bool,
    pub physical_disability: bool,
    pub intimidated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitlementProposal {
    pub entitlement: Entitlement,
    pub reasons: Vec<EnhancedReason>,
}

pub fn propose(facts: &EntitlementFacts) -> EntitlementProposal {
    let mut reasons = Vec::new();
    let crime = facts.crime;
    if crime.is_some_and(CrimeCategory::is_most_serious) {
        reasons.push(EnhancedReason::MostSeriousCrime);
    }
    if facts.persistently_targeted || crime.is_some_and(CrimeCategory::is_persistent_targeting) {
        reasons.push(EnhancedReason::PersistentlyTargeted);
    }
    if facts.age_at_offence.is_some_and(|a| a < 18) {
        reasons.push(EnhancedReason::UnderEighteenAtOffence);
    }
    if facts.mental_disorder {
        reasons.push(EnhancedReason::MentalDisorder);
    }
    if facts.impaired_functioning {
        reasons.push(EnhancedReason::ImpairedIntelligenceOrSocialFunctioning);
    }
    if facts.physical_disability {
        reasons.push(EnhancedReason::PhysicalDisability);
    }
    if facts.intimidated || crime.is_some_and(CrimeCategory::is_automatically_intimidated) {
        reasons.push(EnhancedReason::Intimidated);
    }
    EntitlementProposal {
        entitlement: if reasons.is_empty() {
            Entitlement::Standard
        } else {
            Entitlement::Enhanced
        },
        reasons,
    }
}

/// The officer's decision: the proposal confirmed, or overridden with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitlementDecision {
    pub entitlement: Entitlement,
    pub proposed: Entitlement,
    pub reasons: Vec<EnhancedReason>,
    pub override_reason: Option<String>,
}

/// Confirms or overrides `proposal`. Overriding needs a reason; confirming needs none.
pub fn decide(
    proposal: &EntitlementProposal,
    chosen: Entitlement,
    override_reason: &str,
) -> Result<EntitlementDecision, &'static str> {
    let reason = override_reason.trim();
    if chosen != proposal.entitlement && reason.is_empty() {
        return Err("Give the reason for not following Harbour's proposal");
    }
    Ok(EntitlementDecision {
        entitlement: chosen,
        proposed: proposal.entitlement,
        reasons: proposal.reasons.clone(),
        override_reason: (chosen != proposal.entitlement).then(|| reason.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domestic_abuse_is_enhanced_burglary_of_an_adult_is_standard() {
        let da = propose(&EntitlementFacts {
            crime: Some(CrimeCategory::DomesticAbuse),
            ..Default::default()
        });
        assert_eq!(da.entitlement, Entitlement::Enhanced);
        assert_eq!(da.reasons, vec![EnhancedReason::MostSeriousCrime]);
        let burglary = propose(&EntitlementFacts {
            crime: Some(CrimeCategory::Burglary),
            age_at_offence: Some(40),
            ..Default::default()
        });
        assert_eq!(burglary.entitlement, Entitlement::Standard);
    }

    #[test]
    fn every_reason_is_named() {
        let p = propose(&EntitlementFacts {
            crime: Some(CrimeCategory::SexualOffence),
            age_at_offence: Some(16),
            physical_disability: true,
            ..Default::default()
        });
        assert_eq!(
            p.reasons,
            vec![
                EnhancedReason::MostSeriousCrime,
                EnhancedReason::UnderEighteenAtOffence,
                EnhancedReason::PhysicalDisability,
                EnhancedReason::Intimidated
            ]
        );
        let stalking = propose(&EntitlementFacts {
            crime: Some(CrimeCategory::StalkingOrHarassment),
            ..Default::default()
        });
        assert_eq!(stalking.reasons, vec![EnhancedReason::PersistentlyTargeted]);
    }

    #[test]
    fn overriding_needs_a_reason() {
        let p = propose(&EntitlementFacts {
            crime: Some(CrimeCategory::Theft),
            ..Default::default()
        });
        assert!(decide(&p, Entitlement::Enhanced, "  ").is_err());
        let d = decide(
            &p,
            Entitlement::Enhanced,
            "Elderly and isolated; frightened of reprisal",
        )
        .unwrap();
        assert_eq!(d.entitlement, Entitlement::Enhanced);
        assert_eq!(d.proposed, Entitlement::Standard);
        assert!(d.override_reason.is_some());
        let confirmed = decide(&p, Entitlement::Standard, "").unwrap();
        assert_eq!(confirmed.override_reason, None);
    }
}
