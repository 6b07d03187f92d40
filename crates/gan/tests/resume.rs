//! A DCGAN with batch norm stopped after a late checkpoint and resumed by a new process draws
//! the same samples as an uninterrupted run: the checkpoint holds the batch-norm running
//! statistics up to the last step (burn leaves the last update pending until the next forward
//! pass; a checkpoint written without it resumes one update behind and samples differently).
//!
//! Alone in its own test binary: burn draws initial weights from the device's global generator,
//! which tests running in parallel threads of one process would share.

#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::{Family, GenerativeModel, TrainPlan, testing, train};
use genbench_dataset::{DataConfig, load};
use genbench_gan::{Gan, GanConfig};
use std::path::Path;

fn train_in(dir: &Path, steps: u64) -> Box<dyn GenerativeModel> {
    let data = load(&DataConfig::new("digits")).unwrap();
    let ctx = testing::context(data.spec.clone(), 0).with_learning_rate(5e-4);
    let config = GanConfig {
        channels: 8,
        latent_dim: 16,
        ..GanConfig::default()
    };
    assert!(config.g_batch_norm, "the generator uses batch norm");
    let mut model = Gan::build(config, &ctx).unwrap();
    let mut plan = TrainPlan::steps(steps, 32, dir);
    plan.checkpoint_every = 5;
    train(model.as_mut(), &data.train, &plan, &mut |_, _, _| Ok(())).unwrap();
    model
}

#[test]
fn a_resumed_batch_norm_gan_samples_like_an_uninterrupted_one() {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let straight = train_in(one.path(), 11).sample(200, None, 3).unwrap();
    // A first process stops after the checkpoint of step 10; a second resumes for the last step.
    train_in(two.path(), 10);
    let resumed = train_in(two.path(), 11).sample(200, None, 3).unwrap();
    assert_eq!(straight.x, resumed.x);
}
