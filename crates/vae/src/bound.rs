//! The VAE's bounds on log p(x), per example, in nats, computed in chunks on the inference
//! network.
//!
//! With q(z|x) = N(mu, diag(sigma^2)), p(z) = N(0, I) and z = mu + sigma * eps:
//! - rate       R(x) = KL(q(z|x) || p(z)) = 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)
//!   (closed form, per latent dimension j);
//! - distortion D(x) = -E_q log p(x|z), estimated with one draw of eps;
//! - ELBO(x) = -(R + D) <= log p(x);
//! - IWAE_k(x) = log (1/k) sum_i w_i, w_i = p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q (Burda et al.
//!   2016): ELBO <= IWAE_k <= IWAE_{k+1} <= log p(x) in expectation, log p(x) as k -> inf.

use crate::nets::VaeNet;
use crate::observation::Observation;
use burn::prelude::*;
use genbench_core::{Rng, host};

/// Examples in the network's input space: `x` `[n, D]` (model space), `y` `[n, classes]` one-hot
/// (empty when unconditional).
#[derive(Clone, Debug)]
pub struct Inputs {
    /// Values `[n, D]`, row-major.
    pub x: Vec<f32>,
    /// One-hot labels `[n, classes]`, row-major (empty when unconditional).
    pub y: Vec<f32>,
    /// Data dimensions D.
    pub dim: usize,
    /// Classes of the one-hot labels (0: unconditional).
    pub classes: usize,
}

impl Inputs {
    /// The number of examples n.
    pub fn len(&self) -> usize {
        self.x.len() / self.dim
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Rows `start..start + n`, each repeated `times` times in a row, as tensors on `device`:
    /// (x `[n*times, D]`, y `[n*times, classes]`).
    pub fn tensors(
        &self,
        start: usize,
        n: usize,
        times: usize,
        device: &Device,
    ) -> (Tensor<2>, Option<Tensor<2>>) {
        let repeat = |v: &[f32], w: usize| -> Tensor<2> {
            let rows = &v[start * w..(start + n) * w];
            let data: Vec<f32> = if times == 1 {
                rows.to_vec()
            } else {
                rows.chunks(w)
                    .flat_map(|r| std::iter::repeat_n(r, times).flatten().copied())
                    .collect()
            };
            host::tensor(data, [n * times, w], device)
        };
        let x = repeat(&self.x, self.dim);
        let y = (self.classes > 0).then(|| repeat(&self.y, self.classes));
        (x, y)
    }
}

/// Per-example rate and distortion (nats), and the rate per latent dimension summed over examples.
#[derive(Clone, Debug, Default)]
pub struct ElboTerms {
    /// KL(q(z|x) ‖ p(z)) of each example, nats.
    pub rate: Vec<f64>,
    /// −E_q[log p(x|z)] of each example, nats.
    pub distortion: Vec<f64>,
    /// KL per latent dimension, summed over the examples (nats).
    pub kl_per_dim_sum: Vec<f64>,
}

impl ElboTerms {
    /// ELBO per example: -(rate + distortion).
    pub fn elbo(&self) -> Vec<f64> {
        self.rate
            .iter()
            .zip(&self.distortion)
            .map(|(r, d)| -(r + d))
            .collect()
    }
}

/// KL(N(mu, e^lv) || N(0, 1)) per latent dimension, `[n, latent]`.
pub fn kl_per_dim(mu: Tensor<2>, log_var: Tensor<2>) -> Tensor<2> {
    (mu.square() + log_var.clone().exp() - log_var)
        .sub_scalar(1.0)
        .mul_scalar(0.5)
}

/// Rate and one-draw distortion of every example, `rows` examples per forward pass.
pub fn elbo_terms(
    net: &VaeNet,
    obs: Observation,
    inputs: &Inputs,
    rows: usize,
    rng: &mut Rng,
    device: &Device,
) -> ElboTerms {
    let n = inputs.len();
    let mut terms = ElboTerms::default();
    let mut start = 0;
    while start < n {
        let m = rows.min(n - start);
        let (x, y) = inputs.tensors(start, m, 1, device);
        let (mu, log_var) = net.encode(x.clone(), y.clone()); // [m, latent] twice
        let latent = mu.dims()[1];
        let eps = host::standard_normal([m, latent], rng, device); // [m, latent]
        let z = mu.clone() + log_var.clone().mul_scalar(0.5).exp() * eps; // [m, latent]
        let kl = kl_per_dim(mu, log_var); // [m, latent]
        let log_px = obs.log_prob(x, net.decode(z, y), net.log_var()).sum_dim(1); // [m, 1]
        let kl_host = host::floats(kl);
        if terms.kl_per_dim_sum.is_empty() {
            terms.kl_per_dim_sum = vec![0.0; latent];
        }
        for row in kl_host.chunks(latent) {
            terms.rate.push(row.iter().map(|&v| v as f64).sum());
            for (acc, &v) in terms.kl_per_dim_sum.iter_mut().zip(row) {
                *acc += v as f64;
            }
        }
        terms
            .distortion
            .extend(host::floats(log_px).iter().map(|&v| -(v as f64)));
        start += m;
    }
    terms
}

/// IWAE_k per example: log-mean-exp of k importance weights, streamed over chunks of at most
/// `rows` decoder rows (examples x samples), so memory is bounded whatever k is.
pub fn iwae(
    net: &VaeNet,
    obs: Observation,
    inputs: &Inputs,
    k: usize,
    rows: usize,
    rng: &mut Rng,
    device: &Device,
) -> Vec<f64> {
    let n = inputs.len();
    let k_chunk = k.min(rows).max(1);
    let n_chunk = (rows / k_chunk).clamp(1, n.max(1));
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    while start < n {
        let m = n_chunk.min(n - start);
        let (x1, y1) = inputs.tensors(start, m, 1, device);
        let (mu, log_var) = net.encode(x1, y1); // [m, latent] twice
        let latent = mu.dims()[1];
        // running log-sum-exp per example: max and sum of exp(log w - max)
        let mut acc = vec![(f64::NEG_INFINITY, 0.0f64); m];
        let mut done = 0;
        while done < k {
            let kc = k_chunk.min(k - done);
            let expand = |t: Tensor<2>| {
                t.unsqueeze_dim::<3>(1)
                    .expand([m, kc, latent])
                    .reshape([m * kc, latent])
            };
            let (mu_r, lv_r) = (expand(mu.clone()), expand(log_var.clone())); // [m*kc, latent] twice
            let eps = host::standard_normal([m * kc, latent], rng, device); // [m*kc, latent]
            let z = mu_r + lv_r.clone().mul_scalar(0.5).exp() * eps.clone(); // [m*kc, latent]
            // log p(z) - log q(z|x) = -1/2 sum_j (z_j^2 - eps_j^2 - lv_j)
            let log_prior_ratio = (z.clone().square() - eps.square() - lv_r)
                .sum_dim(1)
                .mul_scalar(-0.5); // [m*kc, 1]
            let (x, y) = inputs.tensors(start, m, kc, device);
            let log_px = obs.log_prob(x, net.decode(z, y), net.log_var()).sum_dim(1); // [m*kc, 1]
            let log_w = host::floats(log_px + log_prior_ratio);
            for (i, chunk) in log_w.chunks(kc).enumerate() {
                let (max, sum) = &mut acc[i];
                for &lw in chunk {
                    let lw = lw as f64;
                    if lw > *max {
                        *sum = *sum * (*max - lw).exp() + 1.0;
                        *max = lw;
                    } else {
                        *sum += (lw - *max).exp();
                    }
                }
            }
            done += kc;
        }
        out.extend(
            acc.iter()
                .map(|(max, sum)| max + sum.ln() - (k as f64).ln()),
        );
        start += m;
    }
    out
}
