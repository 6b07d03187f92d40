//! Summaries of a metric over seeds: mean, sample standard deviation, 95% t-interval.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Mean, spread and 95% confidence interval of one metric over `n` seeds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeedSummary {
    /// Finite values used; non-finite values (diverged runs, NaN metrics) are skipped.
    pub n: usize,
    /// Mean of the finite values.
    pub mean: f64,
    /// Sample standard deviation (divisor `n - 1`).
    pub std: f64,
    /// `mean - t_{0.975, n-1} std / sqrt(n)`.
    pub ci95_low: f64,
    /// `mean + t_{0.975, n-1} std / sqrt(n)`.
    pub ci95_high: f64,
}

/// Summary of the finite entries of `values`.
///
/// `n = 0`: every field but `n` is NaN. `n = 1`: `std` is NaN (undefined) and the interval is
/// `(mean, mean)`, a point, not a claim of certainty: read it with `n`. Otherwise the interval
/// is the Student-t interval with `n - 1` degrees of freedom.
pub fn summarize(values: &[f64]) -> SeedSummary {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let n = finite.len();
    let mean = finite.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return SeedSummary {
            n,
            mean,
            std: f64::NAN,
            ci95_low: mean,
            ci95_high: mean,
        };
    }
    let var = finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let std = var.sqrt();
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .expect("n - 1 >= 1 degrees of freedom")
        .inverse_cdf(0.975);
    let half = t * std / (n as f64).sqrt();
    SeedSummary {
        n,
        mean,
        std,
        ci95_low: mean - half,
        ci95_high: mean + half,
    }
}

/// The median of values sorted in ascending order (at least one): the middle one, or the mean of
/// the middle two.
pub fn median_of_sorted(sorted: &[f64]) -> f64 {
    let h = sorted.len();
    if h % 2 == 1 {
        sorted[h / 2]
    } else {
        0.5 * (sorted[h / 2 - 1] + sorted[h / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [1, 2, 3]: mean 2, s = 1, t_{0.975, 2} = 4.302652729911275 (scipy.stats.t.ppf).
    #[test]
    fn interval_of_one_two_three() {
        let s = summarize(&[1.0, 2.0, 3.0]);
        let half = 4.302652729911275 / 3f64.sqrt();
        assert_eq!(s.n, 3);
        assert!((s.mean - 2.0).abs() < 1e-15);
        assert!((s.std - 1.0).abs() < 1e-15);
        assert!((s.ci95_low - (2.0 - half)).abs() < 1e-9, "{}", s.ci95_low);
        assert!((s.ci95_high - (2.0 + half)).abs() < 1e-9, "{}", s.ci95_high);
    }

    #[test]
    fn non_finite_values_are_skipped() {
        let s = summarize(&[1.0, f64::NAN, 2.0, f64::INFINITY, 3.0]);
        assert_eq!(s, summarize(&[1.0, 2.0, 3.0]));
    }

    #[test]
    fn one_value_is_a_point() {
        let s = summarize(&[5.0]);
        assert_eq!((s.n, s.mean, s.ci95_low, s.ci95_high), (1, 5.0, 5.0, 5.0));
        assert!(s.std.is_nan());
        let none = summarize(&[f64::NAN]);
        assert_eq!(none.n, 0);
        assert!(none.mean.is_nan() && none.ci95_low.is_nan());
    }
}
