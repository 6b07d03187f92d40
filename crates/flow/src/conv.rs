//! Coupling layers on images, with small conv nets as conditioners.

use crate::coupling::{MaskKind, affine_forward, affine_inverse, masked_scale_shift};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;

/// A coupling layer on `[n, C, H, W]` images.
#[derive(Config, Debug)]
pub struct ConvCouplingConfig {
    /// C, the channels of the images it transforms.
    pub image_channels: usize,
    /// Feature maps of the conditioner.
    pub channels: usize,
    /// Classes of the label (0: unconditional).
    pub classes: usize,
    /// Checkerboard mask (pixels alternate); channel mask (half the channels) when false.
    pub checkerboard: bool,
    /// Swaps which half the mask passes through.
    pub parity: bool,
    /// c of the log-scale clamp s = c · tanh(s_raw / c).
    pub scale_clamp: f64,
}

/// Conditioner: [m*x, m] -> conv 3x3 -> ReLU -> conv 1x1 -> ReLU -> conv 3x3 (zero-initialised)
/// -> (s_raw, t). The mask plane is an input only for checkerboards (a channel mask is the same
/// at every pixel). The label enters as a learned per-channel bias of the first feature maps.
#[derive(Module, Debug)]
pub struct ConvCoupling {
    input: Conv2d,
    label: Option<Linear>,
    middle: Conv2d,
    output: Conv2d,
    image_channels: usize,
    checkerboard: bool,
    parity: bool,
    scale_clamp: f64,
}

impl ConvCouplingConfig {
    /// The coupling, initialised on `device` as the identity (zero last conv).
    pub fn init(&self, device: &Device) -> ConvCoupling {
        let c = self.image_channels;
        let extra = usize::from(self.checkerboard);
        let same = || PaddingConfig2d::Explicit(1, 1, 1, 1);
        ConvCoupling {
            input: Conv2dConfig::new([c + extra, self.channels], [3, 3])
                .with_padding(same())
                .init(device),
            label: (self.classes > 0).then(|| {
                LinearConfig::new(self.classes, self.channels)
                    .with_bias(false)
                    .init(device)
            }),
            middle: Conv2dConfig::new([self.channels, self.channels], [1, 1]).init(device),
            // Zero weights and bias: s = t = 0, so the layer starts as the identity.
            output: Conv2dConfig::new([self.channels, 2 * c], [3, 3])
                .with_padding(same())
                .with_initializer(Initializer::Zeros)
                .init(device),
            image_channels: c,
            checkerboard: self.checkerboard,
            parity: self.parity,
            scale_clamp: self.scale_clamp,
        }
    }
}

impl ConvCoupling {
    fn mask(&self, [_, c, h, w]: [usize; 4], device: &Device) -> Tensor<4> {
        let kind = if self.checkerboard {
            MaskKind::Checkerboard {
                parity: self.parity,
            }
        } else {
            MaskKind::Channels {
                parity: self.parity,
            }
        };
        kind.image([c, h, w], device) // [1, C, H, W]
    }

    /// (s, t), each `[n, C, H, W]`, from the passed-through part of `x`.
    fn scale_shift(
        &self,
        x: &Tensor<4>,
        mask: &Tensor<4>,
        cond: Option<&Tensor<2>>,
    ) -> (Tensor<4>, Tensor<4>) {
        let [n, c, h, w] = x.dims();
        let masked = x.clone() * mask.clone(); // [n, C, H, W]
        let input = if self.checkerboard {
            Tensor::cat(
                vec![masked, mask.clone().narrow(1, 0, 1).expand([n, 1, h, w])],
                1,
            ) // [n, C+1, H, W]
        } else {
            masked
        };
        let mut f = self.input.forward(input); // [n, channels, H, W]
        if let (Some(label), Some(cond)) = (&self.label, cond) {
            let k = f.dims()[1];
            f = f + label
                .forward(cond.clone())
                .reshape([n, k, 1, 1])
                .expand([n, k, h, w]); // [n, channels, H, W]
        }
        let f = relu(self.middle.forward(relu(f))); // [n, channels, H, W]
        let out = self.output.forward(f); // [n, 2C, H, W]
        let s_raw = out.clone().narrow(1, 0, c); // [n, C, H, W]
        let t = out.narrow(1, c, c); // [n, C, H, W]
        masked_scale_shift(s_raw, t, mask.clone(), self.scale_clamp)
    }

    /// y and log|det dy/dx| (`[n]`).
    pub fn forward(&self, x: Tensor<4>, cond: Option<&Tensor<2>>) -> (Tensor<4>, Tensor<1>) {
        debug_assert_eq!(x.dims()[1], self.image_channels);
        let mask = self.mask(x.dims(), &x.device());
        let (s, t) = self.scale_shift(&x, &mask, cond);
        affine_forward(x, s, t)
    }

    /// x = f⁻¹(y), `[n, C, H, W]`.
    pub fn inverse(&self, y: Tensor<4>, cond: Option<&Tensor<2>>) -> Tensor<4> {
        let mask = self.mask(y.dims(), &y.device());
        let (s, t) = self.scale_shift(&y, &mask, cond);
        affine_inverse(y, s, t)
    }
}

/// Space-to-depth: `[n, C, H, W]` -> `[n, 4C, H/2, W/2]`, each 2x2 block becoming 4 channels
/// (a permutation, so its log-determinant is 0).
pub fn squeeze(x: Tensor<4>) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    x.reshape([n, c, h / 2, 2, w / 2, 2]) // [n, C, H/2, 2, W/2, 2]
        .permute([0, 1, 3, 5, 2, 4]) // [n, C, 2, 2, H/2, W/2]
        .reshape([n, 4 * c, h / 2, w / 2]) // [n, 4C, H/2, W/2]
}

/// The inverse of [`squeeze`]: `[n, 4C, H, W]` -> `[n, C, 2H, 2W]`.
pub fn unsqueeze(x: Tensor<4>) -> Tensor<4> {
    let [n, c4, h, w] = x.dims();
    let c = c4 / 4;
    x.reshape([n, c, 2, 2, h, w]) // [n, C, 2, 2, H, W]
        .permute([0, 1, 4, 2, 5, 3]) // [n, C, H, 2, W, 2]
        .reshape([n, c, 2 * h, 2 * w]) // [n, C, 2H, 2W]
}
