//! The probability-flow ODE against closed forms: with the true score of a Gaussian the flow's
//! log-likelihood is the Gaussian's log-density, and Hutchinson's divergence estimate agrees
//! with the exact divergence of a network within its standard error.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use burn::prelude::*;
use genbench_core::DeviceChoice;
use genbench_core::seed::Rng;
use genbench_diffusion::denoiser::embedding::ConditioningConfig;
use genbench_diffusion::denoiser::mlp::MlpDenoiserConfig;
use genbench_diffusion::denoiser::{BackboneConfig, Denoiser};
use genbench_diffusion::flow::{self, Divergence, EpsField, autodiff_divergence};
use genbench_diffusion::ode::Tolerance;
use genbench_diffusion::schedule::ScheduleKind;

/// Data N(μ, s²) per coordinate under the linear VP schedule: p_t = N(α_t μ, α_t² s² + σ_t²), so
/// ε̂ = −σ_t ∇ log p_t(x) = σ_t (x − α_t μ)/(α_t² s² + σ_t²) and ∇·ε̂ = D σ_t/(α_t² s² + σ_t²).
struct GaussianField {
    mu: f64,
    s2: f64,
}

impl GaussianField {
    fn moments(&self, t: f64) -> (f64, f64, f64) {
        let g = ScheduleKind::Linear.gamma(t);
        let (a2, sig2) = (1.0 / (1.0 + g.exp()), 1.0 / (1.0 + (-g).exp()));
        (a2.sqrt() * self.mu, a2 * self.s2 + sig2, sig2.sqrt())
    }

    fn log_density(&self, x: f64, t: f64) -> f64 {
        let (m, v, _) = self.moments(t);
        -0.5 * ((2.0 * std::f64::consts::PI * v).ln() + (x - m).powi(2) / v)
    }
}

impl EpsField for GaussianField {
    fn gamma(&self, t: f64) -> f64 {
        ScheduleKind::Linear.gamma(t)
    }
    fn gamma_dot(&self, t: f64) -> f64 {
        ScheduleKind::Linear.gamma_dot(t)
    }
    fn eps(&self, x: &[f32], t: f64) -> anyhow::Result<Vec<f32>> {
        let (m, v, sigma) = self.moments(t);
        Ok(x.iter()
            .map(|&xv| (sigma * (xv as f64 - m) / v) as f32)
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
        Ok((self.eps(x, t)?, vec![sigma / v; x.len()]))
    }
}

/// 1-D data N(0.3, 0.5²): log p_{t_min}(x) from the ODE (with the exact p_1 as the prior, since
/// p_1 is N(α_1 μ, ·) and not quite N(0, 1)) equals the closed form within 1e-3 nats; with
/// μ = 0 the standard-normal prior the flow uses is already within 1e-3.
#[test]
fn flow_likelihood_with_the_true_score_is_the_gaussian_log_density() {
    let tol = Tolerance {
        rtol: 1e-7,
        atol: 1e-7,
        max_evals: 100_000,
    };
    let t_min = 1e-3;
    for mu in [0.3, 0.0] {
        let field = GaussianField { mu, s2: 0.25 };
        let xs = [-0.9f32, -0.2, 0.3, 0.75, 1.6];
        let r = flow::log_likelihood(&field, &xs, 1, t_min, tol, &Divergence::Exact).unwrap();
        for (k, &x) in xs.iter().enumerate() {
            let want = field.log_density(x as f64, t_min);
            let with_exact_prior = field.log_density(r.x1[k], 1.0) + r.delta[k];
            assert!(
                (with_exact_prior - want).abs() < 1e-3,
                "μ={mu} x={x}: ODE {with_exact_prior} vs closed form {want}"
            );
            if mu == 0.0 {
                assert!(
                    (r.log_p[k] - want).abs() < 1e-3,
                    "x={x}: {} vs {want}",
                    r.log_p[k]
                );
            }
        }
        assert!(r.nfe > 10, "nfe {}", r.nfe);
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
    let feats = Tensor::<2>::from_data(
        TensorData::new(
            genbench_diffusion::denoiser::embedding::sinusoidal_features(&[40], 100, 8),
            [1, 8],
        ),
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
