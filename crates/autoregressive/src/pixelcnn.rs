//! PixelCNN (van den Oord et al. 2016) for single-channel images: a mask-A convolution, then
//! residual blocks of mask-B convolutions, then 1x1 convolutions to L logits per pixel. The
//! logits at pixel (r, c) depend only on pixels before (r, c) in raster order.
//!
//! A block is either gated, `h + W1x1 (tanh(a) ⊙ σ(b))` with `[a; b] = conv_B(h) + label bias`
//! (the gated activation of van den Oord et al. 2016b, on a single masked stack, so it keeps the
//! blind spot of the original PixelCNN), or plain, `h + W1x1 relu(conv_B(relu h) + label bias)`.

use crate::masks::{ConvMask, conv_mask};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Embedding, EmbeddingConfig};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid, tanh};
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use genbench_core::host;

/// A `k x k` convolution with "same" padding whose weight is multiplied by a constant mask.
#[derive(Config, Debug)]
pub struct MaskedConv2dConfig {
    /// Input channels.
    pub channels_in: usize,
    /// Output channels.
    pub channels_out: usize,
    /// Side k of the kernel (odd).
    pub kernel: usize,
}

/// The masked convolution [`MaskedConv2dConfig`] describes.
#[derive(Module, Debug)]
pub struct MaskedConv2d {
    conv: Conv2d,
    /// `[out, in, k, k]` of 0/1, a constant (not a parameter).
    mask: Tensor<4>,
    kernel: usize,
}

impl MaskedConv2dConfig {
    /// The convolution with mask `kind`, initialised on `device`.
    pub fn init(&self, kind: ConvMask, device: &Device) -> MaskedConv2d {
        let (mask, shape) = conv_mask(kind, self.channels_out, self.channels_in, self.kernel);
        MaskedConv2d {
            conv: Conv2dConfig::new(
                [self.channels_in, self.channels_out],
                [self.kernel, self.kernel],
            )
            .init(device),
            mask: host::tensor(mask, shape, device),
            kernel: self.kernel,
        }
    }
}

impl MaskedConv2d {
    /// The masked convolution of `x` `[batch, in, H, W]`, same padding: `[batch, out, H, W]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let w = self.conv.weight.val() * self.mask.clone(); // [out, in, k, k]
        let p = self.kernel / 2;
        let options = ConvOptions::new([1, 1], [p, p], [1, 1], 1);
        conv2d(
            x,
            w,
            self.conv.bias.as_ref().map(burn::module::Param::val),
            options,
        ) // [batch, out, H, W]
    }
}

/// A PixelCNN on single-channel images with L logits per pixel.
#[derive(Config, Debug)]
pub struct PixelCnnConfig {
    /// Grey levels L: logits per pixel.
    pub levels: usize,
    /// Feature maps of the masked layers.
    #[config(default = 32)]
    pub channels: usize,
    /// Residual mask-B blocks after the mask-A layer.
    #[config(default = 4)]
    pub blocks: usize,
    /// Kernel side of the mask-A input layer.
    #[config(default = 7)]
    pub first_kernel: usize,
    /// Kernel side of the blocks' mask-B convolutions.
    #[config(default = 3)]
    pub kernel: usize,
    /// Hidden channels of the 1x1 output stage.
    #[config(default = 64)]
    pub head_channels: usize,
    /// Gated blocks (tanh ⊙ σ) instead of plain ReLU ones.
    #[config(default = true)]
    pub gated: bool,
    /// Classes of the label, added as a learned bias per layer (0: unconditional).
    #[config(default = 0)]
    pub num_classes: usize,
}

/// One residual mask-B block with its label bias.
#[derive(Module, Debug)]
pub struct MaskedBlock {
    conv: MaskedConv2d,
    mix: Conv2d,
    label_bias: Option<Embedding>,
    gated: bool,
}

/// The PixelCNN [`PixelCnnConfig`] describes.
#[derive(Module, Debug)]
pub struct PixelCnn {
    input: MaskedConv2d,
    input_label_bias: Option<Embedding>,
    blocks: Vec<MaskedBlock>,
    head_hidden: Conv2d,
    head_out: Conv2d,
    levels: usize,
    /// Rows (and columns either side) a logit can see: first_kernel/2 + blocks * kernel/2.
    reach: usize,
}

fn label_embedding(classes: usize, width: usize, device: &Device) -> Option<Embedding> {
    (classes > 0).then(|| EmbeddingConfig::new(classes, width).init(device))
}

impl PixelCnnConfig {
    /// The PixelCNN, initialised on `device`.
    pub fn init(&self, device: &Device) -> PixelCnn {
        let f = self.channels;
        let width = if self.gated { 2 * f } else { f };
        let blocks = (0..self.blocks)
            .map(|_| MaskedBlock {
                conv: MaskedConv2dConfig::new(f, width, self.kernel).init(ConvMask::B, device),
                mix: Conv2dConfig::new([f, f], [1, 1]).init(device),
                label_bias: label_embedding(self.num_classes, width, device),
                gated: self.gated,
            })
            .collect();
        PixelCnn {
            input: MaskedConv2dConfig::new(1, f, self.first_kernel).init(ConvMask::A, device),
            input_label_bias: label_embedding(self.num_classes, f, device),
            blocks,
            head_hidden: Conv2dConfig::new([f, self.head_channels], [1, 1]).init(device),
            head_out: Conv2dConfig::new([self.head_channels, self.levels], [1, 1]).init(device),
            levels: self.levels,
            reach: self.first_kernel / 2 + self.blocks * (self.kernel / 2),
        }
    }
}

/// The label's learned bias `[batch, width, 1, 1]`.
fn bias(embedding: &Option<Embedding>, label: Option<&Tensor<1, Int>>) -> Option<Tensor<4>> {
    let (e, y) = (embedding.as_ref()?, label?);
    let [n] = y.dims();
    let b = e.forward(y.clone().reshape([n, 1])); // [batch, 1, width]
    let [_, _, w] = b.dims();
    Some(b.reshape([n, w, 1, 1])) // [batch, width, 1, 1]
}

impl MaskedBlock {
    fn forward(&self, h: Tensor<4>, label: Option<&Tensor<1, Int>>) -> Tensor<4> {
        let input = if self.gated {
            h.clone()
        } else {
            relu(h.clone())
        }; // [batch, F, H, W]
        let mut a = self.conv.forward(input); // [batch, width, H, W]
        if let Some(b) = bias(&self.label_bias, label) {
            a = a + b; // [batch, width, H, W]
        }
        let act = if self.gated {
            let [n, w2, hh, ww] = a.dims();
            let f = w2 / 2;
            let gate = a.clone().slice([0..n, f..w2, 0..hh, 0..ww]); // [batch, F, H, W]
            tanh(a.slice([0..n, 0..f, 0..hh, 0..ww])) * sigmoid(gate) // [batch, F, H, W]
        } else {
            relu(a) // [batch, F, H, W]
        };
        h + self.mix.forward(act) // [batch, F, H, W]
    }
}

impl PixelCnn {
    /// Logits `[batch, L, H, W]` of every pixel given `x` `[batch, 1, H, W]` scaled to [-1, 1].
    pub fn forward(&self, x: Tensor<4>, label: Option<&Tensor<1, Int>>) -> Tensor<4> {
        let mut h = self.input.forward(x); // [batch, F, H, W]
        if let Some(b) = bias(&self.input_label_bias, label) {
            h = h + b; // [batch, F, H, W]
        }
        for block in &self.blocks {
            h = block.forward(h, label); // [batch, F, H, W]
        }
        let h = relu(self.head_hidden.forward(relu(h))); // [batch, head, H, W]
        self.head_out.forward(h) // [batch, L, H, W]
    }

    /// Rows above (and columns either side of) a pixel that its logits can depend on.
    pub fn reach(&self) -> usize {
        self.reach
    }

    /// Logits `[batch, L]` of pixel (r, c) alone, computed on the crop of rows
    /// `r - reach ..= r` and columns `c - reach ..= c + reach` (clipped to the image): every input
    /// the logit depends on is inside, and the crop's artificial borders are at least `reach` away,
    /// so the result equals `forward(x)` at (r, c) exactly.
    pub fn forward_pixel(
        &self,
        x: Tensor<4>,
        label: Option<&Tensor<1, Int>>,
        r: usize,
        c: usize,
    ) -> Tensor<2> {
        let [n, ch, _, w] = x.dims();
        let (r0, c0, c1) = (
            r.saturating_sub(self.reach),
            c.saturating_sub(self.reach),
            (c + self.reach + 1).min(w),
        );
        let crop = x.slice([0..n, 0..ch, r0..r + 1, c0..c1]); // [batch, 1, r-r0+1, c1-c0]
        let logits = self.forward(crop, label); // [batch, L, r-r0+1, c1-c0]
        let (y, xx) = (r - r0, c - c0);
        logits
            .slice([0..n, 0..self.levels, y..y + 1, xx..xx + 1])
            .reshape([n, self.levels]) // [batch, L]
    }
}
