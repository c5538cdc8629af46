//! Working days in England and Wales: weekends and bank holidays excluded.
//!
//! Bank holidays follow the standing rules (with substitute days when one falls at a
//! weekend) plus the days moved or added by proclamation, which are data. Deadlines in the
//! Victims' Code are counted in these working days.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use std::collections::BTreeMap;

/// The date in the UK (Europe/London) at instant `t`: deadlines and "today" are UK dates.
pub fn uk_date(t: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    t.with_timezone(&chrono_tz::Europe::London).date_naive()
}

/// The UK local date and time of an instant, for showing to people.
pub fn uk_local(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    t.with_timezone(&chrono_tz::Europe::London).naive_local()
}

/// The first instant of a UK date: midnight in London, whether GMT or BST.
pub fn uk_day_start(d: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    chrono_tz::Europe::London
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(
            || chrono::Utc.from_utc_datetime(&local),
            |t| t.with_timezone(&chrono::Utc),
        )
}

/// A bank holiday: its date and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankHoliday {
    pub date: NaiveDate,
    pub name: &'static str,
}

/// The bank holidays that moved from where the rule puts them, by year: (year, rule, date).
const MOVED: &[(i32, Rule, (u32, u32))] = &[
    (1995, Rule::EarlyMay, (5, 8)), // VE Day, 50th anniversary
    (2002, Rule::Spring, (6, 4)),   // Golden Jubilee
    (2012, Rule::Spring, (6, 4)),   // Diamond Jubilee
    (2020, Rule::EarlyMay, (5, 8)), // VE Day, 75th anniversary
    (2022, Rule::Spring, (6, 2)),   // Platinum Jubilee
];

/// Days added once by proclamation.
const ONE_OFF: &[((i32, u32, u32), &str)] = &[
    ((1999, 12, 31), "Millennium celebrations"),
    ((2002, 6, 3), "Golden Jubilee bank holiday"),
    ((2011, 4, 29), "Royal wedding"),
    ((2012, 6, 5), "Diamond Jubilee bank holiday"),
    ((2022, 6, 3), "Platinum Jubilee bank holiday"),
    ((2022, 9, 19), "State Funeral of Queen Elizabeth II"),
    (
        (2023, 5, 8),
        "Bank holiday for the coronation of King Charles III",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    NewYear,
    GoodFriday,
    EasterMonday,
    EarlyMay,
    Spring,
    Summer,
    Christmas,
}

/// The calendar of working days. [`WorkingDays::england_and_wales`] is the national default;
/// [`WorkingDays::with_extra`] adds days announced after this was written, from configuration.
#[derive(Debug, Clone)]
pub struct WorkingDays {
    extra: BTreeMap<NaiveDate, String>,
}

impl Default for WorkingDays {
    fn default() -> Self {
        Self::england_and_wales()
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    // The rules only build real dates; the fallback is never reached.
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// Easter Sunday in the Gregorian calendar (the anonymous algorithm of Meeus, Jones and Butcher).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    date(year, month as u32, day as u32)
}

fn first_monday(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 1).unwrap_or(NaiveDate::MIN)
}

fn last_monday(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 5)
        .or_else(|| NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 4))
        .unwrap_or(NaiveDate::MIN)
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn moved(year: i32, rule: Rule) -> Option<NaiveDate> {
    MOVED
        .iter()
        .find(|(y, r, _)| *y == year && *r == rule)
        .map(|(y, _, (m, d))| date(*y, *m, *d))
}

impl WorkingDays {
    pub fn england_and_wales() -> WorkingDays {
        WorkingDays {
            extra: BTreeMap::new(),
        }
    }

    /// Adds bank holidays announced later (for example a future state occasion).
    pub fn with_extra(
        mut self,
        days: impl IntoIterator<Item = (NaiveDate, String)>,
    ) -> WorkingDays {
        self.extra.extend(days);
        self
    }

    /// The bank holidays of `year`, in date order.
    pub fn bank_holidays(&self, year: i32) -> Vec<(NaiveDate, String)> {
        let mut days: Vec<(NaiveDate, String)> = Vec::new();
        let mut push = |d: NaiveDate, name: &str| days.push((d, name.to_owned()));

        // New Year's Day, or the Monday after it falls at a weekend.
        let new_year = date(year, 1, 1);
        push(
            match new_year.weekday() {
                Weekday::Sat => date(year, 1, 3),
                Weekday::Sun => date(year, 1, 2),
                _ => new_year,
            },
            if is_weekend(new_year) {
                "New Year's Day (substitute day)"
            } else {
                "New Year's Day"
            },
        );
        let easter = easter_sunday(year);
        push(easter - Days::new(2), "Good Friday");
        push(easter + Days::new(1), "Easter Monday");
        push(
            moved(year, Rule::EarlyMay).unwrap_or_else(|| first_monday(year, 5)),
            "Early May bank holiday",
        );
        push(
            moved(year, Rule::Spring).unwrap_or_else(|| last_monday(year, 5)),
            "Spring bank holiday",
        );
        push(
            moved(year, Rule::Summer).unwrap_or_else(|| last_monday(year, 8)),
            "Summer bank holiday",
        );

        // Christmas and Boxing Day, with substitutes on the next weekdays free of either.
        let christmas = date(year, 12, 25);
        match christmas.weekday() {
            Weekday::Fri => {
                push(christmas, "Christmas Day");
                push(date(year, 12, 28), "Boxing Day (substitute day)");
            }
            Weekday::Sat => {
                push(date(year, 12, 27), "Christmas Day (substitute day)");
                push(date(year, 12, 28), "Boxing Day (substitute day)");
            }
            Weekday::Sun => {
                push(date(year, 12, 26), "Boxing Day");
                push(date(year, 12, 27), "Christmas Day (substitute day)");
            }
            _ => {
                push(christmas, "Christmas Day");
                push(date(year, 12, 26), "Boxing Day");
            }
        }
        for ((y, m, d), name) in ONE_OFF {
            if *y == year {
                push(date(*y, *m, *d), name);
            }
        }
        for (d, name) in self.extra.range(date(year, 1, 1)..=date(year, 12, 31)) {
            push(*d, name);
        }
        // `Rule` names every standing holiday; keep the enum honest about what it covers.
        let _ = [
            Rule::NewYear,
            Rule::GoodFriday,
            Rule::EasterMonday,
            Rule::Christmas,
        ];
        days.sort();
        days.dedup_by_key(|(d, _)| *d);
        days
    }

    pub fn is_bank_holiday(&self, d: NaiveDate) -> bool {
        self.bank_holidays(d.year()).iter().any(|(h, _)| *h == d)
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !is_weekend(d) && !self.is_bank_holiday(d)
    }

    /// The `n`th working day after `start` (`start` itself is never counted). With `n = 0`,
    /// `start` if it is a working day, otherwise the next one.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        if n == 0 {
            while !self.is_working_day(d) {
                d = d.succ_opt().unwrap_or(d);
            }
            return d;
        }
        let mut counted = 0;
        while counted < n {
            d = d.succ_opt().unwrap_or(d);
            if self.is_working_day(d) {
                counted += 1;
            }
        }
        d
    }

    /// Working days after `from` up to and including `to` (negative when `to` is earlier).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (a, b, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut count = 0;
        let mut d = a;
        while d < b {
            d = d.succ_opt().unwrap_or(b);
            if self.is_working_day(d) {
                count += 1;
            }
        }
        sign * count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uk_day_starts_at_london_midnight() {
        let summer: NaiveDate = "2026-07-01".parse().unwrap();
        assert_eq!(
            uk_day_start(summer).to_rfc3339(),
            "2026-06-30T23:00:00+00:00"
        );
        let winter: NaiveDate = "2026-12-01".parse().unwrap();
        assert_eq!(
            uk_day_start(winter).to_rfc3339(),
            "2026-12-01T00:00:00+00:00"
        );
        assert_eq!(uk_date(uk_day_start(summer)), summer);
    }
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn dates(year: i32) -> Vec<NaiveDate> {
        WorkingDays::england_and_wales()
            .bank_holidays(year)
            .into_iter()
            .map(|(d, _)| d)
            .collect()
    }

    #[test]
    fn easter_matches_known_dates() {
        for (y, m, day) in [
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
        ] {
            assert_eq!(easter_sunday(y), d(y, m, day));
        }
    }

    #[test]
    fn published_bank_holidays_match() {
        // As published for England and Wales.
        assert_eq!(
            dates(2022),
            vec![
                d(2022, 1, 3),
                d(2022, 4, 15),
                d(2022, 4, 18),
                d(2022, 5, 2),
                d(2022, 6, 2),
                d(2022, 6, 3),
                d(2022, 8, 29),
                d(2022, 9, 19),
                d(2022, 12, 26),
                d(2022, 12, 27)
            ]
        );
        assert_eq!(
            dates(2023),
            vec![
                d(2023, 1, 2),
                d(2023, 4, 7),
                d(2023, 4, 10),
                d(2023, 5, 1),
                d(2023, 5, 8),
                d(2023, 5, 29),
                d(2023, 8, 28),
                d(2023, 12, 25),
                d(2023, 12, 26)
            ]
        );
        assert_eq!(
            dates(2020),
            vec![
                d(2020, 1, 1),
                d(2020, 4, 10),
                d(2020, 4, 13),
                d(2020, 5, 8),
                d(2020, 5, 25),
                d(2020, 8, 31),
                d(2020, 12, 25),
                d(2020, 12, 28)
            ]
        );
        assert_eq!(
            dates(2026),
            vec![
                d(2026, 1, 1),
                d(2026, 4, 3),
                d(2026, 4, 6),
                d(2026, 5, 4),
                d(2026, 5, 25),
                d(2026, 8, 31),
                d(2026, 12, 25),
                d(2026, 12, 28)
            ]
        );
        assert_eq!(
            dates(2027),
            vec![
                d(2027, 1, 1),
                d(2027, 3, 26),
                d(2027, 3, 29),
                d(2027, 5, 3),
                d(2027, 5, 31),
                d(2027, 8, 30),
                d(2027, 12, 27),
                d(2027, 12, 28)
            ]
        );
    }

    #[test]
    fn deadlines_skip_weekends_and_holidays() {
        let cal = WorkingDays::england_and_wales();
        // Thursday 2 April 2026 + 2 working days: Good Friday and Easter Monday intervene.
        assert_eq!(cal.add_working_days(d(2026, 4, 2), 2), d(2026, 4, 8));
        // Received on a Saturday: the clock starts on Monday.
        assert_eq!(cal.add_working_days(d(2026, 11, 21), 2), d(2026, 11, 24));
        // Over Christmas 2026: 24th (Thu) + 2 = Tue 29th (25th, 28th holidays; 26–27 weekend).
        assert_eq!(cal.add_working_days(d(2026, 12, 24), 2), d(2026, 12, 30));
        assert_eq!(cal.add_working_days(d(2026, 11, 21), 0), d(2026, 11, 23));
        assert_eq!(
            cal.working_days_between(d(2026, 12, 24), d(2026, 12, 30)),
            2
        );
    }

    #[test]
    fn extra_days_from_configuration_count() {
        let cal = WorkingDays::england_and_wales()
            .with_extra([(d(2030, 6, 14), "An occasion".to_owned())]);
        assert!(!cal.is_working_day(d(2030, 6, 14)));
        assert!(WorkingDays::england_and_wales().is_working_day(d(2030, 6, 14)));
    }

    proptest! {
        #[test]
        fn every_year_has_eight_or_more_holidays_on_weekdays(year in 1996i32..2100) {
            let days = dates(year);
            prop_assert!(days.len() >= 8);
            for h in days {
                prop_assert!(!is_weekend(h), "{h} is at a weekend");
                prop_assert_eq!(h.year(), year);
            }
        }

        #[test]
        fn adding_working_days_lands_on_a_working_day_n_days_on(
            start in (0i64..36_500).prop_map(|o| d(2000, 1, 1) + Days::new(o as u64)),
            n in 1u32..40,
        ) {
            let cal = WorkingDays::england_and_wales();
            let due = cal.add_working_days(start, n);
            prop_assert!(due > start);
            prop_assert!(cal.is_working_day(due));
            prop_assert_eq!(cal.working_days_between(start, due), i64::from(n));
            // Weekends add two days in seven; no window of 40 working days holds more than
            // eight bank holidays (spring 2011 held five in six weeks).
            let holidays = 8;
            prop_assert!((due - start).num_days() <= (i64::from(n) + holidays) * 7 / 5 + 3);
            prop_assert!(cal.add_working_days(start, n + 1) > due);
        }

        #[test]
        fn a_later_start_never_gives_an_earlier_deadline(
            start in (0i64..36_500).prop_map(|o| d(2000, 1, 1) + Days::new(o as u64)),
            gap in 0u64..10,
            n in 0u32..10,
        ) {
            let cal = WorkingDays::england_and_wales();
            prop_assert!(cal.add_working_days(start + Days::new(gap), n) >= cal.add_working_days(start, n));
        }
    }
}
