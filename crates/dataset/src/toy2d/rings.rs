//! Concentric rings with radial Gaussian noise.

use super::density::{Density2d, Entropy, LogSumExp, monte_carlo_entropy};
use genbench_core::seed::Rng;
use std::f64::consts::PI;
use std::sync::OnceLock;

/// Rings of radii `R_i = 1, 2, 3`, picked with weights `w_i = R_i / 6` (proportional to
/// circumference, so the density along every ring is the same), angle uniform, radius
/// `r = R_i + s z` with `s = 0.1`. In polar coordinates the area element is `r dr dtheta`, so
///
/// `p(x) = sum_i w_i N(r; R_i, s^2) / (2 pi r)`, `r = |x|`. Label = ring index.
///
/// The radial Gaussian puts mass `Phi(-R_i / s) <= Phi(-10) < 1e-23` below `r = 0`; the sampler
/// redraws such radii, so the exact density is the formula divided by `1 - Phi(-R_i / s)` per
/// ring, which equals 1 in f64. Near the origin `p` has an integrable `1/r` spike of height
/// `sum_i w_i N(0; R_i, s^2) / (2 pi r) < 1e-22 / r`; `log_prob` evaluates it at `max(r, 1e-6)`,
/// which changes `p` only inside a disc holding less than 1e-27 of the mass.
pub struct Rings {
    radii: [f64; 3],
    std: f64,
    entropy: OnceLock<Entropy>,
}

const R_MIN: f64 = 1e-6;

impl Rings {
    /// The three-rings density.
    pub fn new() -> Self {
        Self {
            radii: [1.0, 2.0, 3.0],
            std: 0.1,
            entropy: OnceLock::new(),
        }
    }

    fn weights(&self) -> [f64; 3] {
        let total: f64 = self.radii.iter().sum();
        self.radii.map(|r| r / total)
    }
}

impl Default for Rings {
    fn default() -> Self {
        Self::new()
    }
}

impl Density2d for Rings {
    fn name(&self) -> &str {
        "rings"
    }

    fn log_prob(&self, x: [f64; 2]) -> f64 {
        let r = x[0].hypot(x[1]).max(R_MIN);
        let s = self.std;
        let mut acc = LogSumExp::new();
        for (radius, w) in self.radii.iter().zip(self.weights()) {
            acc.add(w.ln() - (r - radius).powi(2) / (2.0 * s * s));
        }
        acc.value() - (s * (2.0 * PI).sqrt()).ln() - (2.0 * PI * r).ln()
    }

    fn sample(&self, n: usize, rng: &mut Rng) -> Vec<[f64; 2]> {
        self.sample_labeled(n, rng).0
    }

    fn sample_labeled(&self, n: usize, rng: &mut Rng) -> (Vec<[f64; 2]>, Vec<usize>) {
        let weights = self.weights();
        let mut labels = Vec::with_capacity(n);
        let points = (0..n)
            .map(|_| {
                let i = rng.categorical(&weights);
                labels.push(i);
                let theta = 2.0 * PI * rng.uniform();
                let r = loop {
                    let r = self.radii[i] + self.std * rng.normal();
                    if r > 0.0 {
                        break r;
                    }
                };
                [r * theta.cos(), r * theta.sin()]
            })
            .collect();
        (points, labels)
    }

    fn entropy(&self) -> Entropy {
        *self.entropy.get_or_init(|| monte_carlo_entropy(self))
    }

    fn modes(&self) -> Option<(Vec<[f64; 2]>, f64)> {
        None
    }

    fn bounds(&self) -> ([f64; 2], [f64; 2]) {
        let r = self.radii[2] + 6.0 * self.std;
        ([-r, -r], [r, r])
    }

    fn num_classes(&self) -> usize {
        self.radii.len()
    }
}
