//! The DDPM bound estimated from K stratified t (`validation_t_samples`, kind `vlb-T-tK`): the
//! geometric strata and weights by hand, a 1/t-shaped bound estimated within 3 % by every draw,
//! the full bound bit for bit at K = T − 1, and unbiasedness: the mean of many K = 5 estimates
//! agrees with the mean of many full bounds within their noise.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::seed::Rng;
use genbench_core::{Family, testing};
use genbench_dataset::{DataConfig, load};
use genbench_diffusion::bound::{strata_starts, stratified_terms};
use genbench_diffusion::{Diffusion, DiffusionConfig, DiffusionModel};

fn config(validation_t_samples: usize) -> DiffusionConfig {
    DiffusionConfig {
        timesteps: 50,
        mlp_hidden: 32,
        mlp_blocks: 1,
        embed: 16,
        time_features: 8,
        validation_t_samples,
        ..DiffusionConfig::default()
    }
}

#[test]
fn strata_cover_every_term_once_with_weights_summing_to_t() {
    // T = 11, K = 3: L_0 exact, then geometric strata with boundaries ⌊11^{j/3}⌋ = 1, 2, 4, 11:
    // [1, 2), [2, 4), [4, 11), weights 1, 2, 7.
    for seed in 0..50 {
        let terms = stratified_terms(11, 3, &mut Rng::new(seed));
        let weights: Vec<f64> = terms.iter().map(|t| t.1).collect();
        assert_eq!(weights, [1.0, 1.0, 2.0, 7.0]);
        let (z, a, b, c) = (terms[0].0, terms[1].0, terms[2].0, terms[3].0);
        assert!(z == 0 && a == 1, "{terms:?}");
        assert!((2..4).contains(&b) && (4..11).contains(&c), "{terms:?}");
    }
    // Every index of a stratum is drawn (uniformly: each about 1/7 of 7,000 draws).
    let mut counts = [0usize; 7];
    let mut rng = Rng::new(7);
    for _ in 0..7000 {
        counts[stratified_terms(11, 3, &mut rng)[3].0 - 4] += 1;
    }
    assert!(
        counts.iter().all(|&c| (850..1150).contains(&c)),
        "{counts:?}"
    );
    // K >= T - 1: every term, weight 1, in order, no draw.
    let all: Vec<(usize, f64)> = (0..5).map(|i| (i, 1.0)).collect();
    assert_eq!(stratified_terms(5, 4, &mut Rng::new(1)), all);
    assert_eq!(stratified_terms(5, 9, &mut Rng::new(1)), all);
}

#[test]
fn strata_boundaries_are_geometric_strictly_increasing_and_cover_1_to_t() {
    // T = 1000, K = 32 (the benchmark's DDPM): ⌊1000^{j/32}⌋ repeats below 13, so the first
    // twelve indices get a stratum each, then the boundaries grow by ~1.24.
    let lo = strata_starts(1000, 32);
    assert_eq!(
        lo,
        [
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 20, 25, 31, 39, 48, 60, 74, 93, 115,
            143, 177, 220, 273, 339, 421, 523, 649, 805, 1000
        ]
    );
    // Any T and K < T − 1: K non-empty strata from 1 to T.
    for steps in [3, 4, 10, 50, 100, 1000, 4000] {
        for k in 1..steps - 1 {
            let lo = strata_starts(steps, k);
            assert_eq!(
                (lo.len(), lo[0], lo[k]),
                (k + 1, 1, steps),
                "T {steps} K {k}"
            );
            assert!(
                lo.windows(2).all(|w| w[0] < w[1]),
                "T {steps} K {k}: {lo:?}"
            );
        }
    }
}

/// Denoising terms falling like 1/i, as a trained DDPM's do on 256 levels (L_1 = 132 nats,
/// L_10 = 11, L_100 = 0.5 for the U-Net on MNIST-5k): every one of 500 estimates from 32
/// geometric strata is within 3 % of the sum (the worst of 2,000 draws is 2.6 %). Equal strata
/// of 31 indices put L_1 … L_31 under one draw and miss by −44 % to +365 % (median −27 %).
#[test]
fn geometric_strata_estimate_a_one_over_t_bound_within_three_percent_every_draw() {
    let terms: Vec<f64> = (0..1000)
        .map(|i| if i == 0 { 0.0 } else { 132.0 / i as f64 })
        .collect();
    let sum: f64 = terms.iter().sum();
    let mut rng = Rng::new(11);
    for _ in 0..500 {
        let estimate: f64 = stratified_terms(1000, 32, &mut rng)
            .iter()
            .map(|&(i, w)| w * terms[i])
            .sum();
        assert!(
            (estimate / sum - 1.0).abs() < 0.03,
            "estimate {estimate} of {sum}"
        );
    }
}

#[test]
fn with_every_term_drawn_the_estimate_is_the_full_bound_bit_for_bit() {
    let data = load(&DataConfig::new("8gaussians")).unwrap();
    let ctx = testing::context(data.spec.clone(), 0);
    let model = DiffusionModel::new(config(0), &ctx).unwrap();
    let test = data.test.head(40);
    let full = model.bound(&test, 3).unwrap();
    let same = model.sampled_bound(&test, 3, 49).unwrap();
    assert_eq!(full.total, same.total);
    assert_eq!(full.per_term, same.per_term);
}

#[test]
fn the_sampled_bound_is_unbiased_for_the_full_bound() {
    let data = load(&DataConfig::new("8gaussians")).unwrap();
    let ctx = testing::context(data.spec.clone(), 0).with_learning_rate(2e-3);
    let mut boxed = Diffusion::build(config(5), &ctx).unwrap();
    testing::train_steps(boxed.as_mut(), &data.train, 100, 256);
    let test = data.test.head(100);

    let mut mean_over = |k: usize, seeds: std::ops::Range<u64>| -> (f64, f64) {
        let means: Vec<f64> = seeds
            .map(|s| {
                let ll = if k == 50 {
                    boxed.log_likelihood(&test, s).unwrap()
                } else {
                    boxed.validation_log_likelihood(&test, s).unwrap()
                };
                ll.mean_nll_nats().unwrap()
            })
            .collect();
        let n = means.len() as f64;
        let m = means.iter().sum::<f64>() / n;
        let var = means.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, (var / n).sqrt())
    };
    let (full, full_se) = mean_over(50, 0..20);
    let (sampled, sampled_se) = mean_over(5, 100..400);
    let se = (full_se.powi(2) + sampled_se.powi(2)).sqrt();
    eprintln!("full {full:.4} ± {full_se:.4}, sampled {sampled:.4} ± {sampled_se:.4} nats");
    // A wrong weight (e.g. 1 instead of the last stratum's 28: strata [1, 2), [2, 4), [4, 10),
    // [10, 22), [22, 50)) moves the mean by a large part of the denoising terms, many standard
    // errors.
    assert!(
        (full - sampled).abs() < 4.0 * se,
        "full {full} vs sampled {sampled} (se {se})"
    );

    let ll = boxed.validation_log_likelihood(&test, 1).unwrap();
    assert_eq!(ll.kind.to_string(), "vlb-50-t5");
    assert_eq!(ll.extras["network_passes_per_example"], 6.0);
    assert_eq!(
        boxed.log_likelihood(&test, 1).unwrap().kind.to_string(),
        "vlb-50"
    );
}
