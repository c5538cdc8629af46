//! Agencies: the organisations in the partnership.

use crate::ids::AgencyId;
use crate::validation::{FieldErrors, required_text};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    Police,
    Hub,
    DomesticAbuseService,
    ChildrensService,
    Charity,
    Council,
    Health,
    Commissioner,
}

impl AgencyKind {
    pub const ALL: [AgencyKind; 8] = [
        AgencyKind::Police,
        AgencyKind::Hub,
        AgencyKind::DomesticAbuseService,
        AgencyKind::ChildrensService,
        AgencyKind::Charity,
        AgencyKind::Council,
        AgencyKind::Health,
        AgencyKind::Commissioner,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            AgencyKind::Police => "police",
            AgencyKind::Hub => "hub",
            AgencyKind::DomesticAbuseService => "domestic_abuse_service",
            AgencyKind::ChildrensService => "childrens_service",
            AgencyKind::Charity => "charity",
            AgencyKind::Council => "council",
            AgencyKind::Health => "health",
            AgencyKind::Commissioner => "commissioner",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgencyKind::Police => "Police",
            AgencyKind::Hub => "Victim gateway hub",
            AgencyKind::DomesticAbuseService => "Domestic abuse service",
            AgencyKind::ChildrensService => "Children's service",
            AgencyKind::Charity => "Charity",
            AgencyKind::Council => "Council",
            AgencyKind::Health => "Health",
            AgencyKind::Commissioner => "Commissioner",
        }
    }

    pub fn from_slug(s: &str) -> Option<AgencyKind> {
        AgencyKind::ALL.into_iter().find(|k| k.slug() == s)
    }
}

/// An agency as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agency {
    pub id: AgencyId,
    pub name: String,
    pub kind: AgencyKind,
    pub active: bool,
    /// GSS codes of the areas it serves.
    pub areas: Vec<String>,
}

/// What a person submits to create or change an agency, before checking.
#[derive(Debug, Clone, Default)]
pub struct AgencyInput {
    pub name: String,
    pub kind: String,
    pub areas: Vec<String>,
}

/// A checked agency, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgency {
    pub name: String,
    pub kind: AgencyKind,
    pub areas: Vec<String>,
}

impl AgencyInput {
    /// Checks the input against the areas that exist.
    pub fn validate(&self, known_areas: &[String]) -> Result<NewAgency, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = required_text(
            &mut errors,
            "name",
            &self.name,
            "Enter the agency's name",
            200,
        );
        let kind = AgencyKind::from_slug(self.kind.trim());
        if kind.is_none() {
            errors.add("kind", "Select the kind of agency");
        }
        let mut areas: Vec<String> = self.areas.iter().map(|a| a.trim().to_owned()).collect();
        areas.sort();
        areas.dedup();
        areas.retain(|a| !a.is_empty());
        if areas.is_empty() {
            errors.add("areas", "Select at least one area the agency serves");
        } else if let Some(unknown) = areas.iter().find(|a| !known_areas.contains(a)) {
            errors.add("areas", format!("{unknown} is not an area Harbour knows"));
        }
        match kind {
            Some(kind) if errors.is_empty() => Ok(NewAgency { name, kind, areas }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        vec!["E07000197".into(), "E06000021".into()]
    }

    #[test]
    fn valid_input_is_normalised() {
        let input = AgencyInput {
            name: "  New Era ".into(),
            kind: "domestic_abuse_service".into(),
            areas: vec!["E06000021".into(), "E07000197".into(), "E06000021".into()],
        };
        let agency = input.validate(&known()).unwrap();
        assert_eq!(agency.name, "New Era");
        assert_eq!(agency.kind, AgencyKind::DomesticAbuseService);
        assert_eq!(agency.areas, vec!["E06000021", "E07000197"]);
    }

    #[test]
    fn every_field_is_reported() {
        let input = AgencyInput {
            name: " ".into(),
            kind: "pub".into(),
            areas: vec!["E99999999".into()],
        };
        let errors = input.validate(&known()).unwrap_err();
        assert_eq!(errors.get("name"), Some("Enter the agency's name"));
        assert_eq!(errors.get("kind"), Some("Select the kind of agency"));
        assert_eq!(
            errors.get("areas"),
            Some("E99999999 is not an area Harbour knows")
        );
    }
}
