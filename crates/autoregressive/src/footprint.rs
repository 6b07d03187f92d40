//! What an autoregressive model holds in memory, from its config alone (see
//! [`genbench_core::Footprint`]).

use crate::config::{Arch, AutoregressiveConfig};
use genbench_core::check::{conv, dense};
use genbench_core::{DataSpec, Footprint};

/// Parameters exactly as `build_model` creates them; the 0/1 masks (one value per masked
/// weight) are fixed; activations as the values every layer outputs, kept three times in training.
pub fn footprint(config: &AutoregressiveConfig, spec: &DataSpec, classes: usize) -> Footprint {
    let d = spec.dim();
    let per_dim = match spec.levels {
        Some(l) => l as usize,
        None => 3 * config.components,
    };
    let (params, masks, per_example) = match config.arch {
        Arch::Made => {
            let rank = if spec.levels.is_some() {
                config.logit_rank
            } else {
                0
            };
            let out_per_dim = if rank > 0 { rank } else { per_dim };
            let widths: Vec<usize> = std::iter::once(d)
                .chain(config.hidden.iter().copied())
                .chain(std::iter::once(d.saturating_mul(out_per_dim)))
                .collect();
            let (mut params, mut masks, mut values) = (0u64, 0u64, 0u64);
            for w in widths.windows(2) {
                let layer = dense(w[0], w[1]);
                params = params.saturating_add(layer);
                masks = masks.saturating_add(layer - w[1] as u64);
                values = values.saturating_add(w[1] as u64);
                params = params.saturating_add((classes as u64).saturating_mul(w[1] as u64));
            }
            if rank > 0 {
                let shared = (rank * per_dim) as u64 + (d as u64).saturating_mul(per_dim as u64);
                params = params.saturating_add(shared);
                values = values.saturating_add((d as u64).saturating_mul(per_dim as u64));
            }
            (params, masks, values)
        }
        Arch::Pixelcnn => {
            let f = config.channels;
            let width = if config.gated { 2 * f } else { f };
            let (fk, k) = (config.first_kernel, config.kernel);
            let block = conv(f, width, k)
                .saturating_add(conv(f, f, 1))
                .saturating_add((classes * width) as u64);
            let params = conv(1, f, fk)
                .saturating_add((classes * f) as u64)
                .saturating_add(block.saturating_mul(config.blocks as u64))
                .saturating_add(conv(f, config.head_channels, 1))
                .saturating_add(conv(config.head_channels, per_dim, 1));
            let masks = (f * fk * fk) as u64
                + ((f * width * k * k) as u64).saturating_mul(config.blocks as u64);
            let maps = (f + config.head_channels + per_dim) as u64
                + ((width + 2 * f) as u64).saturating_mul(config.blocks as u64);
            (params, masks, maps.saturating_mul(d as u64))
        }
    };
    Footprint {
        params,
        activations_per_example: per_example.saturating_add(2 * d as u64).saturating_mul(3),
        fixed: masks,
        eval_batch: config.eval_batch as u64,
        eval_per_example: per_example.saturating_mul(2),
    }
}
