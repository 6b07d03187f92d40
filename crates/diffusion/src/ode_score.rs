//! The probability-flow ODE applied to a trained model (DDPM or VDM, through
//! [`crate::flow::EpsField`]): its likelihood on test data and its samples.
//!
//! On continuous data the number is log p_{t_min}(x) (kind `ode`). On images (L levels on
//! [−1, 1], bin width Δ = 2/(L − 1)) the data are dequantized with u ~ U(−Δ/2, Δ/2)^D and
//!
//!   log P(x) = log ∫_{bin(x)} p(y) dy ≥ E_u[log p(x + u)] + D log Δ   (Jensen)
//!
//! so −log p(x + u) − D log Δ bounds the same discrete NLL as every other family (kind
//! `ode-dequantized`, one u per example).
//!
//! That bound is loose for a model trained on the discrete data itself: the flow of a good score
//! piles its density into spikes of width ≈ σ at the levels, and x + u mostly lands between
//! them. Both models have their own encoder and decoder at a small time t_0 instead: the VDM's
//! q(z_0 | x) = N(α_0 x, σ_0² I) and the discretized decoder of its reconstruction term at
//! t_0 = 0; DDPM's q(x_1 | x_0) = N(√ᾱ_1 x_0, (1 − ᾱ_1) I) and its L_0 decoder p_θ(x_0 | x_1) at
//! t_0 = 1/T. With the flow as the prior of z_0 (the ODE run from t_0):
//!
//!   log P(x) ≥ E_{z_0 ~ q(z_0 | x)}[log p(x | z_0) + log p_ODE(z_0) − log q(z_0 | x)]
//!
//! (kind `ode-decoder`, one z_0 per example: variational dequantization by the model's own
//! noising). With the true score and uniform data on the levels the VDM's integrand is log P(x)
//! for every z_0 (Bayes), so the bound is then exact.

use crate::config::{DiffusionConfig, DivergenceKind, OdeDequantization};
use crate::flow::{self, Divergence, EpsField};
use crate::ode::Tolerance;
use genbench_core::DataSpec;
use genbench_core::likelihood::{Likelihood, LikelihoodKind};
use genbench_core::seed::{self, Rng};
use std::time::Instant;

/// The ODE likelihood of a set of examples.
#[derive(Clone, Debug)]
pub struct OdeScore {
    /// `ode`, `ode-dequantized` or `ode-decoder`.
    pub kind: LikelihoodKind,
    /// log p(x) (or its dequantized bound) per example, nats.
    pub log_px: Vec<f64>,
    /// Mean ODE right-hand-side evaluations per solve (one solve per `eval_batch` examples).
    pub nfe: f64,
    /// Network passes (forward + backward) per right-hand-side evaluation.
    pub passes_per_eval: f64,
    /// Wall-clock seconds of the scoring.
    pub seconds: f64,
}

/// The solver's tolerances from the config's `ode_rtol`, `ode_atol` and `ode_max_evals`.
pub fn tolerance(config: &DiffusionConfig) -> Tolerance {
    Tolerance {
        rtol: config.ode_rtol,
        atol: config.ode_atol,
        max_evals: config.ode_max_evals,
    }
}

/// −log p(x | z_0) per example from x and z_0 (model space, n · dim each).
pub type DecoderNll<'a> = &'a dyn Fn(&[f32], &[f32]) -> anyhow::Result<Vec<f64>>;

/// A model's own encoder and decoder at a small time, for the `ode-decoder` bound.
pub struct Decoder<'a> {
    /// The time of z_0 on the ODE's clock (VDM: 0; DDPM: 1/T, its x_1).
    pub t: f64,
    /// q(z_0 | x) = N(α x, σ² I).
    pub alpha: f64,
    /// σ of q(z_0 | x).
    pub sigma: f64,
    /// −log p(x | z_0) per example.
    pub nll: DecoderNll<'a>,
}

/// Whether images are scored through the model's decoder (`ode-decoder`, the default) rather
/// than by uniform dequantization (`ode-dequantized`).
pub fn uses_decoder(config: &DiffusionConfig) -> bool {
    config.ode_dequantization != OdeDequantization::Uniform
}

/// The ODE likelihood of `x` (model space, n · dim) with `levels` when the data are discrete,
/// through `decoder` (the `ode-decoder` bound) when one is given on discrete data.
pub fn score(
    field: &dyn EpsField,
    x: &[f32],
    dim: usize,
    levels: Option<u32>,
    decoder: Option<Decoder>,
    config: &DiffusionConfig,
    seed: u64,
) -> anyhow::Result<OdeScore> {
    let started = Instant::now();
    let n = x.len() / dim;
    let mut rng = Rng::new(seed);
    let exact = match config.ode_divergence {
        DivergenceKind::Exact => true,
        DivergenceKind::Hutchinson => false,
        DivergenceKind::Auto => dim <= 2,
    };
    let decoder = decoder.as_ref().filter(|_| levels.is_some());
    let (mut log_px, mut nfe, mut solves) = (Vec::with_capacity(n), 0usize, 0usize);
    for start in (0..n).step_by(config.eval_batch) {
        let end = (start + config.eval_batch).min(n);
        let mut chunk = x[start * dim..end * dim].to_vec();
        let mut offsets = vec![0.0; end - start];
        let mut t_min = config.ode_t_min;
        if let Some(dec) = decoder {
            // z_0 = α x + σ ε; the offset is log p(x | z_0) − log q(z_0 | x).
            let (alpha, sigma) = (dec.alpha, dec.sigma);
            let eps: Vec<f64> = (0..chunk.len()).map(|_| rng.normal()).collect();
            let z0: Vec<f32> = chunk
                .iter()
                .zip(&eps)
                .map(|(&v, e)| (alpha * v as f64 + sigma * e) as f32)
                .collect();
            let nll = (dec.nll)(&chunk, &z0)?;
            chunk = z0;
            let log_norm = -0.5 * (2.0 * std::f64::consts::PI * sigma * sigma).ln();
            for (r, o) in offsets.iter_mut().enumerate() {
                let log_q: f64 = eps[r * dim..(r + 1) * dim]
                    .iter()
                    .map(|e| log_norm - 0.5 * e * e)
                    .sum();
                *o = -nll[r] - log_q;
            }
            t_min = dec.t;
        } else if let Some(l) = levels {
            let width = 2.0 / (l - 1) as f64;
            for v in &mut *chunk {
                *v += ((rng.uniform() - 0.5) * width) as f32;
            }
            offsets.fill(dim as f64 * width.ln());
        }
        let div = if exact {
            Divergence::Exact
        } else {
            let probes = config.ode_probes;
            Divergence::Hutchinson {
                probes,
                z: flow::rademacher(probes * chunk.len(), &mut rng),
            }
        };
        let r = flow::log_likelihood(field, &chunk, dim, t_min, tolerance(config), &div)?;
        log_px.extend(r.log_p.iter().zip(&offsets).map(|(lp, o)| lp + o));
        nfe += r.nfe;
        solves += 1;
    }
    Ok(OdeScore {
        kind: match (levels, decoder) {
            (None, _) => LikelihoodKind::Ode,
            (Some(_), None) => LikelihoodKind::OdeDequantized,
            (Some(_), Some(_)) => LikelihoodKind::OdeDecoder,
        },
        log_px,
        nfe: nfe as f64 / solves.max(1) as f64,
        passes_per_eval: if exact {
            dim as f64
        } else {
            config.ode_probes as f64
        },
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// `ll` with the ODE's numbers beside the bound, named by the ODE's kind:
/// `ode_nll_nats`, `ode_dequantized_nll_nats` or `ode_decoder_nll_nats`, and `ode_nfe`, `ode_passes_per_eval`,
/// `ode_seconds`, `ode_examples`.
pub fn with_extras(ll: Likelihood, ode: &OdeScore) -> Likelihood {
    let nll = -ode.log_px.iter().sum::<f64>() / ode.log_px.len().max(1) as f64;
    let name = format!("{}_nll_nats", ode.kind.to_string().replace('-', "_"));
    ll.with_extra(&name, nll)
        .with_extra("ode_nfe", ode.nfe)
        .with_extra("ode_passes_per_eval", ode.passes_per_eval)
        .with_extra("ode_seconds", ode.seconds)
        .with_extra("ode_examples", ode.log_px.len() as f64)
}

/// `ll` with the ODE likelihood of the same examples `x` (model space) beside it.
pub fn beside(
    ll: Likelihood,
    field: &dyn EpsField,
    x: &[f32],
    spec: &DataSpec,
    decoder: Option<Decoder>,
    config: &DiffusionConfig,
    seed: u64,
) -> anyhow::Result<Likelihood> {
    let ode = score(
        field,
        x,
        spec.dim(),
        spec.levels,
        decoder,
        config,
        seed::derive(seed, 7),
    )?;
    Ok(with_extras(ll, &ode))
}

/// `n` samples (model space) by integrating the ODE from x_1 ~ N(0, I) drawn from `seed`, in
/// chunks of `eval_batch`, then x = z_{t_min}/α_{t_min}; returns them and the mean NFE per chunk.
pub fn sample(
    field: &dyn EpsField,
    n: usize,
    dim: usize,
    config: &DiffusionConfig,
    seed: u64,
) -> anyhow::Result<(Vec<f32>, f64)> {
    let mut rng = Rng::new(seed);
    let x1: Vec<f32> = (0..n * dim).map(|_| rng.normal() as f32).collect();
    let (mut out, mut nfe, mut solves) = (Vec::with_capacity(n * dim), 0usize, 0usize);
    for start in (0..n).step_by(config.eval_batch) {
        let end = (start + config.eval_batch).min(n);
        let (x0, evals) = flow::sample(
            field,
            &x1[start * dim..end * dim],
            config.ode_t_min,
            tolerance(config),
        )?;
        out.extend(x0);
        nfe += evals;
        solves += 1;
    }
    let alpha = sigmoid(-field.gamma(config.ode_t_min)).sqrt();
    let out = out.iter().map(|&v| (v as f64 / alpha) as f32).collect();
    Ok((out, nfe as f64 / solves.max(1) as f64))
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}
