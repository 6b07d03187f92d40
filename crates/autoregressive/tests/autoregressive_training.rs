//! Training works end to end through the shared loop: a MADE on two-moons reaches the true
//! entropy within 0.5 nats, samples land on the moons, a checkpoint round-trips, and the
//! completion figure is written.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::*;
use genbench_autoregressive::{ArModel, Arch, AutoregressiveConfig};
use genbench_core::{GenerativeModel, testing};
use genbench_dataset::{DataConfig, load};

fn two_moons_made() -> AutoregressiveConfig {
    AutoregressiveConfig {
        arch: Arch::Made,
        hidden: vec![64, 64],
        components: 8,
        ..Default::default()
    }
}

#[test]
fn made_on_two_moons_gets_within_half_a_nat_of_the_true_entropy() {
    let data = load(&DataConfig::new("two-moons")).unwrap();
    let density = data.density.as_ref().unwrap();
    let entropy = density.entropy().nats;
    let mut model =
        ArModel::new(two_moons_made(), &ctx(data.spec.clone(), 0, false, 3e-3)).unwrap();
    testing::train_steps(&mut model, &data.train, 1500, 256);
    let nll = model
        .log_likelihood(&data.test, 0)
        .unwrap()
        .mean_nll_nats()
        .unwrap();
    assert!(
        nll - entropy < 0.5,
        "test NLL {nll:.3} vs true entropy {entropy:.3} nats"
    );

    // Samples have a high true log-density (close to -entropy on average).
    let samples = model.sample(2000, None, 1).unwrap();
    let mean_lp: f64 = (0..samples.len())
        .map(|i| density.log_prob([samples.row(i)[0] as f64, samples.row(i)[1] as f64]))
        .sum::<f64>()
        / 2000.0;
    assert!(
        mean_lp > -entropy - 1.0,
        "samples' mean true log-density {mean_lp:.3} vs -H = {:.3}",
        -entropy
    );

    // A checkpoint restores the exact likelihood into a fresh model.
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path()).unwrap();
    let mut fresh =
        ArModel::new(two_moons_made(), &ctx(data.spec.clone(), 7, false, 3e-3)).unwrap();
    fresh.load(dir.path()).unwrap();
    let a = model.log_likelihood(&data.test.head(100), 0).unwrap();
    let b = fresh.log_likelihood(&data.test.head(100), 0).unwrap();
    assert_eq!(a.log_px_nats, b.log_px_nats);
}

#[test]
fn conditional_pixelcnn_samples_its_labels_and_writes_completions() {
    let spec = image_spec(6, 6, 4, 3);
    let config = AutoregressiveConfig {
        arch: Arch::Pixelcnn,
        channels: 8,
        blocks: 2,
        head_channels: 8,
        completions: 2,
        ..Default::default()
    };
    let mut model = ArModel::new(config, &ctx(spec.clone(), 1, true, 1e-3)).unwrap();
    let labels = [2, 0, 1, 2];
    let s = model.sample(4, Some(&labels), 3).unwrap();
    assert_eq!(s.labels, labels);
    assert!(
        s.x.iter()
            .all(|&v| (0.0..4.0).contains(&v) && v.fract() == 0.0),
        "samples are levels"
    );
    assert_eq!(
        s.x,
        model.sample(4, Some(&labels), 3).unwrap().x,
        "same seed, same samples"
    );
    assert!(
        model.sample(4, Some(&[3, 0, 0, 0]), 3).is_err(),
        "a label out of range is an error"
    );

    let dir = tempfile::tempdir().unwrap();
    let test = random_batch(&spec, 5, 4);
    model.write_artifacts(&test, dir.path(), 0).unwrap();
    assert!(dir.path().join("ar_completions.png").exists());

    // A completion keeps the given top half and fills the rest with levels.
    let given: Vec<bool> = (0..36).map(|p| p < 18).collect();
    let done = model.complete(&test, &given, 1).unwrap();
    for i in 0..test.len() {
        assert_eq!(&done.row(i)[..18], &test.row(i)[..18]);
        assert!(
            done.row(i)[18..]
                .iter()
                .all(|&v| (0.0..4.0).contains(&v) && v.fract() == 0.0)
        );
    }
    assert_eq!(done.labels, test.labels);
}
