//! Deadlines for onward referrals, as data: each rule names a milestone (acknowledge, first
//! contact attempt, first contact, return-home interview), a span in working days (England and
//! Wales) or clock hours, where the clock starts, and which referrals it applies to. The shipped
//! rules are in `deadlines/default-rules.toml`; a partnership can load its own in that format.
//!
//! A span in working days ends at the close of the nth working day after the start (UK time),
//! so a referral sent on Friday afternoon with 2 working days is due by the end of Tuesday, or
//! Wednesday when Monday is a bank holiday. Clock hours are counted straight through.

use crate::calendar::{WorkingDays, uk_date};
use crate::crime::CrimeCategory;
use crate::instrument::RiskLevel;
use crate::needs::ServiceTier;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;
use serde::{Deserialize, Serialize};

pub const DEFAULT_RULES: &str = include_str!("../deadlines/default-rules.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    Acknowledge,
    FirstContactAttempt,
    FirstContact,
    ReturnHomeInterview,
}

impl Milestone {
    pub fn slug(self) -> &'static str {
        match self {
            Milestone::Acknowledge => "acknowledge",
            Milestone::FirstContactAttempt => "first_contact_attempt",
            Milestone::FirstContact => "first_contact",
            Milestone::ReturnHomeInterview => "return_home_interview",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Milestone::Acknowledge => "Acknowledge the referral",
            Milestone::FirstContactAttempt => "First attempt to contact the person",
            Milestone::FirstContact => "Speak to the person",
            Milestone::ReturnHomeInterview => "Return-home interview",
        }
    }

    pub fn from_slug(s: &str) -> Option<Milestone> {
        [
            Milestone::Acknowledge,
            Milestone::FirstContactAttempt,
            Milestone::FirstContact,
            Milestone::ReturnHomeInterview,
        ]
        .into_iter()
        .find(|m| m.slug() == s)
    }
}

/// Where a rule's clock starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Start {
    /// When the onward referral was sent.
    #[default]
    Sent,
    /// When the report reached Harbour.
    Received,
    /// When a missing child came home (the report's time when not recorded).
    Returned,
}

/// Something about the person's situation that a rule can depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Circumstance {
    ChildReturnedFromMissing,
}

impl Circumstance {
    pub fn slug(self) -> &'static str {
        match self {
            Circumstance::ChildReturnedFromMissing => "child_returned_from_missing",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Circumstance::ChildReturnedFromMissing => "A child back home after being missing",
        }
    }

    pub fn from_slug(s: &str) -> Option<Circumstance> {
        (s == "child_returned_from_missing").then_some(Circumstance::ChildReturnedFromMissing)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub milestone: Milestone,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<u32>,
    #[serde(default)]
    pub from: Start,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<ServiceTier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crime: Option<CrimeCategory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circumstance: Option<Circumstance>,
}

#[derive(Debug, Clone, Deserialize)]
struct RuleFile {
    rule: Vec<Rule>,
}

/// What is known about an onward referral when its deadlines are worked out.
#[derive(Debug, Clone)]
pub struct Case<'a> {
    pub service_id: &'a str,
    pub tier: Option<ServiceTier>,
    pub risk: Option<RiskLevel>,
    pub crime: CrimeCategory,
    pub circumstances: &'a [Circumstance],
    pub sent_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub returned_at: Option<DateTime<Utc>>,
}

/// A milestone's due time and the rule that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub milestone: Milestone,
    pub due_at: DateTime<Utc>,
    pub rule_id: String,
    pub rule_name: String,
}

/// Reads rules in the documented TOML format, naming the first problem.
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, String> {
    let file: RuleFile = toml::from_str(text).map_err(|e| e.message().to_owned())?;
    let mut ids = std::collections::HashSet::new();
    for r in &file.rule {
        if r.id.trim().is_empty() {
            return Err("every rule needs an id".into());
        }
        if !ids.insert(r.id.as_str()) {
            return Err(format!("rule {:?} is listed twice", r.id));
        }
        match (r.working_days, r.hours) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "rule {:?}: give working_days or hours, not both",
                    r.id
                ));
            }
            (None, None) => {
                return Err(format!("rule {:?}: give working_days or hours", r.id));
            }
            (Some(0), _) | (_, Some(0)) => {
                return Err(format!("rule {:?}: the span must be at least 1", r.id));
            }
            _ => {}
        }
    }
    Ok(file.rule)
}

/// The shipped rules.
pub fn default_rules() -> Vec<Rule> {
    parse_rules(DEFAULT_RULES).unwrap_or_default()
}

impl Rule {
    pub fn applies_to(&self, case: &Case<'_>) -> bool {
        self.service_id
            .as_deref()
            .is_none_or(|s| s == case.service_id)
            && self.tier.is_none_or(|t| case.tier == Some(t))
            && self.risk.is_none_or(|r| case.risk == Some(r))
            && self.crime.is_none_or(|c| case.crime == c)
            && self
                .circumstance
                .is_none_or(|c| case.circumstances.contains(&c))
    }

    /// When the milestone falls due for `case`.
    pub fn due_at(&self, case: &Case<'_>, calendar: &WorkingDays) -> DateTime<Utc> {
        let start = match self.from {
            Start::Sent => case.sent_at,
            Start::Received => case.received_at,
            Start::Returned => case.returned_at.unwrap_or(case.received_at),
        };
        match (self.working_days, self.hours) {
            (Some(n), _) => end_of_uk_day(calendar.add_working_days(uk_date(start), n)),
            (None, Some(h)) => start + Duration::hours(i64::from(h)),
            (None, None) => start,
        }
    }
}

/// The last moment of a UK date, as an instant.
pub fn end_of_uk_day(date: chrono::NaiveDate) -> DateTime<Utc> {
    let t = date.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default());
    London
        .from_local_datetime(&t)
        .latest()
        .map_or_else(|| t.and_utc(), |d| d.with_timezone(&Utc))
}

/// Every milestone due for `case`: for each, the earliest among the rules that apply.
pub fn deadlines(rules: &[Rule], case: &Case<'_>, calendar: &WorkingDays) -> Vec<Due> {
    let mut due: Vec<Due> = Vec::new();
    for rule in rules.iter().filter(|r| r.applies_to(case)) {
        let at = rule.due_at(case, calendar);
        match due.iter_mut().find(|d| d.milestone == rule.milestone) {
            Some(d) if d.due_at <= at => {}
            Some(d) => {
                d.due_at = at;
                d.rule_id.clone_from(&rule.id);
                d.rule_name.clone_from(&rule.name);
            }
            None => due.push(Due {
                milestone: rule.milestone,
                due_at: at,
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
            }),
        }
    }
    due.sort_by_key(|d| (d.due_at, d.milestone));
    due
}

/// How a deadline stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Met,
    Due,
    /// Due within the next working day's worth of hours: shown as "due soon".
    DueSoon,
    Overdue,
}

pub fn standing(due_at: DateTime<Utc>, met: bool, now: DateTime<Utc>) -> Standing {
    if met {
        Standing::Met
    } else if now > due_at {
        Standing::Overdue
    } else if due_at - now <= Duration::hours(24) {
        Standing::DueSoon
    } else {
        Standing::Due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate, Weekday};
    use proptest::prelude::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        crate::contact_gate::uk_time(
            NaiveDate::from_ymd_opt(y, m, d).unwrap(),
            NaiveTime::from_hms_opt(h, 0, 0).unwrap(),
        )
    }

    fn case(sent: DateTime<Utc>) -> Case<'static> {
        Case {
            service_id: "svc",
            tier: Some(ServiceTier::Targeted),
            risk: Some(RiskLevel::Standard),
            crime: CrimeCategory::DomesticAbuse,
            circumstances: &[],
            sent_at: sent,
            received_at: sent,
            returned_at: None,
        }
    }

    fn due(list: &[Due], m: Milestone) -> DateTime<Utc> {
        list.iter().find(|d| d.milestone == m).unwrap().due_at
    }

    #[test]
    fn the_shipped_rules_load() {
        let rules = default_rules();
        assert!(rules.len() >= 6);
        assert!(rules.iter().any(|r| r.hours == Some(72)));
    }

    #[test]
    fn high_risk_is_two_working_days_across_a_weekend() {
        let rules = default_rules();
        let cal = WorkingDays::england_and_wales();
        // Friday 20 November 2026, 15:00: due by the end of Tuesday 24th.
        let mut c = case(at(2026, 11, 20, 15));
        let standard = deadlines(&rules, &c, &cal);
        assert_eq!(
            due(&standard, Milestone::FirstContactAttempt),
            end_of_uk_day(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()),
            "five working days for standard risk"
        );
        c.risk = Some(RiskLevel::High);
        let high = deadlines(&rules, &c, &cal);
        assert_eq!(
            due(&high, Milestone::FirstContactAttempt),
            end_of_uk_day(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap())
        );
        assert_eq!(
            due(&high, Milestone::Acknowledge),
            end_of_uk_day(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())
        );
    }

    #[test]
    fn bank_holidays_are_skipped() {
        let rules = default_rules();
        let cal = WorkingDays::england_and_wales();
        // Thursday 24 December 2026: Christmas (Fri), Boxing Day substitute (Mon 28th) and
        // the weekend pass before two working days are counted: Tue 29th, Wed 30th.
        let mut c = case(at(2026, 12, 24, 11));
        c.risk = Some(RiskLevel::High);
        assert_eq!(
            due(&deadlines(&rules, &c, &cal), Milestone::FirstContactAttempt),
            end_of_uk_day(NaiveDate::from_ymd_opt(2026, 12, 30).unwrap())
        );
        // Easter 2027: Good Friday 26 March, Easter Monday 29 March.
        let c = Case {
            crime: CrimeCategory::BusinessCrime,
            received_at: at(2027, 3, 25, 16),
            ..case(at(2027, 3, 25, 17))
        };
        assert_eq!(
            due(&deadlines(&rules, &c, &cal), Milestone::FirstContact),
            end_of_uk_day(NaiveDate::from_ymd_opt(2027, 3, 30).unwrap()),
            "business crime: one working day after Thursday is Tuesday"
        );
    }

    #[test]
    fn a_return_home_interview_is_72_clock_hours_whatever_the_day() {
        let rules = default_rules();
        let cal = WorkingDays::england_and_wales();
        let returned = at(2026, 12, 24, 20);
        let c = Case {
            circumstances: &[Circumstance::ChildReturnedFromMissing],
            returned_at: Some(returned),
            ..case(at(2026, 12, 25, 9))
        };
        assert_eq!(
            due(&deadlines(&rules, &c, &cal), Milestone::ReturnHomeInterview),
            returned + Duration::hours(72)
        );
        assert!(
            deadlines(&rules, &case(returned), &cal)
                .iter()
                .all(|d| d.milestone != Milestone::ReturnHomeInterview),
            "only for a child back from missing"
        );
    }

    #[test]
    fn a_service_s_own_rule_can_be_stricter() {
        let mut rules = default_rules();
        rules.extend(
            parse_rules(
                r#"
[[rule]]
id = "refuge-same-day"
name = "Refuge: contact attempt the same day"
milestone = "first_contact_attempt"
hours = 4
service_id = "svc"
"#,
            )
            .unwrap(),
        );
        let sent = at(2026, 11, 23, 10);
        let d = deadlines(&rules, &case(sent), &WorkingDays::england_and_wales());
        let first = d
            .iter()
            .find(|d| d.milestone == Milestone::FirstContactAttempt)
            .unwrap();
        assert_eq!(first.due_at, sent + Duration::hours(4));
        assert_eq!(first.rule_id, "refuge-same-day");
        let other = Case {
            service_id: "other",
            ..case(sent)
        };
        assert_ne!(
            due(
                &deadlines(&rules, &other, &WorkingDays::england_and_wales()),
                Milestone::FirstContactAttempt
            ),
            sent + Duration::hours(4)
        );
    }

    #[test]
    fn bad_rule_files_are_named() {
        assert!(
            parse_rules("[[rule]]\nid = \"x\"\nname = \"x\"\nmilestone = \"acknowledge\"\n")
                .unwrap_err()
                .contains("working_days or hours")
        );
        assert!(
            parse_rules("[[rule]]\nid = \"x\"\nname = \"x\"\nmilestone = \"lunch\"\nhours = 1\n")
                .is_err()
        );
    }

    #[test]
    fn standing_moves_from_due_to_overdue() {
        let d = at(2026, 11, 25, 17);
        assert_eq!(standing(d, false, at(2026, 11, 23, 9)), Standing::Due);
        assert_eq!(standing(d, false, at(2026, 11, 25, 9)), Standing::DueSoon);
        assert_eq!(standing(d, false, at(2026, 11, 25, 18)), Standing::Overdue);
        assert_eq!(standing(d, true, at(2026, 11, 26, 9)), Standing::Met);
    }

    proptest! {
        /// A working-day deadline always ends on a working day, after the start, with exactly
        /// `n` working days from the start's next day to it.
        #[test]
        fn working_day_deadlines_land_on_working_days(days in 0i64..3000, hour in 0u32..24, n in 1u32..10) {
            let cal = WorkingDays::england_and_wales();
            let start = at(2025, 1, 1, 0) + Duration::days(days) + Duration::hours(i64::from(hour));
            let rule = Rule {
                id: "r".into(), name: "r".into(), milestone: Milestone::Acknowledge,
                working_days: Some(n), hours: None, from: Start::Sent, service_id: None,
                tier: None, risk: None, crime: None, circumstance: None,
            };
            let due = rule.due_at(&case(start), &cal);
            let due_day = uk_date(due);
            prop_assert!(due > start);
            prop_assert!(cal.is_working_day(due_day));
            prop_assert!(!matches!(due_day.weekday(), Weekday::Sat | Weekday::Sun));
            prop_assert_eq!(cal.working_days_between(uk_date(start), due_day), i64::from(n));
        }
    }
}
