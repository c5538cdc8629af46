//! Risk instruments as data, and the engine that scores them.
//!
//! An instrument is a versioned list of items answered yes, no, don't know or not asked. The
//! score is the count of yes answers ("don't know" never counts). Bands map a score to a level;
//! a professional's judgement can raise that level, with a recorded reason, but never lower it.
//! Instruments are loaded from TOML; see `instruments/harbour-demo-risk-checklist.toml`.

use crate::validation::FieldErrors;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The demonstration checklist Harbour ships. Not the DASH.
pub const DEMO_CHECKLIST: &str = include_str!("../instruments/harbour-demo-risk-checklist.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Standard,
    Medium,
    High,
}

impl RiskLevel {
    pub const ALL: [RiskLevel; 3] = [RiskLevel::Standard, RiskLevel::Medium, RiskLevel::High];

    pub fn slug(self) -> &'static str {
        match self {
            RiskLevel::Standard => "standard",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RiskLevel::Standard => "Standard",
            RiskLevel::Medium => "Medium",
            RiskLevel::High => "High",
        }
    }

    pub fn from_slug(s: &str) -> Option<RiskLevel> {
        RiskLevel::ALL.into_iter().find(|l| l.slug() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    DontKnow,
    NotAsked,
}

impl Answer {
    pub fn from_slug(s: &str) -> Option<Answer> {
        match s {
            "yes" => Some(Answer::Yes),
            "no" => Some(Answer::No),
            "dont_know" => Some(Answer::DontKnow),
            "not_asked" => Some(Answer::NotAsked),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub help: Option<String>,
    /// A required item must be answered yes, no or don't know; "not asked" is not enough.
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub min_score: u32,
    pub level: RiskLevel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub id: String,
    pub version: u32,
    pub title: String,
    /// Shown with the instrument: its status and licence.
    #[serde(default)]
    pub notice: String,
    /// A score at or above this is "visible high risk" for the MARAC criteria.
    pub high_risk_threshold: u32,
    pub bands: Vec<Band>,
    pub items: Vec<Item>,
}

/// Why an instrument file was refused, naming the place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InstrumentError(pub String);

impl Instrument {
    /// Parses and checks an instrument file.
    pub fn from_toml(text: &str) -> Result<Instrument, InstrumentError> {
        let instrument: Instrument =
            toml::from_str(text).map_err(|e| InstrumentError(e.to_string()))?;
        instrument.check()?;
        Ok(instrument)
    }

    pub fn demo() -> Instrument {
        // The shipped file is checked by the tests; it always parses.
        Instrument::from_toml(DEMO_CHECKLIST).unwrap_or_else(|e| panic!("demo checklist: {e}"))
    }

    fn check(&self) -> Result<(), InstrumentError> {
        let fail = |m: String| Err(InstrumentError(m));
        if self.id.trim().is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return fail("id must be letters, digits, - or _".into());
        }
        if self.version == 0 {
            return fail("version must be 1 or more".into());
        }
        if self.items.is_empty() {
            return fail("an instrument needs at least one item".into());
        }
        let mut seen = BTreeSet::new();
        for (i, item) in self.items.iter().enumerate() {
            if item.id.trim().is_empty() || item.text.trim().is_empty() {
                return fail(format!("item {} needs an id and a text", i + 1));
            }
            if !seen.insert(item.id.as_str()) {
                return fail(format!("item id {:?} is used twice", item.id));
            }
        }
        match self.bands.first() {
            Some(b) if b.min_score == 0 => {}
            _ => return fail("the first band must start at min_score = 0".into()),
        }
        for pair in self.bands.windows(2) {
            if pair[1].min_score <= pair[0].min_score || pair[1].level <= pair[0].level {
                return fail("bands must rise in both min_score and level".into());
            }
        }
        if self.high_risk_threshold == 0 || self.high_risk_threshold as usize > self.items.len() {
            return fail(format!(
                "high_risk_threshold must be between 1 and the number of items ({})",
                self.items.len()
            ));
        }
        Ok(())
    }

    /// The level the bands give a score.
    pub fn band_for(&self, score: u32) -> RiskLevel {
        self.bands
            .iter()
            .rev()
            .find(|b| score >= b.min_score)
            .map_or(RiskLevel::Standard, |b| b.level)
    }

    /// Scores a set of answers. Unknown items and unanswered required items are errors, named
    /// by item id; items not mentioned count as not asked.
    pub fn score(
        &self,
        answers: &BTreeMap<String, Answer>,
        judgement: Option<(RiskLevel, &str)>,
    ) -> Result<RiskOutcome, FieldErrors> {
        let mut errors = FieldErrors::new();
        for id in answers.keys() {
            if !self.items.iter().any(|i| &i.id == id) {
                errors.add(
                    id,
                    format!(
                        "{id} is not an item of {} version {}",
                        self.id, self.version
                    ),
                );
            }
        }
        let mut yes = 0;
        let mut dont_know = 0;
        let mut not_asked = 0;
        for item in &self.items {
            match answers.get(&item.id).copied().unwrap_or(Answer::NotAsked) {
                Answer::Yes => yes += 1,
                Answer::No => {}
                Answer::DontKnow => dont_know += 1,
                Answer::NotAsked => {
                    not_asked += 1;
                    if item.required {
                        errors.add(&item.id, "Answer this question: yes, no or don't know");
                    }
                }
            }
        }
        let scored = self.band_for(yes);
        let (level, judgement_reason) = match judgement {
            None => (scored, None),
            Some((level, reason)) => {
                let reason = reason.trim();
                if reason.is_empty() {
                    errors.add(
                        "judgement_reason",
                        "Give the reasons for your professional judgement",
                    );
                }
                if level < scored {
                    errors.add(
                        "judgement_level",
                        format!(
                            "Professional judgement can raise the level but not lower it below {}",
                            scored.label().to_lowercase()
                        ),
                    );
                }
                (level.max(scored), Some(reason.to_owned()))
            }
        };
        errors.into_result(RiskOutcome {
            answers: answers.clone(),
            score: yes,
            dont_know,
            not_asked,
            scored_level: scored,
            level,
            judgement_reason,
            visible_high_risk: yes >= self.high_risk_threshold,
        })
    }
}

impl Instrument {
    /// Scores answers as a form types them (item id to `yes`, `no`, `dont_know` or `not_asked`)
    /// with an optional professional judgement (a level's slug, or empty, and the reasons). Errors
    /// are named as the forms name their fields: `answers/{item}`, `judgement_level`,
    /// `judgement_reason`.
    pub fn score_typed(
        &self,
        typed: &BTreeMap<String, String>,
        judgement_level: &str,
        judgement_reason: &str,
    ) -> Result<RiskOutcome, FieldErrors> {
        let mut e = FieldErrors::new();
        let mut answers = BTreeMap::new();
        for (item, slug) in typed {
            match Answer::from_slug(slug) {
                Some(a) => {
                    answers.insert(item.clone(), a);
                }
                None => e.add(
                    &format!("answers/{item}"),
                    "Answer yes, no, don't know or not asked",
                ),
            }
        }
        let judgement = match judgement_level.trim() {
            "" => None,
            slug => match RiskLevel::from_slug(slug) {
                Some(level) => Some((level, judgement_reason)),
                None => {
                    e.add("judgement_level", "Choose a risk level from the list");
                    None
                }
            },
        };
        match self.score(&answers, judgement) {
            Ok(risk) => e.into_result(risk),
            Err(errors) => {
                for err in errors.iter() {
                    let field = if err.field.starts_with("judgement") {
                        err.field.clone()
                    } else {
                        format!("answers/{}", err.field)
                    };
                    e.add(&field, err.message.clone());
                }
                Err(e)
            }
        }
    }
}

/// The result of scoring: the count, the level the bands gave, and the final level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskOutcome {
    /// The answers scored (items not answered are absent: not asked).
    pub answers: BTreeMap<String, Answer>,
    pub score: u32,
    pub dont_know: u32,
    pub not_asked: u32,
    pub scored_level: RiskLevel,
    pub level: RiskLevel,
    pub judgement_reason: Option<String>,
    pub visible_high_risk: bool,
}

impl RiskOutcome {
    pub fn raised_by_judgement(&self) -> bool {
        self.level > self.scored_level
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn answers(yes: usize, demo: &Instrument) -> BTreeMap<String, Answer> {
        demo.items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                (
                    item.id.clone(),
                    if i < yes { Answer::Yes } else { Answer::No },
                )
            })
            .collect()
    }

    #[test]
    fn the_demo_checklist_loads() {
        let demo = Instrument::demo();
        assert_eq!(demo.items.len(), 24);
        assert_eq!(demo.high_risk_threshold, 14);
        assert!(demo.title.contains("not the DASH"));
    }

    #[test]
    fn fourteen_yes_answers_are_visible_high_risk() {
        let demo = Instrument::demo();
        let thirteen = demo.score(&answers(13, &demo), None).unwrap();
        assert_eq!(
            (thirteen.score, thirteen.level, thirteen.visible_high_risk),
            (13, RiskLevel::Standard, false)
        );
        let fourteen = demo.score(&answers(14, &demo), None).unwrap();
        assert_eq!(
            (fourteen.level, fourteen.visible_high_risk),
            (RiskLevel::High, true)
        );
    }

    #[test]
    fn dont_know_never_counts() {
        let demo = Instrument::demo();
        let all: BTreeMap<_, _> = demo
            .items
            .iter()
            .map(|i| (i.id.clone(), Answer::DontKnow))
            .collect();
        let outcome = demo.score(&all, None).unwrap();
        assert_eq!((outcome.score, outcome.dont_know), (0, 24));
    }

    #[test]
    fn judgement_raises_with_a_reason_and_never_lowers() {
        let demo = Instrument::demo();
        let raised = demo
            .score(
                &answers(5, &demo),
                Some((
                    RiskLevel::High,
                    "Honour-based abuse; family pressing her to return",
                )),
            )
            .unwrap();
        assert_eq!(raised.level, RiskLevel::High);
        assert!(raised.raised_by_judgement());
        assert!(!raised.visible_high_risk);
        let errors = demo
            .score(
                &answers(15, &demo),
                Some((RiskLevel::Standard, "seems calm")),
            )
            .unwrap_err();
        assert!(
            errors
                .get("judgement_level")
                .unwrap()
                .contains("not lower it below high")
        );
        let errors = demo
            .score(&answers(2, &demo), Some((RiskLevel::High, " ")))
            .unwrap_err();
        assert_eq!(
            errors.get("judgement_reason"),
            Some("Give the reasons for your professional judgement")
        );
    }

    #[test]
    fn unknown_and_missing_required_items_are_named() {
        let mut inst = Instrument::demo();
        inst.items[0].required = true;
        let mut a = BTreeMap::new();
        a.insert("no_such_item".to_owned(), Answer::Yes);
        let errors = inst.score(&a, None).unwrap_err();
        assert!(errors.get("no_such_item").is_some());
        assert_eq!(
            errors.get("injury"),
            Some("Answer this question: yes, no or don't know")
        );
    }

    #[test]
    fn a_local_band_table_is_an_override() {
        let mut local = Instrument::demo();
        local.bands = vec![
            Band {
                min_score: 0,
                level: RiskLevel::Standard,
            },
            Band {
                min_score: 10,
                level: RiskLevel::Medium,
            },
            Band {
                min_score: 14,
                level: RiskLevel::High,
            },
        ];
        local.check().unwrap();
        assert_eq!(local.band_for(9), RiskLevel::Standard);
        assert_eq!(local.band_for(10), RiskLevel::Medium);
        assert_eq!(local.band_for(14), RiskLevel::High);
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let bad = DEMO_CHECKLIST.replace("min_score = 0", "min_score = 1");
        assert!(
            Instrument::from_toml(&bad)
                .unwrap_err()
                .0
                .contains("first band")
        );
        let bad = DEMO_CHECKLIST.replace("id = \"fear\"", "id = \"injury\"");
        assert!(
            Instrument::from_toml(&bad)
                .unwrap_err()
                .0
                .contains("used twice")
        );
        let bad = DEMO_CHECKLIST.replace("high_risk_threshold = 14", "high_risk_threshold = 99");
        assert!(
            Instrument::from_toml(&bad)
                .unwrap_err()
                .0
                .contains("high_risk_threshold")
        );
        assert!(Instrument::from_toml("id = 3").is_err());
        let bad = DEMO_CHECKLIST.replace("title =", "colour = \"red\"\ntitle =");
        assert!(
            Instrument::from_toml(&bad)
                .unwrap_err()
                .0
                .contains("colour")
        );
    }

    proptest! {
        #[test]
        fn the_score_is_the_count_of_yes(choices in proptest::collection::vec(0u8..4, 24)) {
            let demo = Instrument::demo();
            let a: BTreeMap<String, Answer> = demo.items.iter().zip(&choices).map(|(item, c)| {
                (item.id.clone(), [Answer::Yes, Answer::No, Answer::DontKnow, Answer::NotAsked][*c as usize])
            }).collect();
            let outcome = demo.score(&a, None).unwrap();
            let yes = choices.iter().filter(|c| **c == 0).count() as u32;
            prop_assert_eq!(outcome.score, yes);
            prop_assert_eq!(outcome.visible_high_risk, yes >= 14);
            // Judgement at or above the scored level is always accepted and never lowers it.
            for level in RiskLevel::ALL.into_iter().filter(|l| *l >= outcome.scored_level) {
                let judged = demo.score(&a, Some((level, "reason"))).unwrap();
                prop_assert_eq!(judged.level, level);
            }
        }
    }
}
