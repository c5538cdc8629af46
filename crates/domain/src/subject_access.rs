//! Subject access (UK GDPR Article 15): everything Harbour holds about a person, gathered across
//! agencies into sections of items; items about someone else (the people who harmed them, their
//! children, other people), naming staff, or restricted by the agency that wrote them are
//! flagged for the data protection officer to redact or release, with a reason; then the export.
//! Answered within a calendar month of arriving, or three if extended as complex.

use crate::stats::facts::vocabulary;
use crate::validation::{FieldErrors, required_text};
use serde::Serialize;

vocabulary!(Flag {
    ThirdParty = "third_party", "About another person";
    Staff = "staff", "Names a member of staff";
    Restricted = "restricted", "Restricted by the agency that wrote it";
});

vocabulary!(Choice {
    Redact = "redact", "Redact it";
    Release = "release", "Release it";
});

vocabulary!(SarStatus {
    Open = "open", "Being prepared";
    Exported = "exported", "Sent";
});

/// One thing Harbour holds, as the person will read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Stable across gatherings: what a redaction decision is kept against.
    pub key: String,
    pub label: String,
    pub text: String,
    #[serde(skip)]
    pub flag: Option<Flag>,
}

/// A heading and its items: their details, a referral, a case and its notes, who read the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub title: String,
    pub items: Vec<Item>,
}

/// The officer's decision on a flagged item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub choice: Choice,
    pub reason: String,
}

/// What the export shows for an item: its text, or what kind of thing was taken out.
pub fn shown(item: &Item, decision: Option<&Decision>) -> String {
    match (item.flag, decision) {
        (Some(flag), Some(d)) if d.choice == Choice::Redact => {
            format!("[Redacted: {}]", flag.label().to_lowercase())
        }
        (Some(flag), None) => format!("[Redacted: {}]", flag.label().to_lowercase()),
        _ => item.text.clone(),
    }
}

/// Items flagged and not yet decided: the export waits for none.
pub fn undecided<'a>(
    sections: &'a [Section],
    decided: &std::collections::BTreeMap<String, Decision>,
) -> Vec<&'a Item> {
    sections
        .iter()
        .flat_map(|s| s.items.iter())
        .filter(|i| i.flag.is_some() && !decided.contains_key(&i.key))
        .collect()
}

/// Checks one flagged item's decision as the form gives it: a choice, and a reason (a release
/// must say why it is fair to the other person; a redaction why it is withheld).
pub fn check_decision(
    field: &str,
    choice: &str,
    reason: &str,
    errors: &mut FieldErrors,
) -> Option<Decision> {
    let choice = Choice::from_slug(choice);
    let reason = reason.trim();
    match choice {
        None if reason.is_empty() => None,
        None => {
            errors.add(&format!("choice_{field}"), "Choose to redact or release it");
            None
        }
        Some(c) => {
            let reason = required_text(
                errors,
                &format!("reason_{field}"),
                reason,
                "Give the reason, which is kept with the request",
                1_000,
            );
            (!reason.is_empty()).then_some(Decision { choice: c, reason })
        }
    }
}

/// Checks the reason a request is extended by two months as complex.
pub fn check_extension(reason: &str) -> Result<String, FieldErrors> {
    let mut e = FieldErrors::new();
    let r = required_text(
        &mut e,
        "extend_reason",
        reason,
        "Say why the request is complex: the person must be told within the first month",
        1_000,
    );
    if e.is_empty() { Ok(r) } else { Err(e) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn item(key: &str, flag: Option<Flag>) -> Item {
        Item {
            key: key.into(),
            label: "Perpetrator".into(),
            text: "Rhys Calder".into(),
            flag,
        }
    }

    #[test]
    fn a_flagged_item_is_shown_only_once_released() {
        let flagged = item("p1", Some(Flag::ThirdParty));
        assert_eq!(shown(&flagged, None), "[Redacted: about another person]");
        let release = Decision {
            choice: Choice::Release,
            reason: "She named him herself".into(),
        };
        assert_eq!(shown(&flagged, Some(&release)), "Rhys Calder");
        let plain = item("n1", None);
        assert_eq!(shown(&plain, None), "Rhys Calder");
        let sections = vec![Section {
            title: "Referral".into(),
            items: vec![flagged.clone(), plain],
        }];
        let mut decided = BTreeMap::new();
        assert_eq!(undecided(&sections, &decided).len(), 1);
        decided.insert("p1".to_owned(), release);
        assert!(undecided(&sections, &decided).is_empty());
    }

    #[test]
    fn a_decision_needs_a_reason() {
        let mut e = FieldErrors::new();
        assert!(check_decision("p1", "release", " ", &mut e).is_none());
        assert!(e.get("reason_p1").is_some());
        let mut e = FieldErrors::new();
        assert!(check_decision("p1", "", "", &mut e).is_none());
        assert!(e.is_empty(), "untouched: not decided yet");
        assert!(check_decision("p1", "redact", "His data", &mut e).is_some());
        assert!(check_extension("").is_err());
    }
}
