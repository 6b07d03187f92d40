//! The bounds of a VAE trained on digits: ELBO = -(rate + distortion), IWAE_k >= ELBO and
//! non-decreasing in k, training beats the initial ELBO, and save -> load keeps every number.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::{Batch, GenerativeModel, TrainPlan, testing, train};
use genbench_vae::{VaeConfig, VaeModel};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Training steps of the shared digits model (batch 128, about 70 epochs of 1,437 images).
const STEPS: u64 = 800;

fn digits() -> genbench_dataset::Dataset {
    genbench_dataset::load(&genbench_dataset::DataConfig::new("digits")).unwrap()
}

fn config() -> VaeConfig {
    VaeConfig {
        latent_dim: 8,
        hidden: 128,
        iwae_k: 50,
        ..VaeConfig::default()
    }
}

fn build(spec: &genbench_core::DataSpec, seed: u64) -> VaeModel {
    let ctx = testing::context(spec.clone(), seed).with_learning_rate(2e-3);
    VaeModel::new(config(), &ctx).unwrap()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The trained digits model, saved once: (checkpoint folder, mean test ELBO before training).
fn trained() -> &'static (PathBuf, f64) {
    static TRAINED: OnceLock<(PathBuf, f64)> = OnceLock::new();
    TRAINED.get_or_init(|| {
        let data = digits();
        let mut model = build(&data.spec, 0);
        let initial = mean(&model.elbo_terms(&data.test, 1).unwrap().elbo());
        let dir = tempfile::tempdir().unwrap().keep();
        train(
            &mut model,
            &data.train,
            &TrainPlan::steps(STEPS, 128, &dir),
            &mut |_, _, _| Ok(()),
        )
        .unwrap();
        let ckpt = dir.join("trained");
        model.save(&ckpt).unwrap();
        (ckpt, initial)
    })
}

fn load_trained(spec: &genbench_core::DataSpec) -> VaeModel {
    let mut model = build(spec, 99);
    model.load(&trained().0).unwrap();
    model
}

#[test]
fn training_on_digits_beats_the_initial_elbo_by_40_nats() {
    let data = digits();
    let initial = trained().1;
    let model = load_trained(&data.spec);
    let fin = mean(&model.elbo_terms(&data.test, 1).unwrap().elbo());
    // 64 pixels of 17 levels: a uniform model is 64 ln 17 = 181 nats; at initialisation the
    // ELBO is about -143, after training about -87 (measured).
    assert!(
        fin > initial + 40.0,
        "test ELBO {initial:.1} -> {fin:.1} nats after {STEPS} steps"
    );
}

#[test]
fn negative_elbo_is_rate_plus_distortion() {
    let data = digits();
    let mut model = load_trained(&data.spec);
    let ll = model.log_likelihood(&data.test, 5).unwrap();
    let (elbo, rate, dist) = (
        ll.extras["elbo_nats"],
        ll.extras["rate_nats"],
        ll.extras["distortion_nats"],
    );
    assert!(
        (-elbo - (rate + dist)).abs() < 1e-9 * elbo.abs(),
        "-ELBO {} vs rate {rate} + distortion {dist}",
        -elbo
    );
    assert!(rate > 1.0 && dist > 0.0, "rate {rate}, distortion {dist}");
    // The closed-form KL and the one-sample IWAE_1 = log p(x|z) + log p(z) - log q(z|x)
    // estimate the same ELBO: their means over 3 x 360 draws agree within Monte Carlo error.
    let iwae1: Vec<f64> = (0..3)
        .flat_map(|s| model.iwae(&data.test, 1, 100 + s).unwrap())
        .collect();
    let sd = (iwae1
        .iter()
        .map(|v| (v - mean(&iwae1)).powi(2))
        .sum::<f64>()
        / iwae1.len() as f64)
        .sqrt();
    let se = sd / (iwae1.len() as f64).sqrt();
    assert!(
        (mean(&iwae1) - elbo).abs() < 4.0 * se + 0.05,
        "IWAE-1 {} vs ELBO {elbo} (se {se})",
        mean(&iwae1)
    );
}

#[test]
fn iwae_is_above_the_elbo_and_grows_with_k() {
    let data = digits();
    let model = load_trained(&data.spec);
    let elbo = mean(&model.elbo_terms(&data.test, 7).unwrap().elbo());
    let bounds: Vec<f64> = [1, 10, 100]
        .iter()
        .map(|&k| mean(&model.iwae(&data.test, k, 8).unwrap()))
        .collect();
    assert!(
        bounds[0] > elbo - 0.5,
        "IWAE-1 {} is an estimate of the ELBO {elbo}",
        bounds[0]
    );
    assert!(
        bounds[1] > elbo + 0.5,
        "IWAE-10 {} vs ELBO {elbo}",
        bounds[1]
    );
    assert!(
        bounds[1] > bounds[0] + 0.5 && bounds[2] > bounds[1] + 0.1,
        "IWAE-1, 10, 100: {bounds:?}"
    );
}

#[test]
fn save_then_load_gives_identical_likelihoods() {
    let data = digits();
    let test = data.test.head(64);
    let mut a = load_trained(&data.spec);
    let dir = tempfile::tempdir().unwrap();
    a.save(dir.path()).unwrap();
    // a resumed run rebuilds the model from the same master seed (untrained weights), then loads
    let mut b = build(&data.spec, 99);
    let before = b.log_likelihood(&test, 3).unwrap();
    b.load(dir.path()).unwrap();
    let (la, lb) = (
        a.log_likelihood(&test, 3).unwrap(),
        b.log_likelihood(&test, 3).unwrap(),
    );
    assert_ne!(
        before.log_px_nats, lb.log_px_nats,
        "the load changed nothing"
    );
    assert_eq!(la.log_px_nats, lb.log_px_nats);
    assert_eq!(la.extras, lb.extras);
    // and training resumes identically: one more step on each gives the same loss
    let batch: Batch = data.train.head(128);
    assert_eq!(a.train_step(&batch).unwrap(), b.train_step(&batch).unwrap());
}
