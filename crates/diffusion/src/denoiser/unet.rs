//! A small U-Net for images (after Ho et al. 2020, much reduced): residual conv blocks with
//! group norm, the conditioning embedding added inside every block, one or two down/up levels
//! with skip connections.
//!
//! With `levels` = 2 on an 8x8 image (channels c, 2c, 2c):
//!   conv_in 3x3            [n, c, 8, 8]
//!   down: res [n, c, 8, 8] -> conv s2 [n, 2c, 4, 4] -> res [n, 2c, 4, 4] -> conv s2 [n, 2c, 2, 2]
//!   mid:  res              [n, 2c, 2, 2]
//!   up:   convT s2 [n, 2c, 4, 4] ++ skip -> res [n, 2c, 4, 4] -> convT s2 [n, c, 8, 8] ++ skip -> res [n, c, 8, 8]
//!   out:  GN, silu, conv 3x3  [n, 1, 8, 8]
//! 28x28 works the same way (28 -> 14 -> 7); H and W must be divisible by 2^levels.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::silu;

fn conv3x3(c_in: usize, c_out: usize, stride: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([c_in, c_out], [3, 3])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

/// A residual block of the U-Net, with the conditioning embedding added between its convolutions.
#[derive(Config, Debug)]
pub struct ResBlockConfig {
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Width of the conditioning embedding.
    pub embed: usize,
    /// Group-norm groups.
    pub groups: usize,
}

/// h = conv2(silu(GN(conv1(silu(GN(x))) + E emb))) + skip(x), skip a 1x1 conv when c_in ≠ c_out.
#[derive(Module, Debug)]
pub struct ResBlock {
    norm1: GroupNorm,
    conv1: Conv2d,
    emb: Linear,
    norm2: GroupNorm,
    conv2: Conv2d,
    skip: Option<Conv2d>,
}

impl ResBlockConfig {
    /// The block, initialised on `device`.
    pub fn init(&self, device: &Device) -> ResBlock {
        ResBlock {
            norm1: GroupNormConfig::new(self.groups, self.c_in).init(device),
            conv1: conv3x3(self.c_in, self.c_out, 1, device),
            emb: LinearConfig::new(self.embed, self.c_out).init(device),
            norm2: GroupNormConfig::new(self.groups, self.c_out).init(device),
            conv2: conv3x3(self.c_out, self.c_out, 1, device),
            skip: (self.c_in != self.c_out)
                .then(|| Conv2dConfig::new([self.c_in, self.c_out], [1, 1]).init(device)),
        }
    }
}

impl ResBlock {
    /// `x`: [n, c_in, h, w]; `emb`: [n, embed]. Returns [n, c_out, h, w].
    pub fn forward(&self, x: Tensor<4>, emb: Tensor<2>) -> Tensor<4> {
        let [n, _, hh, ww] = x.dims();
        let h = self.conv1.forward(silu(self.norm1.forward(x.clone()))); // [n, c_out, h, w]
        let c = h.dims()[1];
        let e = self
            .emb
            .forward(silu(emb))
            .reshape([n, c, 1, 1])
            .expand([n, c, hh, ww]); // [n, c_out, h, w]
        let h = self.conv2.forward(silu(self.norm2.forward(h + e))); // [n, c_out, h, w]
        let skip = match &self.skip {
            Some(conv) => conv.forward(x), // [n, c_out, h, w]
            None => x,
        };
        h + skip // [n, c_out, h, w]
    }
}

/// The U-Net ε-predictor for images: residual blocks at `levels` resolutions, skip connections
/// across.
#[derive(Config, Debug)]
pub struct UNetConfig {
    /// [channels, height, width] of the image.
    pub shape: [usize; 3],
    /// Width of the conditioning embedding.
    pub embed: usize,
    /// Channels at full resolution (c); every lower level has 2c.
    #[config(default = 32)]
    pub channels: usize,
    /// Down/up levels (1 or 2).
    #[config(default = 2)]
    pub levels: usize,
    /// Group-norm groups (must divide c).
    #[config(default = 8)]
    pub groups: usize,
    /// Input channels per image channel (1, or more with Fourier features of x appended).
    #[config(default = 1)]
    pub input_groups: usize,
    /// Outputs per image channel: 1 (ε̂) or 2 (ε̂ and the learned-variance weight v).
    #[config(default = 1)]
    pub output_groups: usize,
}

/// The U-Net [`UNetConfig`] describes.
#[derive(Module, Debug)]
pub struct UNet {
    conv_in: Conv2d,
    down_blocks: Vec<ResBlock>,
    downsample: Vec<Conv2d>,
    mid: ResBlock,
    upsample: Vec<ConvTranspose2d>,
    up_blocks: Vec<ResBlock>,
    norm_out: GroupNorm,
    conv_out: Conv2d,
}

impl UNetConfig {
    /// Channels at level k: c at k = 0, 2c below.
    fn width(&self, k: usize) -> usize {
        if k == 0 {
            self.channels
        } else {
            2 * self.channels
        }
    }

    /// An error unless the levels are 1 or 2, H and W divisible by 2^levels, and the groups divide
    /// the channels.
    pub fn validate(&self) -> anyhow::Result<()> {
        let [_, h, w] = self.shape;
        anyhow::ensure!(
            (1..=2).contains(&self.levels),
            "unet_levels must be 1 or 2 (got {})",
            self.levels
        );
        let f = 1 << self.levels;
        anyhow::ensure!(
            h % f == 0 && w % f == 0,
            "a U-Net with {} levels needs H and W divisible by {f}; the image is {h}x{w}",
            self.levels
        );
        anyhow::ensure!(
            self.groups >= 1 && self.channels.is_multiple_of(self.groups),
            "unet_channels ({}) must be a multiple of unet_groups ({})",
            self.channels,
            self.groups
        );
        Ok(())
    }

    /// The U-Net, initialised on `device`.
    pub fn init(&self, device: &Device) -> UNet {
        let block =
            |c_in, c_out| ResBlockConfig::new(c_in, c_out, self.embed, self.groups).init(device);
        let c0 = self.channels;
        UNet {
            conv_in: conv3x3(self.shape[0] * self.input_groups, c0, 1, device),
            down_blocks: (0..self.levels)
                .map(|k| block(self.width(k), self.width(k)))
                .collect(),
            downsample: (0..self.levels)
                .map(|k| conv3x3(self.width(k), self.width(k + 1), 2, device))
                .collect(),
            mid: block(self.width(self.levels), self.width(self.levels)),
            upsample: (0..self.levels)
                .map(|k| {
                    ConvTranspose2dConfig::new([self.width(k + 1), self.width(k)], [2, 2])
                        .with_stride([2, 2])
                        .init(device)
                })
                .collect(),
            up_blocks: (0..self.levels)
                .map(|k| block(2 * self.width(k), self.width(k)))
                .collect(),
            norm_out: GroupNormConfig::new(self.groups, c0).init(device),
            conv_out: conv3x3(c0, self.shape[0] * self.output_groups, 1, device),
        }
    }
}

impl UNet {
    /// `x`: [n, G_in·C·H·W] flattened images on [−1, 1] (and their Fourier features);
    /// `emb`: [n, embed]. Returns [n, G_out·C·H·W] (ε̂ first).
    pub fn forward(&self, x: Tensor<2>, emb: Tensor<2>, shape: [usize; 3]) -> Tensor<2> {
        let [n, width] = x.dims();
        let [c, h, w] = shape;
        let groups_in = width / (c * h * w);
        let mut x = self.conv_in.forward(x.reshape([n, c * groups_in, h, w])); // [n, c0, H, W]
        let mut skips = Vec::with_capacity(self.down_blocks.len());
        for (block, down) in self.down_blocks.iter().zip(&self.downsample) {
            x = block.forward(x, emb.clone()); // [n, c_k, H/2^k, W/2^k]
            skips.push(x.clone());
            x = down.forward(x); // [n, c_{k+1}, H/2^{k+1}, W/2^{k+1}]
        }
        x = self.mid.forward(x, emb.clone()); // [n, c_L, H/2^L, W/2^L]
        for k in (0..self.up_blocks.len()).rev() {
            let up = self.upsample[k].forward(x); // [n, c_k, H/2^k, W/2^k]
            let skip = skips.pop().expect("one skip per level");
            x = self.up_blocks[k].forward(Tensor::cat(vec![up, skip], 1), emb.clone()); // [n, c_k, H/2^k, W/2^k]
        }
        let out = self.conv_out.forward(silu(self.norm_out.forward(x))); // [n, G_out·C, H, W]
        let out_width = out.dims()[1] * h * w;
        out.reshape([n, out_width]) // [n, G_out·C·H·W]
    }
}
