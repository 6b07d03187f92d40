//! The likelihood is exact: conditionals are normalised, a tiny model's probabilities over all
//! 16 binary 2x2 images sum to 1, and log p equals the sum of the log-conditionals computed by
//! hand from the network outputs.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::*;
use genbench_autoregressive::{ArModel, Arch, AutoregressiveConfig, Ordering};
use genbench_core::likelihood::LikelihoodKind;
use genbench_core::{Batch, DataSpec, GenerativeModel};

fn made(order: Ordering) -> AutoregressiveConfig {
    AutoregressiveConfig {
        arch: Arch::Made,
        hidden: vec![16, 16],
        order,
        mask_seed: 9,
        ..Default::default()
    }
}

fn pixelcnn() -> AutoregressiveConfig {
    AutoregressiveConfig {
        arch: Arch::Pixelcnn,
        channels: 8,
        blocks: 2,
        head_channels: 8,
        first_kernel: 3,
        ..Default::default()
    }
}

/// Every 2x2 binary image, labelled `label`.
fn all_binary_images(label: Option<usize>) -> Batch {
    let x = (0..16u32)
        .flat_map(|b| (0..4).map(move |i| ((b >> i) & 1) as f32))
        .collect();
    Batch::new(x, label.map(|l| vec![l; 16]).unwrap_or_default(), 4)
}

/// log p(x) by hand: the log-softmax of each pixel's logits at its true level, summed.
fn by_hand(model: &ArModel, batch: &Batch) -> Vec<f64> {
    let logits = model.conditionals(batch).unwrap();
    let d = batch.dim;
    let per = logits.len() / (batch.len() * d);
    (0..batch.len())
        .map(|i| {
            (0..d)
                .map(|j| {
                    let ls = log_softmax(&logits[(i * d + j) * per..(i * d + j + 1) * per]);
                    ls[batch.row(i)[j] as usize]
                })
                .sum()
        })
        .collect()
}

fn check_brute_force(mut model: ArModel, classes: usize) {
    for label in (0..classes.max(1)).map(|c| (classes > 0).then_some(c)) {
        let images = all_binary_images(label);
        let ll = model.log_likelihood(&images, 0).unwrap();
        assert_eq!(ll.kind, LikelihoodKind::Exact);
        let total: f64 = ll.log_px_nats.iter().map(|v| v.exp()).sum();
        assert!(
            (total - 1.0).abs() < 1e-5,
            "probabilities of the 16 images sum to {total} (label {label:?})"
        );
        for (a, b) in ll.log_px_nats.iter().zip(by_hand(&model, &images)) {
            assert!(
                (a - b).abs() < 1e-5,
                "log p {a} vs product of conditionals {b}"
            );
        }
    }
}

#[test]
fn made_brute_force_on_2x2_binary_images() {
    check_brute_force(
        model(made(Ordering::Natural), image_spec(2, 2, 2, 0), 1, false),
        0,
    );
    check_brute_force(
        model(made(Ordering::Random), image_spec(2, 2, 2, 0), 2, false),
        0,
    );
    check_brute_force(
        model(made(Ordering::Random), image_spec(2, 2, 2, 3), 3, true),
        3,
    );
}

#[test]
fn pixelcnn_brute_force_on_2x2_binary_images() {
    check_brute_force(model(pixelcnn(), image_spec(2, 2, 2, 0), 1, false), 0);
    check_brute_force(
        model(
            AutoregressiveConfig {
                gated: false,
                ..pixelcnn()
            },
            image_spec(2, 2, 2, 0),
            2,
            false,
        ),
        0,
    );
    check_brute_force(model(pixelcnn(), image_spec(2, 2, 2, 2), 3, true), 2);
}

/// Every pixel's conditional over all L levels sums to 1, and log p(x) is the sum over pixels of
/// the conditional at the true level (17 and 256 levels, MADE and PixelCNN).
#[test]
fn conditionals_are_normalised_and_sum_to_the_likelihood() {
    let cases: Vec<(AutoregressiveConfig, DataSpec)> = vec![
        (made(Ordering::Random), image_spec(4, 4, 17, 0)),
        (
            AutoregressiveConfig {
                logit_rank: 8,
                ..made(Ordering::Natural)
            },
            image_spec(4, 4, 256, 0),
        ),
        (pixelcnn(), image_spec(5, 4, 17, 0)),
        (pixelcnn(), image_spec(4, 4, 256, 0)),
    ];
    for (config, spec) in cases {
        let mut m = model(config, spec.clone(), 4, false);
        let x = random_batch(&spec, 5, 2);
        let logits = m.conditionals(&x).unwrap();
        let l = spec.levels.unwrap() as usize;
        assert_eq!(logits.len(), 5 * spec.dim() * l);
        for pixel in logits.chunks(l) {
            let total: f64 = log_softmax(pixel).iter().map(|v| v.exp()).sum();
            assert!(
                (total - 1.0).abs() < 1e-9,
                "a pixel's probabilities sum to {total}"
            );
        }
        let ll = m.log_likelihood(&x, 0).unwrap();
        for (a, b) in ll.log_px_nats.iter().zip(by_hand(&m, &x)) {
            assert!(
                (a - b).abs() < 1e-3 * (1.0 + b.abs()),
                "log p {a} vs sum of conditionals {b}"
            );
        }
    }
}

/// The mixture density of a 2-D MADE integrates to 1 (midpoint rule on a wide grid).
#[test]
fn made_mixture_density_integrates_to_one() {
    let mut m = model(
        AutoregressiveConfig {
            components: 4,
            ..made(Ordering::Natural)
        },
        vector_spec(2),
        5,
        false,
    );
    let (lo, hi, k) = (-12.0f32, 12.0f32, 400usize);
    let h = (hi - lo) / k as f32;
    let x: Vec<f32> = (0..k * k)
        .flat_map(|i| {
            [
                lo + h * (0.5 + (i / k) as f32),
                lo + h * (0.5 + (i % k) as f32),
            ]
        })
        .collect();
    let ll = m.log_likelihood(&Batch::new(x, vec![], 2), 0).unwrap();
    let mass: f64 = ll.log_px_nats.iter().map(|v| v.exp()).sum::<f64>() * (h as f64).powi(2);
    assert!((mass - 1.0).abs() < 0.01, "density integrates to {mass}");
}
