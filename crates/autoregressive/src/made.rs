//! MADE: a masked MLP whose output for dimension d depends only on the inputs that precede d
//! in its ordering (Germain et al. 2015). One pass gives the parameters of every conditional
//! p(x_d | x_<d); the masks come from [`Degrees`].

use crate::masks::{Degrees, Ordering};
use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;
use burn::tensor::module::linear;
use genbench_core::host;
use std::ops::Range;

/// A dense layer `y = x (W ⊙ M) + b` with a constant 0/1 mask M (`[in, out]`, not trained).
#[derive(Config, Debug)]
pub struct MaskedLinearConfig {
    /// Inputs of the layer.
    pub d_input: usize,
    /// Outputs of the layer.
    pub d_output: usize,
}

/// The masked dense layer [`MaskedLinearConfig`] describes.
#[derive(Module, Debug)]
pub struct MaskedLinear {
    linear: Linear,
    /// `[d_input, d_output]` of 0/1; a constant of the module, rebuilt from the config on load.
    mask: Tensor<2>,
}

impl MaskedLinearConfig {
    /// `mask` is row-major `[d_input, d_output]`.
    pub fn init(&self, mask: Vec<f32>, device: &Device) -> MaskedLinear {
        assert_eq!(mask.len(), self.d_input * self.d_output, "mask size");
        MaskedLinear {
            linear: LinearConfig::new(self.d_input, self.d_output).init(device),
            mask: host::tensor(mask, [self.d_input, self.d_output], device),
        }
    }
}

impl MaskedLinear {
    /// y = x (W ⊙ M) + b: `[batch, d_input]` -> `[batch, d_output]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let w = self.linear.weight.val() * self.mask.clone(); // [in, out]
        linear(
            x,
            w,
            self.linear.bias.as_ref().map(burn::module::Param::val),
        ) // [batch, out]
    }

    /// Only the output columns `cols` (what one dimension's conditional needs).
    pub fn forward_columns(&self, x: Tensor<2>, cols: Range<usize>) -> Tensor<2> {
        let [d_in, _] = self.mask.dims();
        let w = self.linear.weight.val().slice([0..d_in, cols.clone()])
            * self.mask.clone().slice([0..d_in, cols.clone()]); // [in, |cols|]
        linear(
            x,
            w,
            self.linear.bias.as_ref().map(|b| b.val().slice([cols])),
        ) // [batch, |cols|]
    }
}

/// A MADE over `dim` inputs with `per_dim` outputs per dimension (L logits, or 3K mixture
/// parameters). With `num_classes > 0` a one-hot label enters every layer through an unmasked
/// linear map (connected to all units: the label is known before any dimension).
/// With `logit_rank > 0` the output layer gives `logit_rank` features per dimension, mapped to
/// the `per_dim` outputs by a small MLP shared across dimensions plus a per-dimension bias
/// (for 256 levels x 784 pixels, where a full output layer would have 100M weights).
#[derive(Config, Debug)]
pub struct MadeConfig {
    /// Data dimensions D.
    pub dim: usize,
    /// Widths of the masked hidden layers.
    pub hidden: Vec<usize>,
    /// Outputs per dimension: L logits, or 3K mixture parameters.
    pub per_dim: usize,
    /// A random ordering of the dimensions (from `mask_seed`) instead of the natural one.
    #[config(default = false)]
    pub random_order: bool,
    /// Seed of the random ordering and of the hidden units' degrees.
    #[config(default = 0)]
    pub mask_seed: u64,
    /// Classes of the one-hot label (0: unconditional).
    #[config(default = 0)]
    pub num_classes: usize,
    /// Features per dimension of a low-rank output layer (0: a full output layer).
    #[config(default = 0)]
    pub logit_rank: usize,
}

/// The MADE [`MadeConfig`] describes.
#[derive(Module, Debug)]
pub struct Made {
    hidden: Vec<MaskedLinear>,
    output: MaskedLinear,
    /// One label map per hidden layer and one for the output (empty when unconditional).
    cond: Vec<Linear>,
    /// Shared features -> outputs map and its per-dimension bias `[dim, per_dim]` (logit_rank > 0).
    shared: Option<Linear>,
    dim_bias: Option<Param<Tensor<2>>>,
    dim: usize,
    per_dim: usize,
    /// Outputs of the masked output layer per dimension: `logit_rank` or `per_dim`.
    out_per_dim: usize,
}

impl MadeConfig {
    /// The degrees of every layer, from which the masks come.
    pub fn degrees(&self) -> Degrees {
        let ordering = if self.random_order {
            Ordering::Random
        } else {
            Ordering::Natural
        };
        Degrees::new(self.dim, &self.hidden, ordering, self.mask_seed)
    }

    /// The MADE, initialised on `device`, with its masks.
    pub fn init(&self, device: &Device) -> Made {
        let degrees = self.degrees();
        let hidden = (0..self.hidden.len())
            .map(|l| {
                let (mask, [i, o]) = degrees.hidden_mask(l);
                MaskedLinearConfig::new(i, o).init(mask, device)
            })
            .collect();
        let out_per_dim = if self.logit_rank > 0 {
            self.logit_rank
        } else {
            self.per_dim
        };
        let (mask, [i, o]) = degrees.output_mask(out_per_dim);
        let output = MaskedLinearConfig::new(i, o).init(mask, device);
        let cond = if self.num_classes > 0 {
            self.hidden
                .iter()
                .chain(std::iter::once(&o))
                .map(|&width| {
                    LinearConfig::new(self.num_classes, width)
                        .with_bias(false)
                        .init(device)
                })
                .collect()
        } else {
            Vec::new()
        };
        let (shared, dim_bias) = if self.logit_rank > 0 {
            (
                Some(
                    LinearConfig::new(self.logit_rank, self.per_dim)
                        .with_bias(false)
                        .init(device),
                ),
                Some(Param::from_tensor(Tensor::zeros(
                    [self.dim, self.per_dim],
                    device,
                ))),
            )
        } else {
            (None, None)
        };
        Made {
            hidden,
            output,
            cond,
            shared,
            dim_bias,
            dim: self.dim,
            per_dim: self.per_dim,
            out_per_dim,
        }
    }
}

impl Made {
    /// The last hidden layer's activations.
    fn trunk(&self, x: Tensor<2>, label: Option<&Tensor<2>>) -> Tensor<2> {
        let mut h = x; // [batch, dim]
        for (l, layer) in self.hidden.iter().enumerate() {
            let mut a = layer.forward(h); // [batch, hidden_l]
            if let Some(y) = label {
                a = a + self.cond[l].forward(y.clone()); // [batch, hidden_l]
            }
            h = relu(a); // [batch, hidden_l]
        }
        h
    }

    /// Output features `[batch, k, out_per_dim]` of the dimensions `dims` (a contiguous range) -> `[batch, k, per_dim]`.
    fn head(&self, h: Tensor<2>, label: Option<&Tensor<2>>, dims: Range<usize>) -> Tensor<3> {
        let k = dims.len();
        let cols = dims.start * self.out_per_dim..dims.end * self.out_per_dim;
        let mut a = self.output.forward_columns(h, cols.clone()); // [batch, k * out_per_dim]
        if let Some(y) = label {
            let c = self.cond.last().expect("conditional output map");
            let w = c.weight.val(); // [classes, D * out_per_dim]
            let [classes, _] = w.dims();
            a = a + y.clone().matmul(w.slice([0..classes, cols])); // [batch, k * out_per_dim]
        }
        let [n, _] = a.dims();
        let a = a.reshape([n, k, self.out_per_dim]); // [batch, k, out_per_dim]
        match (&self.shared, &self.dim_bias) {
            (Some(shared), Some(bias)) => {
                let b = bias.val().slice([dims, 0..self.per_dim]).unsqueeze::<3>(); // [1, k, per_dim]
                shared.forward(relu(a)) + b // [batch, k, per_dim]
            }
            _ => a,
        }
    }

    /// Data-dependent start for mixture outputs (`per_dim = 3K`): the output biases put
    /// dimension d's K component means at `means[d]` and their log-scales at `log_scales[d]`
    /// (mixture logits' biases at 0), so the components start spread over the data.
    pub fn with_mixture_bias(mut self, means: &[Vec<f32>], log_scales: &[f32]) -> Made {
        let k = self.per_dim / 3;
        let mut bias = vec![0f32; self.dim * self.per_dim];
        for d in 0..self.dim {
            for j in 0..k {
                bias[d * self.per_dim + k + j] = means[d][j];
                bias[d * self.per_dim + 2 * k + j] = log_scales[d];
            }
        }
        if let Some(b) = self.output.linear.bias.take() {
            let device = b.val().device();
            let n = bias.len();
            self.output.linear.bias =
                Some(b.map(|_| host::tensor(bias, [n], &device).set_require_grad(true)));
        }
        self
    }

    /// The parameters of every conditional: `x` `[batch, dim]`, `label` one-hot `[batch, classes]`
    /// -> `[batch, dim, per_dim]`; row d depends only on the x's before d in the ordering.
    pub fn forward(&self, x: Tensor<2>, label: Option<&Tensor<2>>) -> Tensor<3> {
        let h = self.trunk(x, label); // [batch, hidden_L]
        self.head(h, label, 0..self.dim) // [batch, dim, per_dim]
    }

    /// The parameters of dimension `d`'s conditional only, `[batch, per_dim]`: the trunk once, and
    /// of the output layer only the columns of d (what sampling needs at each of its D passes).
    pub fn forward_dim(&self, x: Tensor<2>, label: Option<&Tensor<2>>, d: usize) -> Tensor<2> {
        let h = self.trunk(x, label); // [batch, hidden_L]
        let out = self.head(h, label, d..d + 1); // [batch, 1, per_dim]
        let [n, _, p] = out.dims();
        out.reshape([n, p]) // [batch, per_dim]
    }
}
