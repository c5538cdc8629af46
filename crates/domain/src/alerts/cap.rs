//! The Common Alerting Protocol 1.2's words for an alert's priority, and its times.

use crate::stats::facts::vocabulary;
use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;

vocabulary!(Urgency {
    Immediate = "Immediate", "Immediate: act now";
    Expected = "Expected", "Expected: act within the next hour";
    Future = "Future", "Future: act in the near future";
    Past = "Past", "Past: no longer needed";
    Unknown = "Unknown", "Not known";
});

vocabulary!(Severity {
    Extreme = "Extreme", "Extreme: an extraordinary threat to life or property";
    Severe = "Severe", "Severe: a significant threat to life or property";
    Moderate = "Moderate", "Moderate: a possible threat to life or property";
    Minor = "Minor", "Minor: little or no threat to life or property";
    Unknown = "Unknown", "Not known";
});

vocabulary!(Certainty {
    Observed = "Observed", "Observed: known to have happened or be happening";
    Likely = "Likely", "Likely: more likely than not";
    Possible = "Possible", "Possible: possible but not likely";
    Unlikely = "Unlikely", "Unlikely: not expected";
    Unknown = "Unknown", "Not known";
});

/// A time as CAP writes it: the UK clock with its offset, `+00:00` in winter and `+01:00` in
/// summer (CAP forbids `Z`).
pub fn cap_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&London)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_times_carry_the_uk_offset_in_winter_and_summer() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            cap_time(t("2026-01-15T12:00:00Z")),
            "2026-01-15T12:00:00+00:00"
        );
        assert_eq!(
            cap_time(t("2026-07-15T12:00:00Z")),
            "2026-07-15T13:00:00+01:00"
        );
        // Either side of the clocks going forward at 01:00 UTC on 29 March 2026.
        assert_eq!(
            cap_time(t("2026-03-29T00:59:59Z")),
            "2026-03-29T00:59:59+00:00"
        );
        assert_eq!(
            cap_time(t("2026-03-29T01:00:00Z")),
            "2026-03-29T02:00:00+01:00"
        );
        assert!(!cap_time(t("2026-01-15T12:00:00.123Z")).contains('Z'));
    }

    #[test]
    fn the_priorities_read_back_from_their_cap_words() {
        for u in Urgency::ALL {
            assert_eq!(Urgency::from_slug(u.slug()), Some(*u));
        }
        assert_eq!(Severity::from_slug("Severe"), Some(Severity::Severe));
        assert_eq!(Certainty::from_slug("likely"), None);
    }
}
