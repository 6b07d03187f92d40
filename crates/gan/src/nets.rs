//! The two players: a generator (MLP or DCGAN) and a critic = trunk φ + projection head.
//!
//! Critic score (Miyato & Koyama 2018's projection discriminator when conditional):
//!   D(x, y) = w·φ(x) + b + e_y·φ(x),
//! so ∂D/∂φ = w + e_y per sample, and ∂D/∂x comes from the trunk's own backward pass — written
//! out by hand because burn's autodiff is first order and WGAN-GP differentiates ‖∂D/∂x‖ with
//! respect to the weights.

use crate::conv::{ConvGenerator, ConvTrace, ConvTrunk};
use crate::mlp::{MlpGenerator, MlpTrunk};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

/// The generator, an MLP or a DCGAN (one per model, so the size difference of the variants costs
/// nothing).
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Generator {
    /// MLP generator (vectors).
    Mlp(MlpGenerator),
    /// DCGAN generator (images).
    Conv(ConvGenerator),
}

impl Generator {
    /// `[z; onehot(y)]` `[batch, latent (+ classes)]` -> samples in model space `[batch, dim]`.
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        match self {
            Generator::Mlp(g) => g.forward(input),
            Generator::Conv(g) => g.forward(input),
        }
    }
}

/// The critic's feature extractor φ: an MLP or a DCGAN trunk.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Trunk {
    /// MLP trunk (vectors).
    Mlp(MlpTrunk),
    /// Convolutional trunk (images).
    Conv(ConvTrunk),
}

/// What the trunk's forward pass leaves for its input gradient.
pub enum Trace {
    /// Each MLP layer's pre-activation.
    Mlp(Vec<Tensor<2>>),
    /// Each conv layer's pre-activation and input size.
    Conv(Vec<ConvTrace>),
}

impl Trunk {
    /// Width of φ(x).
    pub fn features(&self) -> usize {
        match self {
            Trunk::Mlp(t) => t.features(),
            Trunk::Conv(t) => t.features(),
        }
    }

    fn forward_trace(&self, x: Tensor<2>) -> (Tensor<2>, Trace) {
        match self {
            Trunk::Mlp(t) => {
                let (phi, pre) = t.forward_trace(x);
                (phi, Trace::Mlp(pre))
            }
            Trunk::Conv(t) => {
                let (phi, trace) = t.forward_trace(x);
                (phi, Trace::Conv(trace))
            }
        }
    }

    fn backward_input(&self, g: Tensor<2>, trace: &Trace) -> Tensor<2> {
        match (self, trace) {
            (Trunk::Mlp(t), Trace::Mlp(pre)) => t.backward_input(g, pre),
            (Trunk::Conv(t), Trace::Conv(tr)) => t.backward_input(g, tr),
            _ => unreachable!("a trunk's trace comes from the same trunk"),
        }
    }
}

/// The critic D(x, y) = w·φ(x) + b + e_y·φ(x): a trunk φ and a (projection) head.
#[derive(Module, Debug)]
pub struct Critic {
    trunk: Trunk,
    /// w and b: `[features] -> [1]`.
    head: Linear,
    /// Class embeddings e_y as a bias-free linear map of the one-hot label `[classes] -> [features]`.
    embed: Option<Linear>,
}

impl Critic {
    /// The critic on `trunk`, with class embeddings when `classes` > 0, initialised on `device`.
    pub fn new(trunk: Trunk, classes: usize, device: &Device) -> Self {
        let f = trunk.features();
        let head = LinearConfig::new(f, 1).init(device);
        let embed =
            (classes > 0).then(|| LinearConfig::new(classes, f).with_bias(false).init(device));
        Self { trunk, head, embed }
    }

    /// D(x, y) `[batch]` for `x` `[batch, dim]` and the one-hot labels `[batch, classes]`.
    pub fn forward(&self, x: Tensor<2>, onehot: Option<Tensor<2>>) -> Tensor<1> {
        let (phi, _) = self.trunk.forward_trace(x); // [batch, features]
        self.score(phi, onehot)
    }

    fn score(&self, phi: Tensor<2>, onehot: Option<Tensor<2>>) -> Tensor<1> {
        let s = self.head.forward(phi.clone()); // [batch, 1]
        let s = match (&self.embed, onehot) {
            (Some(e), Some(y)) => s + (e.forward(y) * phi).sum_dim(1), // [batch, 1]
            _ => s,
        };
        s.squeeze_dim(1) // [batch]
    }

    /// ∂D(x_i, y_i)/∂x_i for every row `[batch, dim]`, as a differentiable function of the
    /// critic's weights (not of x: the LeakyReLU masks are piecewise constant).
    pub fn input_gradient(&self, x: Tensor<2>, onehot: Option<Tensor<2>>) -> Tensor<2> {
        let [batch, _] = x.dims();
        let (_, trace) = self.trunk.forward_trace(x);
        let w = self.head.weight.val(); // [features, 1]
        let [f, _] = w.dims();
        let mut g = w.reshape([1, f]).expand([batch, f]); // [batch, features]
        if let (Some(e), Some(y)) = (&self.embed, onehot) {
            g = g + y.matmul(e.weight.val()); // [batch, features]
        }
        self.trunk.backward_input(g, &trace)
    }
}
