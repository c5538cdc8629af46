//! Information, advice and guidance without a case: most people the hub hears from need
//! information and signposting rather than a referral on. The hub records what it gave and where
//! it pointed the person, as a light outcome of the referral that reports count.

use crate::validation::FieldErrors;
use serde::{Deserialize, Serialize};

/// What the person was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Given {
    /// How the criminal justice process works: reporting, investigation, court.
    CriminalJustice,
    /// Their rights under the Victims' Code.
    VictimsCode,
    /// Personal safety and safety planning.
    Safety,
    /// Practical help: forms, housing, money, repairs.
    Practical,
    /// Emotional support during the contact.
    Wellbeing,
    /// Criminal injuries compensation.
    Compensation,
    Other,
}

impl Given {
    pub const ALL: [Given; 7] = [
        Given::CriminalJustice,
        Given::VictimsCode,
        Given::Safety,
        Given::Practical,
        Given::Wellbeing,
        Given::Compensation,
        Given::Other,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Given::CriminalJustice => "criminal_justice",
            Given::VictimsCode => "victims_code",
            Given::Safety => "safety",
            Given::Practical => "practical",
            Given::Wellbeing => "wellbeing",
            Given::Compensation => "compensation",
            Given::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Given::CriminalJustice => "How the criminal justice process works",
            Given::VictimsCode => "Their rights under the Victims' Code",
            Given::Safety => "Personal safety advice",
            Given::Practical => "Practical help: forms, housing, money, repairs",
            Given::Wellbeing => "Emotional support",
            Given::Compensation => "Criminal injuries compensation",
            Given::Other => "Something else (say what in the note)",
        }
    }

    pub fn from_slug(s: &str) -> Option<Given> {
        Given::ALL.into_iter().find(|x| x.slug() == s)
    }
}

/// How it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    Phone,
    Email,
    Letter,
    TextMessage,
    InPerson,
}

impl How {
    pub const ALL: [How; 5] = [
        How::Phone,
        How::Email,
        How::Letter,
        How::TextMessage,
        How::InPerson,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            How::Phone => "phone",
            How::Email => "email",
            How::Letter => "letter",
            How::TextMessage => "text_message",
            How::InPerson => "in_person",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            How::Phone => "By phone",
            How::Email => "By email",
            How::Letter => "By letter",
            How::TextMessage => "By text message",
            How::InPerson => "In person",
        }
    }

    pub fn from_slug(s: &str) -> Option<How> {
        How::ALL.into_iter().find(|x| x.slug() == s)
    }
}

/// The advice as typed.
#[derive(Debug, Clone, Default)]
pub struct AdviceInput {
    pub given: Vec<String>,
    /// Where the person was signposted, one place a line.
    pub signposted: String,
    pub how: String,
    pub note: String,
    /// This is all the person needs: the referral closes.
    pub close: bool,
}

/// The advice as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    pub given: Vec<Given>,
    pub signposted: Vec<String>,
    pub how: How,
    pub note: Option<String>,
    pub close: bool,
}

/// The most places one record signposts to.
pub const MAX_SIGNPOSTS: usize = 20;

pub fn check_advice(input: &AdviceInput) -> Result<Advice, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut given = Vec::new();
    for slug in &input.given {
        match Given::from_slug(slug) {
            Some(g) if !given.contains(&g) => given.push(g),
            Some(_) => {}
            None => errors.add("given", "Choose what was given from the list"),
        }
    }
    if input.given.is_empty() {
        errors.add("given", "Choose the information or advice you gave");
    }
    given.sort();
    let signposted: Vec<String> = input
        .signposted
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if signposted.len() > MAX_SIGNPOSTS {
        errors.add("signposted", "Name 20 places or fewer");
    } else if signposted.iter().any(|s| s.chars().count() > 200) {
        errors.add("signposted", "Keep each place to 200 characters or fewer");
    }
    let how = How::from_slug(&input.how);
    if how.is_none() {
        errors.add("how", "Choose how the advice was given");
    }
    let note = Some(input.note.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 2_000) {
        errors.add("note", "Keep the note to 2,000 characters or fewer");
    }
    if given.contains(&Given::Other) && note.is_none() {
        errors.add("note", "Say what else was given");
    }
    match how {
        Some(how) if errors.is_empty() => Ok(Advice {
            given,
            signposted,
            how,
            note,
            close: input.close,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_needs_what_and_how_and_keeps_each_place_signposted() {
        let ok = check_advice(&AdviceInput {
            given: vec!["safety".into(), "victims_code".into(), "safety".into()],
            signposted: "  National Domestic Abuse Helpline \n\nCitizens Advice Stafford\n".into(),
            how: "phone".into(),
            note: String::new(),
            close: true,
        })
        .unwrap();
        assert_eq!(ok.given, [Given::VictimsCode, Given::Safety]);
        assert_eq!(
            ok.signposted,
            [
                "National Domestic Abuse Helpline",
                "Citizens Advice Stafford"
            ]
        );
        assert!(ok.close);
        let errors = check_advice(&AdviceInput::default()).unwrap_err();
        assert!(errors.get("given").is_some() && errors.get("how").is_some());
        let errors = check_advice(&AdviceInput {
            given: vec!["other".into()],
            how: "letter".into(),
            ..AdviceInput::default()
        })
        .unwrap_err();
        assert_eq!(errors.get("note"), Some("Say what else was given"));
    }
}
