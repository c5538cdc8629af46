//! A subscriber's quiet hours: a time of day in the UK, from which messages wait until the
//! hours end, unless the alert is Immediate.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;

/// From `start` to `end`, UK clock time; across midnight when `start` is later than `end`;
/// never when they are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    /// As one number for a database column: minutes of the day of the start × 1440 plus the
    /// end's.
    pub fn code(&self) -> i64 {
        use chrono::Timelike;
        let m = |t: NaiveTime| i64::from(t.hour() * 60 + t.minute());
        m(self.start) * 1440 + m(self.end)
    }

    /// Read back from [`QuietHours::code`].
    pub fn from_code(code: i64) -> Option<QuietHours> {
        let t = |m: i64| {
            NaiveTime::from_hms_opt(u32::try_from(m / 60).ok()?, u32::try_from(m % 60).ok()?, 0)
        };
        Some(QuietHours {
            start: t(code / 1440)?,
            end: t(code % 1440)?,
        })
    }

    /// Whether the UK clock time `t` falls within them.
    pub fn holds(&self, t: NaiveTime) -> bool {
        match self.start.cmp(&self.end) {
            std::cmp::Ordering::Less => self.start <= t && t < self.end,
            std::cmp::Ordering::Greater => t >= self.start || t < self.end,
            std::cmp::Ordering::Equal => false,
        }
    }

    /// When a message arriving at `at` may be sent: `None` if at once, else the instant the
    /// quiet hours end, on the UK clock as it then reads (after a change of the clocks, too).
    pub fn release(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&London).naive_local();
        if !self.holds(local.time()) {
            return None;
        }
        let day = if local.time() < self.end {
            local.date()
        } else {
            local.date().succ_opt()?
        };
        Some(first_instant_from(day.and_time(self.end)))
    }
}

/// The first instant the UK clock reads `t` or later: the earlier of two when the clocks go
/// back, the end of the gap when they go forward past it.
fn first_instant_from(t: NaiveDateTime) -> DateTime<Utc> {
    let mut at = t;
    // The spring gap is an hour; look a little further for safety.
    for _ in 0..=180 {
        match London.from_local_datetime(&at) {
            LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => {
                return x.with_timezone(&Utc);
            }
            LocalResult::None => at += Duration::minutes(1),
        }
    }
    Utc.from_utc_datetime(&t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_read_back_from_their_code() {
        let q = QuietHours {
            start: NaiveTime::from_hms_opt(22, 30, 0).unwrap(),
            end: NaiveTime::from_hms_opt(6, 45, 0).unwrap(),
        };
        assert_eq!(QuietHours::from_code(q.code()), Some(q));
        assert_eq!(q.code(), (22 * 60 + 30) * 1440 + 6 * 60 + 45);
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const NIGHT: QuietHours = QuietHours {
        start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
        end: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
    };

    #[test]
    fn quiet_hours_across_midnight_hold_a_message_until_they_end() {
        // Winter: the UK clock is UTC.
        assert_eq!(
            NIGHT.release(utc("2026-01-14T23:30:00Z")),
            Some(utc("2026-01-15T07:00:00Z"))
        );
        assert_eq!(
            NIGHT.release(utc("2026-01-15T06:00:00Z")),
            Some(utc("2026-01-15T07:00:00Z"))
        );
        assert_eq!(NIGHT.release(utc("2026-01-15T07:00:00Z")), None);
        assert_eq!(NIGHT.release(utc("2026-01-15T12:00:00Z")), None);
        assert_eq!(NIGHT.release(utc("2026-01-15T21:59:00Z")), None);
        // Summer: 21:30 UTC is 22:30 on the UK clock, and 07:00 is 06:00 UTC.
        assert_eq!(
            NIGHT.release(utc("2026-07-14T21:30:00Z")),
            Some(utc("2026-07-15T06:00:00Z"))
        );
        let day = QuietHours {
            start: hm(9, 0),
            end: hm(17, 0),
        };
        assert!(day.holds(hm(12, 0)) && !day.holds(hm(17, 0)) && !day.holds(hm(8, 59)));
        let never = QuietHours {
            start: hm(9, 0),
            end: hm(9, 0),
        };
        assert_eq!(never.release(utc("2026-01-15T09:00:00Z")), None);
    }

    #[test]
    fn quiet_hours_end_by_the_clock_across_a_change_of_the_clocks() {
        // The clocks go forward at 01:00 UTC on 29 March 2026: held from 23:00 GMT, released
        // at 07:00 BST, which is 06:00 UTC.
        assert_eq!(
            NIGHT.release(utc("2026-03-28T23:00:00Z")),
            Some(utc("2026-03-29T06:00:00Z"))
        );
        // They go back at 01:00 UTC on 25 October 2026: held from 22:30 BST (21:30 UTC),
        // released at 07:00 GMT, which is 07:00 UTC.
        assert_eq!(
            NIGHT.release(utc("2026-10-24T21:30:00Z")),
            Some(utc("2026-10-25T07:00:00Z"))
        );
        // Quiet hours ending at 01:30, a time the UK clock skips on 29 March: released when
        // the clock jumps past it, 02:00 BST (01:00 UTC).
        let late = QuietHours {
            start: hm(23, 0),
            end: hm(1, 30),
        };
        assert_eq!(
            late.release(utc("2026-03-29T00:15:00Z")),
            Some(utc("2026-03-29T01:00:00Z"))
        );
        // Ending at 01:30 on 25 October, which the clock reads twice: the first time.
        assert_eq!(
            late.release(utc("2026-10-24T23:00:00Z")),
            Some(utc("2026-10-25T00:30:00Z"))
        );
    }
}
