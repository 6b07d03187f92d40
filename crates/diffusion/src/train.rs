//! One DDPM training step for each loss of [`crate::config::LossKind`], per example r with its
//! t_r drawn by [`crate::resample`] and weight w_r = 1/(T p_t):
//!
//!   simple: ℓ_r = ‖ε − ε̂‖² / D
//!   vlb:    ℓ_r = T · L_{t_r}                      (L_t in bits/dim, below)
//!   hybrid: ℓ_r = ‖ε − ε̂‖² / D + λ T · L_{t_r}[sg(ε̂)]
//!   loss    = mean_r w_r ℓ_r
//!
//! with L_t = KL(q(x_{t−1} | x_t, x_0) ‖ N(μ_θ, Σ_θ)) / (D ln 2) for t ≥ 2 and
//! −log p_θ(x_0 | x_1) / (D ln 2) (discretized Gaussian on images) at t = 1, as
//! improved-diffusion's `_vb_terms_bpd`; μ_θ = c1_t x̂_0 + c2_t x_t from ε̂ (stopped, sg, in
//! the hybrid loss so L_vlb trains only the variances), Σ_θ = exp(v log β_t + (1 − v) log β̃_t)
//! with v = (raw + 1)/2 from the network's second output (or a fixed variance).

use crate::config::LossKind;
use crate::denoiser::embedding::sinusoidal_features;
use crate::ema;
use crate::model::DiffusionModel;
use crate::schedule::ReverseVariance;
use anyhow::Context;
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::prelude::*;
use genbench_core::grad_clip::clip_global_norm;
use genbench_core::seed::{self, Rng};
use genbench_core::{Batch, host};
use std::f64::consts::{LN_2, PI};

/// Row-major [n, d] host values as a tensor.
fn tensor(v: Vec<f32>, n: usize, d: usize, dev: &Device) -> Tensor<2> {
    host::tensor(v, [n, d], dev)
}

/// Φ(z) = ½ (1 + erf(z/√2)).
fn normal_cdf(z: Tensor<2>) -> Tensor<2> {
    z.div_scalar(std::f64::consts::SQRT_2)
        .erf()
        .add_scalar(1.0)
        .mul_scalar(0.5)
}

/// log of the discretized Gaussian's probability of each x on `levels` levels of [−1, 1]
/// (the tensor twin of [`crate::vlb::discretized_gaussian_log_prob`], floored at 1e-12).
pub fn discretized_gaussian_log_prob(
    x: &[f32],
    mean: Tensor<2>,
    log_var: Tensor<2>,
    levels: u32,
    dev: &Device,
) -> Tensor<2> {
    let [n, d] = mean.dims();
    let half = 1.0 / (levels - 1) as f64;
    let xt = tensor(x.to_vec(), n, d, dev);
    let inv_sigma = log_var.mul_scalar(-0.5).exp();
    let centred = xt - mean;
    let cdf_plus = normal_cdf((centred.clone().add_scalar(half)) * inv_sigma.clone());
    let cdf_minus = normal_cdf(centred.sub_scalar(half) * inv_sigma);
    let log_low = cdf_plus.clone().clamp_min(1e-12).log();
    let log_high = cdf_minus
        .clone()
        .neg()
        .add_scalar(1.0)
        .clamp_min(1e-12)
        .log();
    let log_mid = (cdf_plus - cdf_minus).clamp_min(1e-12).log();
    let mask = |f: &dyn Fn(f32) -> bool| {
        let m: Vec<bool> = x.iter().map(|&v| f(v)).collect();
        host::tensor::<2, Bool, bool>(m, [n, d], dev)
    };
    let edge = 1.0 - 0.5 * half as f32;
    log_mid
        .mask_where(mask(&|v| v <= -edge), log_low)
        .mask_where(mask(&|v| v >= edge), log_high)
}

impl DiffusionModel {
    /// One training step on the configured loss; returns the mean weighted loss.
    pub(crate) fn train_on(&mut self, batch: &Batch) -> anyhow::Result<f64> {
        let (n, d, steps) = (batch.len(), self.spec.dim(), self.schedule.steps());
        let mut rng = Rng::new(seed::derive(self.noise_seed, self.step));
        let x0 = self.to_model_space(&batch.x);
        let (t, weights) = self.timesteps.draw(n, &mut rng);
        let (mut xt, mut eps) = (Vec::with_capacity(n * d), Vec::with_capacity(n * d));
        for r in 0..n {
            for k in 0..d {
                let e = rng.normal();
                xt.push(self.schedule.q_sample(x0[r * d + k] as f64, t[r], e) as f32);
                eps.push(e as f32);
            }
        }
        let labels = if self.classes > 0 {
            anyhow::ensure!(
                batch.has_labels(),
                "a conditional diffusion model needs labelled data"
            );
            let dropped: Vec<usize> = batch
                .labels
                .iter()
                .map(|&y| {
                    if rng.uniform() < self.config.label_dropout {
                        self.classes
                    } else {
                        y
                    }
                })
                .collect();
            Some(dropped)
        } else {
            None
        };
        let dev = self
            .net
            .devices()
            .into_iter()
            .next()
            .context("the denoiser has no device")?;
        let xt_t = tensor(xt.clone(), n, d, &dev);
        let eps_t = tensor(eps, n, d, &dev);
        let f = self.config.time_features;
        let feats: Tensor<2> = host::tensor(sinusoidal_features(&t, steps, f), [n, f], &dev);
        let labels = labels.map(|l| self.labels_tensor(&l, &dev));
        let out = self.net.forward(xt_t, feats, labels, &self.spec.shape); // [n, G·d]
        let eps_hat = out.clone().slice([0..n, 0..d]); // [n, d]
        let mse = (eps_hat.clone() - eps_t).powf_scalar(2.0).mean_dim(1); // [n, 1]
        let per_example = match self.config.loss {
            LossKind::Simple => mse,
            LossKind::Vlb => self
                .vlb_term_bpd(&x0, &xt, &t, eps_hat, &out, &dev)?
                .mul_scalar(steps as f64),
            LossKind::Hybrid => {
                let vb = self.vlb_term_bpd(&x0, &xt, &t, eps_hat.detach(), &out, &dev)?;
                mse + vb.mul_scalar(self.config.hybrid_lambda * steps as f64)
            }
        }; // [n, 1]
        let losses = host::floats_f64(per_example.clone());
        let w = tensor(weights.iter().map(|&v| v as f32).collect(), n, 1, &dev);
        let loss = (per_example * w).mean(); // [1]
        let value = loss.clone().into_scalar::<f32>() as f64;
        let grads = GradientsParams::from_grads(loss.backward(), &self.net);
        let grads = clip_global_norm(grads, &self.net, self.config.grad_clip);
        self.net = self.optim.step(self.lr, self.net.clone(), grads);
        let decay = ema::effective_decay(self.config.ema_decay, self.step);
        self.ema = ema::update(self.ema.clone(), &self.net.valid(), decay);
        self.timesteps.update(&t, &losses);
        self.step += 1;
        Ok(value)
    }

    /// L_{t_r} per example in bits/dim: [n, 1].
    fn vlb_term_bpd(
        &self,
        x0: &[f32],
        xt: &[f32],
        t: &[usize],
        eps_hat: Tensor<2>,
        out: &Tensor<2>,
        dev: &Device,
    ) -> anyhow::Result<Tensor<2>> {
        let s = &self.schedule;
        let [n, d] = eps_hat.dims();
        let per_row = |f: &dyn Fn(usize) -> f64| {
            let v: Vec<f32> = (0..n * d).map(|j| f(t[j / d]) as f32).collect();
            tensor(v, n, d, dev)
        };
        let log_var = if self.config.reverse_variance == ReverseVariance::Learned {
            let v = out
                .clone()
                .slice([0..n, d..2 * d])
                .add_scalar(1.0)
                .mul_scalar(0.5);
            let max_log = per_row(&|i| s.betas[i].ln());
            let min_log = per_row(&|i| s.posterior_log_variance_clipped[i]);
            v.clone() * max_log + v.neg().add_scalar(1.0) * min_log
        } else {
            let var = self.config.reverse_variance;
            per_row(&|i| s.model_log_variance(var, i, 0.0))
        }; // [n, d]
        let xt_t = tensor(xt.to_vec(), n, d, dev);
        let x0_hat = (xt_t.clone() - eps_hat * per_row(&|i| (1.0 - s.alpha_bar[i]).sqrt()))
            / per_row(&|i| s.alpha_bar[i].sqrt());
        let mean = x0_hat * per_row(&|i| s.posterior_mean_coef1[i])
            + xt_t * per_row(&|i| s.posterior_mean_coef2[i]); // [n, d]
        let true_mean: Vec<f32> = (0..n * d)
            .map(|j| s.q_posterior(x0[j] as f64, xt[j] as f64, t[j / d]).0 as f32)
            .collect();
        let true_log_var = per_row(&|i| s.posterior_log_variance_clipped[i]);
        // KL(N(m1, e^{lv1}) ‖ N(m2, e^{lv2})) = ½ (−1 + lv2 − lv1 + e^{lv1−lv2} + (m1−m2)² e^{−lv2}).
        let kl = ((log_var.clone() - true_log_var.clone()).add_scalar(-1.0)
            + (true_log_var - log_var.clone()).exp()
            + (tensor(true_mean, n, d, dev) - mean.clone()).powf_scalar(2.0)
                * log_var.clone().neg().exp())
        .mul_scalar(0.5);
        let decoder_nll = match self.spec.levels {
            Some(l) => discretized_gaussian_log_prob(x0, mean, log_var, l, dev).neg(),
            None => {
                let x = tensor(x0.to_vec(), n, d, dev);
                ((x - mean).powf_scalar(2.0) * log_var.clone().neg().exp() + log_var)
                    .add_scalar((2.0 * PI).ln())
                    .mul_scalar(0.5)
            }
        };
        let first: Vec<bool> = (0..n * d).map(|j| t[j / d] == 0).collect();
        let first: Tensor<2, Bool> = host::tensor(first, [n, d], dev);
        Ok(kl
            .mask_where(first, decoder_nll)
            .mean_dim(1)
            .div_scalar(LN_2)) // [n, 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genbench_core::DeviceChoice;

    /// The tensor decoder agrees with the host one on every kind of bin.
    #[test]
    fn tensor_decoder_matches_the_host_decoder() {
        let dev = DeviceChoice::Flex.device().unwrap();
        let x = [-1.0f32, -0.125, 0.5, 1.0];
        let (mean, log_var) = ([-0.9f32, 0.0, 0.43, 0.7], [-3.0f32, -5.0, -2.0, -1.0]);
        let got = host::floats(discretized_gaussian_log_prob(
            &x,
            tensor(mean.to_vec(), 1, 4, &dev),
            tensor(log_var.to_vec(), 1, 4, &dev),
            17,
            &dev,
        ));
        for k in 0..4 {
            let want = crate::vlb::discretized_gaussian_log_prob(
                x[k] as f64,
                mean[k] as f64,
                log_var[k] as f64,
                17,
            );
            assert!(
                (got[k] as f64 - want).abs() < 1e-4,
                "{k}: {} vs {want}",
                got[k]
            );
        }
    }
}
