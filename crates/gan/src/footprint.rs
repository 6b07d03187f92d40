//! What a GAN holds in memory, from its config alone (see [`genbench_core::Footprint`]).

use crate::config::{Arch, GanConfig};
use genbench_core::check::{conv, dense};
use genbench_core::{DataSpec, Footprint};

/// Parameters exactly as `GanModel::new` creates them (batch norm: a scale and a shift per
/// channel); activations as the values each layer of G and D outputs, kept three times in
/// training (pre-activation, activation, gradient) and twice more for WGAN-GP's input gradient.
pub fn footprint(
    config: &GanConfig,
    spec: &DataSpec,
    arch: Arch,
    d_bn: bool,
    classes: usize,
) -> Footprint {
    let input = config.latent_dim + classes;
    let dim = spec.dim();
    let (params, features, g_out, d_out) = match arch {
        Arch::Conv => {
            let [c_img, h, w] = spec.image_shape();
            let (c, c2) = (config.channels, 2 * config.channels);
            let start = c2 * (h / 4) * (w / 4);
            let bn = |n: usize, on: bool| if on { 2 * n as u64 } else { 0 };
            let generator = dense(input, start)
                .saturating_add(bn(c2, config.g_batch_norm))
                .saturating_add(conv(c2, c, 4))
                .saturating_add(bn(c, config.g_batch_norm))
                .saturating_add(conv(c, c_img, 4));
            let trunk = conv(c_img, c, 4)
                .saturating_add(conv(c, c2, 4))
                .saturating_add(bn(c2, d_bn));
            let features = c2 * (h / 4) * (w / 4);
            let g_out = (2 * start + c * (h / 2) * (w / 2) + dim) as u64;
            let d_out = (c * (h / 2) * (w / 2) + 2 * features) as u64;
            (generator.saturating_add(trunk), features, g_out, d_out)
        }
        _ => {
            let (hid, layers) = (config.hidden, config.layers);
            let stack = |input: usize| {
                dense(input, hid)
                    .saturating_add(dense(hid, hid).saturating_mul(layers.saturating_sub(1) as u64))
            };
            let params = stack(input)
                .saturating_add(dense(hid, dim))
                .saturating_add(stack(dim));
            let widths = (hid as u64).saturating_mul(layers as u64);
            (params, hid, widths + dim as u64, widths)
        }
    };
    let critic_head =
        dense(features, 1).saturating_add((classes as u64).saturating_mul(features as u64));
    let per_example = g_out.saturating_add(d_out.saturating_mul(2));
    Footprint {
        params: params.saturating_add(critic_head),
        activations_per_example: per_example.saturating_mul(5),
        fixed: 0,
        eval_batch: crate::model::SAMPLE_CHUNK as u64,
        eval_per_example: g_out.saturating_mul(2),
    }
}
