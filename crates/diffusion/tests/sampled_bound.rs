//! The DDPM bound estimated from K stratified t (`validation_t_samples`, kind `vlb-T-tK`): the
//! strata and weights by hand, the full bound bit for bit at K = T − 1, and unbiasedness: the mean
//! of many K = 5 estimates agrees with the mean of many full bounds within their noise.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::seed::Rng;
use genbench_core::{Family, testing};
use genbench_dataset::{DataConfig, load};
use genbench_diffusion::bound::stratified_terms;
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
    // T = 11, K = 3: L_0 exact, then strata [1, 4), [4, 7), [7, 11), weights 3, 3, 4.
    for seed in 0..50 {
        let terms = stratified_terms(11, 3, &mut Rng::new(seed));
        let weights: Vec<f64> = terms.iter().map(|t| t.1).collect();
        assert_eq!(weights, [1.0, 3.0, 3.0, 4.0]);
        let (z, a, b, c) = (terms[0].0, terms[1].0, terms[2].0, terms[3].0);
        assert!(z == 0 && (1..4).contains(&a), "{terms:?}");
        assert!((4..7).contains(&b) && (7..11).contains(&c), "{terms:?}");
    }
    // Every index of a stratum is drawn (uniformly: each about 1/4 of 4,000 draws).
    let mut counts = [0usize; 4];
    let mut rng = Rng::new(7);
    for _ in 0..4000 {
        counts[stratified_terms(11, 3, &mut rng)[3].0 - 7] += 1;
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
    // A wrong weight (e.g. 1 instead of the stratum's 10) moves the mean by ~0.9 of the
    // denoising terms, tens of standard errors.
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
