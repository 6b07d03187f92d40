//! Equal-weight isotropic Gaussian mixtures: 8 Gaussians on a circle, 25 on a grid.

use super::density::{Density2d, Entropy, LogSumExp, log_normal_2d, monte_carlo_entropy};
use genbench_core::seed::Rng;
use std::sync::OnceLock;

/// `p(x) = (1/K) sum_k N(x; mu_k, s^2 I)`. Label = index of the component drawn.
pub struct GaussianMixture {
    name: &'static str,
    centres: Vec<[f64; 2]>,
    std: f64,
    entropy: OnceLock<Entropy>,
}

impl GaussianMixture {
    /// An equal-weight mixture of isotropic Gaussians of standard deviation `std` at `centres`.
    pub fn new(name: &'static str, centres: Vec<[f64; 2]>, std: f64) -> Self {
        Self {
            name,
            centres,
            std,
            entropy: OnceLock::new(),
        }
    }

    /// 8 components at radius `2 sqrt 2`, angles `k pi / 4`, std 0.15 (neighbours 14 std apart).
    pub fn eight_gaussians() -> Self {
        let r = 2.0 * std::f64::consts::SQRT_2;
        let centres = (0..8)
            .map(|k| {
                let a = k as f64 * std::f64::consts::FRAC_PI_4;
                [r * a.cos(), r * a.sin()]
            })
            .collect();
        Self::new("8gaussians", centres, 0.15)
    }

    /// 25 components on the grid `{-4, -2, 0, 2, 4}^2`, std 0.1 (neighbours 20 std apart).
    pub fn twenty_five_gaussians() -> Self {
        let centres = (0..25)
            .map(|k| [-4.0 + 2.0 * (k / 5) as f64, -4.0 + 2.0 * (k % 5) as f64])
            .collect();
        Self::new("25gaussians", centres, 0.1)
    }
}

impl Density2d for GaussianMixture {
    fn name(&self) -> &str {
        self.name
    }

    fn log_prob(&self, x: [f64; 2]) -> f64 {
        let mut acc = LogSumExp::new();
        for c in &self.centres {
            acc.add(log_normal_2d(
                (x[0] - c[0]).powi(2) + (x[1] - c[1]).powi(2),
                self.std,
            ));
        }
        acc.value() - (self.centres.len() as f64).ln()
    }

    fn sample(&self, n: usize, rng: &mut Rng) -> Vec<[f64; 2]> {
        self.sample_labeled(n, rng).0
    }

    fn sample_labeled(&self, n: usize, rng: &mut Rng) -> (Vec<[f64; 2]>, Vec<usize>) {
        let mut labels = Vec::with_capacity(n);
        let points = (0..n)
            .map(|_| {
                let k = rng.below(self.centres.len());
                labels.push(k);
                let c = self.centres[k];
                [
                    c[0] + self.std * rng.normal(),
                    c[1] + self.std * rng.normal(),
                ]
            })
            .collect();
        (points, labels)
    }

    fn entropy(&self) -> Entropy {
        *self.entropy.get_or_init(|| monte_carlo_entropy(self))
    }

    fn modes(&self) -> Option<(Vec<[f64; 2]>, f64)> {
        Some((self.centres.clone(), self.std))
    }

    fn bounds(&self) -> ([f64; 2], [f64; 2]) {
        let pad = 6.0 * self.std;
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for c in &self.centres {
            for d in 0..2 {
                lo[d] = lo[d].min(c[d] - pad);
                hi[d] = hi[d].max(c[d] + pad);
            }
        }
        (lo, hi)
    }

    fn num_classes(&self) -> usize {
        self.centres.len()
    }
}
