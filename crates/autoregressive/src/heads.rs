//! The per-dimension conditionals: a categorical over L grey levels (images) or a mixture of K
//! Gaussians (continuous vectors). Log-probabilities as tensors (training and scoring) and
//! draws on the host (sampling).

use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use genbench_core::seed::Rng;

/// Lower bound of a mixture component's log standard deviation (keeps densities finite).
pub const LOG_SCALE_MIN: f32 = -7.0;
/// Upper bound of a mixture component's log standard deviation (see [`LOG_SCALE_MIN`]).
pub const LOG_SCALE_MAX: f32 = 5.0;

/// What each dimension's conditional is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    /// Categorical over `levels` values: `per_dim = levels` logits.
    Categorical {
        /// Values L a dimension takes.
        levels: usize,
    },
    /// Mixture of `components` Gaussians: `per_dim = 3K` = K logits, K means, K log-scales.
    Gaussians {
        /// Components K of each dimension's mixture.
        components: usize,
    },
}

impl Head {
    /// Network outputs per data dimension: L logits, or 3K mixture parameters.
    pub fn per_dim(self) -> usize {
        match self {
            Head::Categorical { levels } => levels,
            Head::Gaussians { components } => 3 * components,
        }
    }

    /// log p(x) = sum_d log p(x_d | x_<d), `[batch]`, from the parameters `[batch, D, per_dim]`
    /// of every conditional and the data `x` `[batch, D]` (levels as f32, or coordinates).
    pub fn log_prob(self, params: Tensor<3>, x: Tensor<2>) -> Tensor<1> {
        let [n, d, _] = params.dims();
        match self {
            Head::Categorical { .. } => {
                let logp = log_softmax(params, 2); // [batch, D, L]
                let idx = x.int().reshape([n, d, 1]); // [batch, D, 1]
                logp.gather(2, idx).sum_dim(1).reshape([n]) // [batch]
            }
            Head::Gaussians { components: k } => {
                let log_w = log_softmax(params.clone().slice([0..n, 0..d, 0..k]), 2); // [batch, D, K]
                let mean = params.clone().slice([0..n, 0..d, k..2 * k]); // [batch, D, K]
                let log_s = params
                    .slice([0..n, 0..d, 2 * k..3 * k])
                    .clamp(LOG_SCALE_MIN, LOG_SCALE_MAX); // [batch, D, K]
                let z = (x.reshape([n, d, 1]) - mean) * log_s.clone().neg().exp(); // [batch, D, K]
                let half_log_2pi = 0.5 * (2.0 * std::f32::consts::PI).ln();
                let log_n = z.powi_scalar(2).mul_scalar(-0.5) - log_s - half_log_2pi; // [batch, D, K]
                let a = log_w + log_n; // [batch, D, K]
                let m = a.clone().max_dim(2).detach(); // [batch, D, 1]
                let lse = (a - m.clone()).exp().sum_dim(2).log() + m; // [batch, D, 1]
                lse.sum_dim(1).reshape([n]) // [batch]
            }
        }
    }

    /// One draw of x_d from its conditional's parameters `p` (`per_dim` values).
    pub fn draw(self, p: &[f32], rng: &mut Rng) -> f32 {
        match self {
            Head::Categorical { .. } => {
                let max = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let w: Vec<f64> = p.iter().map(|&l| ((l - max) as f64).exp()).collect();
                rng.categorical(&w) as f32
            }
            Head::Gaussians { components: k } => {
                let max = p[..k].iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let w: Vec<f64> = p[..k].iter().map(|&l| ((l - max) as f64).exp()).collect();
                let j = rng.categorical(&w);
                let s = (p[2 * k + j].clamp(LOG_SCALE_MIN, LOG_SCALE_MAX) as f64).exp();
                (p[k + j] as f64 + s * rng.normal()) as f32
            }
        }
    }
}
