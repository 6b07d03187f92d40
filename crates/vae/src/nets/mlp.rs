//! Fully connected encoder and decoder on flattened examples.

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::silu;
use genbench_core::nn::{forward_stack, linear_stack};

/// Encoder q(z|x, y) = N(mu, diag(exp(log_var))): `layers` SiLU layers of width `hidden`, then
/// a linear head to (mu, log_var).
#[derive(Config, Debug)]
pub struct MlpEncoderConfig {
    /// Data dimensions D.
    pub input: usize,
    /// Classes of the one-hot label concatenated to x (0: unconditional).
    pub classes: usize,
    /// Width of every hidden layer.
    pub hidden: usize,
    /// Number of hidden layers.
    pub layers: usize,
    /// Dimensions of z.
    pub latent: usize,
}

/// The MLP encoder [`MlpEncoderConfig`] describes.
#[derive(Module, Debug)]
pub struct MlpEncoder {
    hidden: Vec<Linear>,
    head: Linear,
}

impl MlpEncoderConfig {
    /// The encoder, initialised on `device`.
    pub fn init(&self, device: &Device) -> MlpEncoder {
        MlpEncoder {
            hidden: linear_stack(self.input + self.classes, self.hidden, self.layers, device),
            head: LinearConfig::new(self.hidden, 2 * self.latent).init(device),
        }
    }
}

impl MlpEncoder {
    /// `x` `[n, D]` in model space, `y` `[n, classes]` one-hot -> (mu, log_var), each `[n, latent]`.
    pub fn forward(&self, x: Tensor<2>, y: Option<Tensor<2>>) -> (Tensor<2>, Tensor<2>) {
        let input = match y {
            Some(y) => Tensor::cat(vec![x, y], 1), // [n, D + classes]
            None => x,                             // [n, D]
        };
        let h = forward_stack(&self.hidden, input, silu); // [n, hidden]
        let out = self.head.forward(h); // [n, 2 * latent]
        let latent = out.dims()[1] / 2;
        (
            out.clone().narrow(1, 0, latent),
            out.narrow(1, latent, latent),
        ) // [n, latent] twice
    }
}

/// Decoder z (and label) -> the observation's parameters `[n, P*D]` (parameter-major).
#[derive(Config, Debug)]
pub struct MlpDecoderConfig {
    /// Dimensions of z.
    pub latent: usize,
    /// Classes of the one-hot label (0: unconditional).
    pub classes: usize,
    /// Width of every hidden layer.
    pub hidden: usize,
    /// Number of hidden layers.
    pub layers: usize,
    /// P*D: parameters per dimension times data dimensions.
    pub output: usize,
}

/// The MLP decoder [`MlpDecoderConfig`] describes.
#[derive(Module, Debug)]
pub struct MlpDecoder {
    hidden: Vec<Linear>,
    head: Linear,
}

impl MlpDecoderConfig {
    /// The decoder, initialised on `device`.
    pub fn init(&self, device: &Device) -> MlpDecoder {
        MlpDecoder {
            hidden: linear_stack(self.latent + self.classes, self.hidden, self.layers, device),
            head: LinearConfig::new(self.hidden, self.output).init(device),
        }
    }
}

impl MlpDecoder {
    /// `z` `[n, latent]`, `y` `[n, classes]` -> `[n, P*D]`.
    pub fn forward(&self, z: Tensor<2>, y: Option<Tensor<2>>) -> Tensor<2> {
        let input = match y {
            Some(y) => Tensor::cat(vec![z, y], 1), // [n, latent + classes]
            None => z,                             // [n, latent]
        };
        self.head.forward(forward_stack(&self.hidden, input, silu)) // [n, P*D]
    }
}
