//! The phone contact bundle: the numbers a person given a phone (in emergency accommodation,
//! say) should find already in it. The services they are referred to, their caseworker's
//! agency line, the helplines that fit their situation, and the police. As a vCard 4.0 file a
//! phone imports, and as a printable list.
//!
//! The bundle names services and helplines only: nothing about the person is in it. Service
//! lines are public ones; a partner's direct line never goes on a victim's phone.

use crate::crime::CrimeCategory;
use crate::directory::GenderEligibility;
use serde::Deserialize;
use vcard4::VcardBuilder;

pub const NATIONAL_HELPLINES: &str = include_str!("../helplines/national.toml");

/// Why a contact is in the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Emergency,
    Caseworker,
    Service,
    Helpline,
}

impl Section {
    pub fn label(self) -> &'static str {
        match self {
            Section::Emergency => "Police",
            Section::Caseworker => "Your caseworker's service",
            Section::Service => "Services you were referred to",
            Section::Helpline => "Helplines",
        }
    }
}

/// One entry in the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleContact {
    pub section: Section,
    pub name: String,
    pub organization: Option<String>,
    pub number: String,
    pub note: String,
}

/// A national helpline and whom it is for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Helpline {
    pub name: String,
    pub number: String,
    pub note: String,
    #[serde(default)]
    pub crimes: Vec<CrimeCategory>,
    #[serde(default)]
    pub gender: Option<GenderEligibility>,
    #[serde(default)]
    pub minimum_age: Option<u32>,
    #[serde(default)]
    pub maximum_age: Option<u32>,
}

#[derive(Deserialize)]
struct HelplineFile {
    helpline: Vec<Helpline>,
}

pub fn parse_helplines(text: &str) -> Result<Vec<Helpline>, String> {
    toml::from_str::<HelplineFile>(text)
        .map(|f| f.helpline)
        .map_err(|e| e.to_string())
}

pub fn national_helplines() -> Vec<Helpline> {
    parse_helplines(NATIONAL_HELPLINES).unwrap_or_default()
}

impl Helpline {
    /// Whether it is for someone with this crime, gender and age (an unknown gender or age
    /// is not ruled out).
    pub fn fits(
        &self,
        crime: CrimeCategory,
        gender: Option<GenderEligibility>,
        age: Option<u32>,
    ) -> bool {
        let crime_ok = self.crimes.is_empty() || self.crimes.contains(&crime);
        let gender_ok = match (self.gender, gender) {
            (None | Some(GenderEligibility::Any), _) | (_, None) => true,
            (Some(want), Some(is)) => want == is,
        };
        let age_ok = age.is_none_or(|a| {
            self.minimum_age.is_none_or(|m| a >= m) && self.maximum_age.is_none_or(|m| a <= m)
        });
        crime_ok && gender_ok && age_ok
    }
}

/// The police: 999 in an emergency (with the silent-call advice), 101 otherwise.
pub fn police() -> Vec<BundleContact> {
    vec![
        BundleContact {
            section: Section::Emergency,
            name: "Police emergency".into(),
            organization: None,
            number: "999".into(),
            note: "In danger now. If you cannot speak on a mobile, stay on the line and press 55 when asked."
                .into(),
        },
        BundleContact {
            section: Section::Emergency,
            name: "Police non-emergency".into(),
            organization: None,
            number: "101".into(),
            note: "To report something that is not an emergency.".into(),
        },
    ]
}

/// The bundle in order (police, caseworker, services, helplines), each number once.
pub fn assemble(
    caseworker: Vec<BundleContact>,
    services: Vec<BundleContact>,
    helplines: Vec<BundleContact>,
) -> Vec<BundleContact> {
    let mut all: Vec<BundleContact> = Vec::new();
    for c in police()
        .into_iter()
        .chain(caseworker)
        .chain(services)
        .chain(helplines)
    {
        let digits = |n: &str| n.chars().filter(char::is_ascii_digit).collect::<String>();
        if !all.iter().any(|x| digits(&x.number) == digits(&c.number)) {
            all.push(c);
        }
    }
    all
}

/// Something given to a person to keep them safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// A phone loaded with the contact bundle.
    Phone,
    /// A personal safety device (an alarm that calls for help).
    SafetyDevice,
    /// Home security: locks, door and window alarms, a sanctuary scheme fitting.
    HomeSecurity,
    Other,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 4] = [
        ResourceKind::Phone,
        ResourceKind::SafetyDevice,
        ResourceKind::HomeSecurity,
        ResourceKind::Other,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ResourceKind::Phone => "phone",
            ResourceKind::SafetyDevice => "safety_device",
            ResourceKind::HomeSecurity => "home_security",
            ResourceKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ResourceKind::Phone => "A phone with useful contacts",
            ResourceKind::SafetyDevice => "A personal safety device",
            ResourceKind::HomeSecurity => "Home security fitted (sanctuary scheme)",
            ResourceKind::Other => "Something else",
        }
    }

    pub fn from_slug(s: &str) -> Option<ResourceKind> {
        ResourceKind::ALL.into_iter().find(|k| k.slug() == s)
    }
}

/// The bundle as vCard 4.0 (RFC 6350): one card per contact.
pub fn to_vcard(contacts: &[BundleContact]) -> String {
    contacts
        .iter()
        .map(|c| {
            let mut card = VcardBuilder::new(c.name.clone())
                .telephone(c.number.clone())
                .categories(vec![c.section.label().to_owned()]);
            if let Some(org) = &c.organization {
                card = card.org(vec![org.clone()]);
            }
            if !c.note.is_empty() {
                card = card.note(c.note.clone());
            }
            card.finish().to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_national_list_loads_and_fits_by_crime_gender_and_age() {
        let all = national_helplines();
        assert!(all.len() >= 8);
        let fits = |crime, gender, age| -> Vec<String> {
            all.iter()
                .filter(|h| h.fits(crime, gender, age))
                .map(|h| h.name.clone())
                .collect()
        };
        let woman = fits(
            CrimeCategory::DomesticAbuse,
            Some(GenderEligibility::Women),
            Some(34),
        );
        assert!(woman.contains(&"National Domestic Abuse Helpline".to_owned()));
        assert!(!woman.contains(&"Men's Advice Line".to_owned()));
        assert!(!woman.contains(&"Childline".to_owned()));
        let man = fits(
            CrimeCategory::DomesticAbuse,
            Some(GenderEligibility::Men),
            None,
        );
        assert!(man.contains(&"Men's Advice Line".to_owned()));
        let child = fits(CrimeCategory::Robbery, None, Some(14));
        assert!(child.contains(&"Childline".to_owned()));
        assert!(!child.contains(&"National Domestic Abuse Helpline".to_owned()));
    }

    #[test]
    fn a_number_appears_once_and_the_police_come_first() {
        let dup = BundleContact {
            section: Section::Helpline,
            name: "Again".into(),
            organization: None,
            number: "1 0 1".into(),
            note: String::new(),
        };
        let b = assemble(Vec::new(), Vec::new(), vec![dup]);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].number, "999");
    }

    #[test]
    fn the_vcard_is_version_4_with_escaped_text() {
        let text = to_vcard(&[BundleContact {
            section: Section::Service,
            name: "New Era; IDVA, Stafford".into(),
            organization: Some("New Era".into()),
            number: "01632 960 001".into(),
            note: "Line one\nline two".into(),
        }]);
        assert!(text.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"), "{text}");
        assert!(text.contains("FN:New Era; IDVA\\, Stafford"), "{text}");
        assert!(text.contains("TEL:01632 960 001"));
        assert!(text.contains("NOTE:Line one\\nline two"), "{text}");
    }
}
