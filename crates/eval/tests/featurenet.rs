//! The image feature network on UCI digits: it classifies, and FD in its feature space grows
//! with noise and with blur.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::{Batch, DataSpec};
use genbench_eval::features::{FeatureNet, FeatureSpace};
use genbench_eval::frechet_distance;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::io::Read;

const LEVELS: f32 = 17.0;

/// crates/dataset/data/digits.csv.gz (the copy genbench-dataset embeds): 1,797 rows of 64
/// pixels (levels 0..=16) then the label. The first 80% of a fixed shuffle trains, the rest
/// tests.
fn digits() -> (DataSpec, Batch, Batch) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../dataset/data/digits.csv.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect(path))
        .read_to_string(&mut text)
        .unwrap();
    let (mut x, mut labels) = (Vec::new(), Vec::new());
    for line in text.lines().filter(|l| !l.is_empty()) {
        let v: Vec<f32> = line.split(',').map(|s| s.trim().parse().unwrap()).collect();
        assert_eq!(v.len(), 65);
        x.extend_from_slice(&v[..64]);
        labels.push(v[64] as usize);
    }
    let all = Batch::new(x, labels, 64);
    let order = genbench_core::Rng::new(11).permutation(all.len());
    let cut = all.len() * 4 / 5;
    let spec = DataSpec {
        name: "digits".into(),
        shape: vec![1, 8, 8],
        levels: Some(17),
        num_classes: 10,
    };
    (spec, all.select(&order[..cut]), all.select(&order[cut..]))
}

fn with_noise(batch: &Batch, std: f32, seed: u64) -> Batch {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0f32, std.max(f32::MIN_POSITIVE)).unwrap();
    let x = batch
        .x
        .iter()
        .map(|&v| {
            if std == 0.0 {
                v
            } else {
                (v + normal.sample(&mut rng)).clamp(0.0, LEVELS - 1.0)
            }
        })
        .collect();
    Batch::new(x, batch.labels.clone(), batch.dim)
}

/// One 3x3 box blur per image: each pixel becomes the mean of its in-bounds 3x3 neighbourhood.
fn blurred(batch: &Batch) -> Batch {
    let mut x = Vec::with_capacity(batch.x.len());
    for i in 0..batch.len() {
        let img = batch.row(i);
        for r in 0..8i32 {
            for c in 0..8i32 {
                let (mut sum, mut count) = (0.0, 0.0);
                for (dr, dc) in (-1..=1).flat_map(|dr| (-1..=1).map(move |dc| (dr, dc))) {
                    let (rr, cc) = (r + dr, c + dc);
                    if (0..8).contains(&rr) && (0..8).contains(&cc) {
                        sum += img[(rr * 8 + cc) as usize];
                        count += 1.0;
                    }
                }
                x.push(sum / count);
            }
        }
    }
    Batch::new(x, batch.labels.clone(), batch.dim)
}

fn assert_increasing(name: &str, fds: &[f64]) {
    assert!(
        fds[0].abs() < 1e-6,
        "{name}: FD of a set with itself is {}",
        fds[0]
    );
    for w in fds.windows(2) {
        assert!(w[1] > w[0], "{name}: FD does not rise: {fds:?}");
    }
}

#[test]
fn feature_net_classifies_digits_and_fd_tracks_corruption() {
    let (spec, train, test) = digits();
    let cache = tempfile::tempdir().unwrap();
    let device = burn::prelude::Device::flex();
    let net = FeatureNet::load_or_train(&spec, &train, &test, "fixed80", cache.path(), 3, &device)
        .unwrap();
    println!("{:?}", net.info());
    assert!(
        net.test_accuracy() > 0.9,
        "test accuracy {}",
        net.test_accuracy()
    );
    let classes = net.classify(&test);
    let correct = classes
        .iter()
        .zip(&test.labels)
        .filter(|(p, y)| p == y)
        .count() as f64;
    assert_eq!(correct / test.len() as f64, net.test_accuracy());

    let reference = net.features(&test);
    assert_eq!(
        (reference.rows, reference.dim),
        (test.len(), genbench_eval::features::FEATURE_DIM)
    );
    let fd = |b: &Batch| frechet_distance(&reference, &net.features(b)).unwrap();
    let noise: Vec<f64> = [0.0, 1.0, 2.0, 4.0]
        .iter()
        .map(|&s| fd(&with_noise(&test, s, 5)))
        .collect();
    println!("FD vs noise std 0, 1, 2, 4 levels: {noise:?}");
    assert_increasing("noise", &noise);
    let mut blur = vec![fd(&test)];
    let mut b = test.clone();
    for _ in 0..3 {
        b = blurred(&b);
        blur.push(fd(&b));
    }
    println!("FD vs 0..3 box blurs: {blur:?}");
    assert_increasing("blur", &blur);

    let cached =
        FeatureNet::load_or_train(&spec, &train, &test, "fixed80", cache.path(), 3, &device)
            .unwrap();
    assert_eq!(cached.info(), net.info());
    assert_eq!(
        cached.features(&test),
        reference,
        "the cached network differs"
    );
}
