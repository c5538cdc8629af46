//! A subscription to community alerts: who may subscribe, what they choose, and the checks on
//! what they give. Where they are is resolved from a postcode by storage; the rules here say
//! what a complete, sensible subscription is.

use crate::alerts::cap::Severity;
use crate::alerts::quiet::QuietHours;
use crate::stats::facts::vocabulary;
use crate::user::is_plausible_email;
use crate::validation::{FieldErrors, text_problem};
use chrono::NaiveTime;

vocabulary!(SubscriberKind {
    Resident = "resident", "A resident";
    Business = "business", "A business";
});

vocabulary!(BusinessSector {
    Retail = "retail", "Shops and retail";
    Hospitality = "hospitality", "Pubs, bars, restaurants and hotels";
    Farming = "farming", "Farming and rural business";
    Construction = "construction", "Building and construction";
    Transport = "transport", "Transport and haulage";
    Other = "other", "Another kind of business";
});

// The age asked for: alerts are for people aged 12 and over, as Smart Alert's are.
vocabulary!(AgeGroup {
    Under12 = "under_12", "Under 12";
    TwelveToSeventeen = "12_17", "12 to 17";
    Adult = "18_plus", "18 or over";
});

// The lowest priority a subscriber wants to hear, read from an alert's CAP severity.
vocabulary!(Priority {
    Everything = "everything", "Everything, including general crime-prevention advice";
    Moderate = "moderate", "Alerts about a possible threat and above";
    Severe = "severe", "Only serious and urgent alerts";
});

impl Priority {
    /// Its place in order, stored beside each subscriber so the database compares numbers.
    pub fn level(self) -> i64 {
        match self {
            Priority::Everything => 1,
            Priority::Moderate => 2,
            Priority::Severe => 3,
        }
    }

    pub fn from_level(level: i64) -> Priority {
        match level {
            ..=1 => Priority::Everything,
            2 => Priority::Moderate,
            _ => Priority::Severe,
        }
    }

    /// The level an alert of `severity` has: subscribers whose level is at most this hear it.
    pub fn of_alert(severity: Severity) -> i64 {
        match severity {
            Severity::Extreme | Severity::Severe => 3,
            Severity::Moderate => 2,
            Severity::Minor | Severity::Unknown => 1,
        }
    }
}

/// What a person gives to subscribe or change their preferences, as the form has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionInput {
    pub email: String,
    pub kind: String,
    pub sector: String,
    pub age_group: String,
    pub postcode: String,
    /// A second place to hear about (work, a relative's home), optional.
    pub second_postcode: String,
    pub topics: Vec<String>,
    pub priority: String,
    /// `HH:MM` each, both or neither.
    pub quiet_from: String,
    pub quiet_until: String,
}

/// A subscription's choices once checked; the places are still postcodes for storage to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// As given, trimmed; compared in lower case.
    pub email: String,
    pub kind: SubscriberKind,
    pub sector: Option<BusinessSector>,
    pub age_group: AgeGroup,
    pub postcode: String,
    pub second_postcode: Option<String>,
    pub topics: Vec<String>,
    pub priority: Priority,
    pub quiet: Option<QuietHours>,
}

/// Checks a subscription. `topics` are the topics offered (their ids). The e-mail is checked
/// only when `with_email` (changing preferences keeps the address the link was sent to).
pub fn check(
    input: &SubscriptionInput,
    topics: &[String],
    with_email: bool,
) -> Result<Subscription, FieldErrors> {
    let mut errors = FieldErrors::new();
    let email = input.email.trim().to_owned();
    if with_email {
        if email.is_empty() {
            errors.add("email", "Enter your email address");
        } else if !is_plausible_email(&email) || text_problem(&email, false).is_some() {
            errors.add(
                "email",
                "Enter an email address in the correct format, like name@example.org",
            );
        }
    }
    let kind = SubscriberKind::from_slug(&input.kind);
    if kind.is_none() {
        errors.add(
            "kind",
            "Choose whether you are subscribing as a resident or a business",
        );
    }
    let sector = BusinessSector::from_slug(&input.sector);
    if kind == Some(SubscriberKind::Business) && sector.is_none() {
        errors.add("sector", "Choose what kind of business it is");
    }
    let age_group = AgeGroup::from_slug(&input.age_group);
    match age_group {
        None => errors.add("age_group", "Choose your age group"),
        Some(AgeGroup::Under12) => errors.add(
            "age_group",
            "Alerts are for people aged 12 and over. Ask a parent or carer to subscribe instead",
        ),
        Some(_) => {}
    }
    let postcode = input.postcode.trim().to_owned();
    if postcode.is_empty() {
        errors.add("postcode", "Enter the postcode you want to hear about");
    } else if crate::postcode::Postcode::parse(&postcode).is_none() {
        errors.add("postcode", "Enter a full UK postcode, like ST16 2DH");
    }
    let second = input.second_postcode.trim();
    if !second.is_empty() && crate::postcode::Postcode::parse(second).is_none() {
        errors.add(
            "second_postcode",
            "Enter a full UK postcode for the second place, like ST16 2DH, or leave it empty",
        );
    }
    let mut chosen: Vec<String> = Vec::new();
    for t in &input.topics {
        if !topics.contains(t) {
            errors.add("topics", "Choose topics from the list");
            break;
        }
        if !chosen.contains(t) {
            chosen.push(t.clone());
        }
    }
    if chosen.is_empty() && !input.topics.iter().any(|t| !topics.contains(t)) {
        errors.add("topics", "Choose at least one topic you want alerts about");
    }
    let priority = Priority::from_slug(&input.priority);
    if priority.is_none() {
        errors.add("priority", "Choose which alerts you want to hear");
    }
    let quiet = quiet_hours(&input.quiet_from, &input.quiet_until, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(kind), Some(age_group), Some(priority)) = (kind, age_group, priority) else {
        unreachable!("each was checked above")
    };
    Ok(Subscription {
        email,
        kind,
        sector: if kind == SubscriberKind::Business {
            sector
        } else {
            None
        },
        age_group,
        postcode,
        second_postcode: (!second.is_empty()).then(|| second.to_owned()),
        topics: chosen,
        priority,
        quiet,
    })
}

fn quiet_hours(from: &str, until: &str, errors: &mut FieldErrors) -> Option<QuietHours> {
    let (from, until) = (from.trim(), until.trim());
    if from.is_empty() && until.is_empty() {
        return None;
    }
    let parse = |t: &str| NaiveTime::parse_from_str(t, "%H:%M").ok();
    match (parse(from), parse(until)) {
        (Some(start), Some(end)) if start != end => Some(QuietHours { start, end }),
        (Some(_), Some(_)) => {
            errors.add(
                "quiet_from",
                "Quiet hours must start and end at different times",
            );
            None
        }
        (None, _) => {
            errors.add(
                "quiet_from",
                "Enter when quiet hours start as a 24-hour time, like 22:00, or leave both empty",
            );
            None
        }
        (_, None) => {
            errors.add(
                "quiet_until",
                "Enter when quiet hours end as a 24-hour time, like 07:00, or leave both empty",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> SubscriptionInput {
        SubscriptionInput {
            email: " sam@example.org ".into(),
            kind: "resident".into(),
            age_group: "18_plus".into(),
            postcode: "ST16 2DH".into(),
            topics: vec!["burglary".into(), "burglary".into()],
            priority: "everything".into(),
            quiet_from: "22:00".into(),
            quiet_until: "07:00".into(),
            ..Default::default()
        }
    }

    fn topics() -> Vec<String> {
        vec!["burglary".into(), "fraud".into()]
    }

    #[test]
    fn a_complete_subscription_is_accepted_and_tidied() {
        let s = check(&good(), &topics(), true).unwrap();
        assert_eq!(s.email, "sam@example.org");
        assert_eq!(s.topics, vec!["burglary".to_owned()]);
        assert!(s.quiet.is_some());
        assert_eq!(s.sector, None);
    }

    #[test]
    fn under_twelves_businesses_without_a_sector_and_odd_times_are_told_why() {
        let mut i = good();
        i.age_group = "under_12".into();
        i.kind = "business".into();
        i.quiet_until = "7am".into();
        i.topics = vec!["knitting".into()];
        let e = check(&i, &topics(), true).unwrap_err();
        assert!(e.get("age_group").unwrap().contains("12 and over"));
        assert_eq!(e.get("sector"), Some("Choose what kind of business it is"));
        assert!(e.get("quiet_until").unwrap().contains("24-hour"));
        assert_eq!(e.get("topics"), Some("Choose topics from the list"));
        let mut i = good();
        i.topics.clear();
        i.email = "not an address".into();
        let e = check(&i, &topics(), true).unwrap_err();
        assert!(e.get("topics").unwrap().contains("at least one"));
        assert!(e.get("email").unwrap().contains("correct format"));
        // Preferences keep the address: it is not asked for again.
        let mut i = good();
        i.email.clear();
        assert!(check(&i, &topics(), false).is_ok());
    }

    #[test]
    fn priorities_order_alerts_by_severity() {
        assert_eq!(Priority::of_alert(Severity::Minor), 1);
        assert!(Priority::Severe.level() <= Priority::of_alert(Severity::Extreme));
        assert!(Priority::Severe.level() > Priority::of_alert(Severity::Moderate));
        for p in Priority::ALL {
            assert_eq!(Priority::from_level(p.level()), *p);
        }
    }
}
