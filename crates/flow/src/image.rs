//! RealNVP's multi-scale architecture for images (Dinh et al. 2017, section 3.6).
//!
//! Each scale s, on `[n, C, H, W]`:
//!   [act-norm -> checkerboard coupling] x k    (parity alternating)
//!   squeeze                                     -> [n, 4C, H/2, W/2]
//!   [act-norm -> channel coupling] x k          (parity alternating)
//!   factor out half the channels as latents     -> [n, 2C, H/2, W/2] goes on (not on the last scale)
//! For a `[1, 28, 28]` image with two scales: 2x14x14 latents leave after the first scale, and
//! the second ends at 8x7x7; for 8x8 digits: 2x4x4, then 8x2x2. The latents of all scales,
//! flattened and concatenated (first scale first), are z: `[n, D]`, standard normal under the model.

use crate::actnorm::{ActNorm, ActNormConfig};
use crate::conv::{ConvCoupling, ConvCouplingConfig, squeeze, unsqueeze};
use burn::prelude::*;

/// RealNVP's multi-scale flow on images: see the module documentation.
#[derive(Config, Debug)]
pub struct ImageFlowConfig {
    /// `[C, H, W]` of the images.
    pub shape: [usize; 3],
    /// Scales (a squeeze and a factored-out half each, but the last).
    pub scales: usize,
    /// Checkerboard couplings, and again channel couplings, per scale.
    pub couplings_per_scale: usize,
    /// Feature maps of every conditioner.
    pub channels: usize,
    /// Classes of the label (0: unconditional).
    pub classes: usize,
    /// c of the log-scale clamp s = c · tanh(s_raw / c).
    pub scale_clamp: f64,
}

/// One scale: checkerboard couplings at its input resolution, channel couplings after the squeeze.
#[derive(Module, Debug)]
pub struct Scale {
    checker_norms: Vec<ActNorm>,
    checker: Vec<ConvCoupling>,
    channel_norms: Vec<ActNorm>,
    channel: Vec<ConvCoupling>,
}

/// The multi-scale image flow [`ImageFlowConfig`] describes.
#[derive(Module, Debug)]
pub struct ImageFlow {
    scales: Vec<Scale>,
    /// `[C, H, W]` of the input.
    channels: usize,
    height: usize,
    width: usize,
}

impl ImageFlowConfig {
    /// Errors unless H and W are divisible by 2^scales.
    pub fn check(&self) -> anyhow::Result<()> {
        let [_, h, w] = self.shape;
        let f = 1usize << self.scales.min(30);
        anyhow::ensure!(
            h % f == 0 && w % f == 0,
            "{h}x{w} images cannot be squeezed {} times (height and width must be divisible by {f})",
            self.scales
        );
        Ok(())
    }

    /// The flow, initialised on `device` (every coupling the identity).
    pub fn init(&self, device: &Device) -> ImageFlow {
        let mut c = self.shape[0];
        let k = self.couplings_per_scale;
        let coupling = |c: usize, checkerboard: bool, i: usize| {
            ConvCouplingConfig::new(
                c,
                self.channels,
                self.classes,
                checkerboard,
                i % 2 == 1,
                self.scale_clamp,
            )
            .init(device)
        };
        let scales = (0..self.scales)
            .map(|_| {
                let scale = Scale {
                    checker_norms: (0..k).map(|_| ActNormConfig::new(c).init(device)).collect(),
                    checker: (0..k).map(|i| coupling(c, true, i)).collect(),
                    channel_norms: (0..k)
                        .map(|_| ActNormConfig::new(4 * c).init(device))
                        .collect(),
                    channel: (0..k).map(|i| coupling(4 * c, false, i)).collect(),
                };
                c *= 2; // 4C after the squeeze, half of it factored out
                scale
            })
            .collect();
        ImageFlow {
            scales,
            channels: self.shape[0],
            height: self.shape[1],
            width: self.shape[2],
        }
    }
}

/// act-norm then coupling, for every pair; accumulates log|det| into `log_det`.
fn steps(
    h: Tensor<4>,
    norms: &[ActNorm],
    couplings: &[ConvCoupling],
    cond: Option<&Tensor<2>>,
    log_det: &mut Tensor<1>,
) -> Tensor<4> {
    let mut h = h;
    for (norm, coupling) in norms.iter().zip(couplings) {
        let (a, ld) = norm.forward(h); // same shape, [1]
        let (b, lc) = coupling.forward(a, cond); // same shape, [n]
        *log_det = log_det.clone() + ld + lc;
        h = b;
    }
    h
}

/// The inverse of [`steps`]: couplings and norms undone in reverse order.
fn inverse_steps(
    h: Tensor<4>,
    norms: &[ActNorm],
    couplings: &[ConvCoupling],
    cond: Option<&Tensor<2>>,
) -> Tensor<4> {
    let mut h = h;
    for (norm, coupling) in norms.iter().zip(couplings).rev() {
        h = norm.inverse(coupling.inverse(h, cond));
    }
    h
}

/// Act-norm data initialisation along [`steps`].
fn initialise_steps(
    h: Tensor<4>,
    norms: &mut [ActNorm],
    couplings: &[ConvCoupling],
    cond: Option<&Tensor<2>>,
) -> Tensor<4> {
    let mut h = h;
    for (norm, coupling) in norms.iter_mut().zip(couplings) {
        norm.initialise(&h);
        h = coupling.forward(norm.forward(h).0, cond).0;
    }
    h
}

impl ImageFlow {
    /// `[C, H, W]` at the start of each scale.
    fn scale_shapes(&self) -> Vec<[usize; 3]> {
        let (mut c, mut h, mut w) = (self.channels, self.height, self.width);
        (0..self.scales.len())
            .map(|_| {
                let shape = [c, h, w];
                (c, h, w) = (2 * c, h / 2, w / 2);
                shape
            })
            .collect()
    }

    /// z = f(x) (`[n, D]`, the latents of every scale) and log|det df/dx| (`[n]`); x is `[n, D]`.
    pub fn forward(&self, x: Tensor<2>, cond: Option<&Tensor<2>>) -> (Tensor<2>, Tensor<1>) {
        let n = x.dims()[0];
        let mut log_det = Tensor::zeros([n], &x.device()); // [n]
        let mut h = x.reshape([n, self.channels, self.height, self.width]); // [n, C, H, W]
        let mut latents = Vec::new();
        let last = self.scales.len() - 1;
        for (s, scale) in self.scales.iter().enumerate() {
            h = steps(h, &scale.checker_norms, &scale.checker, cond, &mut log_det); // [n, C, H, W]
            h = squeeze(h); // [n, 4C, H/2, W/2]
            h = steps(h, &scale.channel_norms, &scale.channel, cond, &mut log_det); // [n, 4C, H/2, W/2]
            if s < last {
                let c = h.dims()[1];
                latents.push(h.clone().narrow(1, c / 2, c / 2).reshape([n as i32, -1])); // [n, 2C*H*W/4]
                h = h.narrow(1, 0, c / 2); // [n, 2C, H/2, W/2]
            }
        }
        latents.push(h.reshape([n as i32, -1]));
        (Tensor::cat(latents, 1), log_det) // [n, D], [n]
    }

    /// x = f^{-1}(z), `[n, D]` -> `[n, D]`.
    pub fn inverse(&self, z: Tensor<2>, cond: Option<&Tensor<2>>) -> Tensor<2> {
        let n = z.dims()[0];
        let shapes = self.scale_shapes();
        // Where each scale's latents sit in z: scale s < last owns 2C_s * H_s/2 * W_s/2 values.
        let mut offsets = Vec::with_capacity(shapes.len());
        let mut offset = 0;
        for [c, h, w] in &shapes {
            offsets.push(offset);
            offset += 2 * c * (h / 2) * (w / 2);
        }
        let last = shapes.len() - 1;
        let [c, hh, ww] = shapes[last];
        let mut h = z
            .clone()
            .narrow(1, offsets[last], 4 * c * (hh / 2) * (ww / 2))
            .reshape([n, 4 * c, hh / 2, ww / 2]); // [n, 4C, H/2, W/2]
        for (s, scale) in self.scales.iter().enumerate().rev() {
            let [c, hh, ww] = shapes[s];
            if s < last {
                let factored = z
                    .clone()
                    .narrow(1, offsets[s], 2 * c * (hh / 2) * (ww / 2))
                    .reshape([n, 2 * c, hh / 2, ww / 2]); // [n, 2C, H/2, W/2]
                h = Tensor::cat(vec![h, factored], 1); // [n, 4C, H/2, W/2]
            }
            h = inverse_steps(h, &scale.channel_norms, &scale.channel, cond); // [n, 4C, H/2, W/2]
            h = unsqueeze(h); // [n, C, H, W]
            h = inverse_steps(h, &scale.checker_norms, &scale.checker, cond); // [n, C, H, W]
        }
        h.reshape([n as i32, -1]) // [n, D]
    }

    /// Act-norm statistics layer by layer from `x` (`[n, D]`).
    pub fn initialise(&mut self, x: Tensor<2>, cond: Option<&Tensor<2>>) {
        let n = x.dims()[0];
        let mut h = x.reshape([n, self.channels, self.height, self.width]); // [n, C, H, W]
        let last = self.scales.len() - 1;
        for (s, scale) in self.scales.iter_mut().enumerate() {
            h = initialise_steps(h, &mut scale.checker_norms, &scale.checker, cond);
            h = squeeze(h);
            h = initialise_steps(h, &mut scale.channel_norms, &scale.channel, cond);
            if s < last {
                let c = h.dims()[1];
                h = h.narrow(1, 0, c / 2);
            }
        }
    }
}
