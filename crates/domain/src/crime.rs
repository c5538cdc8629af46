//! Crime categories, and what each implies under the Victims' Code: whether it is among the
//! most serious crimes (enhanced rights), whether its victims are treated as intimidated, and
//! whether a referral needs the victim's explicit consent or is made unless they opt out.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrimeCategory {
    DomesticAbuse,
    SexualOffence,
    StalkingOrHarassment,
    HateCrime,
    Terrorism,
    HumanTrafficking,
    AttemptedMurder,
    KidnappingOrFalseImprisonment,
    ArsonEndangeringLife,
    WoundingWithIntent,
    /// A close relative of someone who died through criminal conduct.
    BereavedByCrime,
    ViolenceAgainstThePerson,
    Robbery,
    Burglary,
    Theft,
    CriminalDamage,
    Fraud,
    BusinessCrime,
    Other,
}

/// How consent to a referral is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentBasis {
    /// Details are passed on unless the victim declines.
    OptOut,
    /// Details are passed on only if the victim agrees.
    Explicit,
}

impl CrimeCategory {
    pub const ALL: [CrimeCategory; 19] = [
        CrimeCategory::DomesticAbuse,
        CrimeCategory::SexualOffence,
        CrimeCategory::StalkingOrHarassment,
        CrimeCategory::HateCrime,
        CrimeCategory::Terrorism,
        CrimeCategory::HumanTrafficking,
        CrimeCategory::AttemptedMurder,
        CrimeCategory::KidnappingOrFalseImprisonment,
        CrimeCategory::ArsonEndangeringLife,
        CrimeCategory::WoundingWithIntent,
        CrimeCategory::BereavedByCrime,
        CrimeCategory::ViolenceAgainstThePerson,
        CrimeCategory::Robbery,
        CrimeCategory::Burglary,
        CrimeCategory::Theft,
        CrimeCategory::CriminalDamage,
        CrimeCategory::Fraud,
        CrimeCategory::BusinessCrime,
        CrimeCategory::Other,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            CrimeCategory::DomesticAbuse => "domestic_abuse",
            CrimeCategory::SexualOffence => "sexual_offence",
            CrimeCategory::StalkingOrHarassment => "stalking_or_harassment",
            CrimeCategory::HateCrime => "hate_crime",
            CrimeCategory::Terrorism => "terrorism",
            CrimeCategory::HumanTrafficking => "human_trafficking",
            CrimeCategory::AttemptedMurder => "attempted_murder",
            CrimeCategory::KidnappingOrFalseImprisonment => "kidnapping_or_false_imprisonment",
            CrimeCategory::ArsonEndangeringLife => "arson_endangering_life",
            CrimeCategory::WoundingWithIntent => "wounding_with_intent",
            CrimeCategory::BereavedByCrime => "bereaved_by_crime",
            CrimeCategory::ViolenceAgainstThePerson => "violence_against_the_person",
            CrimeCategory::Robbery => "robbery",
            CrimeCategory::Burglary => "burglary",
            CrimeCategory::Theft => "theft",
            CrimeCategory::CriminalDamage => "criminal_damage",
            CrimeCategory::Fraud => "fraud",
            CrimeCategory::BusinessCrime => "business_crime",
            CrimeCategory::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CrimeCategory::DomesticAbuse => "Domestic abuse",
            CrimeCategory::SexualOffence => "Sexual offence",
            CrimeCategory::StalkingOrHarassment => "Stalking or harassment",
            CrimeCategory::HateCrime => "Hate crime",
            CrimeCategory::Terrorism => "Terrorism",
            CrimeCategory::HumanTrafficking => "Human trafficking or modern slavery",
            CrimeCategory::AttemptedMurder => "Attempted murder",
            CrimeCategory::KidnappingOrFalseImprisonment => "Kidnapping or false imprisonment",
            CrimeCategory::ArsonEndangeringLife => "Arson with intent to endanger life",
            CrimeCategory::WoundingWithIntent => "Wounding or GBH with intent",
            CrimeCategory::BereavedByCrime => "Bereaved by criminal conduct",
            CrimeCategory::ViolenceAgainstThePerson => "Other violence against the person",
            CrimeCategory::Robbery => "Robbery",
            CrimeCategory::Burglary => "Burglary",
            CrimeCategory::Theft => "Theft",
            CrimeCategory::CriminalDamage => "Criminal damage",
            CrimeCategory::Fraud => "Fraud",
            CrimeCategory::BusinessCrime => "Business crime",
            CrimeCategory::Other => "Other",
        }
    }

    pub fn from_slug(s: &str) -> Option<CrimeCategory> {
        CrimeCategory::ALL.into_iter().find(|c| c.slug() == s)
    }

    /// The Victims' Code's "most serious crime" list, which brings enhanced rights.
    pub fn is_most_serious(self) -> bool {
        matches!(
            self,
            CrimeCategory::DomesticAbuse
                | CrimeCategory::SexualOffence
                | CrimeCategory::HateCrime
                | CrimeCategory::Terrorism
                | CrimeCategory::HumanTrafficking
                | CrimeCategory::AttemptedMurder
                | CrimeCategory::KidnappingOrFalseImprisonment
                | CrimeCategory::ArsonEndangeringLife
                | CrimeCategory::WoundingWithIntent
                | CrimeCategory::BereavedByCrime
        )
    }

    /// Victims of sexual offences and trafficking are treated as intimidated without asking.
    pub fn is_automatically_intimidated(self) -> bool {
        matches!(
            self,
            CrimeCategory::SexualOffence | CrimeCategory::HumanTrafficking
        )
    }

    /// The national default consent basis: explicit for sexual offences, domestic abuse and
    /// the bereaved; opt-out otherwise. A partnership may override it per category.
    pub fn default_consent_basis(self) -> ConsentBasis {
        match self {
            CrimeCategory::SexualOffence
            | CrimeCategory::DomesticAbuse
            | CrimeCategory::BereavedByCrime => ConsentBasis::Explicit,
            _ => ConsentBasis::OptOut,
        }
    }

    /// The default basis as stored.
    pub fn default_consent_basis_slug(self) -> &'static str {
        match self.default_consent_basis() {
            ConsentBasis::OptOut => "opt_out",
            ConsentBasis::Explicit => "explicit",
        }
    }

    /// Persistent targeting is in the nature of stalking and harassment.
    pub fn is_persistent_targeting(self) -> bool {
        self == CrimeCategory::StalkingOrHarassment
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip() {
        for c in CrimeCategory::ALL {
            assert_eq!(CrimeCategory::from_slug(c.slug()), Some(c));
        }
    }

    #[test]
    fn explicit_consent_where_the_code_requires_it() {
        assert_eq!(
            CrimeCategory::DomesticAbuse.default_consent_basis(),
            ConsentBasis::Explicit
        );
        assert_eq!(
            CrimeCategory::SexualOffence.default_consent_basis(),
            ConsentBasis::Explicit
        );
        assert_eq!(
            CrimeCategory::BereavedByCrime.default_consent_basis(),
            ConsentBasis::Explicit
        );
        assert_eq!(
            CrimeCategory::Burglary.default_consent_basis(),
            ConsentBasis::OptOut
        );
    }
}
