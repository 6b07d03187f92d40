//! Act-norm (Kingma & Dhariwal 2018): a per-feature affine map with a data-dependent start.
//!
//! y = (x + b) * exp(l) for each feature (a vector coordinate or an image channel), so
//! log|det dy/dx| = (positions per feature) * sum_f l_f, the same for every example.
//! [`ActNorm::initialise`] sets b = -mean and l = -log(std) from a batch, so that the layer's
//! output starts with zero mean and unit variance per feature.

use burn::module::Param;
use burn::nn::Initializer;
use burn::prelude::*;

/// An act-norm over `features` (dimension 1 of its input).
#[derive(Config, Debug)]
pub struct ActNormConfig {
    /// Features F: the size of dimension 1 of the input.
    pub features: usize,
}

/// The act-norm y = (x + b) · exp(l) that [`ActNormConfig`] describes.
#[derive(Module, Debug)]
pub struct ActNorm {
    /// b: `[features]`.
    pub bias: Param<Tensor<1>>,
    /// l = log of the scale: `[features]`.
    pub log_scale: Param<Tensor<1>>,
}

impl ActNormConfig {
    /// The identity (b = 0, l = 0) until [`ActNorm::initialise`] sees data.
    pub fn init(&self, device: &Device) -> ActNorm {
        ActNorm {
            bias: Initializer::Zeros.init([self.features], device),
            log_scale: Initializer::Zeros.init([self.features], device),
        }
    }
}

/// `[1, F, 1, ...]`: a per-feature vector shaped to broadcast over an input of rank `D`.
fn per_feature<const D: usize>(v: Tensor<1>) -> Tensor<D> {
    let mut shape = [1usize; D];
    shape[1] = v.dims()[0];
    v.reshape(shape)
}

/// Positions per feature of `x`: 1 for `[n, F]`, H*W for `[n, F, H, W]`.
fn positions<const D: usize>(x: &Tensor<D>) -> usize {
    x.dims()[2..].iter().product()
}

impl ActNorm {
    /// y = (x + b) exp(l) and log|det| = positions * sum(l) (a `[1]` tensor, broadcast over the batch).
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> (Tensor<D>, Tensor<1>) {
        let log_det = self.log_scale.val().sum().mul_scalar(positions(&x) as f64); // [1]
        let y = (x + per_feature(self.bias.val())) * per_feature::<D>(self.log_scale.val()).exp(); // same shape as x
        (y, log_det)
    }

    /// x = y exp(-l) - b.
    pub fn inverse<const D: usize>(&self, y: Tensor<D>) -> Tensor<D> {
        y * per_feature::<D>(self.log_scale.val().neg()).exp() - per_feature(self.bias.val()) // same shape as y
    }

    /// Data-dependent initialisation from `x` (`[n, F, ...]`): b = -mean_f, l = -log(std_f + 1e-6).
    pub fn initialise<const D: usize>(&mut self, x: &Tensor<D>) {
        let features = x.dims()[1];
        let rows = x.dims().iter().product::<usize>() / features;
        let flat = x.clone().detach().swap_dims(0, 1).reshape([features, rows]); // [F, rows]
        let mean = flat.clone().mean_dim(1); // [F, 1]
        let std = (flat - mean.clone()).square().mean_dim(1).sqrt(); // [F, 1]
        let log_scale = std.add_scalar(1e-6).log().neg().reshape([features]); // [F]
        self.bias = Param::from_tensor(mean.neg().reshape([features]).detach());
        self.log_scale = Param::from_tensor(log_scale.detach());
    }
}
