//! The networks are autoregressive: perturbing input j changes no conditional at or before j in
//! the model's order (checked numerically on randomly initialised weights), and does change a
//! later one (so the check has teeth).
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::*;
use genbench_autoregressive::{ArModel, Arch, AutoregressiveConfig, Ordering};
use genbench_core::{Batch, DataSpec};

/// For every input j: the parameters of every dimension whose position is <= j's are unchanged
/// when x_j changes; some dimension after j changes (unless j is last).
///
/// The weights are random (and burn's seeding is shared by tests running in parallel), so a
/// later output can miss an input by chance when every ReLU on the few paths between them is off;
/// `N` examples make that vanishingly rare while a broken mask still fails on the first.
fn assert_autoregressive(model: &ArModel, spec: &DataSpec) {
    const N: usize = 32;
    let d = spec.dim();
    let x = random_batch(spec, N, 11);
    let base = model.conditionals(&x).unwrap();
    let per = base.len() / (N * d);
    let order = model.order().to_vec();
    let mut position = vec![0; d];
    for (p, &dim) in order.iter().enumerate() {
        position[dim] = p;
    }
    for j in 0..d {
        let mut moved = x.clone();
        for i in 0..N {
            let v = &mut moved.x[i * d + j];
            *v = match spec.levels {
                Some(l) => ((*v as u32 + 1 + i as u32) % l) as f32,
                None => *v + 1.5,
            };
        }
        let out = model.conditionals(&moved).unwrap();
        let mut later_changed = false;
        for i in 0..N {
            for dim in 0..d {
                let a = &base[(i * d + dim) * per..(i * d + dim + 1) * per];
                let b = &out[(i * d + dim) * per..(i * d + dim + 1) * per];
                let diff = a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0f32, f32::max);
                if position[dim] <= position[j] {
                    assert!(
                        diff == 0.0,
                        "output {dim} (position {}) moved by {diff} when input {j} (position {}) changed",
                        position[dim],
                        position[j]
                    );
                } else if diff > 1e-6 {
                    later_changed = true;
                }
            }
        }
        assert!(
            later_changed || position[j] == d - 1,
            "no output after input {j} depends on it"
        );
    }
}

fn made(order: Ordering) -> AutoregressiveConfig {
    AutoregressiveConfig {
        arch: Arch::Made,
        hidden: vec![64, 64],
        order,
        mask_seed: 5,
        components: 3,
        ..Default::default()
    }
}

fn pixelcnn(gated: bool) -> AutoregressiveConfig {
    AutoregressiveConfig {
        arch: Arch::Pixelcnn,
        channels: 8,
        blocks: 2,
        head_channels: 8,
        gated,
        ..Default::default()
    }
}

#[test]
fn made_on_images_is_autoregressive_in_natural_and_random_order() {
    let spec = image_spec(4, 4, 5, 0);
    assert_autoregressive(
        &model(made(Ordering::Natural), spec.clone(), 1, false),
        &spec,
    );
    let random = model(made(Ordering::Random), spec.clone(), 2, false);
    assert_ne!(
        random.order(),
        (0..16).collect::<Vec<_>>().as_slice(),
        "a random order that is the natural one"
    );
    assert_autoregressive(&random, &spec);
}

#[test]
fn made_with_a_low_rank_output_and_a_label_is_autoregressive() {
    let spec = image_spec(3, 3, 7, 4);
    let config = AutoregressiveConfig {
        logit_rank: 4,
        ..made(Ordering::Random)
    };
    assert_autoregressive(&model(config, spec.clone(), 3, true), &spec);
}

#[test]
fn made_mixture_on_vectors_is_autoregressive() {
    let spec = vector_spec(5);
    assert_autoregressive(
        &model(made(Ordering::Random), spec.clone(), 4, false),
        &spec,
    );
    let spec2 = vector_spec(2);
    assert_autoregressive(
        &model(made(Ordering::Natural), spec2.clone(), 4, false),
        &spec2,
    );
}

#[test]
fn pixelcnn_is_autoregressive_in_raster_order() {
    let spec = image_spec(6, 5, 4, 0);
    assert_autoregressive(&model(pixelcnn(true), spec.clone(), 5, false), &spec);
    assert_autoregressive(&model(pixelcnn(false), spec.clone(), 6, false), &spec);
    let spec = image_spec(5, 5, 4, 3);
    assert_autoregressive(&model(pixelcnn(true), spec.clone(), 7, true), &spec);
}

/// The sampling path (PixelCNN on the receptive-field crop, MADE on one dimension's output
/// columns) gives the same parameters as the full pass, for every pixel.
#[test]
fn the_sampling_pass_equals_the_full_pass_at_every_pixel() {
    for (config, spec, cond) in [
        (pixelcnn(true), image_spec(12, 11, 4, 0), false),
        (
            AutoregressiveConfig {
                first_kernel: 5,
                ..pixelcnn(false)
            },
            image_spec(9, 13, 3, 2),
            true,
        ),
        (made(Ordering::Random), image_spec(3, 4, 6, 3), true),
        (
            AutoregressiveConfig {
                logit_rank: 3,
                ..made(Ordering::Natural)
            },
            image_spec(3, 3, 6, 0),
            false,
        ),
    ] {
        let m = model(config, spec.clone(), 8, cond);
        let x: Batch = random_batch(&spec, 2, 3);
        let full = m.conditionals(&x).unwrap();
        let d = spec.dim();
        let per = full.len() / (2 * d);
        for pos in 0..d {
            let at = m.conditional_at(&x, pos).unwrap();
            for i in 0..2 {
                for p in 0..per {
                    let (a, b) = (full[(i * d + pos) * per + p], at[i * per + p]);
                    assert!(
                        (a - b).abs() <= 1e-5 * (1.0 + a.abs()),
                        "pixel {pos}: full {a} vs sampling pass {b}"
                    );
                }
            }
        }
    }
}
