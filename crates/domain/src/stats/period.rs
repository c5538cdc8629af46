//! The period a report covers, and the period it is compared with.

use crate::marac::dataset::Quarter;
use chrono::{Datelike, Months, NaiveDate};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A span of whole days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month {
        year: i32,
        month: u32,
    },
    Quarter(Quarter),
    /// The year from 1 April.
    FinancialYear(i32),
    Custom {
        from: NaiveDate,
        to: NaiveDate,
    },
}

fn first_of(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN)
}

impl Period {
    pub fn month_of(d: NaiveDate) -> Period {
        Period::Month {
            year: d.year(),
            month: d.month(),
        }
    }

    pub fn financial_year_of(d: NaiveDate) -> Period {
        Period::FinancialYear(if d.month() >= 4 {
            d.year()
        } else {
            d.year() - 1
        })
    }

    pub fn start(self) -> NaiveDate {
        match self {
            Period::Month { year, month } => first_of(year, month),
            Period::Quarter(q) => q.start(),
            Period::FinancialYear(y) => first_of(y, 4),
            Period::Custom { from, .. } => from,
        }
    }

    /// The last day.
    pub fn end(self) -> NaiveDate {
        let next = |d: NaiveDate, months: u32| {
            d.checked_add_months(Months::new(months))
                .and_then(|d| d.pred_opt())
                .unwrap_or(NaiveDate::MAX)
        };
        match self {
            Period::Month { .. } => next(self.start(), 1),
            Period::Quarter(q) => q.end(),
            Period::FinancialYear(_) => next(self.start(), 12),
            Period::Custom { to, .. } => to,
        }
    }

    pub fn days(self) -> i64 {
        (self.end() - self.start()).num_days() + 1
    }

    /// The period just before, of the same kind and length.
    pub fn previous(self) -> Period {
        match self {
            Period::Month { year, month } => {
                let d = first_of(year, month) - Months::new(1);
                Period::month_of(d)
            }
            Period::Quarter(q) => Period::Quarter(q.previous()),
            Period::FinancialYear(y) => Period::FinancialYear(y - 1),
            Period::Custom { from, to } => {
                let length = (to - from).num_days() + 1;
                let to = from.pred_opt().unwrap_or(NaiveDate::MIN);
                Period::Custom {
                    from: to - chrono::Duration::days(length - 1),
                    to,
                }
            }
        }
    }

    /// The same period a year before, which takes out the seasons.
    pub fn year_earlier(self) -> Period {
        let back = |d: NaiveDate| d - Months::new(12);
        match self {
            Period::Month { year, month } => Period::Month {
                year: year - 1,
                month,
            },
            Period::Quarter(q) => Period::Quarter(Quarter {
                year: q.year - 1,
                q: q.q,
            }),
            Period::FinancialYear(y) => Period::FinancialYear(y - 1),
            Period::Custom { from, to } => Period::Custom {
                from: back(from),
                to: back(to),
            },
        }
    }

    /// In words: "November 2026", "October to December 2026", "1 April 2026 to 31 March 2027".
    pub fn label(self) -> String {
        match self {
            Period::Month { year, month } => {
                format!("{} {year}", MONTHS[(month as usize).clamp(1, 12) - 1])
            }
            Period::Quarter(q) => q.label(),
            Period::FinancialYear(y) => format!("April {y} to March {}", y + 1),
            Period::Custom { from, to } => {
                format!("{} to {}", from.format("%-d %B %Y"), to.format("%-d %B %Y"))
            }
        }
    }

    /// As a link carries it: `2026-11`, `2026-Q4`, `FY2026`, `2026-10-01..2026-11-15`.
    pub fn slug(self) -> String {
        match self {
            Period::Month { year, month } => format!("{year}-{month:02}"),
            Period::Quarter(q) => q.slug(),
            Period::FinancialYear(y) => format!("FY{y}"),
            Period::Custom { from, to } => format!("{from}..{to}"),
        }
    }

    pub fn from_slug(s: &str) -> Option<Period> {
        let s = s.trim();
        if let Some(q) = Quarter::from_slug(s) {
            return Some(Period::Quarter(q));
        }
        if let Some(y) = s.strip_prefix("FY") {
            let y: i32 = y.parse().ok()?;
            return (1900..=9998)
                .contains(&y)
                .then_some(Period::FinancialYear(y));
        }
        if let Some((from, to)) = s.split_once("..") {
            let (from, to): (NaiveDate, NaiveDate) = (from.parse().ok()?, to.parse().ok()?);
            return (from <= to).then_some(Period::Custom { from, to });
        }
        let (year, month) = s.split_once('-')?;
        let (year, month): (i32, u32) = (year.parse().ok()?, month.parse().ok()?);
        ((1..=12).contains(&month) && (1900..=9999).contains(&year))
            .then_some(Period::Month { year, month })
    }

    /// The calendar months the period touches, first to last, as (year, month).
    pub fn months(self) -> Vec<(i32, u32)> {
        let mut out = Vec::new();
        let mut d = first_of(self.start().year(), self.start().month());
        while d <= self.end() {
            out.push((d.year(), d.month()));
            d = d + Months::new(1);
        }
        out
    }
}

/// A month as a chart's axis shows it: "Nov 2026".
pub fn short_month(year: i32, month: u32) -> String {
    format!("{} {year}", &MONTHS[(month as usize).clamp(1, 12) - 1][..3])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_know_their_days_and_their_comparators() {
        let m = Period::from_slug("2026-03").unwrap();
        assert_eq!((m.start(), m.end()), (d("2026-03-01"), d("2026-03-31")));
        assert_eq!(m.previous().slug(), "2026-02");
        assert_eq!(
            Period::from_slug("2026-01").unwrap().previous().slug(),
            "2025-12"
        );
        assert_eq!(m.year_earlier().label(), "March 2025");
        let fy = Period::financial_year_of(d("2027-02-10"));
        assert_eq!(fy, Period::FinancialYear(2026));
        assert_eq!((fy.start(), fy.end()), (d("2026-04-01"), d("2027-03-31")));
        assert_eq!(fy.label(), "April 2026 to March 2027");
        assert_eq!(fy.months().len(), 12);
        let q = Period::from_slug("2026-Q4").unwrap();
        assert_eq!(q.previous().label(), "July to September 2026");
        assert_eq!(q.days(), 92);
        let c = Period::from_slug("2026-10-11..2026-10-20").unwrap();
        assert_eq!(c.previous().slug(), "2026-10-01..2026-10-10");
        assert_eq!(c.label(), "11 October 2026 to 20 October 2026");
        for bad in ["2026-13", "2026-10-20..2026-10-11", "FYx", "soon", ""] {
            assert_eq!(Period::from_slug(bad), None, "{bad}");
        }
        for p in [m, fy, q, c] {
            assert_eq!(Period::from_slug(&p.slug()), Some(p));
        }
        assert_eq!(short_month(2026, 11), "Nov 2026");
    }
}
