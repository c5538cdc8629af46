//! What the reports may know about a referral's person: age band, gender, ethnic group and
//! disability, each as a group, never the person. Consent to aggregate reporting decides
//! whether these are used at all: without it the referral is still counted (the partnership
//! must count what it does), but in every breakdown by a personal characteristic it shows as
//! "not shared for reporting".

use crate::referral::Person;
use chrono::NaiveDate;

macro_rules! vocabulary {
    ($name:ident { $($variant:ident = $slug:literal, $label:literal;)* }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn slug(self) -> &'static str {
                match self { $($name::$variant => $slug,)* }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)* }
            }

            pub fn from_slug(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|x| x.slug() == s)
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary!(AgeBand {
    Under16 = "under_16", "Under 16";
    SixteenSeventeen = "16_17", "16 to 17";
    EighteenToTwentyFour = "18_24", "18 to 24";
    TwentyFiveToThirtyFour = "25_34", "25 to 34";
    ThirtyFiveToFortyFour = "35_44", "35 to 44";
    FortyFiveToFiftyFour = "45_54", "45 to 54";
    FiftyFiveToSixtyFour = "55_64", "55 to 64";
    SixtyFiveAndOver = "65_plus", "65 and over";
    NotRecorded = "not_recorded", "Not recorded";
    Withheld = "withheld", "Not shared for reporting";
});

vocabulary!(GenderGroup {
    Women = "women", "Women and girls";
    Men = "men", "Men and boys";
    Another = "another", "Another gender";
    NotRecorded = "not_recorded", "Not recorded";
    Withheld = "withheld", "Not shared for reporting";
});

// The Census 2021 high-level ethnic groups.
vocabulary!(EthnicGroup {
    Asian = "asian", "Asian, Asian British or Asian Welsh";
    Black = "black", "Black, Black British, Black Welsh, Caribbean or African";
    Mixed = "mixed", "Mixed or multiple ethnic groups";
    White = "white", "White";
    Other = "other", "Other ethnic group";
    NotRecorded = "not_recorded", "Not recorded";
    Withheld = "withheld", "Not shared for reporting";
});

vocabulary!(DisabilityGroup {
    Disabled = "disabled", "Disabled";
    NotDisabled = "not_disabled", "Not disabled";
    NotRecorded = "not_recorded", "Not recorded";
    Withheld = "withheld", "Not shared for reporting";
});

impl AgeBand {
    pub fn of_age(age: Option<u32>) -> AgeBand {
        match age {
            None => AgeBand::NotRecorded,
            Some(0..=15) => AgeBand::Under16,
            Some(16..=17) => AgeBand::SixteenSeventeen,
            Some(18..=24) => AgeBand::EighteenToTwentyFour,
            Some(25..=34) => AgeBand::TwentyFiveToThirtyFour,
            Some(35..=44) => AgeBand::ThirtyFiveToFortyFour,
            Some(45..=54) => AgeBand::FortyFiveToFiftyFour,
            Some(55..=64) => AgeBand::FiftyFiveToSixtyFour,
            Some(_) => AgeBand::SixtyFiveAndOver,
        }
    }
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

impl GenderGroup {
    /// Reads a gender recorded as free text.
    pub fn of_text(text: &str) -> GenderGroup {
        use crate::directory::GenderEligibility;
        if text.trim().is_empty() {
            return GenderGroup::NotRecorded;
        }
        match GenderEligibility::of_person(text) {
            Some(GenderEligibility::Women) => GenderGroup::Women,
            Some(GenderEligibility::Men) => GenderGroup::Men,
            _ => GenderGroup::Another,
        }
    }
}

impl EthnicGroup {
    /// Reads an ethnicity recorded as free text into its high-level group; what names no group
    /// is "other", and nothing recorded is "not recorded".
    pub fn of_text(text: &str) -> EthnicGroup {
        let w = words(text);
        let has = |list: &[&str]| w.iter().any(|x| list.contains(&x.as_str()));
        if w.is_empty() || has(&["unknown", "declined", "prefer"]) {
            EthnicGroup::NotRecorded
        } else if has(&["mixed", "multiple", "dual"]) {
            EthnicGroup::Mixed
        } else if has(&[
            "asian",
            "indian",
            "pakistani",
            "bangladeshi",
            "chinese",
            "kashmiri",
        ]) {
            EthnicGroup::Asian
        } else if has(&["black", "caribbean", "african"]) {
            EthnicGroup::Black
        } else if has(&[
            "white",
            "english",
            "welsh",
            "scottish",
            "irish",
            "british",
            "gypsy",
            "traveller",
            "roma",
        ]) {
            EthnicGroup::White
        } else {
            EthnicGroup::Other
        }
    }
}

impl DisabilityGroup {
    pub fn of_text(text: &str) -> DisabilityGroup {
        let w = words(text);
        if w.is_empty() || w.iter().any(|x| x == "unknown" || x == "declined") {
            DisabilityGroup::NotRecorded
        } else if matches!(w.as_slice(), [x] if x == "no" || x == "none")
            || text.trim().eq_ignore_ascii_case("not disabled")
        {
            DisabilityGroup::NotDisabled
        } else {
            DisabilityGroup::Disabled
        }
    }
}

/// The person as reports may see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Characteristics {
    pub age: AgeBand,
    pub gender: GenderGroup,
    pub ethnicity: EthnicGroup,
    pub disability: DisabilityGroup,
}

impl Characteristics {
    /// From the person as the referral recorded them, on the day it was received; all
    /// "not shared for reporting" without consent to aggregate reporting.
    pub fn of(person: &Person, received: NaiveDate, consent_to_aggregate: bool) -> Characteristics {
        if !consent_to_aggregate {
            return Characteristics {
                age: AgeBand::Withheld,
                gender: GenderGroup::Withheld,
                ethnicity: EthnicGroup::Withheld,
                disability: DisabilityGroup::Withheld,
            };
        }
        Characteristics {
            age: AgeBand::of_age(person.age_on(received)),
            gender: GenderGroup::of_text(&person.gender),
            ethnicity: EthnicGroup::of_text(&person.ethnicity),
            disability: DisabilityGroup::of_text(&person.disability),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_reads_into_groups() {
        assert_eq!(GenderGroup::of_text("Female"), GenderGroup::Women);
        assert_eq!(GenderGroup::of_text("man"), GenderGroup::Men);
        assert_eq!(GenderGroup::of_text("Non-binary"), GenderGroup::Another);
        assert_eq!(GenderGroup::of_text(" "), GenderGroup::NotRecorded);
        assert_eq!(EthnicGroup::of_text("White British"), EthnicGroup::White);
        assert_eq!(
            EthnicGroup::of_text("Gypsy or Irish Traveller"),
            EthnicGroup::White
        );
        assert_eq!(
            EthnicGroup::of_text("British Pakistani"),
            EthnicGroup::Asian
        );
        assert_eq!(EthnicGroup::of_text("Black Caribbean"), EthnicGroup::Black);
        assert_eq!(
            EthnicGroup::of_text("Mixed White and Black African"),
            EthnicGroup::Mixed
        );
        assert_eq!(EthnicGroup::of_text("Arab"), EthnicGroup::Other);
        assert_eq!(
            EthnicGroup::of_text("Prefer not to say"),
            EthnicGroup::NotRecorded
        );
        assert_eq!(
            DisabilityGroup::of_text("None"),
            DisabilityGroup::NotDisabled
        );
        assert_eq!(
            DisabilityGroup::of_text("Wheelchair user"),
            DisabilityGroup::Disabled
        );
        assert_eq!(DisabilityGroup::of_text(""), DisabilityGroup::NotRecorded);
        assert_eq!(AgeBand::of_age(Some(17)), AgeBand::SixteenSeventeen);
        assert_eq!(AgeBand::of_age(Some(65)), AgeBand::SixtyFiveAndOver);
    }

    #[test]
    fn without_consent_to_reporting_nothing_about_the_person_is_used() {
        let p = Person {
            gender: "Female".into(),
            ethnicity: "White British".into(),
            date_of_birth: "1990-05-01".parse().ok(),
            ..Person::default()
        };
        let on: NaiveDate = "2026-05-01".parse().unwrap();
        let with = Characteristics::of(&p, on, true);
        assert_eq!(with.age, AgeBand::ThirtyFiveToFortyFour);
        assert_eq!(with.gender, GenderGroup::Women);
        let without = Characteristics::of(&p, on, false);
        assert_eq!(without.gender, GenderGroup::Withheld);
        assert_eq!(without.age, AgeBand::Withheld);
    }
}
