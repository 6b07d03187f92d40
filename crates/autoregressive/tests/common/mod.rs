//! Shared helpers of the integration tests.
#![allow(dead_code)]

use genbench_autoregressive::{ArModel, AutoregressiveConfig};
use genbench_core::seed::Rng;
use genbench_core::{Batch, BuildContext, DataSpec, DeviceChoice, Seeds};

pub fn image_spec(h: usize, w: usize, levels: u32, classes: usize) -> DataSpec {
    DataSpec {
        name: format!("test{h}x{w}"),
        shape: vec![1, h, w],
        levels: Some(levels),
        num_classes: classes,
    }
}

pub fn vector_spec(d: usize) -> DataSpec {
    DataSpec {
        name: format!("vec{d}"),
        shape: vec![d],
        levels: None,
        num_classes: 0,
    }
}

pub fn ctx(spec: DataSpec, seed: u64, conditional: bool, lr: f64) -> BuildContext {
    BuildContext {
        spec,
        device: DeviceChoice::Flex.device().unwrap(),
        seeds: Seeds::new(seed),
        learning_rate: lr,
        conditional,
    }
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
    let labels = if spec.num_classes > 0 {
        (0..n).map(|i| i % spec.num_classes).collect()
    } else {
        Vec::new()
    };
    Batch::new(x, labels, spec.dim())
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
