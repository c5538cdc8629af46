//! Categories of need (the MoJ victims' services commissioning framework) and service tiers.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedCategory {
    HealthMentalAndPhysical,
    ShelterAndAccommodation,
    FamilyFriendsAndChildren,
    EducationSkillsAndEmployment,
    DrugsAndAlcohol,
    FinanceAndBenefits,
    OutlookAndAttitudes,
    SocialInteraction,
}

impl NeedCategory {
    pub const ALL: [NeedCategory; 8] = [
        NeedCategory::HealthMentalAndPhysical,
        NeedCategory::ShelterAndAccommodation,
        NeedCategory::FamilyFriendsAndChildren,
        NeedCategory::EducationSkillsAndEmployment,
        NeedCategory::DrugsAndAlcohol,
        NeedCategory::FinanceAndBenefits,
        NeedCategory::OutlookAndAttitudes,
        NeedCategory::SocialInteraction,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            NeedCategory::HealthMentalAndPhysical => "health",
            NeedCategory::ShelterAndAccommodation => "accommodation",
            NeedCategory::FamilyFriendsAndChildren => "family_and_children",
            NeedCategory::EducationSkillsAndEmployment => "education_and_employment",
            NeedCategory::DrugsAndAlcohol => "drugs_and_alcohol",
            NeedCategory::FinanceAndBenefits => "finance_and_benefits",
            NeedCategory::OutlookAndAttitudes => "outlook_and_attitudes",
            NeedCategory::SocialInteraction => "social_interaction",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NeedCategory::HealthMentalAndPhysical => "Mental and physical health",
            NeedCategory::ShelterAndAccommodation => "Shelter and accommodation",
            NeedCategory::FamilyFriendsAndChildren => "Family, friends and children",
            NeedCategory::EducationSkillsAndEmployment => "Education, skills and employment",
            NeedCategory::DrugsAndAlcohol => "Drugs and alcohol",
            NeedCategory::FinanceAndBenefits => "Finance and benefits",
            NeedCategory::OutlookAndAttitudes => "Outlook and attitudes",
            NeedCategory::SocialInteraction => "Social interaction",
        }
    }

    pub fn from_slug(s: &str) -> Option<NeedCategory> {
        NeedCategory::ALL.into_iter().find(|n| n.slug() == s)
    }
}

/// The tiered model commissioned for domestic abuse, lowest intensity first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceTier {
    Prevention,
    EarlyIntervention,
    Targeted,
    Acute,
}

impl ServiceTier {
    pub const ALL: [ServiceTier; 4] = [
        ServiceTier::Prevention,
        ServiceTier::EarlyIntervention,
        ServiceTier::Targeted,
        ServiceTier::Acute,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ServiceTier::Prevention => "prevention",
            ServiceTier::EarlyIntervention => "early_intervention",
            ServiceTier::Targeted => "targeted",
            ServiceTier::Acute => "acute",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ServiceTier::Prevention => "Prevention",
            ServiceTier::EarlyIntervention => "Early intervention",
            ServiceTier::Targeted => "Targeted",
            ServiceTier::Acute => "Acute",
        }
    }

    pub fn from_slug(s: &str) -> Option<ServiceTier> {
        ServiceTier::ALL.into_iter().find(|t| t.slug() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip() {
        for n in NeedCategory::ALL {
            assert_eq!(NeedCategory::from_slug(n.slug()), Some(n));
        }
        for t in ServiceTier::ALL {
            assert_eq!(ServiceTier::from_slug(t.slug()), Some(t));
        }
        assert!(ServiceTier::Acute > ServiceTier::Prevention);
    }
}
