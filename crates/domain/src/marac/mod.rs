//! The MARAC: the multi-agency risk assessment conference for the highest-risk domestic-abuse
//! cases. This module holds the referral criteria, four independent flags any one of which means
//! the case goes to the conference; `repeat` the rule for repeat referrals, `meeting` the
//! agenda, capacity and actions, `dataset` the quarterly national data return.

pub mod dataset;
pub mod meeting;
pub mod repeat;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// What the criteria are computed from. Harbour fills it from the risk assessment and from its
/// own records of the person (earlier referrals, incidents reported to police, MARAC referrals).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaracFacts {
    /// The checklist score and the instrument's threshold, if an assessment was done.
    pub score: Option<u32>,
    pub high_risk_threshold: u32,
    /// A professional's reasons for referring below the threshold, if they judge it needed.
    pub professional_judgement: Option<String>,
    /// Dates of incidents reported to police involving this person.
    pub police_incidents: Vec<NaiveDate>,
    /// Dates this person was referred to MARAC before.
    pub previous_marac_referrals: Vec<NaiveDate>,
    /// The date of the incident being triaged.
    pub incident_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaracCriteria {
    pub visible_high_risk: bool,
    pub professional_judgement: bool,
    /// Three or more incidents reported to police in the twelve months to the incident.
    pub potential_escalation: bool,
    pub police_incidents_in_year: usize,
    /// A MARAC referral within the twelve months before this incident.
    pub repeat: bool,
    pub last_marac_referral: Option<NaiveDate>,
}

impl MaracCriteria {
    pub fn met(&self) -> bool {
        self.visible_high_risk
            || self.professional_judgement
            || self.potential_escalation
            || self.repeat
    }

    /// The flags that hold, in words.
    pub fn reasons(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.visible_high_risk {
            out.push("Visible high risk: the checklist score meets the threshold".to_owned());
        }
        if self.professional_judgement {
            out.push("Professional judgement".to_owned());
        }
        if self.potential_escalation {
            out.push(format!(
                "Potential escalation: {} incidents reported to police in the past 12 months",
                self.police_incidents_in_year
            ));
        }
        if let (true, Some(last)) = (self.repeat, self.last_marac_referral) {
            out.push(format!(
                "Repeat: referred to MARAC on {} (within 12 months)",
                last.format("%-d %B %Y")
            ));
        }
        out
    }
}

pub fn assess(facts: &MaracFacts) -> MaracCriteria {
    let year_before = facts
        .incident_date
        .checked_sub_months(Months::new(12))
        .unwrap_or(NaiveDate::MIN);
    let in_year = |d: &&NaiveDate| **d > year_before && **d <= facts.incident_date;
    let police_incidents_in_year = facts.police_incidents.iter().filter(in_year).count();
    let last_marac_referral = facts
        .previous_marac_referrals
        .iter()
        .filter(in_year)
        .max()
        .copied();
    MaracCriteria {
        visible_high_risk: facts.score.is_some_and(|s| s >= facts.high_risk_threshold),
        professional_judgement: facts
            .professional_judgement
            .as_deref()
            .is_some_and(|r| !r.trim().is_empty()),
        potential_escalation: police_incidents_in_year >= 3,
        police_incidents_in_year,
        repeat: last_marac_referral.is_some(),
        last_marac_referral,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn facts() -> MaracFacts {
        MaracFacts {
            score: Some(5),
            high_risk_threshold: 14,
            professional_judgement: None,
            police_incidents: vec![],
            previous_marac_referrals: vec![],
            incident_date: d(2026, 11, 20),
        }
    }

    #[test]
    fn below_every_threshold_nothing_is_met() {
        let c = assess(&facts());
        assert!(!c.met());
        assert!(c.reasons().is_empty());
    }

    #[test]
    fn each_flag_alone_is_enough() {
        let c = assess(&MaracFacts {
            score: Some(14),
            ..facts()
        });
        assert!(c.visible_high_risk && c.met());
        let c = assess(&MaracFacts {
            professional_judgement: Some("Threats from extended family".into()),
            ..facts()
        });
        assert!(c.professional_judgement && c.met());
        assert!(
            !assess(&MaracFacts {
                professional_judgement: Some("  ".into()),
                ..facts()
            })
            .met()
        );
        let c = assess(&MaracFacts {
            police_incidents: vec![d(2026, 1, 5), d(2026, 6, 1), d(2026, 11, 19)],
            ..facts()
        });
        assert!(c.potential_escalation && c.met());
        assert_eq!(c.police_incidents_in_year, 3);
    }

    #[test]
    fn only_the_past_twelve_months_count() {
        // An incident on 20 November 2025 is twelve months before: outside the window.
        let c = assess(&MaracFacts {
            police_incidents: vec![d(2025, 11, 20), d(2026, 6, 1), d(2026, 11, 19)],
            ..facts()
        });
        assert!(!c.potential_escalation);
        let c = assess(&MaracFacts {
            previous_marac_referrals: vec![d(2025, 11, 21)],
            ..facts()
        });
        assert!(c.repeat);
        assert!(c.reasons()[0].contains("21 November 2025"));
        let c = assess(&MaracFacts {
            previous_marac_referrals: vec![d(2025, 11, 20)],
            ..facts()
        });
        assert!(!c.repeat, "later than 12 months is a new referral");
    }
}
