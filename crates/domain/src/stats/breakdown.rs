//! What a report's figures can be broken down by, and each value in words.

use crate::crime::CrimeCategory;
use crate::needs::ServiceTier;
use crate::referral::Source;
use crate::stats::facts::{AgeBand, DisabilityGroup, EthnicGroup, GenderGroup};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Breakdown {
    Area,
    Source,
    Crime,
    Tier,
    Entitlement,
    Age,
    Gender,
    Ethnicity,
    Disability,
}

impl Breakdown {
    pub const ALL: [Breakdown; 9] = [
        Breakdown::Area,
        Breakdown::Source,
        Breakdown::Crime,
        Breakdown::Tier,
        Breakdown::Entitlement,
        Breakdown::Age,
        Breakdown::Gender,
        Breakdown::Ethnicity,
        Breakdown::Disability,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Breakdown::Area => "area",
            Breakdown::Source => "source",
            Breakdown::Crime => "crime",
            Breakdown::Tier => "tier",
            Breakdown::Entitlement => "entitlement",
            Breakdown::Age => "age",
            Breakdown::Gender => "gender",
            Breakdown::Ethnicity => "ethnicity",
            Breakdown::Disability => "disability",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Breakdown::Area => "Community safety area",
            Breakdown::Source => "Who referred",
            Breakdown::Crime => "Crime category",
            Breakdown::Tier => "Tier of service",
            Breakdown::Entitlement => "Victims' Code entitlement",
            Breakdown::Age => "Age group",
            Breakdown::Gender => "Gender",
            Breakdown::Ethnicity => "Ethnic group",
            Breakdown::Disability => "Disability",
        }
    }

    pub fn from_slug(s: &str) -> Option<Breakdown> {
        Breakdown::ALL.into_iter().find(|b| b.slug() == s)
    }

    /// The facts column it groups by.
    pub fn column(self) -> &'static str {
        match self {
            Breakdown::Area => "area",
            Breakdown::Source => "source",
            Breakdown::Crime => "crime_category",
            Breakdown::Tier => "tier",
            Breakdown::Entitlement => "entitlement",
            Breakdown::Age => "age_band",
            Breakdown::Gender => "gender",
            Breakdown::Ethnicity => "ethnicity",
            Breakdown::Disability => "disability",
        }
    }

    /// Whether it describes the person, and so is withheld without consent to reporting.
    pub fn is_personal(self) -> bool {
        matches!(
            self,
            Breakdown::Age | Breakdown::Gender | Breakdown::Ethnicity | Breakdown::Disability
        )
    }

    /// Where a value goes in a table: the vocabulary's own order (age bands youngest first,
    /// crime categories as triage lists them), "not recorded" and "not shared" last.
    pub fn order(self, value: Option<&str>) -> usize {
        let Some(v) = value else {
            return usize::MAX - 1;
        };
        if v == "withheld" {
            return usize::MAX;
        }
        let found = match self {
            Breakdown::Area => None,
            Breakdown::Source => Source::ALL.iter().position(|x| x.slug() == v),
            Breakdown::Crime => CrimeCategory::ALL.iter().position(|x| x.slug() == v),
            Breakdown::Tier => ServiceTier::ALL.iter().position(|x| x.slug() == v),
            Breakdown::Entitlement => ["enhanced", "standard"].iter().position(|x| *x == v),
            Breakdown::Age => AgeBand::ALL.iter().position(|x| x.slug() == v),
            Breakdown::Gender => GenderGroup::ALL.iter().position(|x| x.slug() == v),
            Breakdown::Ethnicity => EthnicGroup::ALL.iter().position(|x| x.slug() == v),
            Breakdown::Disability => DisabilityGroup::ALL.iter().position(|x| x.slug() == v),
        };
        found.unwrap_or(usize::MAX - 2)
    }

    /// A stored value in words; `None` (nothing recorded yet) as the breakdown says it. Areas
    /// are named by the caller, which holds the area list.
    pub fn value_label(self, value: Option<&str>) -> String {
        let Some(v) = value else {
            return match self {
                Breakdown::Area => "Area not known",
                Breakdown::Tier | Breakdown::Entitlement => "Not yet triaged",
                _ => "Not recorded",
            }
            .to_owned();
        };
        let known = match self {
            Breakdown::Area => None,
            Breakdown::Source => Source::from_slug(v).map(Source::label),
            Breakdown::Crime => CrimeCategory::from_slug(v).map(CrimeCategory::label),
            Breakdown::Tier => ServiceTier::from_slug(v).map(ServiceTier::label),
            Breakdown::Entitlement => match v {
                "enhanced" => Some("Enhanced"),
                "standard" => Some("Standard"),
                _ => None,
            },
            Breakdown::Age => AgeBand::from_slug(v).map(AgeBand::label),
            Breakdown::Gender => GenderGroup::from_slug(v).map(GenderGroup::label),
            Breakdown::Ethnicity => EthnicGroup::from_slug(v).map(EthnicGroup::label),
            Breakdown::Disability => DisabilityGroup::from_slug(v).map(DisabilityGroup::label),
        };
        known.map_or_else(|| "Other".to_owned(), str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_in_words() {
        assert_eq!(
            Breakdown::Crime.value_label(Some("domestic_abuse")),
            "Domestic abuse"
        );
        assert_eq!(Breakdown::Source.value_label(Some("self")), "Self-referral");
        assert_eq!(Breakdown::Tier.value_label(None), "Not yet triaged");
        assert_eq!(
            Breakdown::Gender.value_label(Some("withheld")),
            "Not shared for reporting"
        );
        assert_eq!(Breakdown::Age.value_label(Some("16_17")), "16 to 17");
        assert!(Breakdown::Age.order(Some("under_16")) < Breakdown::Age.order(Some("16_17")));
        assert!(Breakdown::Age.order(Some("65_plus")) < Breakdown::Age.order(None));
        assert!(Breakdown::Age.order(None) < Breakdown::Age.order(Some("withheld")));
        for b in Breakdown::ALL {
            assert_eq!(Breakdown::from_slug(b.slug()), Some(b));
        }
    }
}
