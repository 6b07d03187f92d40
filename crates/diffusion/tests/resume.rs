//! A DDPM on L_vlb with importance-sampled t, stopped after a checkpoint and resumed by a new
//! process, ends where an uninterrupted run does: the sampler's loss history (which decides
//! the next t and their weights) comes back with the weights, the EMA and the optimizer.
//!
//! Alone in its own test binary: burn draws initial weights from the device's global generator,
//! which tests running in parallel threads of one process would share.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::{Family, TrainPlan, testing, train};
use genbench_dataset::{DataConfig, load};
use genbench_diffusion::{Diffusion, DiffusionConfig, LossKind};

#[test]
fn a_resumed_vlb_run_with_importance_sampled_t_matches_an_uninterrupted_one() {
    let data = load(&DataConfig::new("8gaussians")).unwrap();
    // T = 25 and 512 examples a step: every t has its 10 losses by the checkpoint (about 60
    // each), so the steps after it draw t from the history (uniform draws give other numbers).
    let config = DiffusionConfig {
        timesteps: 25,
        loss: LossKind::Vlb,
        mlp_hidden: 32,
        mlp_blocks: 1,
        embed: 16,
        time_features: 8,
        ..DiffusionConfig::default()
    };
    let run = |dirs: &[&std::path::Path], steps: &[u64]| {
        let mut out = Vec::new();
        for (dir, &n) in dirs.iter().zip(steps) {
            let ctx = testing::context(data.spec.clone(), 0).with_learning_rate(2e-3);
            let mut model = Diffusion::build(config.clone(), &ctx).unwrap();
            let mut plan = TrainPlan::steps(n, 512, dir);
            plan.checkpoint_every = 3;
            let report = train(model.as_mut(), &data.train, &plan, &mut |_, _, _| Ok(())).unwrap();
            let nll = model
                .log_likelihood(&data.test.head(100), 0)
                .unwrap()
                .mean_nll_nats()
                .unwrap();
            out.push((report.final_loss, nll));
        }
        out
    };
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let straight = run(&[one.path()], &[6]);
    let resumed = run(&[two.path(), two.path()], &[3, 6]);
    assert_eq!(
        straight[0].0.to_bits(),
        resumed[1].0.to_bits(),
        "final loss {} vs {}",
        straight[0].0,
        resumed[1].0
    );
    assert_eq!(straight[0].1.to_bits(), resumed[1].1.to_bits());
}
