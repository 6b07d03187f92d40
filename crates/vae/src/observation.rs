//! p(x|z): the decoder's distribution over one example, given the decoder network's output.
//!
//! The network emits `P` numbers per data dimension, parameter-major: a `[n, P*D]` row holds
//! the D values of parameter 0, then the D values of parameter 1. Each distribution works in
//! its own "model space":
//! - Bernoulli: x in {0, 1} (the levels of a binarized image); one logit per pixel.
//! - Discretized logistic: x = 2k/(L-1) - 1 in [-1, 1]; a location and a log-scale per pixel.
//! - Gaussian: standardized coordinates; a mean per dimension and one learned log-variance per
//!   dimension shared by all z (a parameter of the model, not an output of the network).

use burn::prelude::*;
use burn::tensor::activation::{log_sigmoid, sigmoid};
use genbench_core::Rng;
use genbench_core::preprocess::{level_to_signed, signed_to_level};

/// Smallest log-scale of the discretized logistic (PixelCNN++'s bound): a pixel's probability
/// can approach 1 but the gradient never blows up.
pub const LOG_SCALE_MIN: f32 = -7.0;
/// Largest log-scale: wider than the whole [-1, 1] range many times over.
pub const LOG_SCALE_MAX: f32 = 3.0;
/// Smallest log-variance of the Gaussian decoder (standardized units).
pub const LOG_VAR_MIN: f32 = -9.0;

const LN_2PI: f32 = 1.837_877_1;

/// The decoder's distribution family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observation {
    /// One logit per dimension: binarized images.
    Bernoulli,
    /// Bins of width 2/(L-1) centred on the L levels of [-1, 1]; the edge bins extend to ±inf
    /// (PixelCNN++ / DDPM), so the L probabilities sum to 1 exactly.
    Logistic {
        /// Grey levels L of the data.
        levels: u32,
    },
    /// A Gaussian of learned per-dimension variance: vectors.
    Gaussian,
}

impl Observation {
    /// Network outputs per data dimension.
    pub fn params_per_dim(self) -> usize {
        match self {
            Observation::Logistic { .. } => 2,
            Observation::Bernoulli | Observation::Gaussian => 1,
        }
    }

    /// The family's name, as the report writes it (e.g. "discretized logistic").
    pub fn name(self) -> &'static str {
        match self {
            Observation::Bernoulli => "Bernoulli",
            Observation::Logistic { .. } => "discretized logistic",
            Observation::Gaussian => "Gaussian",
        }
    }

    /// A data value (level, or a standardized coordinate) in model space.
    pub fn to_model(self, v: f32) -> f32 {
        match self {
            Observation::Logistic { levels } => level_to_signed(v, levels),
            Observation::Bernoulli | Observation::Gaussian => v,
        }
    }

    /// log p(x_d | z) per dimension, `[n, D]`, for `x` `[n, D]` in model space and the network's
    /// `out` `[n, P*D]`. `log_var` `[D]` is the Gaussian decoder's log-variance.
    pub fn log_prob(self, x: Tensor<2>, out: Tensor<2>, log_var: Option<Tensor<1>>) -> Tensor<2> {
        let [n, d] = x.dims();
        match self {
            Observation::Bernoulli => {
                // x log σ(l) + (1 - x) log σ(-l)
                let pos = log_sigmoid(out.clone()) * x.clone(); // [n, D]
                let neg = log_sigmoid(out.neg()) * x.neg().add_scalar(1.0); // [n, D]
                pos + neg
            }
            Observation::Logistic { levels } => {
                let loc = out.clone().narrow(1, 0, d); // [n, D]
                let log_scale = out.narrow(1, d, d); // [n, D]
                discretized_logistic_log_prob(x, loc, log_scale, levels)
            }
            Observation::Gaussian => {
                let log_var = log_var
                    .expect("the Gaussian decoder has a log-variance")
                    .clamp_min(LOG_VAR_MIN); // [D]
                let log_var = log_var.unsqueeze_dim::<2>(0).expand([n, d]); // [n, D]
                let sq = (x - out).square() * log_var.clone().neg().exp(); // [n, D]
                (sq + log_var).add_scalar(LN_2PI).mul_scalar(-0.5) // [n, D]
            }
        }
    }

    /// The decoder's most probable value in model space, `[n, D]` (continuous: the Bernoulli
    /// probability, the logistic location, the Gaussian mean), for display.
    pub fn mean(self, out: Tensor<2>, d: usize) -> Tensor<2> {
        match self {
            Observation::Bernoulli => sigmoid(out),
            Observation::Logistic { .. } => out.narrow(1, 0, d).clamp(-1.0, 1.0),
            Observation::Gaussian => out,
        }
    }

    /// Model-space values (from [`Observation::mean`] or a draw) back to data values; levels are
    /// rounded to the nearest valid one when `round`.
    pub fn to_data(self, v: f32, round: bool) -> f32 {
        match self {
            Observation::Bernoulli if round => (v >= 0.5) as u8 as f32,
            Observation::Bernoulli => v.clamp(0.0, 1.0),
            Observation::Logistic { levels } if round => signed_to_level(v, levels),
            Observation::Logistic { levels } => {
                ((v + 1.0) * 0.5 * (levels - 1) as f32).clamp(0.0, (levels - 1) as f32)
            }
            Observation::Gaussian => v,
        }
    }

    /// One draw from p(x|z) per row in data-space levels (Bernoulli, logistic) or model-space
    /// coordinates (Gaussian), from host noise: `out` is `[n, P*D]` on the host.
    pub fn draw(self, out: &[f32], d: usize, log_var: Option<&[f32]>, rng: &mut Rng) -> Vec<f32> {
        let p = self.params_per_dim();
        let n = out.len() / (p * d);
        let mut x = Vec::with_capacity(n * d);
        for i in 0..n {
            let row = &out[i * p * d..(i + 1) * p * d];
            for j in 0..d {
                x.push(match self {
                    Observation::Bernoulli => {
                        let prob = 1.0 / (1.0 + (-row[j] as f64).exp());
                        (rng.uniform() < prob) as u8 as f32
                    }
                    Observation::Logistic { levels } => {
                        // inverse CDF of the logistic, then the bin it falls in
                        let scale = (row[d + j].clamp(LOG_SCALE_MIN, LOG_SCALE_MAX) as f64).exp();
                        let u = rng.uniform().clamp(1e-12, 1.0 - 1e-12);
                        let v = row[j] as f64 + scale * (u.ln() - (1.0 - u).ln());
                        signed_to_level(v.clamp(-2.0, 2.0) as f32, levels)
                    }
                    Observation::Gaussian => {
                        let lv = log_var.map(|l| l[j]).unwrap_or(0.0).max(LOG_VAR_MIN) as f64;
                        (row[j] as f64 + (0.5 * lv).exp() * rng.normal()) as f32
                    }
                });
            }
        }
        x
    }
}

/// log P(k) of the discretized logistic, elementwise `[n, D]`, for `x` = 2k/(L-1) - 1.
///
/// With half-bin δ = 1/(L-1), s = exp(log_scale), a = (x + δ - μ)/s and b = (x - δ - μ)/s:
///   lowest level   log σ(a)
///   highest level  log(1 - σ(b)) = log σ(-b)
///   otherwise      log(σ(a) - σ(b)) = log σ(a) + log σ(-b) + log(1 - e^{-(a-b)}),
/// the identity σ(a) - σ(b) = σ(a) (1 - σ(b)) (1 - e^{b-a}), exact and stable for every a > b;
/// with d = a - b = 2δ/s, log(1 - e^{-d}) = log tanh(d/2) + log(1 + e^{-d}), which keeps its
/// precision for small d.
pub fn discretized_logistic_log_prob(
    x: Tensor<2>,
    loc: Tensor<2>,
    log_scale: Tensor<2>,
    levels: u32,
) -> Tensor<2> {
    let half_bin = 1.0 / (levels - 1) as f32;
    let log_scale = log_scale.clamp(LOG_SCALE_MIN, LOG_SCALE_MAX); // [n, D]
    let inv_scale = log_scale.neg().exp(); // [n, D]
    let centred = x.clone() - loc; // [n, D]
    let a = (centred.clone().add_scalar(half_bin)) * inv_scale.clone(); // [n, D]
    let b = (centred.sub_scalar(half_bin)) * inv_scale.clone(); // [n, D]
    let d = inv_scale.mul_scalar(2.0 * half_bin); // [n, D], a - b
    let log_cdf_a = log_sigmoid(a); // [n, D]
    let log_sf_b = log_sigmoid(b.neg()); // [n, D]
    let log_one_minus_exp = d.clone().mul_scalar(0.5).tanh().log() + d.neg().exp().log1p(); // [n, D]
    let interior = log_cdf_a.clone() + log_sf_b.clone() + log_one_minus_exp; // [n, D]
    let lowest = x.clone().lower_elem(-1.0 + half_bin); // [n, D] bool
    let highest = x.greater_elem(1.0 - half_bin); // [n, D] bool
    interior
        .mask_where(lowest, log_cdf_a)
        .mask_where(highest, log_sf_b)
}
