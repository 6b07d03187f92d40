//! What a VAE holds in memory, from its config alone (see [`genbench_core::Footprint`]).

use crate::config::{Arch, VaeConfig};
use crate::observation::Observation;
use genbench_core::check::{conv, dense};
use genbench_core::{DataSpec, Footprint};

/// Parameters exactly as `VaeNet::new` creates them; activations as the values each layer
/// outputs (kept three times in training: pre-activation, activation, gradient).
pub fn footprint(
    config: &VaeConfig,
    spec: &DataSpec,
    obs: Observation,
    classes: usize,
) -> Footprint {
    let d = spec.dim();
    let (hid, lat) = (config.hidden, config.latent_dim);
    let p = obs.params_per_dim();
    let (params, encoder_out, decoder_out) = match config.arch {
        Arch::Mlp => {
            let stack = |input: usize| {
                dense(input, hid).saturating_add(
                    dense(hid, hid).saturating_mul(config.layers.saturating_sub(1) as u64),
                )
            };
            let params = stack(d + classes)
                .saturating_add(dense(hid, 2 * lat))
                .saturating_add(stack(lat + classes))
                .saturating_add(dense(hid, p.saturating_mul(d)));
            let widths = (hid as u64).saturating_mul(config.layers as u64);
            (params, widths + 2 * lat as u64, widths + (p * d) as u64)
        }
        Arch::Conv => {
            let [c, h, w] = spec.image_shape();
            let ch = config.conv_channels;
            let flat = 2 * ch * (h / 4) * (w / 4);
            let params = conv(c, ch, 4)
                .saturating_add(conv(ch, 2 * ch, 4))
                .saturating_add(dense(flat + classes, hid))
                .saturating_add(dense(hid, 2 * lat))
                .saturating_add(dense(lat + classes, hid))
                .saturating_add(dense(hid, flat))
                .saturating_add(conv(2 * ch, ch, 4))
                .saturating_add(conv(ch, ch, 4))
                .saturating_add(conv(ch, c * p, 3));
            let maps = (ch * (h / 2) * (w / 2) + flat) as u64;
            let up = (flat + ch * (h / 2) * (w / 2) + ch * h * w + c * p * h * w) as u64;
            (params, maps + (hid + 2 * lat) as u64, up + hid as u64)
        }
    };
    let params = params.saturating_add(if obs == Observation::Gaussian {
        d as u64
    } else {
        0
    });
    Footprint {
        params,
        activations_per_example: encoder_out.saturating_add(decoder_out).saturating_mul(3),
        fixed: 0,
        eval_batch: config.eval_rows as u64,
        eval_per_example: decoder_out.saturating_mul(2),
    }
}
