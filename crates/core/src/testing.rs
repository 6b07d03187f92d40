//! What a family's tests need to build a model without the runner (the `testing` feature:
//! `genbench-core = { workspace = true, features = ["testing"] }` under `[dev-dependencies]`).

use crate::data::{Batch, DataSpec};
use crate::device::DeviceChoice;
use crate::model::{BuildContext, Family, GenerativeModel};
use crate::seed::Seeds;
use crate::train::{TrainOutcome, TrainPlan, train};
use burn::prelude::Device;
use std::fmt;

/// The default CPU device (flex).
pub fn device() -> Device {
    DeviceChoice::Flex
        .device()
        .expect("the flex backend is always built")
}

/// The context of a run with master seed `seed` on [`device`]: learning rate 1e-3,
/// unconditional (change them with [`BuildContext::with_learning_rate`] and
/// [`BuildContext::with_conditional`]). The device is seeded, as in a run.
pub fn context(spec: DataSpec, seed: u64) -> BuildContext {
    BuildContext::new(spec, device(), Seeds::new(seed), 1e-3, false)
}

/// `steps` steps of the shared training loop on `train_set`, `batch` examples each, in a
/// temporary run folder (no evaluation, no checkpoints). Panics when training fails.
pub fn train_steps(
    model: &mut dyn GenerativeModel,
    train_set: &Batch,
    steps: u64,
    batch: usize,
) -> TrainOutcome {
    let dir = tempfile::tempdir().expect("a temporary run folder");
    train(
        model,
        train_set,
        &TrainPlan::steps(steps, batch, dir.path()),
        &mut |_, _, _| Ok(()),
    )
    .expect("training runs")
}

/// Vectors of `d` continuous values without labels.
pub fn vector_spec(d: usize) -> DataSpec {
    DataSpec {
        name: format!("vec{d}"),
        shape: vec![d],
        levels: None,
        num_classes: 0,
    }
}

/// Single-channel `h` × `w` images of `levels` grey levels with `classes` labels.
pub fn image_spec(h: usize, w: usize, levels: u32, classes: usize) -> DataSpec {
    DataSpec {
        name: format!("test{h}x{w}"),
        shape: vec![1, h, w],
        levels: Some(levels),
        num_classes: classes,
    }
}

/// The shapes family tests check against: digits (`[1, 8, 8]`, 17 levels, 10 classes) and a
/// labelled 2-D density (2 classes).
pub fn example_specs() -> (DataSpec, DataSpec) {
    (
        DataSpec::new("digits", vec![1, 8, 8], Some(17), 10),
        DataSpec::new("moons", vec![2], None, 2),
    )
}

/// Panics unless `F::footprint` counts exactly the parameters of the model `F::build` makes, for
/// every `(config, spec)`, unconditional and conditional: the test every family runs so that its
/// estimate stays true when its networks change. `spec` must have labels.
pub fn assert_footprint_counts_params<F: Family>(cases: &[(F::Config, DataSpec)])
where
    F::Config: Clone + fmt::Debug,
{
    for (config, spec) in cases {
        for conditional in [false, true] {
            let ctx = context(spec.clone(), 0).with_conditional(conditional);
            let built = F::build(config.clone(), &ctx)
                .expect("a valid config")
                .num_params();
            let classes = if conditional { spec.num_classes } else { 0 };
            assert_eq!(
                F::footprint(config, spec, classes).params,
                built as u64,
                "{config:?} on {} (conditional {conditional})",
                spec.name
            );
        }
    }
}
