//! The forward process: the closed form q(x_t | x_0) against iterating q(x_t | x_{t−1}), and the
//! prior term L_T of the bound.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::seed::Rng;
use genbench_diffusion::vlb::{nats_to_bpd, prior_kl};
use genbench_diffusion::{Schedule, ScheduleKind};

/// Iterate x_t = √α_t x_{t−1} + √β_t z from x_0 for 20,000 chains and compare the empirical mean
/// and variance of x_t with √ᾱ_t x_0 and 1 − ᾱ_t (4 standard errors; a schedule that used α_t
/// in place of ᾱ_t, or β_t in place of 1 − ᾱ_t, misses by far more).
#[test]
fn closed_form_matches_iterating_the_one_step_process() {
    let n = 20_000;
    for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
        let s = Schedule::new(kind, 1000).unwrap();
        let checkpoints = [1usize, 10, 100, 300, 600, 1000];
        let x0 = 0.8;
        let mut rng = Rng::new(11);
        let mut x = vec![x0; n];
        let mut next = 0;
        for t in 1..=1000 {
            let (a, b) = (s.alphas[t - 1].sqrt(), s.betas[t - 1].sqrt());
            x.iter_mut().for_each(|v| *v = a * *v + b * rng.normal());
            if t == checkpoints[next] {
                next += 1;
                let mean = x.iter().sum::<f64>() / n as f64;
                let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
                let (m, v) = s.q_mean_variance(x0, t - 1);
                let se_mean = (v / n as f64).sqrt();
                let se_var = v * (2.0 / (n - 1) as f64).sqrt();
                assert!(
                    (mean - m).abs() < 4.0 * se_mean + 1e-12,
                    "{kind:?} t={t}: mean {mean} vs {m}"
                );
                assert!(
                    (var - v).abs() < 4.0 * se_var + 1e-12,
                    "{kind:?} t={t}: var {var} vs {v}"
                );
                // The closed-form sampler draws from the same law.
                let direct: Vec<f64> = (0..n)
                    .map(|_| s.q_sample(x0, t - 1, rng.normal()))
                    .collect();
                let dmean = direct.iter().sum::<f64>() / n as f64;
                assert!(
                    (dmean - mean).abs() < 6.0 * se_mean + 1e-12,
                    "{kind:?} t={t}: q_sample mean {dmean} vs iterated {mean}"
                );
                if next == checkpoints.len() {
                    break;
                }
            }
        }
    }
}

/// L_T = KL(N(√ᾱ_T x_0, 1 − ᾱ_T) ‖ N(0, 1)) per coordinate is below 1e-3 bits for every x_0
/// in [−1, 1] with T = 1000 and the linear schedule (ᾱ_T ≈ 4e-5: about 4e-5 nats at |x_0| = 1).
#[test]
fn prior_term_is_negligible_for_the_linear_schedule() {
    let s = Schedule::new(ScheduleKind::Linear, 1000).unwrap();
    let ab = s.alpha_bar[999];
    for i in 0..=20 {
        let x0 = -1.0 + 0.1 * i as f64;
        let bpd = nats_to_bpd(prior_kl(x0, ab), 1);
        assert!((0.0..1e-3).contains(&bpd), "x0={x0}: {bpd} bits/dim");
    }
    // Versus a chain that is far too short to reach N(0, I): T = 10 leaves much more.
    let short = Schedule::from_betas(vec![0.02; 10]);
    assert!(nats_to_bpd(prior_kl(1.0, short.alpha_bar[9]), 1) > 0.1);
}
