//! The statistics of repeated timings: the median, the extremes and the spread, and when two
//! ranges of times overlap (a speedup between them is then within the noise).
//!
//! Plain numbers in, plain numbers out: the runner's repeats and the benchmark both use them.

use serde::{Deserialize, Serialize};

/// A spread above this, (max − min) / median, marks a measurement as noisy.
pub const NOISY_SPREAD: f64 = 0.25;

/// Median, extremes and spread of repeated timings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// (max − min) / median.
    pub spread: f64,
}

impl Summary {
    /// Summarises `samples`: the middle one of an odd count, the mean of the middle two of an
    /// even one; `None` when there are none or one is not finite.
    #[must_use]
    pub fn of(samples: &[f64]) -> Option<Self> {
        if samples.is_empty() || samples.iter().any(|s| !s.is_finite()) {
            return None;
        }
        let mut v = samples.to_vec();
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        let median = if v.len() % 2 == 1 {
            v[mid]
        } else {
            f64::midpoint(v[mid - 1], v[mid])
        };
        let (min, max) = (v[0], v[v.len() - 1]);
        let spread = if median > 0.0 {
            (max - min) / median
        } else {
            0.0
        };
        Some(Self {
            median,
            min,
            max,
            spread,
        })
    }

    #[must_use]
    pub fn noisy(&self) -> bool {
        self.spread > NOISY_SPREAD
    }

    /// (min, max).
    #[must_use]
    pub fn range(&self) -> (f64, f64) {
        (self.min, self.max)
    }
}

/// Whether two ranges of times, each (min, max), overlap: then either rung may have been the
/// faster in some run, and a speedup between their medians is within the noise. A single run
/// is a range of one point; two single runs overlap only when they are equal.
#[must_use]
pub fn overlaps(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_one() {
        let s = Summary::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert!((s.spread - 1.0).abs() < 1e-12);
        assert!(s.noisy());
        let one = Summary::of(&[0.5]).unwrap();
        assert_eq!(
            (one.median, one.min, one.max, one.spread),
            (0.5, 0.5, 0.5, 0.0)
        );
        // An outlier moves the extremes, not the median.
        let s = Summary::of(&[1.0, 1.01, 0.99, 9.0, 1.02]).unwrap();
        assert_eq!((s.median, s.min, s.max), (1.01, 0.99, 9.0));
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let s = Summary::of(&[1.0, 1.1, 1.05, 1.0]).unwrap();
        assert!((s.median - 1.025).abs() < 1e-12);
        assert_eq!(s.range(), (1.0, 1.1));
        assert!(!s.noisy());
        let two = Summary::of(&[2.0, 4.0]).unwrap();
        assert_eq!((two.median, two.min, two.max), (3.0, 2.0, 4.0));
    }

    #[test]
    fn nothing_or_a_non_finite_sample_has_no_summary() {
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[f64::NAN]).is_none());
        assert!(Summary::of(&[1.0, f64::INFINITY]).is_none());
    }

    #[test]
    fn ranges_overlap_when_they_share_a_point() {
        assert!(overlaps((1.0, 1.2), (1.1, 1.5)));
        assert!(overlaps((1.1, 1.5), (1.0, 1.2)), "either order");
        assert!(overlaps((1.0, 2.0), (1.2, 1.3)), "one inside the other");
        assert!(overlaps((1.0, 1.2), (1.2, 1.4)), "touching ends");
        assert!(!overlaps((1.0, 1.1), (1.2, 1.4)));
        assert!(!overlaps((1.2, 1.4), (1.0, 1.1)));
        // Single runs: points.
        assert!(overlaps((1.0, 1.0), (1.0, 1.0)));
        assert!(!overlaps((1.0, 1.0), (1.01, 1.01)));
        assert!(overlaps((1.05, 1.05), (1.0, 1.1)), "a point inside a range");
    }
}
