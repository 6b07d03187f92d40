//! The denoiser for vectors (2-D densities): an MLP of residual blocks, each told the
//! timestep (and label) through the conditioning embedding.
//!
//!   h_0 = W_in x
//!   h_{k+1} = h_k + W2_k silu(W1_k silu(h_k) + E_k emb)
//!   ε̂ = W_out silu(h_K)

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::silu;

/// The MLP ε-predictor for vectors: input layer, residual blocks, output layer.
#[derive(Config, Debug)]
pub struct MlpDenoiserConfig {
    /// Coordinates per example.
    pub dim: usize,
    /// Width of the conditioning embedding.
    pub embed: usize,
    /// Width of every block.
    #[config(default = 128)]
    pub hidden: usize,
    /// Residual blocks.
    #[config(default = 3)]
    pub blocks: usize,
    /// Input values per coordinate (1, or more with Fourier features appended to x).
    #[config(default = 1)]
    pub input_groups: usize,
    /// Outputs per coordinate: 1 (ε̂) or 2 (ε̂ and the learned-variance weight v).
    #[config(default = 1)]
    pub output_groups: usize,
}

/// One residual block: h + W2 silu(W1 silu(h) + E emb).
#[derive(Module, Debug)]
pub struct MlpBlock {
    fc1: Linear,
    emb: Linear,
    fc2: Linear,
}

/// The MLP denoiser [`MlpDenoiserConfig`] describes.
#[derive(Module, Debug)]
pub struct MlpDenoiser {
    input: Linear,
    blocks: Vec<MlpBlock>,
    output: Linear,
}

impl MlpDenoiserConfig {
    /// The denoiser, initialised on `device`.
    pub fn init(&self, device: &Device) -> MlpDenoiser {
        let h = self.hidden;
        MlpDenoiser {
            input: LinearConfig::new(self.dim * self.input_groups, h).init(device),
            blocks: (0..self.blocks)
                .map(|_| MlpBlock {
                    fc1: LinearConfig::new(h, h).init(device),
                    emb: LinearConfig::new(self.embed, h).init(device),
                    fc2: LinearConfig::new(h, h).init(device),
                })
                .collect(),
            output: LinearConfig::new(h, self.dim * self.output_groups).init(device),
        }
    }
}

impl MlpDenoiser {
    /// `x`: [n, dim · input_groups] noisy points; `emb`: [n, embed].
    /// Returns [n, dim · output_groups] (ε̂ first).
    pub fn forward(&self, x: Tensor<2>, emb: Tensor<2>) -> Tensor<2> {
        let mut h = self.input.forward(x); // [n, hidden]
        for block in &self.blocks {
            let a = block.fc1.forward(silu(h.clone())) + block.emb.forward(emb.clone()); // [n, hidden]
            h = h + block.fc2.forward(silu(a)); // [n, hidden]
        }
        self.output.forward(silu(h)) // [n, dim · output_groups]
    }
}
