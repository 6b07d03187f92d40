//! DCGAN-style networks for images (Radford et al. 2016): a generator that projects the noise to
//! a `[2c, H/4, W/4]` map and doubles it twice with transposed convolutions, and a critic trunk
//! of two stride-2 convolutions. Works for any `H, W` divisible by 4 (8x8 digits, 28x28 MNIST).

use crate::activation::leaky_relu_slope_mask;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, relu, tanh};
use burn::tensor::module::conv_transpose2d;
use burn::tensor::ops::ConvTransposeOptions;

/// G(z, y): Linear -> [2c, H/4, W/4] -> BN -> ReLU -> ConvT(4, s2) -> [c, H/2, W/2] -> BN -> ReLU
/// -> ConvT(4, s2) -> [C, H, W] -> tanh (values on [-1, 1], the model space of images).
#[derive(Config, Debug)]
pub struct ConvGeneratorConfig {
    /// Noise dimension plus the number of classes when conditional.
    pub input: usize,
    /// `[C, H, W]` of the images; H and W divisible by 4.
    pub image: [usize; 3],
    /// Channels c of the last up-sampling block (the projection has 2c).
    pub channels: usize,
    /// Batch norm after the projection and the first up-sampling block.
    #[config(default = true)]
    pub batch_norm: bool,
}

/// The DCGAN generator [`ConvGeneratorConfig`] describes.
#[derive(Module, Debug)]
pub struct ConvGenerator {
    project: Linear,
    norm0: Option<BatchNorm>,
    up1: ConvTranspose2d,
    norm1: Option<BatchNorm>,
    up2: ConvTranspose2d,
    /// `[2c, H/4, W/4]`: the shape the projection is reshaped to.
    start: [usize; 3],
}

/// A transposed convolution that doubles height and width: kernel 4, stride 2, padding 1.
fn double(channels_in: usize, channels_out: usize, device: &Device) -> ConvTranspose2d {
    ConvTranspose2dConfig::new([channels_in, channels_out], [4, 4])
        .with_stride([2, 2])
        .with_padding([1, 1])
        .init(device)
}

impl ConvGeneratorConfig {
    /// The generator, initialised on `device`.
    pub fn init(&self, device: &Device) -> ConvGenerator {
        let [c_img, h, w] = self.image;
        let (c, c2) = (self.channels, 2 * self.channels);
        let start = [c2, h / 4, w / 4];
        let norm = |n| {
            self.batch_norm
                .then(|| BatchNormConfig::new(n).init(device))
        };
        ConvGenerator {
            project: LinearConfig::new(self.input, start.iter().product()).init(device),
            norm0: norm(c2),
            up1: double(c2, c, device),
            norm1: norm(c),
            up2: double(c, c_img, device),
            start,
        }
    }
}

impl ConvGenerator {
    /// `input` `[batch, input]` -> images `[batch, C*H*W]` on [-1, 1], flattened row-major.
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let [batch, _] = input.dims();
        let [c2, h0, w0] = self.start;
        let h = self.project.forward(input).reshape([batch, c2, h0, w0]); // [batch, 2c, H/4, W/4]
        let h = relu(apply(&self.norm0, h)); // [batch, 2c, H/4, W/4]
        let h = relu(apply(&self.norm1, self.up1.forward(h))); // [batch, c, H/2, W/2]
        let x = tanh(self.up2.forward(h)); // [batch, C, H, W]
        x.flatten(1, 3) // [batch, C*H*W]
    }
}

fn apply(norm: &Option<BatchNorm>, h: Tensor<4>) -> Tensor<4> {
    match norm {
        Some(n) => n.forward(h),
        None => h,
    }
}

/// The critic's feature extractor: Conv(4, s2, p1) -> LeakyReLU -> Conv(4, s2, p1) -> LeakyReLU
/// -> flatten; `[C, H, W]` -> `[2c * (H/4) * (W/4)]` features. Optional batch norm after the
/// second conv (DCGAN's discriminator, for the non-saturating loss only: WGAN-GP's penalty is per
/// sample, which batch statistics would break, and its input gradient is not written out here).
#[derive(Config, Debug)]
pub struct ConvTrunkConfig {
    /// `[C, H, W]` of the images; H and W divisible by 4.
    pub image: [usize; 3],
    /// Channels c of the first conv (the second has 2c).
    pub channels: usize,
    /// Slope of the LeakyReLU for negative inputs.
    #[config(default = 0.2)]
    pub slope: f64,
    /// Batch norm after the second conv (non-saturating loss only).
    #[config(default = false)]
    pub batch_norm: bool,
}

/// The critic's convolutional feature extractor [`ConvTrunkConfig`] describes.
#[derive(Module, Debug)]
pub struct ConvTrunk {
    convs: Vec<Conv2d>,
    /// Batch norm of the second conv's output (None for WGAN-GP).
    norm: Option<BatchNorm>,
    image: [usize; 3],
    slope: f64,
}

/// One layer's pre-activation and the spatial size of its input (for the transposed conv).
#[derive(Clone, Debug)]
pub struct ConvTrace {
    /// The layer's output before the LeakyReLU, `[batch, c_out, h, w]`.
    pub pre: Tensor<4>,
    /// Height and width of the layer's input.
    pub input_hw: [usize; 2],
}

impl ConvTrunkConfig {
    /// The trunk, initialised on `device`.
    pub fn init(&self, device: &Device) -> ConvTrunk {
        let conv = |i, o| {
            Conv2dConfig::new([i, o], [4, 4])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        ConvTrunk {
            convs: vec![
                conv(self.image[0], self.channels),
                conv(self.channels, 2 * self.channels),
            ],
            norm: self
                .batch_norm
                .then(|| BatchNormConfig::new(2 * self.channels).init(device)),
            image: self.image,
            slope: self.slope,
        }
    }
}

impl ConvTrunk {
    /// Spatial size after one conv of kernel 4, stride 2, padding 1: floor(n / 2).
    fn halve(n: usize) -> usize {
        (n + 2 - 4) / 2 + 1
    }

    /// `[channels, h, w]` of the last conv's output.
    fn out_shape(&self) -> [usize; 3] {
        let [_, h, w] = self.image;
        let c = self.convs.last().map(|c| c.weight.dims()[0]).unwrap_or(0);
        [c, Self::halve(Self::halve(h)), Self::halve(Self::halve(w))]
    }

    /// Width of φ(x).
    pub fn features(&self) -> usize {
        self.out_shape().iter().product()
    }

    /// φ(x) `[batch, features]` from flat images `[batch, C*H*W]`, with every layer's trace.
    pub fn forward_trace(&self, x: Tensor<2>) -> (Tensor<2>, Vec<ConvTrace>) {
        let [batch, _] = x.dims();
        let [c, h, w] = self.image;
        let mut h = x.reshape([batch, c, h, w]); // [batch, C, H, W]
        let mut trace = Vec::with_capacity(self.convs.len());
        for (l, conv) in self.convs.iter().enumerate() {
            let [_, _, hi, wi] = h.dims();
            let a = conv.forward(h); // [batch, c_l, h_l / 2, w_l / 2]
            let a = if l > 0 { apply(&self.norm, a) } else { a }; // [batch, c_l, h_l / 2, w_l / 2]
            trace.push(ConvTrace {
                pre: a.clone(),
                input_hw: [hi, wi],
            });
            h = leaky_relu(a, self.slope);
        }
        (h.flatten(1, 3), trace) // [batch, 2c * H/4 * W/4]
    }

    /// Given g = ∂s/∂φ per sample `[batch, features]`, ∂s/∂x per sample `[batch, C*H*W]`:
    /// through each conv backwards, g ← conv_transpose(σ'(a_l) ⊙ g, W_l) with the conv's own
    /// weight, stride and padding (the adjoint of the convolution), output padding chosen to
    /// restore the input size. Differentiable in the weights. Not defined with batch norm (the
    /// config refuses batch norm in a WGAN-GP critic, the only user).
    pub fn backward_input(&self, g: Tensor<2>, trace: &[ConvTrace]) -> Tensor<2> {
        assert!(
            self.norm.is_none(),
            "the input gradient of a batch-normalised critic is not implemented"
        );
        let [batch, _] = g.dims();
        let [c, h, w] = self.out_shape();
        let mut g = g.reshape([batch, c, h, w]); // [batch, 2c, H/4, W/4]
        for (conv, t) in self.convs.iter().zip(trace).rev() {
            let [_, _, ho, wo] = t.pre.dims();
            let [hi, wi] = t.input_hw;
            let padding_out = [hi - (2 * (ho - 1) + 2), wi - (2 * (wo - 1) + 2)];
            let options = ConvTransposeOptions::new([2, 2], [1, 1], padding_out, [1, 1], 1);
            let g_a = g * leaky_relu_slope_mask(t.pre.clone(), self.slope); // [batch, c_l, ho, wo]
            g = conv_transpose2d(g_a, conv.weight.val(), None, options); // [batch, c_{l-1}, hi, wi]
        }
        g.flatten(1, 3) // [batch, C*H*W]
    }
}
