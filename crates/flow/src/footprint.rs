//! What a flow holds in memory, from its config alone (see [`genbench_core::Footprint`]).

use crate::config::FlowConfig;
use genbench_core::check::{conv, dense};
use genbench_core::{DataSpec, Footprint};

/// Parameters exactly as `FlowModel::new` creates them (an act-norm: a bias and a log-scale per
/// feature); activations as the values every coupling's conditioner outputs plus the transformed
/// example, kept three times in training.
pub fn footprint(config: &FlowConfig, spec: &DataSpec, classes: usize) -> Footprint {
    let (mut params, mut per_example) = (0u64, 0u64);
    if spec.is_image() {
        let [mut c, mut h, mut w] = spec.image_shape();
        let k = config.couplings_per_scale as u64;
        let ch = config.channels;
        let coupling = |cc: usize, extra: usize| {
            conv(cc + extra, ch, 3)
                .saturating_add((classes * ch) as u64)
                .saturating_add(conv(ch, ch, 1))
                .saturating_add(conv(ch, 2 * cc, 3))
        };
        for _ in 0..config.scales.min(64) {
            let checker = (2 * c as u64).saturating_add(coupling(c, 1));
            let channel = (8 * c as u64).saturating_add(coupling(4 * c, 0));
            params = params.saturating_add(checker.saturating_add(channel).saturating_mul(k));
            let pixels = (h * w) as u64;
            per_example = per_example
                .saturating_add(
                    k.saturating_mul(pixels)
                        .saturating_mul((2 * ch + 3 * c) as u64),
                )
                .saturating_add(
                    k.saturating_mul(pixels / 4)
                        .saturating_mul((2 * ch + 12 * c) as u64),
                );
            (c, h, w) = (2 * c, (h / 2).max(1), (w / 2).max(1));
        }
    } else {
        let (d, hid) = (spec.dim(), config.hidden);
        let one = (2 * d as u64)
            .saturating_add(dense(d, hid))
            .saturating_add((classes * hid) as u64)
            .saturating_add(
                dense(hid, hid).saturating_mul(config.hidden_layers.saturating_sub(1) as u64),
            )
            .saturating_add(dense(hid, 2 * d));
        params = one.saturating_mul(config.couplings as u64);
        per_example = ((hid as u64).saturating_mul(config.hidden_layers as u64) + 4 * d as u64)
            .saturating_mul(config.couplings as u64);
    }
    Footprint {
        params,
        activations_per_example: per_example.saturating_mul(3),
        fixed: 0,
        eval_batch: config.eval_batch.max(config.init_examples) as u64,
        eval_per_example: per_example,
    }
}
