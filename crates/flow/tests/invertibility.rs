//! Forward then inverse returns the input (to 1e-4), on vectors and on images, for flows whose
//! couplings are no longer the identity (a few steps at a high learning rate).
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::*;
use genbench_core::GenerativeModel;
use genbench_flow::FlowConfig;

#[test]
fn vector_flow_inverse_undoes_forward() {
    let data = load("two-moons");
    let model = trained(&data, FlowConfig::default(), 1e-2, false, 40, 256);
    let x = data.test.head(500);
    let (z, log_det) = model.transform(&x.x, &[]).unwrap();
    assert!(
        max_abs_diff(&z, &x.x) > 0.1,
        "the trained flow should not be the identity"
    );
    assert!(
        log_det.iter().any(|l| l.abs() > 0.1),
        "the trained flow should not preserve volume"
    );
    let back = model.inverse(&z, &[]).unwrap();
    let err = max_abs_diff(&back, &x.x);
    assert!(err < 1e-4, "max |f^-1(f(x)) - x| = {err}");
}

#[test]
fn conditional_vector_flow_inverse_undoes_forward_for_each_label() {
    let data = load("two-moons");
    assert!(data.spec.num_classes > 0);
    let model = trained(&data, FlowConfig::default(), 1e-2, true, 40, 256);
    let x = data.test.head(500);
    let (z, _) = model.transform(&x.x, &x.labels).unwrap();
    let back = model.inverse(&z, &x.labels).unwrap();
    assert!(max_abs_diff(&back, &x.x) < 1e-4);
    // The label changes the map.
    let other: Vec<usize> = x
        .labels
        .iter()
        .map(|&l| (l + 1) % data.spec.num_classes)
        .collect();
    let (z_other, _) = model.transform(&x.x, &other).unwrap();
    assert!(
        max_abs_diff(&z, &z_other) > 1e-3,
        "the label should condition the couplings"
    );
}

#[test]
fn multiscale_flow_inverse_undoes_forward_on_digits() {
    let data = load("digits");
    let config = FlowConfig::default();
    let model = trained(&data, config.clone(), 5e-3, true, 20, 64);
    let batch = data.test.head(64);
    let y = logit_centres(&batch, data.spec.levels.unwrap(), config.logit_alpha);
    let (z, _) = model.transform(&y, &batch.labels).unwrap();
    assert!(max_abs_diff(&z, &y) > 0.1);
    let back = model.inverse(&z, &batch.labels).unwrap();
    let err = max_abs_diff(&back, &y);
    assert!(err < 1e-4, "max |f^-1(f(y)) - y| = {err}");
}

#[test]
fn multiscale_flow_inverse_undoes_forward_on_28x28() {
    let data = load("mnist5k");
    let config = FlowConfig {
        channels: 16,
        ..FlowConfig::default()
    };
    let model = trained(&data, config.clone(), 5e-3, false, 3, 32);
    let batch = data.test.head(16);
    let y = logit_centres(&batch, data.spec.levels.unwrap(), config.logit_alpha);
    let (z, _) = model.transform(&y, &[]).unwrap();
    let back = model.inverse(&z, &[]).unwrap();
    let err = max_abs_diff(&back, &y);
    assert!(err < 1e-4, "max |f^-1(f(y)) - y| = {err}");
}

#[test]
fn samples_of_images_are_valid_levels_and_the_likelihood_is_a_dequantized_bound() {
    let mut model = trained(&load("digits"), FlowConfig::default(), 2e-3, false, 10, 64);
    let data = load("digits");
    let s = model.sample(50, None, 3).unwrap();
    let top = (data.spec.levels.unwrap() - 1) as f32;
    assert_eq!(s.dim, 64);
    assert!(
        s.x.iter()
            .all(|&v| v >= 0.0 && v <= top && v.fract() == 0.0),
        "samples must be integer levels 0..=16"
    );
    let ll = model.log_likelihood(&data.test.head(100), 0).unwrap();
    assert_eq!(ll.kind, genbench_core::LikelihoodKind::Dequantized);
    // A bound on a probability mass: log P(k) <= 0.
    assert!(ll.log_px_nats.iter().all(|&l| l.is_finite() && l < 0.0));
}
