//! Outcome tools as data, and distance travelled.
//!
//! An outcome tool is a versioned set of areas of a person's life, each scored on one scale (for
//! example 1 to 10), with stages along it from crisis to coping. A case takes readings with it at
//! the start, at reviews and at exit; distance travelled is how far each area's score moved from
//! the first reading to the latest. Tools are loaded from TOML; see
//! `instruments/harbour-demo-outcome-tool.toml`.

use crate::needs::NeedCategory;
use crate::validation::FieldErrors;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The demonstration tool Harbour ships. Not the Outcomes Star.
pub const DEMO_OUTCOME_TOOL: &str = include_str!("../instruments/harbour-demo-outcome-tool.toml");

/// A stage along the scale: it starts at `from` and runs to the next stage's start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub from: u8,
    pub label: String,
    pub description: String,
}

/// One area of the person's life the tool scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Area {
    pub id: String,
    pub label: String,
    /// What the caseworker asks to place the score.
    pub question: String,
    /// The category of need it measures, if one (its slug).
    #[serde(default)]
    pub need: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeTool {
    /// Always "outcome": what tells an outcome tool's file from a risk instrument's.
    pub kind: String,
    pub id: String,
    pub version: u32,
    pub title: String,
    #[serde(default)]
    pub notice: String,
    pub min: u8,
    pub max: u8,
    pub stages: Vec<Stage>,
    pub areas: Vec<Area>,
}

/// Whether a file is an outcome tool's (it says `kind = "outcome"`) rather than a risk
/// instrument's.
pub fn is_outcome_tool(text: &str) -> bool {
    toml::from_str::<toml::Table>(text)
        .ok()
        .is_some_and(|t| t.get("kind").and_then(|k| k.as_str()) == Some("outcome"))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ToolError(pub String);

impl OutcomeTool {
    /// Reads and checks a tool: a scale with room to move, stages that start at its bottom and
    /// climb inside it, areas with distinct ids, and needs that Harbour knows.
    pub fn from_toml(text: &str) -> Result<OutcomeTool, ToolError> {
        let tool: OutcomeTool = toml::from_str(text)
            .map_err(|e| ToolError(format!("not a valid outcome tool: {e}")))?;
        if tool.kind != "outcome" {
            return Err(ToolError("an outcome tool says kind = \"outcome\"".into()));
        }
        if tool.min >= tool.max {
            return Err(ToolError("the scale's max must be above its min".into()));
        }
        if tool.stages.first().map(|s| s.from) != Some(tool.min) {
            return Err(ToolError(
                "the first stage must start at the bottom of the scale".into(),
            ));
        }
        if tool
            .stages
            .windows(2)
            .any(|w| w[1].from <= w[0].from || w[1].from > tool.max)
        {
            return Err(ToolError(
                "each stage must start above the one before, inside the scale".into(),
            ));
        }
        if tool.areas.is_empty() {
            return Err(ToolError("a tool needs at least one area".into()));
        }
        let mut ids = BTreeSet::new();
        for a in &tool.areas {
            if !ids.insert(a.id.as_str()) {
                return Err(ToolError(format!("the area id {:?} is used twice", a.id)));
            }
            if let Some(n) = &a.need
                && NeedCategory::from_slug(n).is_none()
            {
                return Err(ToolError(format!(
                    "area {:?}: {n:?} is not a category of need",
                    a.id
                )));
            }
        }
        Ok(tool)
    }

    pub fn demo() -> OutcomeTool {
        OutcomeTool::from_toml(DEMO_OUTCOME_TOOL).expect("the shipped outcome tool is valid")
    }

    /// The stage a score is in.
    pub fn stage(&self, score: u8) -> &Stage {
        self.stages
            .iter()
            .rev()
            .find(|s| s.from <= score)
            .unwrap_or(&self.stages[0])
    }

    /// Checks a reading as the form gives it (area id → the score typed): every area scored,
    /// each a whole number on the scale. Errors are keyed `score/{area}`.
    pub fn check_reading(
        &self,
        typed: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, u8>, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut scores = BTreeMap::new();
        for key in typed.keys() {
            if !self.areas.iter().any(|a| &a.id == key) {
                errors.add(
                    &format!("score/{key}"),
                    format!("{key} is not an area of {}", self.title),
                );
            }
        }
        for area in &self.areas {
            let field = format!("score/{}", area.id);
            match typed.get(&area.id).map(|s| s.trim()).unwrap_or("") {
                "" => errors.add(&field, format!("Choose a score for {}", area.label)),
                s => match s.parse::<u8>() {
                    Ok(n) if (self.min..=self.max).contains(&n) => {
                        scores.insert(area.id.clone(), n);
                    }
                    _ => errors.add(
                        &field,
                        format!(
                            "The score for {} must be a whole number from {} to {}",
                            area.label, self.min, self.max
                        ),
                    ),
                },
            }
        }
        if errors.is_empty() {
            Ok(scores)
        } else {
            Err(errors)
        }
    }
}

/// When in the case a reading was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadingKind {
    Start,
    Review,
    Exit,
}

impl ReadingKind {
    pub const ALL: [ReadingKind; 3] = [ReadingKind::Start, ReadingKind::Review, ReadingKind::Exit];

    pub fn slug(self) -> &'static str {
        match self {
            ReadingKind::Start => "start",
            ReadingKind::Review => "review",
            ReadingKind::Exit => "exit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReadingKind::Start => "At the start",
            ReadingKind::Review => "At a review",
            ReadingKind::Exit => "At the end of support",
        }
    }

    pub fn from_slug(s: &str) -> Option<ReadingKind> {
        ReadingKind::ALL.into_iter().find(|x| x.slug() == s)
    }
}

/// How far one area moved from the first reading to the latest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Travelled {
    pub area_id: String,
    pub label: String,
    pub first: u8,
    pub latest: u8,
    /// `latest - first`: positive is better.
    pub change: i16,
}

/// Distance travelled between two readings, area by area (areas scored in both, in the tool's
/// order), and the mean change over them.
pub fn distance(
    tool: &OutcomeTool,
    first: &BTreeMap<String, u8>,
    latest: &BTreeMap<String, u8>,
) -> (Vec<Travelled>, Option<f64>) {
    let areas: Vec<Travelled> = tool
        .areas
        .iter()
        .filter_map(|a| {
            let (&f, &l) = (first.get(&a.id)?, latest.get(&a.id)?);
            Some(Travelled {
                area_id: a.id.clone(),
                label: a.label.clone(),
                first: f,
                latest: l,
                change: i16::from(l) - i16::from(f),
            })
        })
        .collect();
    let mean = (!areas.is_empty())
        .then(|| areas.iter().map(|t| f64::from(t.change)).sum::<f64>() / areas.len() as f64);
    (areas, mean)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(pairs: &[(&str, u8)]) -> BTreeMap<String, u8> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn the_demo_tool_covers_safety_and_the_eight_needs() {
        let t = OutcomeTool::demo();
        assert_eq!(t.areas.len(), 9);
        let needs: BTreeSet<_> = t.areas.iter().filter_map(|a| a.need.clone()).collect();
        assert_eq!(needs.len(), NeedCategory::ALL.len());
        assert!(t.areas.iter().any(|a| a.id == "safety" && a.need.is_none()));
    }

    #[test]
    fn a_score_falls_in_the_stage_it_reaches() {
        let t = OutcomeTool::demo();
        assert_eq!(t.stage(1).label, "In crisis");
        assert_eq!(t.stage(3).label, "In crisis");
        assert_eq!(t.stage(4).label, "Getting support");
        assert_eq!(t.stage(7).label, "Making progress");
        assert_eq!(t.stage(10).label, "Coping well");
    }

    #[test]
    fn a_reading_must_score_every_area_on_the_scale() {
        let t = OutcomeTool::demo();
        let mut typed: BTreeMap<String, String> =
            t.areas.iter().map(|a| (a.id.clone(), "5".into())).collect();
        assert_eq!(t.check_reading(&typed).unwrap().len(), 9);
        typed.insert("safety".into(), "11".into());
        typed.insert("money".into(), " ".into());
        typed.insert("health".into(), "4.5".into());
        let e = t.check_reading(&typed).unwrap_err();
        assert!(e.get("score/safety").unwrap().contains("from 1 to 10"));
        assert_eq!(
            e.get("score/money"),
            Some("Choose a score for Money and practical matters")
        );
        assert!(e.get("score/health").is_some());
        assert_eq!(e.iter().count(), 3);
    }

    #[test]
    fn distance_travelled_is_latest_less_first_for_areas_in_both() {
        let t = OutcomeTool::demo();
        let (areas, mean) = distance(
            &t,
            &scores(&[("safety", 2), ("health", 5), ("money", 6)]),
            &scores(&[("safety", 7), ("health", 4), ("social", 9)]),
        );
        assert_eq!(
            areas
                .iter()
                .map(|a| (a.area_id.as_str(), a.change))
                .collect::<Vec<_>>(),
            [("safety", 5), ("health", -1)],
            "in the tool's order, only areas scored both times"
        );
        assert_eq!(mean, Some(2.0));
        assert_eq!(distance(&t, &scores(&[]), &scores(&[])).1, None);
    }

    #[test]
    fn an_outcome_tools_file_is_told_from_a_risk_instruments() {
        assert!(is_outcome_tool(DEMO_OUTCOME_TOOL));
        assert!(!is_outcome_tool(crate::instrument::DEMO_CHECKLIST));
        assert!(!is_outcome_tool("not toml ["));
    }

    #[test]
    fn a_bad_tool_is_refused_with_the_reason() {
        let bad = |from: &str, to: &str| {
            OutcomeTool::from_toml(&DEMO_OUTCOME_TOOL.replacen(from, to, 1))
                .unwrap_err()
                .0
        };
        assert!(bad("kind = \"outcome\"", "kind = \"risk\"").contains("kind"));
        assert!(bad("max = 10", "max = 1").contains("max"));
        assert!(bad("from = 4", "from = 1").contains("stage"));
        assert!(bad("id = \"health\"", "id = \"safety\"").contains("twice"));
        assert!(bad("need = \"health\"", "need = \"hobbies\"").contains("category of need"));
    }
}
