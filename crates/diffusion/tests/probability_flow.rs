//! The probability-flow ODE against closed forms: with the true score of a Gaussian the flow's
//! log-likelihood is the Gaussian's log-density (under the fixed linear schedule and under a
//! VDM's learned one), and Hutchinson's divergence estimate agrees
//! with the exact divergence of a network within its standard error.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use burn::prelude::*;
use genbench_core::seed::Rng;
use genbench_core::{DeviceChoice, host};
use genbench_diffusion::denoiser::embedding::ConditioningConfig;
use genbench_diffusion::denoiser::gamma::{Gamma, GammaConfig};
use genbench_diffusion::denoiser::mlp::MlpDenoiserConfig;
use genbench_diffusion::denoiser::{BackboneConfig, Denoiser};
use genbench_diffusion::flow::{self, Divergence, EpsField, autodiff_divergence};
use genbench_diffusion::ode::Tolerance;
use genbench_diffusion::schedule::ScheduleKind;
use genbench_diffusion::vdm::loss;
use genbench_diffusion::{DiffusionConfig, Process, ode_score};

/// How a test field's γ(t) is computed: the fixed linear schedule's closed form, or a VDM's
/// learned schedule through [`Gamma::at`], the call the VDM's field makes.
enum Schedule {
    Linear,
    Learned(Box<Gamma>),
}

impl Schedule {
    fn gamma_and_slope(&self, t: f64) -> (f64, f64) {
        match self {
            Schedule::Linear => (
                ScheduleKind::Linear.gamma(t),
                ScheduleKind::Linear.gamma_dot(t),
            ),
            Schedule::Learned(g) => g.at(t).unwrap(),
        }
    }
}

/// Data N(μ, s² I) in D = μ.len() dimensions under a VP schedule: p_t = N(α_t μ, (α_t² s² + σ_t²) I),
/// so ε̂ = −σ_t ∇ log p_t(x) = σ_t (x − α_t μ)/(α_t² s² + σ_t²) and ∇·ε̂ = D σ_t/(α_t² s² + σ_t²).
struct GaussianField {
    mu: Vec<f64>,
    s2: f64,
    schedule: Schedule,
}

impl GaussianField {
    /// (α_t, v_t = α_t² s² + σ_t², σ_t).
    fn moments(&self, t: f64) -> (f64, f64, f64) {
        let g = self.schedule.gamma_and_slope(t).0;
        let (a2, sig2) = (1.0 / (1.0 + g.exp()), 1.0 / (1.0 + (-g).exp()));
        (a2.sqrt(), a2 * self.s2 + sig2, sig2.sqrt())
    }

    fn log_density(&self, x: &[f64], t: f64) -> f64 {
        let (a, v, _) = self.moments(t);
        x.iter()
            .zip(&self.mu)
            .map(|(x, mu)| {
                -0.5 * ((2.0 * std::f64::consts::PI * v).ln() + (x - a * mu).powi(2) / v)
            })
            .sum()
    }
}

impl EpsField for GaussianField {
    fn gamma(&self, t: f64) -> f64 {
        self.schedule.gamma_and_slope(t).0
    }
    fn gamma_dot(&self, t: f64) -> f64 {
        self.schedule.gamma_and_slope(t).1
    }
    fn eps(&self, x: &[f32], t: f64) -> anyhow::Result<Vec<f32>> {
        let (a, v, sigma) = self.moments(t);
        let d = self.mu.len();
        Ok(x.iter()
            .enumerate()
            .map(|(k, &xv)| (sigma * (xv as f64 - a * self.mu[k % d]) / v) as f32)
            .collect())
    }
    fn eps_and_divergence(
        &self,
        x: &[f32],
        t: f64,
        div: &Divergence,
    ) -> anyhow::Result<(Vec<f32>, Vec<f64>)> {
        assert_eq!(*div, Divergence::Exact);
        let (_, v, sigma) = self.moments(t);
        let d = self.mu.len();
        Ok((self.eps(x, t)?, vec![d as f64 * sigma / v; x.len() / d]))
    }
}

/// The flow's log p_{t_min}(x) of `field` on `xs` against the closed form, within 1e-3 nats,
/// with the exact p_1 as the prior (p_1 is N(α_1 μ, v_1 I), not quite N(0, I)); returns the
/// largest gap between the flow's own N(0, I)-prior number and the closed form.
fn check_against_closed_form(field: &GaussianField, xs: &[f32], t_min: f64) -> f64 {
    let tol = Tolerance {
        rtol: 1e-7,
        atol: 1e-7,
        max_evals: 100_000,
    };
    let d = field.mu.len();
    let r = flow::log_likelihood(field, xs, d, t_min, tol, &Divergence::Exact).unwrap();
    assert!(r.nfe > 10, "nfe {}", r.nfe);
    let mut prior_gap = 0.0f64;
    for (k, x) in xs.chunks(d).enumerate() {
        let x: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let want = field.log_density(&x, t_min);
        let x1 = &r.x1[k * d..(k + 1) * d];
        let with_exact_prior = field.log_density(x1, 1.0) + r.delta[k];
        assert!(
            (with_exact_prior - want).abs() < 1e-3,
            "μ={:?} x={x:?}: ODE {with_exact_prior} vs closed form {want}",
            field.mu
        );
        prior_gap = prior_gap.max((r.log_p[k] - want).abs());
    }
    prior_gap
}

const XS: [f32; 6] = [-0.9, -0.2, 0.3, 0.75, 1.6, -1.3];

/// 1-D data N(0.3, 0.5²) and N(0, 0.5²) under the linear schedule: log p_{t_min}(x) from the ODE
/// equals the closed form within 1e-3 nats; with μ = 0 the standard-normal prior the flow uses
/// is already within 1e-3.
#[test]
fn flow_likelihood_with_the_true_score_is_the_gaussian_log_density() {
    for mu in [0.3, 0.0] {
        let field = GaussianField {
            mu: vec![mu],
            s2: 0.25,
            schedule: Schedule::Linear,
        };
        let prior_gap = check_against_closed_form(&field, &XS, 1e-3);
        if mu == 0.0 {
            assert!(prior_gap < 1e-3, "{prior_gap}");
        }
    }
}

/// The same closed form under a VDM's learned schedule, through the call the VDM's field makes
/// (γ and γ' from [`Gamma::at`], f32 on the device, the learned endpoints γ_0 = −13.3 and
/// γ_1 = 5): a curved monotone γ (weights drawn with sd 3), the ODE from t = 0 (the VDM's
/// z_0, no t_min) and from t_min = 1e-3, in 1-D and 2-D, within 1e-3 nats of the closed form.
/// With the standard-normal prior the flow differs only by log N(x_1; 0, I) − log p_1(x_1):
/// under 0.15 nats here (α_1 μ = 0.025, v_1 = 0.995, x up to 2.6 sd out) — the mismatch the
/// VDM's prior term KL(q(z_1 | x) ‖ N(0, I)) pays in its bound.
#[test]
fn flow_likelihood_under_a_learned_vdm_schedule_is_the_gaussian_log_density() {
    let device = DeviceChoice::Flex.device().unwrap();
    device.seed(5);
    let gamma = GammaConfig::new(-13.3, 5.0)
        .with_hidden(16)
        .with_init_std(3.0)
        .init(&device);
    let (g, gd) = gamma.eval(&[0.0, 0.25, 0.5, 0.75, 1.0]).unwrap();
    assert!(
        (g[0] + 13.3).abs() < 1e-4 && (g[4] - 5.0).abs() < 1e-4,
        "{g:?}"
    );
    let (lo, hi) = gd
        .iter()
        .fold((f64::MAX, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
    assert!(
        hi > 1.5 * lo,
        "γ' {gd:?}: the schedule should be curved, not linear"
    );
    let mut field = GaussianField {
        mu: vec![0.3],
        s2: 0.25,
        schedule: Schedule::Learned(Box::new(gamma)),
    };
    for t_min in [0.0, 1e-3] {
        let gap = check_against_closed_form(&field, &XS, t_min);
        assert!(gap < 0.15, "the standard-normal prior moved log p by {gap}");
    }
    field.mu = vec![0.3, -0.5];
    field.s2 = 0.04;
    check_against_closed_form(&field, &XS, 0.0);
}

/// Data uniform on the levels `x_k` of [−1, 1], independently in each of `d` coordinates:
/// p_t(z) = Π (1/L) Σ_k N(z; α_t x_k, σ_t²), so with posterior weights w_k ∝ e^{−(z − α_t x_k)²/2σ_t²}
/// ε̂ = (z − α_t Σ_k w_k x_k)/σ_t and ∂ε̂/∂z = (1 − α_t² Var_w(x)/σ_t²)/σ_t per coordinate.
struct LevelsField {
    levels: Vec<f64>,
    d: usize,
    schedule: Schedule,
}

impl LevelsField {
    /// (ε̂, ∂ε̂/∂z) of one coordinate.
    fn coordinate(&self, z: f64, t: f64) -> (f64, f64) {
        let g = self.schedule.gamma_and_slope(t).0;
        let (a, s) = (
            (1.0 / (1.0 + g.exp())).sqrt(),
            (1.0 / (1.0 + (-g).exp())).sqrt(),
        );
        let logits: Vec<f64> = self
            .levels
            .iter()
            .map(|x| -(z - a * x).powi(2) / (2.0 * s * s))
            .collect();
        let top = logits.iter().copied().fold(f64::MIN, f64::max);
        let w: Vec<f64> = logits.iter().map(|l| (l - top).exp()).collect();
        let total: f64 = w.iter().sum();
        let mean: f64 = w.iter().zip(&self.levels).map(|(w, x)| w * x).sum::<f64>() / total;
        let var: f64 = w
            .iter()
            .zip(&self.levels)
            .map(|(w, x)| w * (x - mean).powi(2))
            .sum::<f64>()
            / total;
        ((z - a * mean) / s, (1.0 - a * a * var / (s * s)) / s)
    }
}

impl EpsField for LevelsField {
    fn gamma(&self, t: f64) -> f64 {
        self.schedule.gamma_and_slope(t).0
    }
    fn gamma_dot(&self, t: f64) -> f64 {
        self.schedule.gamma_and_slope(t).1
    }
    fn eps(&self, x: &[f32], t: f64) -> anyhow::Result<Vec<f32>> {
        Ok(x.iter()
            .map(|&z| self.coordinate(z as f64, t).0 as f32)
            .collect())
    }
    fn eps_and_divergence(
        &self,
        x: &[f32],
        t: f64,
        div: &Divergence,
    ) -> anyhow::Result<(Vec<f32>, Vec<f64>)> {
        assert_eq!(*div, Divergence::Exact);
        let parts: Vec<(f64, f64)> = x.iter().map(|&z| self.coordinate(z as f64, t)).collect();
        let eps = parts.iter().map(|p| p.0 as f32).collect();
        let div = parts
            .chunks(self.d)
            .map(|c| c.iter().map(|p| p.1).sum())
            .collect();
        Ok((eps, div))
    }
}

/// The `ode-decoder` bound (z_0 ~ q(z_0 | x), the VDM's discretized decoder, the flow from t = 0)
/// with the true score of data uniform on 3 levels in D = 1 and 2, under a learned VDM schedule
/// with γ_0 = −6 and γ_1 = 12 (so p_1 is N(0, I) to 1e-5 and the flow's prior adds no error;
/// at γ_1 = 5 it adds 0.005 nats): Bayes makes log p(x | z_0) + log p_0(z_0) − log q(z_0 | x) = log P(x) =
/// −D log 3 for every z_0, so the bound equals it within 1e-3 nats per example. The same
/// examples uniformly dequantized (`ode-dequantized`) sit far above: the density is spikes at
/// the levels.
#[test]
fn the_decoder_bound_with_the_true_score_is_the_discrete_log_probability() {
    let device = DeviceChoice::Flex.device().unwrap();
    device.seed(5);
    let gamma = GammaConfig::new(-6.0, 12.0)
        .with_hidden(16)
        .with_init_std(3.0)
        .init(&device);
    let levels = [-1.0, 0.0, 1.0];
    let config = DiffusionConfig {
        process: Process::Vdm,
        ode_rtol: 1e-7,
        ode_atol: 1e-7,
        ode_max_evals: 200_000,
        ..DiffusionConfig::default()
    };
    let mut field = LevelsField {
        levels: levels.to_vec(),
        d: 1,
        schedule: Schedule::Learned(Box::new(gamma)),
    };
    for d in [1usize, 2] {
        field.d = d;
        let x: Vec<f32> = (0..6 * d).map(|k| levels[k % 3] as f32).collect();
        let gamma_0 = field.gamma(0.0);
        let alpha = (1.0 / (1.0 + gamma_0.exp())).sqrt();
        let sigma = (1.0 / (1.0 + (-gamma_0).exp())).sqrt();
        // The VDM's reconstruction decoder, which reads z_0/α_0.
        let nll = |x: &[f32], z: &[f32]| -> anyhow::Result<Vec<f64>> {
            let n = x.len() / d;
            let z: Vec<f32> = z.iter().map(|&v| (v as f64 / alpha) as f32).collect();
            let z: Tensor<2> = host::tensor(z, [n, d], &device);
            let g: Tensor<2> = host::tensor(vec![gamma_0 as f32], [1, 1], &device);
            let nll = loss::reconstruction_nll(x, z, g, Some(3));
            Ok(host::floats_f64(nll))
        };
        let decoder = ode_score::Decoder {
            t: 0.0,
            alpha,
            sigma,
            nll: &nll,
        };
        let s = ode_score::score(&field, &x, d, Some(3), Some(decoder), &config, 9).unwrap();
        assert_eq!(s.kind.to_string(), "ode-decoder");
        let want = -(d as f64) * 3f64.ln();
        for lp in &s.log_px {
            assert!((lp - want).abs() < 1e-3, "D={d}: {lp} vs log P(x) = {want}");
        }
        let u = ode_score::score(&field, &x, d, Some(3), None, &config, 9).unwrap();
        assert_eq!(u.kind.to_string(), "ode-dequantized");
        let mean = u.log_px.iter().sum::<f64>() / u.log_px.len() as f64;
        assert!(
            mean < want - 5.0 * d as f64,
            "D={d}: uniform dequantization gave {mean}"
        );
    }
}

/// A randomly initialised MLP denoiser on D = 6: the mean of 300 single-probe Hutchinson
/// estimates of ∇·ε̂ lies within 3.5 standard errors of the exact divergence (6 backward
/// passes), for every row; and the probe estimate is not trivially exact (its SE is > 0).
#[test]
fn hutchinson_agrees_with_the_exact_divergence_within_its_standard_error() {
    let ad = DeviceChoice::Flex.device().unwrap().autodiff();
    ad.seed(3);
    let d = 6;
    let net = Denoiser::new(
        &ConditioningConfig::new(8, 16),
        &BackboneConfig::Mlp(MlpDenoiserConfig::new(d, 16).with_hidden(32).with_blocks(2)),
        &ad,
    );
    let feats: Tensor<2> = host::tensor(
        genbench_diffusion::denoiser::embedding::sinusoidal_features(&[40], 100, 8),
        [1, 8],
        &ad,
    );
    let forward = |x: Tensor<2>| net.forward(x, feats.clone(), None, &[d]);
    let mut rng = Rng::new(11);
    let n = 4;
    let x: Vec<f32> = (0..n * d).map(|_| rng.normal() as f32).collect();
    let (_, exact) = autodiff_divergence(&forward, &x, d, &Divergence::Exact, &ad).unwrap();
    let probes = 300;
    let mut samples = vec![Vec::new(); n];
    for _ in 0..probes {
        let z = flow::rademacher(n * d, &mut rng);
        let div = Divergence::Hutchinson { probes: 1, z };
        let (_, est) = autodiff_divergence(&forward, &x, d, &div, &ad).unwrap();
        for r in 0..n {
            samples[r].push(est[r]);
        }
    }
    for r in 0..n {
        let mean = samples[r].iter().sum::<f64>() / probes as f64;
        let var = samples[r].iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (probes - 1) as f64;
        let se = (var / probes as f64).sqrt();
        assert!(se > 1e-6, "row {r}: the estimator has no spread");
        assert!(
            (mean - exact[r]).abs() < 3.5 * se,
            "row {r}: Hutchinson {mean} ± {se} vs exact {}",
            exact[r]
        );
    }
}
