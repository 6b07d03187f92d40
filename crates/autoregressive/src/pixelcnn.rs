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
use burn::tensor::ops::{ConvOptions, PadMode};
use genbench_core::host;
use std::ops::Range;

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
    /// The weight with its mask applied, `[out, in, k, k]`.
    fn masked_weight(&self) -> Tensor<4> {
        self.conv.weight.val() * self.mask.clone() // [out, in, k, k]
    }

    fn bias(&self) -> Option<Tensor<1>> {
        self.conv.bias.as_ref().map(burn::module::Param::val)
    }

    /// The masked convolution of `x` `[batch, in, H, W]`, same padding: `[batch, out, H, W]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let p = self.kernel / 2;
        let options = ConvOptions::new([1, 1], [p, p], [1, 1], 1);
        conv2d(x, self.masked_weight(), self.bias(), options) // [batch, out, H, W]
    }

    /// `forward` on `output` alone, given `x` `[batch, in, rows, cols]` on `input =
    /// output.reads(k / 2, width)`: the zeros of "same" padding where the reads leave the image,
    /// and the kernel's top `k/2 + 1` rows only (the mask zeroes the rows below its centre).
    /// Returns `[batch, out, rows, cols]` of `output`; equal to `forward` there up to summation order.
    fn forward_window(&self, x: Tensor<4>, input: Window, output: Window) -> Tensor<4> {
        let p = self.kernel / 2;
        let [o, i, _, k] = self.mask.dims();
        let w = self.masked_weight().slice([0..o, 0..i, 0..p + 1, 0..k]); // [out, in, p+1, k]
        let x = x.pad(
            [
                (p - (output.top - input.top), 0),
                (
                    p - (output.left - input.left),
                    output.right + p - input.right,
                ),
            ],
            PadMode::Constant(0.0),
        ); // [batch, in, rows + p, cols + 2p]
        let options = ConvOptions::new([1, 1], [0, 0], [1, 1], 1);
        conv2d(x, w, self.bias(), options) // [batch, out, rows, cols]
    }
}

/// Rows `top..=bottom` and columns `left..=right` of an image (inclusive): the part of a layer's
/// output that the logits of one pixel depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    top: usize,
    bottom: usize,
    left: usize,
    right: usize,
}

impl Window {
    fn pixel(r: usize, c: usize) -> Window {
        Window {
            top: r,
            bottom: r,
            left: c,
            right: c,
        }
    }

    /// The part of its input a masked convolution of half-width `p` reads to compute this
    /// window, within an image `width` columns wide: `p` rows above and `p` columns either side
    /// (rows below are masked out).
    fn reads(self, p: usize, width: usize) -> Window {
        Window {
            top: self.top.saturating_sub(p),
            bottom: self.bottom,
            left: self.left.saturating_sub(p),
            right: (self.right + p).min(width - 1),
        }
    }

    /// This window's rows and columns as indices into a tensor laid out on `outer`.
    fn within(self, outer: Window) -> [Range<usize>; 2] {
        [
            self.top - outer.top..self.bottom - outer.top + 1,
            self.left - outer.left..self.right - outer.left + 1,
        ]
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
        let a = self.conv.forward(self.conv_input(h.clone())); // [batch, width, H, W]
        h + self.mix.forward(self.activation(a, label)) // [batch, F, H, W]
    }

    /// `forward` on `output` alone, given `h` on `input = output.reads(kernel / 2, width)`.
    fn forward_window(
        &self,
        h: Tensor<4>,
        label: Option<&Tensor<1, Int>>,
        input: Window,
        output: Window,
    ) -> Tensor<4> {
        let a = self
            .conv
            .forward_window(self.conv_input(h.clone()), input, output); // [batch, width, rows, cols]
        let [n, f, _, _] = h.dims();
        let [rows, cols] = output.within(input);
        let h = h.slice([0..n, 0..f, rows, cols]); // [batch, F, rows, cols]
        h + self.mix.forward(self.activation(a, label)) // [batch, F, rows, cols]
    }

    fn conv_input(&self, h: Tensor<4>) -> Tensor<4> {
        if self.gated { h } else { relu(h) }
    }

    /// `tanh(a) ⊙ σ(b)` (gated) or `relu(a)` of the convolution `[batch, width, rows, cols]`
    /// plus the label's bias: `[batch, F, rows, cols]`.
    fn activation(&self, mut a: Tensor<4>, label: Option<&Tensor<1, Int>>) -> Tensor<4> {
        if let Some(b) = bias(&self.label_bias, label) {
            a = a + b; // [batch, width, rows, cols]
        }
        if self.gated {
            let [n, w2, hh, ww] = a.dims();
            let f = w2 / 2;
            let gate = a.clone().slice([0..n, f..w2, 0..hh, 0..ww]); // [batch, F, rows, cols]
            tanh(a.slice([0..n, 0..f, 0..hh, 0..ww])) * sigmoid(gate) // [batch, F, rows, cols]
        } else {
            relu(a) // [batch, F, rows, cols]
        }
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

    /// Logits `[batch, L]` of pixel (r, c) alone. Each layer is computed only on the window
    /// the logit depends on, from a single pixel after the last block growing by the kernel's
    /// half-width per layer (up and to both sides) back to the input's `reach` rows above and
    /// columns either side, with the same zero padding as `forward` where a window meets the
    /// image's border, so the result equals `forward(x)` at (r, c) up to summation order.
    pub fn forward_pixel(
        &self,
        x: Tensor<4>,
        label: Option<&Tensor<1, Int>>,
        r: usize,
        c: usize,
    ) -> Tensor<2> {
        let [n, ch, _, width] = x.dims();
        // windows[0]: the input layer's output; windows[i + 1]: block i's output.
        let mut windows = vec![Window::pixel(r, c)];
        for block in self.blocks.iter().rev() {
            let next = windows[windows.len() - 1].reads(block.conv.kernel / 2, width);
            windows.push(next);
        }
        windows.reverse();
        let reads = windows[0].reads(self.input.kernel / 2, width);
        let [rows, cols] = reads.within(Window::pixel(0, 0));
        let crop = x.slice([0..n, 0..ch, rows, cols]); // [batch, 1, rows, cols]
        let mut h = self.input.forward_window(crop, reads, windows[0]); // [batch, F, rows, cols]
        if let Some(b) = bias(&self.input_label_bias, label) {
            h = h + b; // [batch, F, rows, cols]
        }
        for (block, pair) in self.blocks.iter().zip(windows.windows(2)) {
            h = block.forward_window(h, label, pair[0], pair[1]); // [batch, F, rows, cols]
        }
        let h = relu(self.head_hidden.forward(relu(h))); // [batch, head, 1, 1]
        self.head_out.forward(h).reshape([n, self.levels]) // [batch, L]
    }
}
