//! Repeat MARAC referrals: a further incident or referral involving the same victim and
//! perpetrator within 12 months of the last MARAC referral is a repeat, re-referred whatever the
//! local threshold; after 12 months it is a new referral. "Within 12 months" runs from the day
//! after the date a year before the incident to the incident (the day a year before is outside,
//! as `assess` counts it), so a leap day never moves the boundary.

use chrono::{Months, NaiveDate};

/// An earlier MARAC referral of the victim, with the perpetrators it named (linked people's ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earlier<Id> {
    pub referred_on: NaiveDate,
    pub perpetrators: Vec<Id>,
}

/// Whether `on` falls within 12 months after `earlier` (see the module's note on the boundary).
pub fn within_twelve_months(earlier: NaiveDate, on: NaiveDate) -> bool {
    let year_before = on
        .checked_sub_months(Months::new(12))
        .unwrap_or(NaiveDate::MIN);
    earlier > year_before && earlier <= on
}

/// The latest earlier referral this one repeats: same victim (the caller gives only the
/// victim's), within 12 months, and sharing a perpetrator (`same` says whether two named
/// perpetrators are one person; person recognition's rule). Where either names no perpetrator
/// the victim alone decides: an unknown perpetrator is never a reason to treat a high-risk
/// victim as new.
pub fn repeat_of<'a, P>(
    earlier: &'a [Earlier<P>],
    on: NaiveDate,
    perpetrators: &[P],
    same: impl Fn(&P, &P) -> bool,
) -> Option<&'a Earlier<P>> {
    earlier
        .iter()
        .filter(|e| within_twelve_months(e.referred_on, on))
        .filter(|e| {
            e.perpetrators.is_empty()
                || perpetrators.is_empty()
                || e.perpetrators
                    .iter()
                    .any(|p| perpetrators.iter().any(|q| same(p, q)))
        })
        .max_by_key(|e| e.referred_on)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn eq(a: &&str, b: &&str) -> bool {
        a == b
    }

    fn earlier(on: &str, perps: &[&'static str]) -> Earlier<&'static str> {
        Earlier {
            referred_on: d(on),
            perpetrators: perps.to_vec(),
        }
    }

    #[test]
    fn the_boundary_is_twelve_months_to_the_day() {
        // 2025-11-20 to 2026-11-20: 365 days, exactly a year; 364 and 366 either side.
        let first = d("2025-11-20");
        assert!(within_twelve_months(first, d("2026-11-19")), "364 days");
        assert!(
            !within_twelve_months(first, d("2026-11-20")),
            "365 days: a year, new"
        );
        assert!(!within_twelve_months(first, d("2026-11-21")), "366 days");
        // Across a leap day 365 days is not yet a year.
        assert!(within_twelve_months(d("2023-03-01"), d("2024-02-29")));
        assert!(!within_twelve_months(d("2023-03-01"), d("2024-03-01")));
        // Nothing later than the incident counts.
        assert!(!within_twelve_months(d("2026-12-01"), d("2026-11-30")));
    }

    #[test]
    fn a_repeat_needs_the_same_perpetrator() {
        let before = [earlier("2026-03-01", &["kyle"])];
        let on = d("2026-11-01");
        assert!(repeat_of(&before, on, &["kyle"], eq).is_some());
        assert!(
            repeat_of(&before, on, &["darren"], eq).is_none(),
            "same victim, a different perpetrator: a new referral"
        );
        assert!(repeat_of(&before, on, &["darren", "kyle"], eq).is_some());
        // Unknown on either side: the victim alone decides.
        assert!(repeat_of(&before, on, &[], eq).is_some());
        assert!(repeat_of(&[earlier("2026-03-01", &[])], on, &["darren"], eq).is_some());
        // Over a year on: new.
        assert!(repeat_of(&before, d("2027-03-01"), &["kyle"], eq).is_none());
    }

    #[test]
    fn the_latest_earlier_referral_is_the_one_repeated() {
        let before = [
            earlier("2026-01-10", &["kyle"]),
            earlier("2026-06-10", &["kyle"]),
            earlier("2026-08-10", &["darren"]),
        ];
        let found = repeat_of(&before, d("2026-11-01"), &["kyle"], eq).unwrap();
        assert_eq!(found.referred_on, d("2026-06-10"));
    }
}
