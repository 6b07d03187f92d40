//! A run interrupted after a checkpoint and resumed by a new process (which does not call
//! `begin` again) ends on the same weights as an uninterrupted run: the act-norm statistics,
//! the optimizer state and the dequantization noise all come back.
//!
//! Alone in its own test binary: burn draws initial weights from the device's global generator,
//! which tests running in parallel threads of one process would share.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::*;
use genbench_core::{GenerativeModel, TrainPlan, train};
use genbench_flow::{FlowConfig, FlowModel};

#[test]
fn resumed_training_through_the_loop_matches_an_uninterrupted_run() {
    let data = load("digits");
    let run = |dirs: &[&std::path::Path], steps: &[u64]| {
        let mut losses = Vec::new();
        for (dir, &n) in dirs.iter().zip(steps) {
            let mut model = FlowModel::new(
                FlowConfig {
                    channels: 8,
                    ..FlowConfig::default()
                },
                &ctx(&data, 2e-3, false),
            )
            .unwrap();
            let mut plan = TrainPlan::steps(n, 32, dir);
            plan.checkpoint_every = 3;
            train(&mut model, &data.train, &plan, &mut |_, _, _| Ok(())).unwrap();
            losses.push(
                model
                    .log_likelihood(&data.test.head(40), 0)
                    .unwrap()
                    .mean_nll_nats()
                    .unwrap(),
            );
        }
        losses
    };
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let straight = run(&[one.path()], &[6]);
    // Stop after 3 steps, then a new process resumes from the checkpoint (begin is not called again).
    let resumed = run(&[two.path(), two.path()], &[3, 6]);
    assert_eq!(straight[0], resumed[1], "{} vs {}", straight[0], resumed[1]);
}
