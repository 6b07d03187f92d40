//! Convolutional encoder and decoder for `[C, H, W]` images with H and W divisible by 4.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::silu;

/// Encoder: two 4x4 stride-2 convolutions (C -> ch -> 2ch, halving H and W each time), a
/// hidden layer on the flattened features (and the one-hot label), a head to (mu, log_var).
#[derive(Config, Debug)]
pub struct ConvEncoderConfig {
    /// `[C, H, W]`.
    pub image: [usize; 3],
    /// Classes of the one-hot label (0: unconditional).
    pub classes: usize,
    /// Channels ch of the first convolution (the second has 2ch).
    pub channels: usize,
    /// Width of the hidden fully connected layer.
    pub hidden: usize,
    /// Dimensions of z.
    pub latent: usize,
}

/// The convolutional encoder [`ConvEncoderConfig`] describes.
#[derive(Module, Debug)]
pub struct ConvEncoder {
    down1: Conv2d,
    down2: Conv2d,
    fc: Linear,
    head: Linear,
    image: [usize; 3],
}

impl ConvEncoderConfig {
    /// The encoder, initialised on `device`.
    pub fn init(&self, device: &Device) -> ConvEncoder {
        let [c, h, w] = self.image;
        let ch = self.channels;
        let down = |cin, cout| {
            Conv2dConfig::new([cin, cout], [4, 4])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        ConvEncoder {
            down1: down(c, ch),
            down2: down(ch, 2 * ch),
            fc: LinearConfig::new(2 * ch * (h / 4) * (w / 4) + self.classes, self.hidden)
                .init(device),
            head: LinearConfig::new(self.hidden, 2 * self.latent).init(device),
            image: self.image,
        }
    }
}

impl ConvEncoder {
    /// `x` `[n, C*H*W]` in model space, `y` `[n, classes]` -> (mu, log_var), each `[n, latent]`.
    pub fn forward(&self, x: Tensor<2>, y: Option<Tensor<2>>) -> (Tensor<2>, Tensor<2>) {
        let [c, h, w] = self.image;
        let n = x.dims()[0];
        let x = x.reshape([n, c, h, w]); // [n, C, H, W]
        let h1 = silu(self.down1.forward(x)); // [n, ch, H/2, W/2]
        let h2 = silu(self.down2.forward(h1)); // [n, 2ch, H/4, W/4]
        let flat: Tensor<2> = h2.flatten(1, 3); // [n, 2ch*H/4*W/4]
        let flat = match y {
            Some(y) => Tensor::cat(vec![flat, y], 1), // [n, 2ch*H/4*W/4 + classes]
            None => flat,
        };
        let hidden = silu(self.fc.forward(flat)); // [n, hidden]
        let out = self.head.forward(hidden); // [n, 2 * latent]
        let latent = out.dims()[1] / 2;
        (
            out.clone().narrow(1, 0, latent),
            out.narrow(1, latent, latent),
        ) // [n, latent] twice
    }
}

/// Decoder: z (and the one-hot label) through two fully connected layers to a `[2ch, H/4, W/4]`
/// map, two 4x4 stride-2 transposed convolutions up to `[ch, H, W]`, a 3x3 convolution to the
/// observation's P parameters per pixel.
#[derive(Config, Debug)]
pub struct ConvDecoderConfig {
    /// `[C, H, W]`.
    pub image: [usize; 3],
    /// Classes of the one-hot label (0: unconditional).
    pub classes: usize,
    /// Channels ch of the last transposed convolution (the first has 2ch).
    pub channels: usize,
    /// Width of the hidden fully connected layer.
    pub hidden: usize,
    /// Dimensions of z.
    pub latent: usize,
    /// Parameters per pixel P.
    pub params: usize,
}

/// The convolutional decoder [`ConvDecoderConfig`] describes.
#[derive(Module, Debug)]
pub struct ConvDecoder {
    fc1: Linear,
    fc2: Linear,
    up1: ConvTranspose2d,
    up2: ConvTranspose2d,
    out: Conv2d,
    image: [usize; 3],
    channels: usize,
}

impl ConvDecoderConfig {
    /// The decoder, initialised on `device`.
    pub fn init(&self, device: &Device) -> ConvDecoder {
        let [c, h, w] = self.image;
        let ch = self.channels;
        let up = |cin, cout| {
            ConvTranspose2dConfig::new([cin, cout], [4, 4])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .init(device)
        };
        ConvDecoder {
            fc1: LinearConfig::new(self.latent + self.classes, self.hidden).init(device),
            fc2: LinearConfig::new(self.hidden, 2 * ch * (h / 4) * (w / 4)).init(device),
            up1: up(2 * ch, ch),
            up2: up(ch, ch),
            out: Conv2dConfig::new([ch, c * self.params], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
            image: self.image,
            channels: ch,
        }
    }
}

impl ConvDecoder {
    /// `z` `[n, latent]`, `y` `[n, classes]` -> `[n, P*C*H*W]` (parameter-major).
    pub fn forward(&self, z: Tensor<2>, y: Option<Tensor<2>>) -> Tensor<2> {
        let [_, h, w] = self.image;
        let n = z.dims()[0];
        let input = match y {
            Some(y) => Tensor::cat(vec![z, y], 1), // [n, latent + classes]
            None => z,
        };
        let h1 = silu(self.fc1.forward(input)); // [n, hidden]
        let h2 = silu(self.fc2.forward(h1)); // [n, 2ch*H/4*W/4]
        let map = h2.reshape([n, 2 * self.channels, h / 4, w / 4]); // [n, 2ch, H/4, W/4]
        let u1 = silu(self.up1.forward(map)); // [n, ch, H/2, W/2]
        let u2 = silu(self.up2.forward(u1)); // [n, ch, H, W]
        let params = self.out.forward(u2); // [n, P*C, H, W], channel p*C + c
        params.flatten(1, 3) // [n, P*C*H*W]
    }
}
