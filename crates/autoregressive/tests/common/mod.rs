//! Shared helpers of the integration tests.
#![allow(dead_code, unused_imports)]

use genbench_autoregressive::{ArModel, AutoregressiveConfig};
use genbench_core::seed::Rng;
pub use genbench_core::testing::{image_spec, vector_spec};
use genbench_core::{Batch, BuildContext, DataSpec, labels, testing};

pub fn ctx(spec: DataSpec, seed: u64, conditional: bool, lr: f64) -> BuildContext {
    testing::context(spec, seed)
        .with_conditional(conditional)
        .with_learning_rate(lr)
}

pub fn model(
    config: AutoregressiveConfig,
    spec: DataSpec,
    seed: u64,
    conditional: bool,
) -> ArModel {
    ArModel::new(config, &ctx(spec, seed, conditional, 1e-3)).unwrap()
}

/// `n` random examples of `spec` (levels uniform, or coordinates N(0, 2^2)), labels `i % classes`.
pub fn random_batch(spec: &DataSpec, n: usize, seed: u64) -> Batch {
    let mut rng = Rng::new(seed);
    let x = (0..n * spec.dim())
        .map(|_| match spec.levels {
            Some(l) => rng.below(l as usize) as f32,
            None => (2.0 * rng.normal()) as f32,
        })
        .collect();
    Batch::new(x, labels::cycled(n, spec.num_classes), spec.dim())
}

/// log-softmax of `logits` in f64.
pub fn log_softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let lse = logits
        .iter()
        .map(|&l| (l as f64 - max).exp())
        .sum::<f64>()
        .ln()
        + max;
    logits.iter().map(|&l| l as f64 - lse).collect()
}
