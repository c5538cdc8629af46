//! A case's support plan: goals in the person's own words, each tied to one or more of the eight
//! categories of need, with actions (what, who, by when) and progress. The plan is reviewed with
//! the case, at the intervals its tier sets (`case::REVIEW_RULES`).

use crate::needs::NeedCategory;
use crate::validation::FieldErrors;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How far a goal has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    NotStarted,
    UnderWay,
    Achieved,
    /// The person no longer wants or needs it.
    NoLongerNeeded,
}

impl Progress {
    pub const ALL: [Progress; 4] = [
        Progress::NotStarted,
        Progress::UnderWay,
        Progress::Achieved,
        Progress::NoLongerNeeded,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Progress::NotStarted => "not_started",
            Progress::UnderWay => "under_way",
            Progress::Achieved => "achieved",
            Progress::NoLongerNeeded => "no_longer_needed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Progress::NotStarted => "Not started",
            Progress::UnderWay => "Under way",
            Progress::Achieved => "Achieved",
            Progress::NoLongerNeeded => "No longer needed",
        }
    }

    pub fn from_slug(s: &str) -> Option<Progress> {
        Progress::ALL.into_iter().find(|x| x.slug() == s)
    }

    /// Whether the goal is still being worked towards.
    pub fn active(self) -> bool {
        matches!(self, Progress::NotStarted | Progress::UnderWay)
    }
}

/// The longest goal, in the person's words.
pub const MAX_GOAL_CHARS: usize = 1_000;
/// The longest action, or progress note.
pub const MAX_ACTION_CHARS: usize = 1_000;
/// The longest "who does it".
pub const MAX_WHO_CHARS: usize = 200;

/// A goal as checked: its words and the needs it meets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goal {
    pub words: String,
    pub needs: Vec<NeedCategory>,
}

/// Checks a goal: the person's words, and at least one category of need (as slugs).
pub fn check_goal(words: &str, needs: &[String]) -> Result<Goal, FieldErrors> {
    let mut errors = FieldErrors::new();
    let words = words.trim();
    if words.is_empty() {
        errors.add("goal", "Enter the goal, in the person's own words");
    } else if words.chars().count() > MAX_GOAL_CHARS {
        errors.add("goal", "The goal must be 1,000 characters or fewer");
    }
    let mut chosen: Vec<NeedCategory> = Vec::new();
    for slug in needs {
        match NeedCategory::from_slug(slug) {
            Some(n) if !chosen.contains(&n) => chosen.push(n),
            Some(_) => {}
            None => errors.add("needs", "Choose the needs from the list"),
        }
    }
    if needs.is_empty() {
        errors.add(
            "needs",
            "Choose at least one area of need the goal is about",
        );
    }
    chosen.sort();
    errors.into_result(Goal {
        words: words.to_owned(),
        needs: chosen,
    })
}

/// An action as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub what: String,
    pub who: String,
    pub by: NaiveDate,
}

/// Parses a day as people type it: `27/3/2026`, or `2026-03-27` from a date field.
pub fn parse_day(typed: &str) -> Option<NaiveDate> {
    let typed = typed.trim();
    NaiveDate::parse_from_str(typed, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(typed, "%Y-%m-%d"))
        .ok()
}

/// Checks an action: what is to be done, who does it, and by when (today or later).
pub fn check_action(
    what: &str,
    who: &str,
    by: &str,
    today: NaiveDate,
) -> Result<Action, FieldErrors> {
    let mut errors = FieldErrors::new();
    let what = what.trim();
    if what.is_empty() {
        errors.add("action", "Enter what will be done");
    } else if what.chars().count() > MAX_ACTION_CHARS {
        errors.add("action", "The action must be 1,000 characters or fewer");
    }
    let who = who.trim();
    if who.is_empty() {
        errors.add("who", "Enter who will do it, for example the person, their caseworker or their housing officer");
    } else if who.chars().count() > MAX_WHO_CHARS {
        errors.add("who", "Who will do it must be 200 characters or fewer");
    }
    let day = parse_day(by);
    match day {
        None if by.trim().is_empty() => {
            errors.add("by", "Enter the date it is to be done by");
        }
        None => {
            errors.add("by", "The date must be a real date, for example 27/3/2026");
        }
        Some(d) if d < today => {
            errors.add("by", "The date it is to be done by must be today or later");
        }
        Some(_) => {}
    }
    let by = day.unwrap_or(today);
    errors.into_result(Action {
        what: what.to_owned(),
        who: who.to_owned(),
        by,
    })
}

/// The needs as stored: their slugs joined by commas.
pub fn needs_to_text(needs: &[NeedCategory]) -> String {
    needs.iter().map(|n| n.slug()).collect::<Vec<_>>().join(",")
}

/// The needs stored as text, skipping any no longer known.
pub fn needs_from_text(text: &str) -> Vec<NeedCategory> {
    text.split(',')
        .filter_map(NeedCategory::from_slug)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_goal_needs_words_and_at_least_one_need() {
        let goal = check_goal(
            "  I want to feel safe in my own home again ",
            &["accommodation".into(), "health".into(), "health".into()],
        )
        .unwrap();
        assert_eq!(goal.words, "I want to feel safe in my own home again");
        assert_eq!(
            goal.needs,
            vec![
                NeedCategory::HealthMentalAndPhysical,
                NeedCategory::ShelterAndAccommodation
            ]
        );
        let errors = check_goal(" ", &[]).unwrap_err();
        assert!(errors.get("goal").is_some());
        assert!(errors.get("needs").is_some());
        let errors = check_goal("Sleep", &["astrology".into()]).unwrap_err();
        assert!(errors.get("needs").is_some());
    }

    #[test]
    fn an_action_is_due_today_or_later() {
        let today = day("2026-03-27");
        let a = check_action(
            "Apply for a sanctuary scheme",
            "Caseworker",
            "3/4/2026",
            today,
        )
        .unwrap();
        assert_eq!(a.by, day("2026-04-03"));
        let errors = check_action("", "", "26/3/2026", today).unwrap_err();
        assert!(errors.get("action").is_some());
        assert!(errors.get("who").is_some());
        assert_eq!(
            errors.get("by"),
            Some("The date it is to be done by must be today or later")
        );
        let errors = check_action("x", "y", "31/2/2026", today).unwrap_err();
        assert!(errors.get("by").unwrap().contains("real date"));
    }

    #[test]
    fn needs_round_trip_through_text() {
        let needs = vec![
            NeedCategory::FinanceAndBenefits,
            NeedCategory::SocialInteraction,
        ];
        assert_eq!(needs_from_text(&needs_to_text(&needs)), needs);
        assert!(needs_from_text("").is_empty());
    }
}
