//! A referral into the gateway, as submitted and as checked.
//!
//! The person referred is kept apart from the referral (a person can be referred many times).
//! One input shape serves the staff form, the JSON API and the bulk file, so every channel
//! checks the same rules and names problems by the same paths, which are also JSON Pointers.

use crate::calendar::WorkingDays;
use crate::crime::{ConsentBasis, CrimeCategory};
use crate::instrument::RiskLevel;
use crate::safe_contact::{SafeContact, SafeContactInput};
use crate::validation::{FieldErrors, required_text};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Police,
    PartnerAgency,
    SelfReferral,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::Police, Source::PartnerAgency, Source::SelfReferral];

    pub fn slug(self) -> &'static str {
        match self {
            Source::Police => "police",
            Source::PartnerAgency => "partner_agency",
            Source::SelfReferral => "self",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::Police => "Police",
            Source::PartnerAgency => "Partner agency",
            Source::SelfReferral => "Self-referral",
        }
    }

    pub fn from_slug(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|x| x.slug() == s)
    }

    /// Working days from receipt within which the referral must reach support services.
    /// The Victims' Code sets 2 for police referrals; the hub holds itself to the same for others.
    pub fn working_days_to_respond(self) -> u32 {
        2
    }
}

/// Where a referral is in the gateway. Drafts are seen only by whoever is writing them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Received,
    Triaged,
    ReferredOn,
    Closed,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Draft,
        Status::Received,
        Status::Triaged,
        Status::ReferredOn,
        Status::Closed,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Received => "received",
            Status::Triaged => "triaged",
            Status::ReferredOn => "referred_on",
            Status::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::Received => "Received",
            Status::Triaged => "Triaged",
            Status::ReferredOn => "Referred on",
            Status::Closed => "Closed",
        }
    }

    pub fn from_slug(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.slug() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    Given,
    Declined,
    NotAsked,
}

impl Consent {
    pub fn slug(self) -> &'static str {
        match self {
            Consent::Given => "given",
            Consent::Declined => "declined",
            Consent::NotAsked => "not_asked",
        }
    }

    pub fn from_slug(s: &str) -> Option<Consent> {
        [Consent::Given, Consent::Declined, Consent::NotAsked]
            .into_iter()
            .find(|c| c.slug() == s)
    }
}

/// A referral as submitted: text as typed, to be checked by [`ReferralInput::validate`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReferralInput {
    pub source: String,
    pub crime_category: String,
    pub reported_to_police: Option<bool>,
    pub police_reference: String,
    /// YYYY-MM-DD
    pub incident_date: String,
    /// GSS code of the area where it happened.
    pub incident_area: String,
    pub person: PersonInput,
    pub perpetrators: Vec<PerpetratorInput>,
    pub children: Vec<ChildInput>,
    /// given, declined or not_asked
    pub consent_to_referral: String,
    pub consent_to_aggregate: Option<bool>,
    pub safe_contact: SafeContactInput,
    /// The referrer's own risk level, if they assessed it: standard, medium or high.
    pub risk_level: String,
    pub notes: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PersonInput {
    pub given_name: String,
    pub family_name: String,
    pub previous_names: Vec<String>,
    /// YYYY-MM-DD
    pub date_of_birth: String,
    #[serde(deserialize_with = "whole_years")]
    pub age: Option<u32>,
    pub gender: String,
    pub address: String,
    pub postcode: String,
    /// GSS code of the area where they live.
    pub area: String,
    pub language: String,
    pub interpreter_needed: bool,
    pub disability: String,
    pub vulnerability: String,
    pub ethnicity: String,
    pub sexual_orientation: String,
    pub religion: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PerpetratorInput {
    pub name: String,
    pub relationship: String,
    pub gender: String,
    #[serde(deserialize_with = "whole_years")]
    pub age: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChildInput {
    pub name: String,
    #[serde(deserialize_with = "whole_years")]
    pub age: Option<u32>,
}

/// The person as checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub given_name: String,
    pub family_name: String,
    pub previous_names: Vec<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub age: Option<u32>,
    pub gender: String,
    pub address: String,
    pub postcode: String,
    pub area: Option<String>,
    pub language: String,
    pub interpreter_needed: bool,
    pub disability: String,
    pub vulnerability: String,
    pub ethnicity: String,
    pub sexual_orientation: String,
    pub religion: String,
}

impl Person {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
            .trim()
            .to_owned()
    }

    /// The key that finds this person among those already stored, if their date of birth is
    /// known (see [`crate::person_match`]).
    pub fn match_key(&self) -> Option<String> {
        self.date_of_birth
            .map(|born| crate::person_match::match_key(&self.given_name, &self.family_name, born))
    }

    /// Age on `day`, from the date of birth or, failing that, the age given.
    pub fn age_on(&self, day: NaiveDate) -> Option<u32> {
        self.date_of_birth
            .and_then(|dob| day.years_since(dob))
            .or(self.age)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Perpetrator {
    pub name: String,
    pub relationship: String,
    pub gender: String,
    pub age: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Child {
    pub name: String,
    pub age: Option<u32>,
}

/// An age in whole years: JSON's 32.0 is the same number as 32, as the API document's
/// `integer` says; a fraction, a negative or a number too large is refused.
fn whole_years<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let n: Option<f64> = Option::deserialize(d)?;
    match n {
        None => Ok(None),
        Some(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => {
            Ok(Some(n as u32))
        }
        Some(_) => Err(serde::de::Error::custom("must be a whole number of years")),
    }
}

/// A referral as checked, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReferral {
    pub source: Source,
    pub crime_category: CrimeCategory,
    pub reported_to_police: bool,
    pub police_reference: Option<String>,
    pub incident_date: Option<NaiveDate>,
    pub incident_area: Option<String>,
    pub person: Person,
    pub perpetrators: Vec<Perpetrator>,
    pub children: Vec<Child>,
    pub consent_to_referral: Consent,
    pub consent_basis: ConsentBasis,
    pub consent_to_aggregate: bool,
    pub safe_contact: SafeContact,
    pub referrer_risk_level: Option<RiskLevel>,
    pub notes: String,
}

fn optional_text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let value = value.trim();
    if value.chars().count() > max {
        errors.add(field, format!("Must be {max} characters or fewer"));
    }
    value.to_owned()
}

fn parse_date(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    today: NaiveDate,
    what: &str,
) -> Option<NaiveDate> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(value, "%d/%m/%Y"))
    {
        Ok(d) if d > today => {
            errors.add(field, format!("{what} must be today or in the past"));
            None
        }
        Ok(d) if d.year_ce().1 < 1900 => {
            errors.add(field, format!("{what} must be after 1900"));
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(
                field,
                format!("{what} must be a real date, like 2026-11-23 or 23/11/2026"),
            );
            None
        }
    }
}

use chrono::Datelike;

/// The fields of a referral that may hold several lines.
const MULTI_LINE: &[&str] = &[
    "notes",
    "person/address",
    "person/disability",
    "person/vulnerability",
    "safe_contact/channels/*/value",
];

/// What a referral's fields are called in messages, where their own names would not do.
const LABELS: &[(&str, &str)] = &[
    ("person/given_name", "First name"),
    ("person/family_name", "Last name"),
    ("person/previous_names/*", "A previous name"),
    (
        "safe_contact/channels/*/value",
        "The safe number or address",
    ),
    ("safe_contact/safe_times/*/days/*", "A day"),
    (
        "perpetrators/*/name",
        "The name of the person who harmed them",
    ),
    ("perpetrators/*/relationship", "Their relationship"),
    ("children/*/name", "The child's name"),
];

impl ReferralInput {
    /// Checks every field against the rules; `known_areas` are the GSS codes Harbour holds.
    /// Every problem is reported, each at its path.
    pub fn validate(
        &self,
        today: NaiveDate,
        known_areas: &[String],
    ) -> Result<NewReferral, FieldErrors> {
        let mut e = FieldErrors::new();
        crate::validation::check_text(self, MULTI_LINE, LABELS, &mut e);
        let source = Source::from_slug(self.source.trim());
        if source.is_none() {
            e.add(
                "source",
                "Choose where the referral comes from: police, partner_agency or self",
            );
        }
        let crime_category = CrimeCategory::from_slug(self.crime_category.trim());
        if crime_category.is_none() {
            e.add("crime_category", "Choose the kind of crime from the list");
        }
        let police_reference =
            optional_text(&mut e, "police_reference", &self.police_reference, 50);
        if source == Some(Source::Police) && police_reference.is_empty() {
            e.add(
                "police_reference",
                "Enter the police crime or occurrence reference",
            );
        }
        let reported_to_police = self
            .reported_to_police
            .unwrap_or(source == Some(Source::Police));
        let incident_date = parse_date(
            &mut e,
            "incident_date",
            &self.incident_date,
            today,
            "The date of the incident",
        );
        if source == Some(Source::Police)
            && incident_date.is_none()
            && e.get("incident_date").is_none()
        {
            e.add("incident_date", "Enter the date of the incident");
        }
        let area = |e: &mut FieldErrors, field: &str, value: &str| -> Option<String> {
            let value = value.trim();
            if value.is_empty() {
                None
            } else if known_areas.iter().any(|a| a == value) {
                Some(value.to_owned())
            } else {
                e.add(
                    field,
                    format!(
                        "{value} is not an area Harbour knows; give its GSS code, like E07000197"
                    ),
                );
                None
            }
        };
        let incident_area = area(&mut e, "incident_area", &self.incident_area);

        let p = &self.person;
        let given_name = optional_text(&mut e, "person/given_name", &p.given_name, 100);
        let family_name = optional_text(&mut e, "person/family_name", &p.family_name, 100);
        if given_name.is_empty() && family_name.is_empty() {
            e.add(
                "person/given_name",
                "Enter the person's name: a first name is enough",
            );
        }
        let date_of_birth = parse_date(
            &mut e,
            "person/date_of_birth",
            &p.date_of_birth,
            today,
            "Date of birth",
        );
        if let Some(age) = p.age
            && age > 120
        {
            e.add("person/age", "Age must be between 0 and 120");
        }
        let postcode = if p.postcode.trim().is_empty() {
            String::new()
        } else {
            crate::postcode::Postcode::parse(&p.postcode)
                .map(|p| p.to_string())
                .unwrap_or_else(|| {
                    e.add("person/postcode", "Enter a real postcode, like ST16 2DH");
                    p.postcode.trim().to_owned()
                })
        };
        let person = Person {
            given_name,
            family_name,
            previous_names: p
                .previous_names
                .iter()
                .enumerate()
                .map(|(i, n)| optional_text(&mut e, &format!("person/previous_names/{i}"), n, 100))
                .filter(|n| !n.is_empty())
                .collect(),
            date_of_birth,
            age: p.age,
            gender: optional_text(&mut e, "person/gender", &p.gender, 50),
            address: optional_text(&mut e, "person/address", &p.address, 500),
            postcode,
            area: area(&mut e, "person/area", &p.area),
            language: optional_text(&mut e, "person/language", &p.language, 50),
            interpreter_needed: p.interpreter_needed,
            disability: optional_text(&mut e, "person/disability", &p.disability, 500),
            vulnerability: optional_text(&mut e, "person/vulnerability", &p.vulnerability, 500),
            ethnicity: optional_text(&mut e, "person/ethnicity", &p.ethnicity, 100),
            sexual_orientation: optional_text(
                &mut e,
                "person/sexual_orientation",
                &p.sexual_orientation,
                100,
            ),
            religion: optional_text(&mut e, "person/religion", &p.religion, 100),
        };
        let perpetrators = self
            .perpetrators
            .iter()
            .enumerate()
            .map(|(i, x)| Perpetrator {
                name: optional_text(&mut e, &format!("perpetrators/{i}/name"), &x.name, 200),
                relationship: required_text(
                    &mut e,
                    &format!("perpetrators/{i}/relationship"),
                    &x.relationship,
                    "Say how the perpetrator is related to the person, for example ex-partner",
                    100,
                ),
                gender: optional_text(&mut e, &format!("perpetrators/{i}/gender"), &x.gender, 50),
                age: x.age,
            })
            .collect();
        let children = self
            .children
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if c.age.is_some_and(|a| a > 17) {
                    e.add(
                        &format!("children/{i}/age"),
                        "Children in the household are under 18",
                    );
                }
                Child {
                    name: optional_text(&mut e, &format!("children/{i}/name"), &c.name, 200),
                    age: c.age,
                }
            })
            .collect();
        let consent_to_referral = if self.consent_to_referral.trim().is_empty() {
            Consent::NotAsked
        } else {
            Consent::from_slug(self.consent_to_referral.trim()).unwrap_or_else(|| {
                e.add(
                    "consent_to_referral",
                    "Say whether the person agreed to be referred: given, declined or not_asked",
                );
                Consent::NotAsked
            })
        };
        let safe_contact = self.safe_contact.validate("safe_contact", &mut e);
        let referrer_risk_level = match self.risk_level.trim() {
            "" => None,
            level => RiskLevel::from_slug(level).or_else(|| {
                e.add(
                    "risk_level",
                    "Give the risk level as standard, medium or high, or leave it out",
                );
                None
            }),
        };
        let notes = optional_text(&mut e, "notes", &self.notes, 5000);
        match (source, crime_category) {
            (Some(source), Some(crime_category)) if e.is_empty() => Ok(NewReferral {
                source,
                crime_category,
                reported_to_police,
                police_reference: (!police_reference.is_empty()).then_some(police_reference),
                incident_date,
                incident_area,
                person,
                perpetrators,
                children,
                consent_to_referral,
                consent_basis: crime_category.default_consent_basis(),
                consent_to_aggregate: self.consent_to_aggregate.unwrap_or(false),
                safe_contact,
                referrer_risk_level,
                notes,
            }),
            _ => Err(e),
        }
    }
}

/// When a referral received at `received` must have reached support services: the end of the
/// `n`th working day after the day it arrived, counted in UK local time.
pub fn due_by(source: Source, received: DateTime<Utc>, calendar: &WorkingDays) -> NaiveDate {
    let local = received
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    calendar.add_working_days(local, source.working_days_to_respond())
}

#[cfg(test)]
mod tests;
