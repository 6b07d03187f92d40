//! MLP generator and critic trunk for vector data (the 2-D densities).

use crate::activation::leaky_relu_slope_mask;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, relu};
use genbench_core::nn::{forward_stack, linear_stack};

/// G(z, y) = W_L relu(... relu(W_1 [z; onehot(y)] + b_1) ...) + b_L: raw coordinates out (no
/// squashing, the 2-D data are unbounded).
#[derive(Config, Debug)]
pub struct MlpGeneratorConfig {
    /// Noise dimension plus the number of classes when conditional.
    pub input: usize,
    /// Output dimension: the data's.
    pub output: usize,
    /// Width of every hidden layer.
    pub hidden: usize,
    /// Number of hidden layers.
    pub layers: usize,
}

/// The MLP generator [`MlpGeneratorConfig`] describes.
#[derive(Module, Debug)]
pub struct MlpGenerator {
    hidden: Vec<Linear>,
    out: Linear,
}

impl MlpGeneratorConfig {
    /// The generator, initialised on `device`.
    pub fn init(&self, device: &Device) -> MlpGenerator {
        MlpGenerator {
            hidden: linear_stack(self.input, self.hidden, self.layers, device),
            out: LinearConfig::new(self.hidden, self.output).init(device),
        }
    }
}

impl MlpGenerator {
    /// `input` is `[batch, input]` (noise, then the one-hot label if conditional).
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let h = forward_stack(&self.hidden, input, relu); // [batch, hidden]
        self.out.forward(h) // [batch, output]
    }
}

/// The critic's feature extractor φ(x) = σ(W_L σ(... σ(W_1 x + b_1) ...) + b_L), σ = LeakyReLU.
#[derive(Config, Debug)]
pub struct MlpTrunkConfig {
    /// Input dimension: the data's.
    pub input: usize,
    /// Width of every layer.
    pub hidden: usize,
    /// Number of layers.
    pub layers: usize,
    /// Slope of the LeakyReLU for negative inputs.
    #[config(default = 0.2)]
    pub slope: f64,
}

/// The critic's MLP feature extractor [`MlpTrunkConfig`] describes.
#[derive(Module, Debug)]
pub struct MlpTrunk {
    layers: Vec<Linear>,
    slope: f64,
}

impl MlpTrunkConfig {
    /// The trunk, initialised on `device`.
    pub fn init(&self, device: &Device) -> MlpTrunk {
        MlpTrunk {
            layers: linear_stack(self.input, self.hidden, self.layers, device),
            slope: self.slope,
        }
    }
}

impl MlpTrunk {
    /// Width of φ(x).
    pub fn features(&self) -> usize {
        self.layers.last().map(|l| l.weight.dims()[1]).unwrap_or(0)
    }

    /// φ(x) `[batch, hidden]` and every layer's pre-activation a_l (what [`Self::backward_input`]
    /// needs for σ'(a_l)).
    pub fn forward_trace(&self, x: Tensor<2>) -> (Tensor<2>, Vec<Tensor<2>>) {
        let mut h = x; // [batch, input]
        let mut pre = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let a = layer.forward(h); // [batch, hidden]
            pre.push(a.clone());
            h = leaky_relu(a, self.slope); // [batch, hidden]
        }
        (h, pre)
    }

    /// Given g = ∂s/∂φ per sample `[batch, hidden]`, ∂s/∂x per sample `[batch, input]`:
    /// g ← W_l^T (σ'(a_l) ⊙ g) from the last layer to the first. A differentiable expression of
    /// the weights (σ' of LeakyReLU is piecewise constant), so first-order autodiff of a penalty
    /// on it reaches the weights.
    pub fn backward_input(&self, g: Tensor<2>, pre: &[Tensor<2>]) -> Tensor<2> {
        let mut g = g; // [batch, hidden]
        for (layer, a) in self.layers.iter().zip(pre).rev() {
            let g_a = g * leaky_relu_slope_mask(a.clone(), self.slope); // [batch, out_l]
            g = g_a.matmul(layer.weight.val().transpose()); // [batch, in_l]
        }
        g
    }
}
