//! VDM's bound on data, the same computation for training (one antithetic t per example) and
//! for scoring (K stratified t per example, t_k = (u + k/K) mod 1, so draw k lands in the k-th
//! of K bins of [0, 1] and 1/K of it estimates that bin's share of the diffusion integral),
//! and the figures:
//!
//! - `vdm_bound.csv`: term, nats, bits_per_dim — prior, reconstruction, diffusion;
//! - `vdm_diffusion_terms.csv`: t, term_nats, term_bpd — the diffusion term per bin of t
//!   (bin centres; they sum to the diffusion term), like DDPM's per-t terms;
//! - `vdm_snr.csv`: t, gamma, log_snr, alpha2, sigma2, and the fixed linear and cosine
//!   schedules' log-SNR (`linear_log_snr`, `cosine_log_snr`) at the same t;
//! - images: `vdm_forward.png`, `forward_linear.png`, `forward_cosine.png` — the same examples
//!   and ε noised to z_t = α_t x + σ_t ε at t ∈ {0, 0.1, 0.25, 0.5, 0.75, 1} under the learned,
//!   linear and cosine schedules (the ink drop).

use super::{VdmModel, VdmNet, loss};
use crate::schedule::ScheduleKind;
use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use genbench_core::seed::Rng;
use genbench_core::{Batch, fsutil, grid, host};
use std::f64::consts::LN_2;

use std::path::Path;

/// The bound's three terms: term, nats, bits_per_dim.
pub const BOUND_CSV: &str = "vdm_bound.csv";
/// The diffusion term per bin of t: t, term_nats, term_bpd.
pub const DIFFUSION_TERMS_CSV: &str = "vdm_diffusion_terms.csv";
/// The learned schedule (and the fixed linear and cosine ones) on a grid of t.
pub const SNR_CSV: &str = "vdm_snr.csv";
/// The ink drop under the learned schedule.
pub const FORWARD_PNG: &str = "vdm_forward.png";
/// The same ink drop under the fixed linear schedule.
pub const FORWARD_LINEAR_PNG: &str = "forward_linear.png";
/// The same ink drop under the fixed cosine schedule.
pub const FORWARD_COSINE_PNG: &str = "forward_cosine.png";

/// The three terms per example, [n, 1] each (nats).
pub struct Terms {
    /// KL(q(z_1 | x) ‖ N(0, I)) [n, 1].
    pub prior: Tensor<2>,
    /// −log p(x | z_0) [n, 1].
    pub reconstruction: Tensor<2>,
    /// The diffusion loss at the drawn t [n, 1].
    pub diffusion: Tensor<2>,
}

fn tensor(v: Vec<f32>, n: usize, d: usize, dev: &Device) -> Tensor<2> {
    host::tensor(v, [n, d], dev)
}

/// The terms for examples `x` (model space) at times `t` with noises `eps` and `eps0`
/// (n · d each), through `net` on `dev`.
pub fn terms(
    m: &VdmModel,
    net: &VdmNet,
    x: &[f32],
    t: &[f64],
    eps: Vec<f32>,
    eps0: Vec<f32>,
    dev: &Device,
) -> anyhow::Result<Terms> {
    let (n, d) = (t.len(), m.spec.dim());
    let steps = m.config.vdm_steps;
    let t: Vec<f64> = if steps > 0 {
        let s = steps as f64;
        t.iter()
            .map(|v| ((v * s).ceil() / s).max(1.0 / s))
            .collect()
    } else {
        t.to_vec()
    };
    let col = |v: &[f64]| tensor(v.iter().map(|&a| a as f32).collect(), v.len(), 1, dev);
    let (gamma_t, gamma_dot) = net.gamma.forward(col(&t)); // [n, 1]
    let (ends, _) = net.gamma.forward(col(&[0.0, 1.0])); // [2, 1]
    let gamma_0 = ends.clone().slice([0..1, 0..1]);
    let gamma_1 = ends.slice([1..2, 0..1]);
    let gamma_host: Vec<f64> = super::read(gamma_t.clone().detach())?
        .iter()
        .map(|&v| v as f64)
        .collect();
    let xt = tensor(x.to_vec(), n, d, dev);
    let alpha = sigmoid(gamma_t.clone().neg()).sqrt().expand([n, d]);
    let sigma = sigmoid(gamma_t.clone()).sqrt().expand([n, d]);
    let eps = tensor(eps, n, d, dev);
    let z = alpha * xt.clone() + sigma * eps.clone(); // [n, d]
    let eps_hat = m.eps_tensor(&net.denoiser, z, &gamma_host); // [n, d]
    let sq = (eps - eps_hat).powf_scalar(2.0).sum_dim(1); // [n, 1]
    let diffusion = if steps > 0 {
        let s: Vec<f64> = t.iter().map(|v| v - 1.0 / steps as f64).collect();
        let (gamma_s, _) = net.gamma.forward(col(&s));
        loss::diffusion_discrete(gamma_t, gamma_s, sq, steps)
    } else {
        loss::diffusion_continuous(gamma_dot, sq)
    };
    let z0 =
        xt.clone() + tensor(eps0, n, d, dev) * gamma_0.clone().mul_scalar(0.5).exp().expand([n, d]);
    Ok(Terms {
        prior: loss::prior_kl(xt, gamma_1),
        reconstruction: loss::reconstruction_nll(x, z0, gamma_0, m.spec.levels),
        diffusion,
    })
}

fn sigmoid_f64(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// The bound of a trained VDM on data (EMA weights).
#[derive(Clone, Debug)]
pub struct VdmBound {
    /// prior + reconstruction + diffusion per example, nats.
    pub total: Vec<f64>,
    /// The prior term, mean over examples, nats.
    pub prior: f64,
    /// The reconstruction term, mean over examples, nats.
    pub reconstruction: f64,
    /// The diffusion term, mean over examples, nats.
    pub diffusion: f64,
    /// The diffusion term's share per bin of t (K bins), mean over examples.
    pub diffusion_per_bin: Vec<f64>,
}

impl VdmModel {
    /// The `ode-decoder` bound's encoder and decoder at t = 0 (EMA schedule):
    /// q(z_0 | x) = N(α_0 x, σ_0² I) and the reconstruction term's −log p(x | z_0).
    pub fn ode_decoder<'a>(
        &self,
        nll: crate::ode_score::DecoderNll<'a>,
    ) -> anyhow::Result<crate::ode_score::Decoder<'a>> {
        let (gamma_0, _) = self.ema.gamma.at(0.0)?;
        Ok(crate::ode_score::Decoder {
            t: 0.0,
            alpha: sigmoid_f64(-gamma_0).sqrt(),
            sigma: sigmoid_f64(gamma_0).sqrt(),
            nll,
        })
    }

    /// −log p(x | z_0) per example under the EMA schedule's γ_0 (the reconstruction term's
    /// decoder, which reads z_0/α_0): `x`, `z0` model space, n · d each.
    pub fn decoder_nll(&self, x: &[f32], z0: &[f32]) -> anyhow::Result<Vec<f64>> {
        let d = self.spec.dim();
        let n = x.len() / d;
        let (gamma_0, _) = self.ema.gamma.at(0.0)?;
        let alpha = sigmoid_f64(-gamma_0).sqrt();
        let rescaled = z0.iter().map(|&v| (v as f64 / alpha) as f32).collect();
        let z = tensor(rescaled, n, d, &self.device);
        let g = tensor(vec![gamma_0 as f32], 1, 1, &self.device);
        let nll = loss::reconstruction_nll(x, z, g, self.spec.levels);
        Ok(super::read(nll)?.iter().map(|&v| v as f64).collect())
    }

    /// The bound of every example of `batch`, K = `bound_t_samples` stratified t each.
    pub fn bound(&self, batch: &Batch, seed: u64) -> anyhow::Result<VdmBound> {
        let (n, d, k) = (batch.len(), self.spec.dim(), self.config.bound_t_samples);
        anyhow::ensure!(n > 0, "no examples to score");
        let x = self.to_model_space(&batch.x);
        let mut rng = Rng::new(seed);
        let (mut total, mut parts, mut bins) = (vec![0.0; n], [0.0; 3], vec![0.0; k]);
        for start in (0..n).step_by(self.config.eval_batch) {
            let rows = (start + self.config.eval_batch).min(n) - start;
            let xc = &x[start * d..(start + rows) * d];
            let u: Vec<f64> = (0..rows).map(|_| rng.uniform()).collect();
            for j in 0..k {
                let t: Vec<f64> = u.iter().map(|v| (v + j as f64 / k as f64) % 1.0).collect();
                let mut noise =
                    || -> Vec<f32> { (0..rows * d).map(|_| rng.normal() as f32).collect() };
                let (eps, eps0) = (noise(), noise());
                let terms = terms(self, &self.ema, xc, &t, eps, eps0, &self.device)?;
                let values = [terms.prior, terms.reconstruction, terms.diffusion].map(|v| {
                    super::read(v)
                        .map(|v| v.iter().map(|&a| a as f64 / k as f64).collect::<Vec<_>>())
                });
                let [prior, recon, diff] = values;
                let (prior, recon, diff) = (prior?, recon?, diff?);
                for r in 0..rows {
                    total[start + r] += prior[r] + recon[r] + diff[r];
                    parts[0] += prior[r];
                    parts[1] += recon[r];
                    parts[2] += diff[r];
                    let bin = ((t[r] * k as f64) as usize).min(k - 1);
                    bins[bin] += diff[r];
                }
            }
        }
        let mean = |v: f64| v / n as f64;
        Ok(VdmBound {
            total,
            prior: mean(parts[0]),
            reconstruction: mean(parts[1]),
            diffusion: mean(parts[2]),
            diffusion_per_bin: bins.into_iter().map(mean).collect(),
        })
    }
}

/// Write the bound's terms, the learned schedule and the ink-drop figures.
pub fn write_artifacts(m: &VdmModel, test: &Batch, dir: &Path, seed: u64) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let d = m.spec.dim();
    let bpd = |v: f64| v / (d as f64 * LN_2);
    let b = m.bound(test, seed)?;
    let rows: Vec<Vec<String>> = [
        ("prior", b.prior),
        ("reconstruction", b.reconstruction),
        ("diffusion", b.diffusion),
    ]
    .iter()
    .map(|(name, v)| {
        vec![
            name.to_string(),
            format!("{v:.6e}"),
            format!("{:.6e}", bpd(*v)),
        ]
    })
    .collect();
    let header = |h: &[&str]| h.iter().map(ToString::to_string).collect::<Vec<_>>();
    fsutil::write_csv(
        &dir.join(BOUND_CSV),
        &header(&["term", "nats", "bits_per_dim"]),
        &rows,
    )?;
    let k = b.diffusion_per_bin.len();
    let rows: Vec<Vec<String>> = b
        .diffusion_per_bin
        .iter()
        .enumerate()
        .map(|(j, v)| {
            let t = (j as f64 + 0.5) / k as f64;
            vec![
                format!("{t:.6}"),
                format!("{v:.6e}"),
                format!("{:.6e}", bpd(*v)),
            ]
        })
        .collect();
    fsutil::write_csv(
        &dir.join(DIFFUSION_TERMS_CSV),
        &header(&["t", "term_nats", "term_bpd"]),
        &rows,
    )?;
    let grid_t: Vec<f64> = (0..=100).map(|i| i as f64 / 100.0).collect();
    let (gamma, _) = m.ema.gamma.eval(&grid_t)?;
    let sig = |g: f64| 1.0 / (1.0 + (-g).exp());
    let rows: Vec<Vec<String>> = grid_t
        .iter()
        .zip(&gamma)
        .map(|(&t, &g)| {
            vec![
                format!("{t:.4}"),
                format!("{g:.6}"),
                format!("{:.6}", -g),
                format!("{:.6e}", sig(-g)),
                format!("{:.6e}", sig(g)),
                format!("{:.6}", -ScheduleKind::Linear.gamma(t.max(1e-4))),
                format!("{:.6}", -ScheduleKind::Cosine.gamma(t.max(1e-4))),
            ]
        })
        .collect();
    fsutil::write_csv(
        &dir.join(SNR_CSV),
        &header(&[
            "t",
            "gamma",
            "log_snr",
            "alpha2",
            "sigma2",
            "linear_log_snr",
            "cosine_log_snr",
        ]),
        &rows,
    )?;
    if m.spec.is_image() {
        ink_drop(m, test, dir, seed)?;
    }
    Ok(())
}

/// The same examples and ε noised under the learned, linear and cosine schedules.
fn ink_drop(m: &VdmModel, test: &Batch, dir: &Path, seed: u64) -> anyhow::Result<()> {
    let d = m.spec.dim();
    let n = test.len().min(8);
    let times = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0];
    let x = m.to_model_space(&test.head(n).x);
    let mut rng = Rng::new(seed ^ 0x1d);
    let eps: Vec<f64> = (0..n * d).map(|_| rng.normal()).collect();
    let (learned, _) = m.ema.gamma.eval(&times)?;
    let sig = |g: f64| 1.0 / (1.0 + (-g).exp());
    let schedules: [(&str, Vec<f64>); 3] = [
        (FORWARD_PNG, learned),
        (
            FORWARD_LINEAR_PNG,
            times
                .iter()
                .map(|&t| ScheduleKind::Linear.gamma(t.max(1e-4)))
                .collect(),
        ),
        (
            FORWARD_COSINE_PNG,
            times
                .iter()
                .map(|&t| ScheduleKind::Cosine.gamma(t.max(1e-4)))
                .collect(),
        ),
    ];
    let scale = if m.spec.image_shape()[1] <= 16 { 4 } else { 2 };
    for (file, gamma) in schedules {
        let mut cells = Vec::with_capacity(n * times.len() * d);
        for r in 0..n {
            for g in &gamma {
                let (a, s) = (sig(-g).sqrt(), sig(*g).sqrt());
                cells.extend((0..d).map(|k| (a * x[r * d + k] as f64 + s * eps[r * d + k]) as f32));
            }
        }
        let batch = Batch::new(crate::model::to_data_space(&m.spec, &cells), Vec::new(), d);
        grid::save_image_grid(&batch, &m.spec, times.len(), scale, &dir.join(file))?;
    }
    Ok(())
}
