//! What a diffusion model holds in memory, from its config alone (see
//! [`genbench_core::Footprint`]).

use crate::config::{DenoiserKind, DiffusionConfig};
use genbench_core::check::{conv, dense};
use genbench_core::{DataSpec, Footprint};

/// f64 arrays of length T the schedule keeps (β, α, ᾱ, ᾱ_{t-1}, β̃, and the posterior
/// coefficients), counted in 4-byte values.
const SCHEDULE_VALUES_PER_STEP: u64 = 2 * 8;

/// Parameters exactly as `DiffusionModel::new` creates the network (group norm: a scale and a
/// shift per channel); the EMA copy and the schedule are fixed; activations as the values every
/// layer outputs, kept three times in training.
pub fn footprint(config: &DiffusionConfig, spec: &DataSpec, classes: usize) -> Footprint {
    let e = config.embed;
    let label = if classes > 0 {
        ((classes + 1) * e) as u64
    } else {
        0
    };
    let conditioning = dense(config.time_features, e)
        .saturating_add(dense(e, e))
        .saturating_add(label);
    let (backbone, per_example) = match config.denoiser_for(spec) {
        DenoiserKind::Unet if spec.is_image() => unet(config, spec),
        _ => {
            let (d, h) = (spec.dim(), config.mlp_hidden);
            let block = dense(h, h).saturating_mul(2).saturating_add(dense(e, h));
            let params = dense(d, h)
                .saturating_add(block.saturating_mul(config.mlp_blocks as u64))
                .saturating_add(dense(h, d));
            let values = (h as u64).saturating_mul(4 * config.mlp_blocks as u64 + 1) + 2 * d as u64;
            (params, values)
        }
    };
    let params = conditioning.saturating_add(backbone);
    let per_example = per_example.saturating_add(config.time_features as u64 + 2 * e as u64);
    Footprint {
        params,
        activations_per_example: per_example.saturating_mul(3),
        fixed: params
            .saturating_add((config.timesteps as u64).saturating_mul(SCHEDULE_VALUES_PER_STEP)),
        eval_batch: config.eval_batch as u64,
        eval_per_example: per_example.saturating_mul(2),
    }
}

/// The U-Net's parameters and the values one example passes through it.
fn unet(config: &DiffusionConfig, spec: &DataSpec) -> (u64, u64) {
    let [c_img, h, w] = spec.image_shape();
    let (c0, e, levels) = (
        config.unet_channels,
        config.embed,
        config.unet_levels.min(8),
    );
    let width = |k: usize| if k == 0 { c0 } else { 2 * c0 };
    let block = |ci: usize, co: usize| {
        let skip = if ci != co { conv(ci, co, 1) } else { 0 };
        (2 * ci as u64)
            .saturating_add(conv(ci, co, 3))
            .saturating_add(dense(e, co))
            .saturating_add(2 * co as u64)
            .saturating_add(conv(co, co, 3))
            .saturating_add(skip)
    };
    let mut params = conv(c_img, c0, 3)
        .saturating_add(block(width(levels), width(levels)))
        .saturating_add(2 * c0 as u64)
        .saturating_add(conv(c0, c_img, 3));
    let mut values = 0u64;
    for k in 0..levels {
        params = params
            .saturating_add(block(width(k), width(k)))
            .saturating_add(conv(width(k), width(k + 1), 3))
            .saturating_add(conv(width(k + 1), width(k), 2))
            .saturating_add(block(2 * width(k), width(k)));
        // Down and up blocks at this level's resolution, ~8 maps of width(k) channels each.
        let pixels = ((h >> k) * (w >> k)) as u64;
        values = values.saturating_add(pixels.saturating_mul(8 * width(k) as u64));
    }
    (params, values.saturating_add(2 * spec.dim() as u64))
}
