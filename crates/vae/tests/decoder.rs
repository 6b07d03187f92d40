//! The discretized logistic is a distribution over the L grey levels: its probabilities sum to
//! 1 for any parameters, and each equals the logistic CDF difference over its bin.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::burn::prelude::*;
use genbench_core::preprocess::level_to_signed;
use genbench_core::{Rng, host, testing};
use genbench_vae::discretized_logistic_log_prob;

/// log P(k) for every level k of every (loc, log_scale) pair: `[pairs, L]` on the host.
fn log_probs(loc: &[f32], log_scale: &[f32], levels: u32) -> Vec<f32> {
    let device = testing::device();
    let (p, l) = (loc.len(), levels as usize);
    let x: Vec<f32> = (0..p)
        .flat_map(|_| (0..levels).map(|k| level_to_signed(k as f32, levels)))
        .collect();
    let rep =
        |v: &[f32]| -> Vec<f32> { v.iter().flat_map(|&a| std::iter::repeat_n(a, l)).collect() };
    let t = |v: Vec<f32>| -> Tensor<2> { host::tensor(v, [p, l], &device) };
    let out = discretized_logistic_log_prob(t(x), t(rep(loc)), t(rep(log_scale)), levels);
    host::floats(out)
}

#[test]
fn probabilities_over_all_levels_sum_to_one() {
    let mut rng = Rng::new(11);
    for levels in [2u32, 3, 17, 256] {
        let pairs = 200;
        // locations inside and outside [-1, 1], scales from far below a bin to far above the range
        let loc: Vec<f32> = (0..pairs)
            .map(|_| (rng.uniform() * 4.0 - 2.0) as f32)
            .collect();
        let log_scale: Vec<f32> = (0..pairs)
            .map(|_| (rng.uniform() * 9.0 - 7.0) as f32)
            .collect();
        let lp = log_probs(&loc, &log_scale, levels);
        for (i, row) in lp.chunks(levels as usize).enumerate() {
            assert!(
                row.iter().all(|v| v.is_finite() && *v <= 1e-6),
                "L={levels}: non-finite or positive log-prob in {row:?}"
            );
            let total: f64 = row.iter().map(|&v| (v as f64).exp()).sum();
            assert!(
                (total - 1.0).abs() < 1e-4,
                "L={levels}, loc {} log_scale {}: probabilities sum to {total}",
                loc[i],
                log_scale[i]
            );
        }
    }
}

#[test]
fn each_level_gets_the_logistic_mass_of_its_bin() {
    let sigma = |v: f64| 1.0 / (1.0 + (-v).exp());
    let levels = 17u32;
    let half = 1.0 / (levels - 1) as f64;
    let (loc, log_scale) = (vec![0.3f32, -0.8], vec![-1.5f32, -3.0]);
    let lp = log_probs(&loc, &log_scale, levels);
    for (i, row) in lp.chunks(levels as usize).enumerate() {
        let (m, s) = (loc[i] as f64, (log_scale[i] as f64).exp());
        for k in 0..levels {
            let x = level_to_signed(k as f32, levels) as f64;
            // CDF(upper) - CDF(lower), written as a difference of survival functions in the
            // right tail so that f64 does not cancel
            let (lo, hi) = ((x - half - m) / s, (x + half - m) / s);
            let cdf = |v: f64, edge: bool, at: f64| if edge { at } else { sigma(v) };
            let mass = if x > m {
                cdf(-lo, k == 0, 1.0) - cdf(-hi, k == levels - 1, 0.0)
            } else {
                cdf(hi, k == levels - 1, 1.0) - cdf(lo, k == 0, 0.0)
            };
            let want = mass.ln();
            assert!(
                (row[k as usize] as f64 - want).abs() < 1e-4 * want.abs().max(1.0),
                "level {k}: {} vs {want}",
                row[k as usize]
            );
        }
    }
}
