//! Scores for samples of the 2-D densities whose true log-density is known.

/// Mean of the true log-density over the samples, `(1/n) sum_i log p*(x_i)` in nats.
///
/// For a model q this estimates `E_q[log p*]`: at most `-H(p*)` up to the spread of `log p*`,
/// and high when samples sit where the truth has mass. A sample outside the support of a
/// density with bounded support (checkerboard) gives `-inf`, and so does the mean: no silent
/// clipping. NaN for no samples.
pub fn mean_true_log_density(samples: &[[f64; 2]], log_p: &dyn Fn([f64; 2]) -> f64) -> f64 {
    samples.iter().map(|&x| log_p(x)).sum::<f64>() / samples.len() as f64
}

/// Mode coverage of a mixture of `K` isotropic Gaussians with equal weights and std `sigma`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModeCoverage {
    /// Modes with at least [`min_count_per_mode`] samples within `3 sigma`.
    pub modes_covered: usize,
    /// `K`.
    pub modes: usize,
    /// Share of samples within `3 sigma` of their nearest mode (VEEGAN's "high-quality").
    pub high_quality: f64,
}

/// Samples a mode must receive within `3 sigma` to count as covered, for `n` samples and
/// `K` modes: `max(1, ceil(0.05 n / K))`, i.e. 5% of a perfect model's share `n / K`.
///
/// A perfect model puts `1 - exp(-9/2) = 98.9%` of each mode's `n / K` samples within
/// `3 sigma`, far above the threshold; a model that dropped the mode reaches it only with a
/// steady stream of strays, not a handful.
pub fn min_count_per_mode(n: usize, modes: usize) -> usize {
    ((0.05 * n as f64 / modes as f64).ceil() as usize).max(1)
}

/// Each sample is assigned to its nearest mode; it is high-quality when it lies within
/// `3 sigma` of it, and a mode is covered when [`min_count_per_mode`] of its samples are
/// high-quality. Non-finite samples count as neither. Panics for no modes or `sigma <= 0`.
pub fn mode_coverage(samples: &[[f64; 2]], modes: &[[f64; 2]], sigma: f64) -> ModeCoverage {
    assert!(!modes.is_empty(), "mode coverage needs at least one mode");
    assert!(sigma > 0.0, "mode coverage needs sigma > 0, got {sigma}");
    let radius2 = (3.0 * sigma).powi(2);
    let mut counts = vec![0usize; modes.len()];
    for x in samples {
        let (nearest, d2) = modes
            .iter()
            .map(|m| (x[0] - m[0]).powi(2) + (x[1] - m[1]).powi(2))
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |best, (k, d2)| if d2 < best.1 { (k, d2) } else { best },
            );
        if d2 <= radius2 {
            counts[nearest] += 1;
        }
    }
    let threshold = min_count_per_mode(samples.len(), modes.len());
    let good: usize = counts.iter().sum();
    ModeCoverage {
        modes_covered: counts.iter().filter(|&&c| c >= threshold).count(),
        modes: modes.len(),
        high_quality: if samples.is_empty() {
            f64::NAN
        } else {
            good as f64 / samples.len() as f64
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, StandardNormal};

    fn eight_modes() -> Vec<[f64; 2]> {
        (0..8)
            .map(|k| {
                let a = k as f64 * std::f64::consts::FRAC_PI_4;
                [2.0 * a.cos(), 2.0 * a.sin()]
            })
            .collect()
    }

    fn draw(modes: &[[f64; 2]], per_mode: usize, sigma: f64, seed: u64) -> Vec<[f64; 2]> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut z = || -> f64 { StandardNormal.sample(&mut rng) };
        modes
            .iter()
            .flat_map(|m| vec![*m; per_mode])
            .map(|m| [m[0] + sigma * z(), m[1] + sigma * z()])
            .collect()
    }

    #[test]
    fn samples_at_every_mode_cover_all_modes() {
        let modes = eight_modes();
        let c = mode_coverage(&draw(&modes, 200, 0.02, 1), &modes, 0.02);
        assert_eq!((c.modes_covered, c.modes), (8, 8));
        assert!(c.high_quality > 0.97, "{}", c.high_quality);
    }

    #[test]
    fn a_dropped_mode_is_not_covered() {
        let modes = eight_modes();
        let samples = draw(&modes[1..], 200, 0.02, 2);
        let c = mode_coverage(&samples, &modes, 0.02);
        assert_eq!((c.modes_covered, c.modes), (7, 8));
        assert!(c.high_quality > 0.97);
    }

    /// 800 samples, 8 modes: the threshold is ceil(0.05 * 100) = 5. Four samples at a mode
    /// do not cover it, five do.
    #[test]
    fn a_few_strays_do_not_cover_a_mode() {
        let modes = eight_modes();
        assert_eq!(min_count_per_mode(800, 8), 5);
        let far = [[10.0, 10.0]; 796];
        let mut samples: Vec<[f64; 2]> = far.to_vec();
        samples.extend([modes[0]; 4]);
        assert_eq!(mode_coverage(&samples, &modes, 0.02).modes_covered, 0);
        samples[0] = modes[0];
        let c = mode_coverage(&samples, &modes, 0.02);
        assert_eq!(c.modes_covered, 1);
        assert!((c.high_quality - 5.0 / 800.0).abs() < 1e-15);
    }

    /// Samples just inside and just outside 3 sigma of mode (0, 0) with sigma = 1.
    #[test]
    fn high_quality_uses_three_sigma() {
        let modes = [[0.0, 0.0], [100.0, 0.0]];
        let samples = [[2.99, 0.0], [0.0, -3.0], [3.01, 0.0], [2.2, 2.2]];
        let c = mode_coverage(&samples, &modes, 1.0);
        assert!((c.high_quality - 0.5).abs() < 1e-15, "{}", c.high_quality);
    }

    #[test]
    fn mean_log_density_of_a_standard_normal() {
        let log_p =
            |x: [f64; 2]| -0.5 * (x[0] * x[0] + x[1] * x[1]) - (2.0 * std::f64::consts::PI).ln();
        let samples = [[0.0, 0.0], [1.0, 1.0]];
        let expected = -(2.0 * std::f64::consts::PI).ln() - 0.5;
        assert!((mean_true_log_density(&samples, &log_p) - expected).abs() < 1e-15);
    }
}
