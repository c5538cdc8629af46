//! Rates per 1,000 residents with confidence intervals, as public-health and community-safety
//! analysts compute them (`statistics.md`): Byar's approximation from 10 events up, the exact
//! Poisson limits below, and an area judged against a comparator by whether its interval
//! clears it.

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// How sure the interval is. Screening many small areas at once uses 99.8%, so that one in
/// twenty areas is not "significant" by chance alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Confidence {
    #[default]
    NinetyFive,
    NinetyNinePointEight,
}

impl Confidence {
    pub const ALL: [Confidence; 2] = [Confidence::NinetyFive, Confidence::NinetyNinePointEight];

    /// The two-sided z value.
    pub fn z(self) -> f64 {
        match self {
            Confidence::NinetyFive => 1.959_964,
            Confidence::NinetyNinePointEight => 3.090_232,
        }
    }

    /// The probability left outside the interval, both tails together.
    pub fn alpha(self) -> f64 {
        match self {
            Confidence::NinetyFive => 0.05,
            Confidence::NinetyNinePointEight => 0.002,
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Confidence::NinetyFive => "95",
            Confidence::NinetyNinePointEight => "99.8",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Confidence::NinetyFive => "95%",
            Confidence::NinetyNinePointEight => "99.8%",
        }
    }

    pub fn from_slug(s: &str) -> Option<Confidence> {
        Confidence::ALL.into_iter().find(|c| c.slug() == s)
    }
}

/// Limits on the expected count behind an observed count of events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountLimits {
    pub lower: f64,
    pub upper: f64,
}

/// Below this many events the exact Poisson limits are used; from it, Byar's method.
pub const BYAR_FROM: u64 = 10;

/// The limits for `observed` events: exact Poisson under 10, Byar's method from 10.
pub fn count_limits(observed: u64, confidence: Confidence) -> CountLimits {
    if observed < BYAR_FROM {
        exact_poisson(observed, confidence)
    } else {
        byar(observed, confidence)
    }
}

/// Byar's approximation to the Poisson limits.
pub fn byar(observed: u64, confidence: Confidence) -> CountLimits {
    let z = confidence.z();
    let o = observed as f64;
    let lower = if observed == 0 {
        0.0
    } else {
        o * (1.0 - 1.0 / (9.0 * o) - z / (3.0 * o.sqrt())).powi(3)
    };
    let o1 = o + 1.0;
    let upper = o1 * (1.0 - 1.0 / (9.0 * o1) + z / (3.0 * o1.sqrt())).powi(3);
    CountLimits { lower, upper }
}

/// The exact Poisson limits from the chi-squared distribution.
pub fn exact_poisson(observed: u64, confidence: Confidence) -> CountLimits {
    let a = confidence.alpha();
    let quantile = |df: f64, p: f64| ChiSquared::new(df).map(|d| d.inverse_cdf(p)).unwrap_or(0.0);
    let lower = if observed == 0 {
        0.0
    } else {
        quantile(2.0 * observed as f64, a / 2.0) / 2.0
    };
    let upper = quantile(2.0 * observed as f64 + 2.0, 1.0 - a / 2.0) / 2.0;
    CountLimits { lower, upper }
}

/// A rate per 1,000 residents with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub count: u64,
    pub population: u64,
    pub per_thousand: f64,
    pub lower: f64,
    pub upper: f64,
}

/// `None` when there is no population to divide by.
pub fn rate(count: u64, population: u64, confidence: Confidence) -> Option<Rate> {
    if population == 0 {
        return None;
    }
    let n = population as f64 / 1000.0;
    let limits = count_limits(count, confidence);
    Some(Rate {
        count,
        population,
        per_thousand: count as f64 / n,
        lower: limits.lower / n,
        upper: limits.upper / n,
    })
}

/// How an area's rate stands against the comparator's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Significance {
    Higher,
    Similar,
    Lower,
}

impl Significance {
    pub fn label(self) -> &'static str {
        match self {
            Significance::Higher => "Significantly higher",
            Significance::Similar => "Similar",
            Significance::Lower => "Significantly lower",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Significance::Higher => "higher",
            Significance::Similar => "similar",
            Significance::Lower => "lower",
        }
    }
}

impl Rate {
    /// Higher when the whole interval is above the comparator's rate, lower when below.
    pub fn against(&self, comparator: f64) -> Significance {
        if self.lower > comparator {
            Significance::Higher
        } else if self.upper < comparator {
            Significance::Lower
        } else {
            Significance::Similar
        }
    }
}

/// Funnel-plot limits: for a population of this size, the range of rates expected by chance
/// around the comparator's rate (the expected count's Poisson limits).
pub fn funnel_limits(comparator: f64, population: u64, confidence: Confidence) -> (f64, f64) {
    let n = population as f64 / 1000.0;
    let expected = comparator * n;
    if expected <= 0.0 {
        return (0.0, 0.0);
    }
    // The limits of the expected count: Byar's method applied to a non-whole count.
    let z = confidence.z();
    let lower = expected * (1.0 - 1.0 / (9.0 * expected) - z / (3.0 * expected.sqrt())).powi(3);
    let upper = expected * (1.0 - 1.0 / (9.0 * expected) + z / (3.0 * expected.sqrt())).powi(3);
    (lower.max(0.0) / n, upper / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    /// The worked check in `statistics.md`.
    #[test]
    fn twenty_five_in_five_thousand_is_five_per_thousand_from_3_23_to_7_38() {
        let r = rate(25, 5_000, Confidence::NinetyFive).unwrap();
        assert!(close(r.per_thousand, 5.0, 1e-9));
        assert!(close(r.lower, 3.23, 0.005), "{}", r.lower);
        assert!(close(r.upper, 7.38, 0.005), "{}", r.upper);
    }

    /// Exact 95% limits for small counts, from published Poisson tables.
    #[test]
    fn small_counts_use_the_exact_poisson_limits() {
        let table = [
            (0, 0.0, 3.689),
            (1, 0.0253, 5.572),
            (2, 0.2422, 7.225),
            (3, 0.6186, 8.767),
            (5, 1.6235, 11.668),
            (9, 4.1150, 17.085),
        ];
        for (o, lo, hi) in table {
            let l = count_limits(o, Confidence::NinetyFive);
            assert!(close(l.lower, lo, 0.001), "{o}: {} against {lo}", l.lower);
            assert!(close(l.upper, hi, 0.001), "{o}: {} against {hi}", l.upper);
        }
    }

    #[test]
    fn byar_takes_over_at_ten_and_agrees_with_the_exact_limits_there() {
        let exact = exact_poisson(10, Confidence::NinetyFive);
        let used = count_limits(10, Confidence::NinetyFive);
        assert_eq!(used, byar(10, Confidence::NinetyFive));
        assert!(close(exact.lower, 4.795, 0.001));
        assert!(close(used.lower, exact.lower, 0.02));
        assert!(close(used.upper, exact.upper, 0.02));
    }

    #[test]
    fn wider_limits_at_ninety_nine_point_eight() {
        let a = count_limits(40, Confidence::NinetyFive);
        let b = count_limits(40, Confidence::NinetyNinePointEight);
        assert!(b.lower < a.lower && b.upper > a.upper);
        let small = count_limits(3, Confidence::NinetyNinePointEight);
        // Exact 99.8% limits for 3 events.
        assert!(close(small.lower, 0.1905, 0.001), "{}", small.lower);
        assert!(close(small.upper, 13.062, 0.001), "{}", small.upper);
    }

    #[test]
    fn an_area_is_higher_only_when_its_whole_interval_clears_the_comparator() {
        let r = rate(25, 5_000, Confidence::NinetyFive).unwrap();
        assert_eq!(r.against(3.2), Significance::Higher);
        assert_eq!(r.against(3.3), Significance::Similar);
        assert_eq!(r.against(7.3), Significance::Similar);
        assert_eq!(r.against(7.4), Significance::Lower);
        assert!(rate(3, 0, Confidence::NinetyFive).is_none());
    }

    #[test]
    fn funnel_limits_narrow_as_populations_grow() {
        let (lo_small, hi_small) = funnel_limits(5.0, 5_000, Confidence::NinetyFive);
        let (lo_big, hi_big) = funnel_limits(5.0, 500_000, Confidence::NinetyFive);
        assert!(lo_small < lo_big && hi_small > hi_big);
        assert!(lo_big < 5.0 && hi_big > 5.0);
    }
}
