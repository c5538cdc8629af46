//! Unusual months: a control chart of monthly counts (c-chart or XmR) with its centre and
//! limits from a chosen baseline, the run rules that flag a signal, and the change between two
//! periods as a Poisson z rather than a percentage (`statistics.md`).

/// Which chart: the c-chart assumes the counts are Poisson; XmR takes the spread from the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChartKind {
    #[default]
    C,
    XmR,
}

impl ChartKind {
    pub const ALL: [ChartKind; 2] = [ChartKind::C, ChartKind::XmR];

    pub fn slug(self) -> &'static str {
        match self {
            ChartKind::C => "c",
            ChartKind::XmR => "xmr",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ChartKind::C => "c-chart (limits from the Poisson spread of the average)",
            ChartKind::XmR => "XmR chart (limits from the month-to-month variation)",
        }
    }

    pub fn from_slug(s: &str) -> Option<ChartKind> {
        ChartKind::ALL.into_iter().find(|k| k.slug() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub centre: f64,
    pub lower: f64,
    pub upper: f64,
}

/// The centre and limits from the baseline's counts; `None` for an empty baseline.
pub fn limits(kind: ChartKind, baseline: &[u64]) -> Option<Limits> {
    if baseline.is_empty() {
        return None;
    }
    let mean = baseline.iter().sum::<u64>() as f64 / baseline.len() as f64;
    let half_width = match kind {
        ChartKind::C => 3.0 * mean.sqrt(),
        ChartKind::XmR => {
            let ranges: Vec<f64> = baseline
                .windows(2)
                .map(|w| (w[1] as f64 - w[0] as f64).abs())
                .collect();
            let mean_range = if ranges.is_empty() {
                0.0
            } else {
                ranges.iter().sum::<f64>() / ranges.len() as f64
            };
            2.66 * mean_range
        }
    };
    Some(Limits {
        centre: mean,
        lower: (mean - half_width).max(0.0),
        upper: mean + half_width,
    })
}

/// The run rules, configurable as analysts' local practice differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunRules {
    /// This many points in a row on one side of the centre is a shift.
    pub shift: usize,
    /// This many points in a row, each higher (or each lower) than the one before, is a trend.
    pub trend: usize,
}

impl Default for RunRules {
    fn default() -> RunRules {
        RunRules { shift: 7, trend: 7 }
    }
}

/// Why a point is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    AboveUpper,
    BelowLower,
    /// Part of a run of points above the centre.
    ShiftUp,
    ShiftDown,
    /// Part of a run of points each higher than the one before.
    Rising,
    Falling,
}

impl Signal {
    pub fn describe(self, rules: RunRules) -> String {
        match self {
            Signal::AboveUpper => "above the upper limit".into(),
            Signal::BelowLower => "below the lower limit".into(),
            Signal::ShiftUp => format!("{} or more months in a row above the average", rules.shift),
            Signal::ShiftDown => {
                format!("{} or more months in a row below the average", rules.shift)
            }
            Signal::Rising => format!(
                "{} or more months in a row, each higher than the last",
                rules.trend
            ),
            Signal::Falling => format!(
                "{} or more months in a row, each lower than the last",
                rules.trend
            ),
        }
    }
}

/// Each point's signals, in the order of the points.
pub fn signals(counts: &[u64], limits: Limits, rules: RunRules) -> Vec<Vec<Signal>> {
    let mut out: Vec<Vec<Signal>> = counts
        .iter()
        .map(|&c| {
            let c = c as f64;
            if c > limits.upper {
                vec![Signal::AboveUpper]
            } else if c < limits.lower {
                vec![Signal::BelowLower]
            } else {
                vec![]
            }
        })
        .collect();
    // A point on the centre line breaks a run on either side.
    let side = |c: u64| {
        let c = c as f64;
        if c > limits.centre {
            1
        } else if c < limits.centre {
            -1
        } else {
            0
        }
    };
    mark_runs(
        &mut out,
        counts.len(),
        rules.shift,
        |i| side(counts[i]),
        |i, j| side(counts[i]) != 0 && side(counts[i]) == side(counts[j]),
        |dir| {
            if dir > 0 {
                Signal::ShiftUp
            } else {
                Signal::ShiftDown
            }
        },
    );
    let step = |i: usize| {
        if i == 0 {
            0
        } else {
            (counts[i] as i128 - counts[i - 1] as i128).signum() as i32
        }
    };
    // A trend of n points has n - 1 steps in the same direction.
    let mut i = 1;
    while i < counts.len() {
        let dir = step(i);
        let mut j = i;
        while dir != 0 && j + 1 < counts.len() && step(j + 1) == dir {
            j += 1;
        }
        if dir != 0 && j - i + 2 >= rules.trend {
            for point in &mut out[i - 1..=j] {
                point.push(if dir > 0 {
                    Signal::Rising
                } else {
                    Signal::Falling
                });
            }
        }
        i = j + 1;
    }
    out
}

/// Marks every point of each run of at least `length` points that `same` groups together.
fn mark_runs(
    out: &mut [Vec<Signal>],
    n: usize,
    length: usize,
    direction: impl Fn(usize) -> i32,
    same: impl Fn(usize, usize) -> bool,
    signal: impl Fn(i32) -> Signal,
) {
    let mut start = 0;
    while start < n {
        let mut end = start;
        while end + 1 < n && same(start, end + 1) {
            end += 1;
        }
        let dir = direction(start);
        if dir != 0 && end - start + 1 >= length {
            for point in &mut out[start..=end] {
                point.push(signal(dir));
            }
        }
        start = end + 1;
    }
}

/// How much a count changed between two periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// |z| over 3.
    Significant,
    /// |z| over 2.
    Warning,
    WithinNormal,
}

/// The Poisson z for a change between two counts: 2·(√current − √previous).
pub fn poisson_z(current: u64, previous: u64) -> f64 {
    2.0 * ((current as f64).sqrt() - (previous as f64).sqrt())
}

pub fn change(current: u64, previous: u64) -> Change {
    let z = poisson_z(current, previous).abs();
    if z > 3.0 {
        Change::Significant
    } else if z > 2.0 {
        Change::Warning
    } else {
        Change::WithinNormal
    }
}

/// Describes a change in words; a percentage only when both counts are large enough (100 or
/// more) for it to mean something.
pub fn describe_change(current: u64, previous: u64) -> String {
    let z = poisson_z(current, previous);
    let direction = if current > previous { "up" } else { "down" };
    let size = if current == previous {
        return "no change".into();
    } else if current.min(previous) >= 100 {
        let pct = (current as f64 - previous as f64) / previous as f64 * 100.0;
        format!("{direction} {:.0}%", pct.abs())
    } else {
        format!("{direction} from {previous}")
    };
    match change(current, previous) {
        Change::Significant => format!("{size}, more than chance explains (z = {z:.1})"),
        Change::Warning => format!("{size}, worth watching (z = {z:.1})"),
        Change::WithinNormal => format!("{size}, within normal variation"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_chart_limits_are_three_root_mean_either_side() {
        let l = limits(ChartKind::C, &[16, 16, 16, 16]).unwrap();
        assert_eq!((l.centre, l.lower, l.upper), (16.0, 4.0, 28.0));
        // The lower limit never goes below nothing.
        let l = limits(ChartKind::C, &[1, 2, 3]).unwrap();
        assert_eq!(l.lower, 0.0);
        assert!(limits(ChartKind::C, &[]).is_none());
    }

    #[test]
    fn xmr_limits_are_two_point_six_six_mean_moving_ranges() {
        // Mean 20; moving ranges 4, 4, 4: limits 20 ± 10.64.
        let l = limits(ChartKind::XmR, &[18, 22, 18, 22]).unwrap();
        assert_eq!(l.centre, 20.0);
        assert!((l.upper - 30.64).abs() < 1e-9 && (l.lower - 9.36).abs() < 1e-9);
    }

    fn flat() -> Limits {
        Limits {
            centre: 10.0,
            lower: 2.0,
            upper: 18.0,
        }
    }

    #[test]
    fn a_point_outside_the_limits_is_flagged() {
        let s = signals(&[10, 19, 1, 18, 2], flat(), RunRules::default());
        assert_eq!(s[1], vec![Signal::AboveUpper]);
        assert_eq!(s[2], vec![Signal::BelowLower]);
        // On the limit is inside.
        assert!(s[3].is_empty() && s[4].is_empty());
    }

    #[test]
    fn seven_on_one_side_is_a_shift_and_six_is_not() {
        let s = signals(
            &[9, 11, 12, 11, 13, 12, 11, 12, 9],
            flat(),
            RunRules::default(),
        );
        assert!(s[0].is_empty() && s[8].is_empty());
        assert!(s[1..8].iter().all(|p| p.contains(&Signal::ShiftUp)));
        let s = signals(&[11, 12, 11, 13, 12, 11, 9], flat(), RunRules::default());
        assert!(s.iter().all(|p| !p.contains(&Signal::ShiftUp)));
        // A point on the centre breaks the run.
        let s = signals(
            &[11, 12, 11, 10, 13, 12, 11, 12],
            flat(),
            RunRules::default(),
        );
        assert!(s.iter().all(|p| p.is_empty()));
        let s = signals(&[9; 7], flat(), RunRules::default());
        assert!(s.iter().all(|p| p == &vec![Signal::ShiftDown]));
    }

    #[test]
    fn seven_each_higher_than_the_last_is_a_trend() {
        let s = signals(&[3, 4, 5, 6, 7, 8, 9, 9], flat(), RunRules::default());
        assert!(s[0..7].iter().all(|p| p.contains(&Signal::Rising)));
        assert!(!s[7].contains(&Signal::Rising));
        let s = signals(&[4, 5, 6, 7, 8, 9], flat(), RunRules::default());
        assert!(s.iter().all(|p| !p.contains(&Signal::Rising)));
        let s = signals(&[17, 16, 15, 14, 13, 12, 11], flat(), RunRules::default());
        assert!(s.iter().all(|p| p.contains(&Signal::Falling)));
        // The rule's length is a setting.
        let rules = RunRules { shift: 7, trend: 5 };
        let s = signals(&[4, 5, 6, 7, 8], flat(), rules);
        assert!(s.iter().all(|p| p.contains(&Signal::Rising)));
    }

    #[test]
    fn change_between_periods_is_a_poisson_z() {
        assert!((poisson_z(25, 16) - 2.0).abs() < 1e-12);
        assert_eq!(change(25, 16), Change::WithinNormal);
        assert_eq!(change(30, 16), Change::Warning);
        assert_eq!(change(36, 16), Change::Significant);
        assert_eq!(change(49, 16), Change::Significant);
        assert_eq!(change(4, 25), Change::Significant);
        // Small counts are described without a percentage.
        assert_eq!(describe_change(6, 3), "up from 3, within normal variation");
        assert_eq!(
            describe_change(150, 100),
            "up 50%, more than chance explains (z = 4.5)"
        );
        assert_eq!(describe_change(7, 7), "no change");
    }
}
