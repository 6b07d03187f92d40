//! On digits the multi-scale flow learns: its dequantized test bound drops well below the
//! uniform model's log2(17) = 4.09 bits/dim; a checkpoint restores weights and optimizer.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::*;
use genbench_core::GenerativeModel;
use genbench_flow::{FlowConfig, FlowModel};
use std::time::Instant;

#[test]
fn digits_bits_per_dim_fall_well_below_uniform() {
    let data = load("digits");
    let steps: u64 = std::env::var("FLOW_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150);
    let started = Instant::now();
    let mut model = trained(&data, FlowConfig::default(), 2e-3, false, steps, 64);
    let secs = started.elapsed().as_secs_f64();
    let bpd = model
        .log_likelihood(&data.test, 0)
        .unwrap()
        .mean_nll_bpd(data.spec.dim())
        .unwrap();
    eprintln!(
        "digits: {steps} steps in {secs:.1} s, test {bpd:.3} bits/dim (uniform: {:.3})",
        17f64.log2()
    );
    assert!(bpd < 2.8, "test bound {bpd:.3} bits/dim");
}

#[test]
fn a_checkpoint_round_trips_and_artifacts_are_written() {
    let data = load("digits");
    let mut a = trained(&data, FlowConfig::default(), 2e-3, true, 5, 32);
    let dir = tempfile::tempdir().unwrap();
    a.save(dir.path()).unwrap();
    // A fresh model (no act-norm initialisation) restored from the checkpoint.
    let mut b = FlowModel::new(FlowConfig::default(), &ctx(&data, 2e-3, true)).unwrap();
    b.load(dir.path()).unwrap();
    let test = data.test.head(50);
    assert_eq!(
        a.log_likelihood(&test, 4).unwrap(),
        b.log_likelihood(&test, 4).unwrap()
    );
    // Both continue with the same step (optimizer state restored too).
    let batch = data.train.head(32);
    let la = a.train_step(&batch).unwrap().loss;
    let lb = b.train_step(&batch).unwrap().loss;
    assert!((la - lb).abs() < 1e-9 * la.abs().max(1.0), "{la} vs {lb}");
    // ... and land on the same weights.
    assert_eq!(
        a.log_likelihood(&test, 4).unwrap(),
        b.log_likelihood(&test, 4).unwrap(),
        "the optimizer state was not restored"
    );
    b.write_artifacts(&test, dir.path(), 0).unwrap();
    assert!(dir.path().join("flow_temperatures.png").exists());
    let labels = vec![3usize; 20];
    let s = b.sample(20, Some(&labels), 1).unwrap();
    assert_eq!(s.labels, labels);
}
