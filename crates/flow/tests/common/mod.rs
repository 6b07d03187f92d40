//! Helpers shared by the flow's tests (included with `mod common;`).
#![allow(dead_code)]

use genbench_core::{Batch, BuildContext, GenerativeModel, testing};
use genbench_flow::{FlowConfig, FlowModel};

pub fn load(name: &str) -> genbench_dataset::Dataset {
    genbench_dataset::load(&genbench_dataset::DataConfig::new(name)).unwrap()
}

pub fn ctx(data: &genbench_dataset::Dataset, lr: f64, conditional: bool) -> BuildContext {
    testing::context(data.spec.clone(), 1)
        .with_learning_rate(lr)
        .with_conditional(conditional)
}

/// A flow trained `steps` steps (0: only the act-norm initialisation) through the shared loop.
pub fn trained(
    data: &genbench_dataset::Dataset,
    config: FlowConfig,
    lr: f64,
    conditional: bool,
    steps: u64,
    batch: usize,
) -> FlowModel {
    let mut model = FlowModel::new(config, &ctx(data, lr, conditional)).unwrap();
    if steps == 0 {
        model.begin(&data.train).unwrap();
    } else {
        testing::train_steps(&mut model, &data.train, steps, batch);
    }
    model
}

/// The flow-space values of image levels: logit(a + (1 - 2a)(k + 1/2)/L), the bin centres.
pub fn logit_centres(batch: &Batch, levels: u32, a: f64) -> Vec<f32> {
    batch
        .x
        .iter()
        .map(|&k| {
            let p = a + (1.0 - 2.0 * a) * (k as f64 + 0.5) / levels as f64;
            (p.ln() - (1.0 - p).ln()) as f32
        })
        .collect()
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
