//! A flow trained on two-moons through the shared training loop comes within 0.3 nats of the
//! density's true entropy (the floor of any model's test NLL).
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::{Family, TrainPlan, testing, train};
use genbench_flow::{Flow, FlowConfig};
use std::time::Instant;

#[test]
fn two_moons_test_nll_is_within_03_nats_of_the_true_entropy() {
    let data = genbench_dataset::load(&genbench_dataset::DataConfig::new("two-moons")).unwrap();
    let entropy = data.density.as_ref().unwrap().entropy().nats;
    let ctx = testing::context(data.spec.clone(), 0).with_learning_rate(2e-3);
    let steps: u64 = std::env::var("FLOW_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1500);
    let mut model = Flow::build(FlowConfig::default(), &ctx).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut log = Vec::new();
    let mut plan = TrainPlan::steps(steps, 256, dir.path());
    plan.eval_every = steps / 8;
    let test = data.test.clone();
    train(model.as_mut(), &data.train, &plan, &mut |m, step, secs| {
        let nll = m.log_likelihood(&test, 0)?.mean_nll_nats().unwrap();
        log.push(format!("step {step} ({secs:.1} s): test NLL {nll:.3}"));
        Ok(())
    })
    .unwrap();
    let nll = model
        .log_likelihood(&data.test, 0)
        .unwrap()
        .mean_nll_nats()
        .unwrap();
    eprintln!(
        "{}\nfinal: test NLL {nll:.4} nats, true entropy {entropy:.4}, gap {:.4}, {:.1} s",
        log.join("\n"),
        nll - entropy,
        started.elapsed().as_secs_f64()
    );
    assert!(
        nll - entropy < 0.3,
        "test NLL {nll:.3} is {:.3} nats above the entropy {entropy:.3}",
        nll - entropy
    );
    assert!(
        nll - entropy > -0.05,
        "test NLL {nll:.3} below the entropy {entropy:.3}: the density cannot be normalised"
    );
}
