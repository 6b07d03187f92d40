//! genbench-core: the contract every generative family implements, and the machinery that
//! every family shares — the one training loop, seeds, devices, checkpoints, atomic files.
//!
//! A family crate sees only this crate and `genbench-dataset`. It implements [`Family`] (how to
//! build a model from its serde config) and [`GenerativeModel`] (train a step, sample, score a
//! likelihood, save, load). Everything else — batching, budgets, progress, divergence,
//! checkpoints, evaluation, results — is done once, here or in the runner, for every family.
// Issue #17: the workspace denies missing_docs; this crate's public items are not all
// documented yet. Remove this line once `cargo clippy -p genbench-core` passes without it.
#![allow(missing_docs)]

pub mod check;
pub mod checkpoint;
pub mod data;
pub mod device;
pub mod fsutil;
pub mod grad_clip;
pub mod grid;
pub mod init;
pub mod likelihood;
pub mod lock;
pub mod model;
pub mod preprocess;
pub mod results;
pub mod seed;
pub mod selection;
pub mod settings;
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
