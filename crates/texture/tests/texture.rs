//! Efros–Leung sampling end to end: a window that sees the whole causal past of an 8×8 image
//! reproduces training images exactly (and the data-copying test flags it); a small window
//! makes new images; on points the coordinate analogue; no likelihood.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::results::Row;
use genbench_core::results::schema::col;
use genbench_core::{Batch, Family, GenerativeModel, labels, testing};
use genbench_dataset::{DataConfig, Dataset};
use genbench_eval::score;
use genbench_eval::{FeatureNet, FeatureSpace};
use genbench_texture::{Selection, Texture, TextureConfig};
use std::collections::HashSet;

fn load(name: &str, train_size: Option<usize>) -> Dataset {
    let mut config = DataConfig::new(name);
    config.train_size = train_size;
    genbench_dataset::load(&config).unwrap()
}

fn fitted(data: &Dataset, config: TextureConfig, conditional: bool) -> Box<dyn GenerativeModel> {
    let ctx = testing::context(data.spec.clone(), 0).with_conditional(conditional);
    let mut model = Texture::build(config, &ctx).unwrap();
    model.begin(&data.train).unwrap();
    model.train_step(&data.train).unwrap();
    model
}

fn rows(batch: &Batch) -> Vec<Vec<u32>> {
    (0..batch.len())
        .map(|i| batch.row(i).iter().map(|v| v.to_bits()).collect())
        .collect()
}

#[test]
fn a_window_over_the_whole_causal_past_reproduces_training_images_and_is_flagged() {
    let data = load("digits", None);
    let config = TextureConfig {
        window: 15, // reaches 7 rows up and 7 columns either side: all of an 8×8 image's past
        epsilon: 0.0,
        pool: 30,
        ..TextureConfig::default()
    };
    let mut model = fitted(&data, config, false);
    let samples = model.sample(300, None, 1).unwrap();
    let train: HashSet<Vec<u32>> = rows(&data.train).into_iter().collect();
    for (i, r) in rows(&samples).iter().enumerate() {
        assert!(train.contains(r), "sample {i} is not a training image");
    }

    let experiment = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("results");
    let device = testing::device();
    let net: FeatureNet = genbench_eval::feature_net(&data, &experiment, &device)
        .unwrap()
        .expect("digits have a feature space");
    // The evaluator's data-copying columns, held-out side test.head(n) as in a run.
    let mut row = Row::default();
    score::data_copying(
        &net.features(&data.train),
        &net.features(&data.test.head(samples.len())),
        &net.features(&samples),
        &mut row,
    );
    assert_eq!(row.get(col::MEMORISING), Some("true"), "{row:?}");
}

#[test]
fn a_small_window_makes_images_that_are_not_in_the_training_set() {
    let data = load("digits", None);
    let config = TextureConfig {
        window: 3,
        pool: 30,
        ..TextureConfig::default()
    };
    let mut model = fitted(&data, config, false);
    let samples = model.sample(50, None, 2).unwrap();
    let train: HashSet<Vec<u32>> = rows(&data.train).into_iter().collect();
    let copies = rows(&samples).iter().filter(|r| train.contains(*r)).count();
    assert!(copies < 10, "{copies} of 50 samples are training images");
    assert!(
        samples
            .x
            .iter()
            .all(|v| (0.0..=16.0).contains(v) && v.fract() == 0.0)
    );
    // Reproducible from the seed.
    assert_eq!(model.sample(50, None, 2).unwrap(), samples);
}

#[test]
fn on_points_the_full_past_copies_and_k_nearest_recombines() {
    let data = load("two-moons", Some(500));
    let train: HashSet<Vec<u32>> = rows(&data.train).into_iter().collect();
    let mut copier = fitted(
        &data,
        TextureConfig {
            epsilon: 0.0,
            ..TextureConfig::default()
        },
        false,
    );
    let copies = copier.sample(100, None, 0).unwrap();
    assert!(rows(&copies).iter().all(|r| train.contains(r)));

    let knn = TextureConfig {
        selection: Selection::KNearest,
        k: 5,
        ..TextureConfig::default()
    };
    let mut model = fitted(&data, knn, false);
    let samples = model.sample(200, None, 0).unwrap();
    let new = rows(&samples)
        .iter()
        .filter(|r| !train.contains(*r))
        .count();
    assert!(new > 100, "only {new} of 200 points are new");
    // x0 is always some training point's x0.
    let x0: HashSet<u32> = (0..data.train.len())
        .map(|i| data.train.row(i)[0].to_bits())
        .collect();
    assert!((0..200).all(|i| x0.contains(&samples.row(i)[0].to_bits())));
}

#[test]
fn the_likelihood_is_unavailable_never_a_number() {
    let data = load("8gaussians", Some(200));
    let mut model = fitted(&data, TextureConfig::default(), false);
    let ll = model.log_likelihood(&data.test.head(10), 0).unwrap();
    assert_eq!(ll.kind.to_string(), "unavailable");
    assert_eq!(ll.mean_nll_nats(), None);
}

#[test]
fn a_conditional_model_copies_from_its_class_and_survives_save_and_load() {
    let data = load("digits", None);
    let config = TextureConfig {
        window: 15,
        epsilon: 0.0,
        pool: 10,
        ..TextureConfig::default()
    };
    let mut model = fitted(&data, config.clone(), true);
    let labels = labels::cycled(20, 10);
    let samples = model.sample(20, Some(&labels), 4).unwrap();
    let by_image: std::collections::HashMap<Vec<u32>, usize> = rows(&data.train)
        .into_iter()
        .zip(data.train.labels.iter().copied())
        .collect();
    for (i, r) in rows(&samples).iter().enumerate() {
        assert_eq!(by_image.get(r), Some(&labels[i]));
    }
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path()).unwrap();
    let ctx = testing::context(data.spec.clone(), 0).with_conditional(true);
    let mut restored = Texture::build(config, &ctx).unwrap();
    restored.load(dir.path()).unwrap();
    assert_eq!(restored.sample(20, Some(&labels), 4).unwrap(), samples);
}
