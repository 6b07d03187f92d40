//! Mode coverage on 8gaussians: a GAN trained within the test budget must put samples near at
//! least 6 of the 8 modes (a collapsed generator covers one or two).
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::{Family, testing};
use genbench_dataset::{DataConfig, load};
use genbench_gan::{Gan, GanConfig, Loss};

/// Per mode, the share of samples within 3σ of it (nearest mode only).
fn shares(samples: &[f32], modes: &[[f64; 2]], sigma: f64) -> Vec<f64> {
    let n = samples.len() / 2;
    let mut counts = vec![0usize; modes.len()];
    for p in samples.chunks(2) {
        let d2 = |m: &[f64; 2]| (p[0] as f64 - m[0]).powi(2) + (p[1] as f64 - m[1]).powi(2);
        let (k, best) = modes
            .iter()
            .enumerate()
            .map(|(k, m)| (k, d2(m)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        if best <= (3.0 * sigma).powi(2) {
            counts[k] += 1;
        }
    }
    counts.iter().map(|&c| c as f64 / n as f64).collect()
}

fn covered_modes(loss: Loss, steps: u64) -> (usize, Vec<f64>) {
    let data = load(&DataConfig::new("8gaussians")).unwrap();
    let (modes, sigma) = data.density.as_ref().unwrap().modes().unwrap();
    let ctx = testing::context(data.spec.clone(), 0);
    let config = GanConfig {
        loss,
        latent_dim: 8,
        ..GanConfig::default()
    };
    let mut model = Gan::build(config, &ctx).unwrap();
    let outcome = testing::train_steps(model.as_mut(), &data.train, steps, 256);
    assert_eq!(outcome.diverged_at, None);
    let samples = model.sample(2000, None, 1).unwrap();
    let s = shares(&samples.x, &modes, sigma);
    (s.iter().filter(|&&v| v >= 0.01).count(), s)
}

#[test]
fn ns_gan_covers_at_least_6_of_8_modes() {
    let (covered, shares) = covered_modes(Loss::NonSaturating, 1500);
    assert!(
        covered >= 6,
        "covered {covered} of 8 modes: shares {shares:?}"
    );
}
