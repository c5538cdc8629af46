//! A safety plan for someone living with or escaping domestic abuse: structured sections the
//! caseworker and the person fill in together. The resources issued with it (a phone with the
//! contact bundle, an alarm, sanctuary scheme security) are `bundle::ResourceKind`. The sections
//! are data here, so a partnership can reword them without touching the pages.

use crate::validation::FieldErrors;
use std::collections::BTreeMap;

/// One section of a safety plan: what it is called and what to think about in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub prompt: &'static str,
}

/// The Silent Solution: how to call for help from a mobile without speaking.
pub const SILENT_SOLUTION: &str = "If you call 999 from a mobile and cannot speak, listen to \
    the operator's questions and cough or tap the handset if you can. If you are asked to, press \
    55: this tells the operator it is an emergency and puts you through to the police. Pressing 55 \
    does not send the police to where you are, so give your location if it is safe to. From a \
    landline, stay on the line: if the operator hears only background noise and cannot tell \
    whether help is needed, the call may be passed to the police.";

/// The sections, in the order they are worked through.
pub const SECTIONS: [Section; 8] = [
    Section {
        id: "safe_places",
        title: "Safe places and people to go to",
        prompt: "Where the person could go in an emergency, and who they could stay with or call: \
                 family, friends, neighbours, a refuge.",
    },
    Section {
        id: "calling_for_help",
        title: "How to call for help",
        prompt: "How the person will call the police or someone they trust, from which phone, and \
                 what they will say. Talk through the silent 999 call and pressing 55.",
    },
    Section {
        id: "emergency_bag",
        title: "Emergency bag",
        prompt: "What is packed and where it is kept safely: documents, money and cards, \
                 medicines, keys, phone and charger, things for the children.",
    },
    Section {
        id: "code_words",
        title: "Code words with trusted people",
        prompt: "A word or sign agreed with trusted people that means \"call the police\" or \
                 \"come now\", and who knows it.",
    },
    Section {
        id: "children",
        title: "Children's safety",
        prompt: "What the children know to do, who collects them from school, who the school \
                 knows must not collect them.",
    },
    Section {
        id: "technology",
        title: "Technology and online safety",
        prompt: "Changing passwords, location sharing and tracking, shared accounts, smart \
                 devices at home, social media settings.",
    },
    Section {
        id: "work",
        title: "Safety at work",
        prompt: "Whether the employer knows, screening calls, travel to and from work, a photo of \
                 the abuser for reception.",
    },
    Section {
        id: "court_orders",
        title: "Court orders in place",
        prompt: "Non-molestation, occupation or domestic abuse protection orders, bail \
                 conditions, child arrangements: what they say and when they end.",
    },
];

/// The section an id names.
pub fn section(id: &str) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.id == id)
}

/// Shown before a plan is printed.
pub const PRINT_WARNING: &str = "A paper copy of a safety plan can be found by the person it \
    protects them from. Before printing, agree with the person where they will keep it, or \
    whether they would rather not have a copy at all.";

/// The longest section.
pub const MAX_SECTION_CHARS: usize = 5_000;

/// Checks a plan's sections (section id to text): only known sections, each within the limit;
/// blank ones are left out.
pub fn check_sections(
    typed: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut kept = BTreeMap::new();
    for (id, text) in typed {
        if section(id).is_none() {
            errors.add(id, "This is not a section of the safety plan");
            continue;
        }
        let text = text.trim();
        if text.chars().count() > MAX_SECTION_CHARS {
            errors.add(id, "Keep each section to 5,000 characters or fewer");
        } else if !text.is_empty() {
            kept.insert(id.clone(), text.to_owned());
        }
    }
    errors.into_result(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sections_are_distinct_and_include_the_silent_call() {
        let ids: std::collections::BTreeSet<_> = SECTIONS.iter().map(|s| s.id).collect();
        assert_eq!(ids.len(), SECTIONS.len());
        assert!(section("calling_for_help").unwrap().prompt.contains("55"));
        assert!(SILENT_SOLUTION.contains("55"));
    }

    #[test]
    fn sections_are_checked_and_blanks_dropped() {
        let mut typed = BTreeMap::new();
        typed.insert(
            "code_words".to_owned(),
            "  Pineapple: call 999  ".to_owned(),
        );
        typed.insert("work".to_owned(), "   ".to_owned());
        let kept = check_sections(&typed).unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept["code_words"], "Pineapple: call 999");
        typed.insert("horoscope".to_owned(), "x".to_owned());
        typed.insert("children".to_owned(), "x".repeat(MAX_SECTION_CHARS + 1));
        let errors = check_sections(&typed).unwrap_err();
        assert!(errors.get("horoscope").is_some());
        assert!(errors.get("children").is_some());
    }
}
