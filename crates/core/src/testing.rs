//! What a family's tests need to build a model without the runner (the `testing` feature:
//! `genbench-core = { workspace = true, features = ["testing"] }` under `[dev-dependencies]`).

use crate::data::{Batch, DataSpec};
use crate::device::DeviceChoice;
use crate::model::{BuildContext, GenerativeModel};
use crate::seed::Seeds;
use crate::train::{TrainOutcome, TrainPlan, train};
use burn::prelude::Device;

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
