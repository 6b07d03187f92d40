//! The probability-flow ODE of a variance-preserving diffusion (Song et al. 2021): the
//! deterministic process with the same marginals p_t as the forward SDE, which makes any
//! trained ε-model a continuous normalizing flow with an exact likelihood.
//!
//! With σ_t² = sigmoid(γ(t)), α_t² = sigmoid(−γ(t)) (DDPM: γ from the fixed schedule; VDM: the
//! learned γ_η), the forward SDE is dx = −½ β x dt + √β dW with β(t) = γ'(t) σ_t², the score is
//! ∇ log p_t(x) = −ε̂(x, t)/σ_t, and
//!
//!   dx/dt = f(x, t) − ½ g(t)² ∇ log p_t(x) = ½ γ'(t) (σ_t ε̂(x, t) − σ_t² x).
//!
//! The instantaneous change of variables (Chen et al. 2018) gives d log p(x_t)/dt = −∇·(dx/dt), so
//! integrating from t_min to 1 alongside x:
//!
//!   log p_{t_min}(x) = log N(x_1; 0, I) + ∫_{t_min}^1 ½ γ'(t) (σ_t ∇·ε̂(x_t, t) − σ_t² D) dt.
//!
//! ∇·ε̂ is exact (D backward passes, for 2-D data) or Hutchinson's estimate E_z[zᵀ (∂ε̂/∂x) z] with
//! Rademacher z drawn once per example and kept over the whole solve (one backward pass per probe);
//! the solver is Dormand–Prince with error control ([`crate::ode`]).

use crate::ode::{self, Tolerance};
use burn::prelude::*;
use genbench_core::host;

/// How ∇·ε̂ is computed.
#[derive(Clone, Debug, PartialEq)]
pub enum Divergence {
    /// Σ_k ∂ε̂_k/∂x_k by D backward passes.
    Exact,
    /// Hutchinson with these probes: `probes` × n × D values ±1 (probe-major).
    Hutchinson {
        /// Probes per example.
        probes: usize,
        /// The probes' values ±1, `[probes, n, D]` row-major.
        z: Vec<f32>,
    },
}

/// A trained continuous-time ε-model seen through its noise schedule.
pub trait EpsField {
    /// γ(t) = log(σ_t² / α_t²).
    fn gamma(&self, t: f64) -> f64;
    /// dγ/dt.
    fn gamma_dot(&self, t: f64) -> f64;
    /// ε̂(x, t) for every row of `x` (n · dim values, model space).
    fn eps(&self, x: &[f32], t: f64) -> anyhow::Result<Vec<f32>>;
    /// ε̂(x, t) and ∇·ε̂ per row.
    fn eps_and_divergence(
        &self,
        x: &[f32],
        t: f64,
        div: &Divergence,
    ) -> anyhow::Result<(Vec<f32>, Vec<f64>)>;
}

/// ε̂ = `forward(x)` and its divergence per row by reverse-mode autodiff on `device` (an autodiff
/// device; `forward` must use a module forked there). `x`: n × d values.
pub fn autodiff_divergence(
    forward: &dyn Fn(Tensor<2>) -> Tensor<2>,
    x: &[f32],
    d: usize,
    div: &Divergence,
    device: &Device,
) -> anyhow::Result<(Vec<f32>, Vec<f64>)> {
    let n = x.len() / d;
    let leaf = || host::tensor::<2, Float, f32>(x.to_vec(), [n, d], device).require_grad();
    let mut eps = None;
    let mut total = vec![0.0f64; n];
    // One backward pass of Σ_rows (ε̂ · w) gives (∂ε̂/∂x)ᵀ w per row; wᵀ of that is the quadratic form.
    let mut quadratic = |w: Vec<f32>| -> anyhow::Result<Vec<f64>> {
        let x_leaf = leaf();
        let out = forward(x_leaf.clone()); // [n, d]
        if eps.is_none() {
            eps = Some(host::floats(out.clone().detach()));
        }
        let w_t: Tensor<2> = host::tensor(w.clone(), [n, d], device);
        let grads = (out * w_t).sum().backward();
        let g = x_leaf
            .grad(&grads)
            .ok_or_else(|| anyhow::anyhow!("no gradient reached the input"))?;
        let g = host::floats(g);
        Ok((0..n)
            .map(|r| (0..d).map(|k| (w[r * d + k] * g[r * d + k]) as f64).sum())
            .collect())
    };
    match div {
        Divergence::Exact => {
            for k in 0..d {
                let w: Vec<f32> = (0..n * d)
                    .map(|j| if j % d == k { 1.0 } else { 0.0 })
                    .collect();
                for (t, q) in total.iter_mut().zip(quadratic(w)?) {
                    *t += q;
                }
            }
        }
        Divergence::Hutchinson { probes, z } => {
            anyhow::ensure!(z.len() == probes * n * d, "probes do not match the batch");
            for p in 0..*probes {
                let w = z[p * n * d..(p + 1) * n * d].to_vec();
                for (t, q) in total.iter_mut().zip(quadratic(w)?) {
                    *t += q / *probes as f64;
                }
            }
        }
    }
    Ok((eps.unwrap_or_default(), total))
}

/// σ_t and σ_t² from γ.
fn sigma(gamma: f64) -> (f64, f64) {
    let var = 1.0 / (1.0 + (-gamma).exp());
    (var.sqrt(), var)
}

/// The result of integrating examples from t_min to 1.
#[derive(Clone, Debug)]
pub struct FlowLikelihood {
    /// log N(x_1; 0, I) + ∫ ∇·(dx/dt) dt per example: log p_{t_min}(x) in nats.
    pub log_p: Vec<f64>,
    /// ∫_{t_min}^1 ∇·(dx/dt) dt per example (add any other prior's log-density of `x1`).
    pub delta: Vec<f64>,
    /// The end states x_1 (n · dim).
    pub x1: Vec<f64>,
    /// Evaluations of the ODE's right-hand side.
    pub nfe: usize,
}

/// log p_{t_min}(x) of the rows of `x` (n · dim, model space) under the flow of `field`.
pub fn log_likelihood(
    field: &dyn EpsField,
    x: &[f32],
    dim: usize,
    t_min: f64,
    tol: Tolerance,
    div: &Divergence,
) -> anyhow::Result<FlowLikelihood> {
    let n = x.len() / dim;
    let mut y: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    y.extend(std::iter::repeat_n(0.0, n));
    let mut rhs = |t: f64, y: &[f64]| -> anyhow::Result<Vec<f64>> {
        let (s, var) = sigma(field.gamma(t));
        let half_gd = 0.5 * field.gamma_dot(t);
        let xs: Vec<f32> = y[..n * dim].iter().map(|&v| v as f32).collect();
        let (eps, divergence) = field.eps_and_divergence(&xs, t, div)?;
        let mut out: Vec<f64> = (0..n * dim)
            .map(|k| half_gd * (s * eps[k] as f64 - var * y[k]))
            .collect();
        out.extend(
            divergence
                .iter()
                .map(|dv| half_gd * (s * dv - var * dim as f64)),
        );
        Ok(out)
    };
    let sol = ode::solve(&mut rhs, t_min, 1.0, y, tol)?;
    let x1 = sol.y[..n * dim].to_vec();
    let delta = sol.y[n * dim..].to_vec();
    let log_p = (0..n)
        .map(|r| standard_normal_log_density(&x1[r * dim..(r + 1) * dim]) + delta[r])
        .collect();
    Ok(FlowLikelihood {
        log_p,
        delta,
        x1,
        nfe: sol.evals,
    })
}

/// Samples: x_1 ~ N(0, I) (given as `x1`) integrated from 1 down to t_min; returns them and
/// the NFE.
pub fn sample(
    field: &dyn EpsField,
    x1: &[f32],
    t_min: f64,
    tol: Tolerance,
) -> anyhow::Result<(Vec<f32>, usize)> {
    let mut rhs = |t: f64, y: &[f64]| -> anyhow::Result<Vec<f64>> {
        let (s, var) = sigma(field.gamma(t));
        let half_gd = 0.5 * field.gamma_dot(t);
        let xs: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        let eps = field.eps(&xs, t)?;
        Ok(y.iter()
            .zip(&eps)
            .map(|(&x, &e)| half_gd * (s * e as f64 - var * x))
            .collect())
    };
    let y0 = x1.iter().map(|&v| v as f64).collect();
    let sol = ode::solve(&mut rhs, 1.0, t_min, y0, tol)?;
    Ok((sol.y.iter().map(|&v| v as f32).collect(), sol.evals))
}

/// log N(x; 0, I).
pub fn standard_normal_log_density(x: &[f64]) -> f64 {
    -0.5 * x
        .iter()
        .map(|v| v * v + (2.0 * std::f64::consts::PI).ln())
        .sum::<f64>()
}

/// `count` Rademacher values (±1) from `rng`.
pub fn rademacher(count: usize, rng: &mut genbench_core::seed::Rng) -> Vec<f32> {
    (0..count)
        .map(|_| if rng.uniform() < 0.5 { -1.0 } else { 1.0 })
        .collect()
}
