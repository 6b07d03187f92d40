//! genbench-core: the contract every generative family implements, and the machinery that
//! every family shares — the one training loop, seeds, devices, checkpoints, atomic files.
//!
//! A family crate depends only on this crate (and burn through it; `genbench-dataset` only in its
//! tests). It implements [`Family`] (how to build a model from its serde config) and
//! [`GenerativeModel`] (train a step, sample, score a likelihood, save, load), and moves data
//! through the helpers here: [`host`] (host values to tensors and back), [`init`] (initial
//! weights drawn on the host, the same on every device), [`labels`] (the labels samples are drawn
//! for), [`nn`] (layer stacks), `testing` (contexts for its tests, behind the `testing`
//! feature). Everything else — batching, budgets, progress, divergence, checkpoints,
//! evaluation, results — is done once, here or in the runner, for every family.

pub mod check;
pub mod checkpoint;
pub mod data;
pub mod device;
pub mod fsutil;
pub mod grad_clip;
pub mod grid;
pub mod hash;
pub mod host;
pub mod init;
pub mod labels;
pub mod likelihood;
pub mod lock;
pub mod model;
pub mod nn;
pub mod preprocess;
pub mod results;
pub mod seed;
pub mod selection;
pub mod settings;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod train;
mod train_log;

pub use check::{ConfigError, Footprint};
pub use data::{Batch, DataSpec};
pub use device::DeviceChoice;
pub use likelihood::{Likelihood, LikelihoodKind};
pub use model::{
    BuildContext, Diverged, Family, GenerativeModel, ModelInfo, SamplerVariant, StepMetrics,
    build_family,
};
pub use seed::{Rng, Seeds};
pub use train::{Budget, TrainOutcome, TrainPlan, train};

/// Re-exported so that family crates name burn through the contract's version.
pub use burn;
