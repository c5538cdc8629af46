//! The MARAC quarterly national data return: per MARAC and quarter, the meetings held, the
//! cases heard, the children in their households, repeats, referrals from agencies other than
//! the police, cases per 10,000 adult women, and the victims who are racially minoritised, LGBT+,
//! disabled, male or aged 16 to 17, and perpetrators aged 17 or under. Pure: storage gathers the
//! cases; small numbers are suppressed for publication by [`suppress`].

use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

/// A calendar quarter, as the return is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub q: u8,
}

impl Quarter {
    pub fn of(d: NaiveDate) -> Quarter {
        Quarter {
            year: d.year(),
            q: u8::try_from((d.month0() / 3) + 1).unwrap_or(1),
        }
    }

    pub fn start(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, u32::from(self.q - 1) * 3 + 1, 1)
            .unwrap_or(NaiveDate::MIN)
    }

    /// The last day of the quarter.
    pub fn end(self) -> NaiveDate {
        self.next().start().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    pub fn next(self) -> Quarter {
        if self.q == 4 {
            Quarter {
                year: self.year + 1,
                q: 1,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q + 1,
            }
        }
    }

    pub fn previous(self) -> Quarter {
        if self.q == 1 {
            Quarter {
                year: self.year - 1,
                q: 4,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q - 1,
            }
        }
    }

    /// As a link or a file name carries it: `2026-Q4`.
    pub fn slug(self) -> String {
        format!("{}-Q{}", self.year, self.q)
    }

    pub fn from_slug(s: &str) -> Option<Quarter> {
        let (year, q) = s.split_once("-Q")?;
        let q: u8 = q.parse().ok()?;
        let year: i32 = year.parse().ok()?;
        ((1..=4).contains(&q) && (1900..=9999).contains(&year)).then_some(Quarter { year, q })
    }

    /// In words: "October to December 2026".
    pub fn label(self) -> String {
        let months = [
            "January to March",
            "April to June",
            "July to September",
            "October to December",
        ];
        format!("{} {}", months[usize::from(self.q - 1)], self.year)
    }
}

/// The share of residents who are women aged 16 and over (Census 2021, England and Wales:
/// about 24.5 million of 59.6 million), used to estimate adult women from an area's population
/// where the area's own figure is not held.
pub const ADULT_WOMEN_SHARE: f64 = 0.41;

/// The national planning ratio: cases a year per 10,000 adult women.
pub const CASES_A_YEAR_PER_10K_WOMEN: f64 = 40.0;
/// One IDVA for about this many referrals a year.
pub const REFERRALS_PER_IDVA: f64 = 100.0;
/// One coordinator for about this many cases a year.
pub const CASES_PER_COORDINATOR: f64 = 400.0;

/// One case heard in the quarter, as the return counts it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnCase {
    pub repeat: bool,
    pub referred_by_police: bool,
    /// The referring agency's name, for the count by agency.
    pub referring_agency: String,
    pub children: u32,
    pub victim_minoritised: bool,
    pub victim_lgbt: bool,
    pub victim_disabled: bool,
    pub victim_male: bool,
    pub victim_aged_16_17: bool,
    /// Any perpetrator aged 17 or under.
    pub perpetrator_under_18: bool,
}

/// The return for one MARAC and quarter.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarterlyReturn {
    pub quarter: Quarter,
    pub meetings: Vec<NaiveDate>,
    pub cases: u32,
    pub children: u32,
    pub repeats: u32,
    pub non_police: u32,
    pub by_agency: BTreeMap<String, u32>,
    pub adult_women: u64,
    pub minoritised: u32,
    pub lgbt: u32,
    pub disabled: u32,
    pub male: u32,
    pub aged_16_17: u32,
    pub perpetrators_under_18: u32,
}

/// A share as a percentage to one decimal place, or none of nothing.
pub fn percent(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| (f64::from(part) * 1000.0 / f64::from(whole)).round() / 10.0)
}

impl QuarterlyReturn {
    pub fn repeat_pct(&self) -> Option<f64> {
        percent(self.repeats, self.cases)
    }

    pub fn non_police_pct(&self) -> Option<f64> {
        percent(self.non_police, self.cases)
    }

    /// Cases in the quarter per 10,000 adult women, to two decimal places.
    pub fn per_10k_women(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        let women = self.adult_women as f64;
        (self.adult_women > 0)
            .then(|| (f64::from(self.cases) * 10_000.0 / women * 100.0).round() / 100.0)
    }

    /// The same rate over a year (four quarters like this one), against the planning ratio of 40.
    pub fn annual_rate(&self) -> Option<f64> {
        self.per_10k_women()
            .map(|r| (r * 4.0 * 10.0).round() / 10.0)
    }
}

pub fn quarterly_return(
    quarter: Quarter,
    cases: &[ReturnCase],
    meetings: &[NaiveDate],
    adult_women: u64,
) -> QuarterlyReturn {
    let count = |f: fn(&ReturnCase) -> bool| -> u32 {
        u32::try_from(cases.iter().filter(|c| f(c)).count()).unwrap_or(u32::MAX)
    };
    let mut by_agency = BTreeMap::new();
    for c in cases {
        *by_agency.entry(c.referring_agency.clone()).or_insert(0) += 1;
    }
    let mut meetings = meetings.to_vec();
    meetings.sort();
    QuarterlyReturn {
        quarter,
        meetings,
        cases: u32::try_from(cases.len()).unwrap_or(u32::MAX),
        children: cases.iter().map(|c| c.children).sum(),
        repeats: count(|c| c.repeat),
        non_police: count(|c| !c.referred_by_police),
        by_agency,
        adult_women,
        minoritised: count(|c| c.victim_minoritised),
        lgbt: count(|c| c.victim_lgbt),
        disabled: count(|c| c.victim_disabled),
        male: count(|c| c.victim_male),
        aged_16_17: count(|c| c.victim_aged_16_17),
        perpetrators_under_18: count(|c| c.perpetrator_under_18),
    }
}

/// The smallest count published as it is; 1 to 4 show as "<5".
pub const SUPPRESS_BELOW: u32 = 5;

/// A row of counts for publication, suppressed as every published figure is
/// ([`crate::stats::suppress`]): small counts hidden, and the next smallest where the total
/// would give one away.
pub fn suppress(counts: &[u32], below: u32) -> Vec<crate::stats::suppress::Cell> {
    let counts: Vec<u64> = counts.iter().map(|n| u64::from(*n)).collect();
    crate::stats::suppress::suppress_row(&counts, u64::from(below)).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn quarters_run_by_the_calendar() {
        let q = Quarter::of(d("2026-11-30"));
        assert_eq!(q, Quarter { year: 2026, q: 4 });
        assert_eq!((q.start(), q.end()), (d("2026-10-01"), d("2026-12-31")));
        assert_eq!(q.next(), Quarter { year: 2027, q: 1 });
        assert_eq!(q.previous().label(), "July to September 2026");
        assert_eq!(Quarter::from_slug(&q.slug()), Some(q));
        assert_eq!(Quarter::from_slug("2026-Q5"), None);
        assert_eq!(Quarter::of(d("2024-02-29")).end(), d("2024-03-31"));
    }

    /// Worked by hand: ten cases heard at two meetings in a MARAC area of 40,000 adult women.
    /// Three are repeats (30%); two came from agencies other than the police (20%: one from
    /// health, one from an IDVA service); seven children live in the households; one victim is
    /// male, two are racially minoritised, one is 17; one perpetrator is 16. 10 cases per 40,000
    /// women is 2.5 per 10,000 in the quarter, 10 a year against the planning ratio of 40.
    #[test]
    fn the_return_matches_a_hand_worked_quarter() {
        let police = |children: u32| ReturnCase {
            referred_by_police: true,
            referring_agency: "Staffordshire Police".into(),
            children,
            ..ReturnCase::default()
        };
        let mut cases: Vec<ReturnCase> = vec![
            police(2),
            police(0),
            police(1),
            police(0),
            police(3),
            police(0),
            police(0),
            police(1),
        ];
        cases[0].repeat = true;
        cases[1].repeat = true;
        cases[2].victim_male = true;
        cases[3].victim_minoritised = true;
        cases[4].perpetrator_under_18 = true;
        cases.push(ReturnCase {
            referring_agency: "Midlands Partnership NHS".into(),
            repeat: true,
            victim_minoritised: true,
            ..ReturnCase::default()
        });
        cases.push(ReturnCase {
            referring_agency: "New Era".into(),
            victim_aged_16_17: true,
            ..ReturnCase::default()
        });
        let r = quarterly_return(
            Quarter::of(d("2026-11-01")),
            &cases,
            &[d("2026-11-19"), d("2026-10-08")],
            40_000,
        );
        assert_eq!(r.meetings, [d("2026-10-08"), d("2026-11-19")]);
        assert_eq!((r.cases, r.children, r.repeats), (10, 7, 3));
        assert_eq!(r.repeat_pct(), Some(30.0));
        assert_eq!(r.non_police_pct(), Some(20.0));
        assert_eq!(r.by_agency["Staffordshire Police"], 8);
        assert_eq!(r.per_10k_women(), Some(2.5));
        assert_eq!(r.annual_rate(), Some(10.0));
        assert_eq!(
            (
                r.minoritised,
                r.lgbt,
                r.disabled,
                r.male,
                r.aged_16_17,
                r.perpetrators_under_18
            ),
            (2, 0, 0, 1, 1, 1)
        );
        let empty = quarterly_return(Quarter::of(d("2026-11-01")), &[], &[], 40_000);
        assert_eq!(empty.repeat_pct(), None);
    }

    #[test]
    fn small_counts_are_suppressed_with_the_next_smallest() {
        use crate::stats::suppress::Cell::{Secondary, Shown, Small};
        assert_eq!(
            suppress(&[8, 1, 0], 5),
            [Secondary, Small, Shown(0)],
            "one small: the next goes too"
        );
        assert_eq!(
            suppress(&[8, 3, 2, 6], 5),
            [Shown(8), Small, Small, Shown(6)]
        );
        assert_eq!(suppress(&[0, 12, 5], 5), [Shown(0), Shown(12), Shown(5)]);
    }
}
