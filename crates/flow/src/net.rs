//! The bijection f: x -> z, for vectors or images, behind one type.

use crate::image::ImageFlow;
use crate::mlp::VectorFlow;
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::Gradients;
use genbench_core::checkpoint;
use genbench_core::grad_clip::clip_global_norm;
use std::path::Path;

/// The flow's network: a vector flow or a multi-scale image flow.
#[derive(Clone, Debug)]
pub enum FlowNet {
    /// RealNVP on vectors.
    Vector(VectorFlow),
    /// Multi-scale RealNVP on images.
    Image(ImageFlow),
}

impl FlowNet {
    /// z = f(x) and log|det df/dx|: `[n, D]` -> (`[n, D]`, `[n]`).
    pub fn forward(&self, x: Tensor<2>, cond: Option<&Tensor<2>>) -> (Tensor<2>, Tensor<1>) {
        match self {
            FlowNet::Vector(f) => f.forward(x, cond),
            FlowNet::Image(f) => f.forward(x, cond),
        }
    }

    /// x = f^{-1}(z): `[n, D]` -> `[n, D]`.
    pub fn inverse(&self, z: Tensor<2>, cond: Option<&Tensor<2>>) -> Tensor<2> {
        match self {
            FlowNet::Vector(f) => f.inverse(z, cond),
            FlowNet::Image(f) => f.inverse(z, cond),
        }
    }

    /// Act-norm statistics layer by layer from `x` (`[n, D]`), the data-dependent start.
    pub fn initialise(&mut self, x: Tensor<2>, cond: Option<&Tensor<2>>) {
        match self {
            FlowNet::Vector(f) => f.initialise(x, cond),
            FlowNet::Image(f) => f.initialise(x, cond),
        }
    }

    /// The same weights without autodiff (for scoring and sampling).
    pub fn valid(&self) -> FlowNet {
        match self {
            FlowNet::Vector(f) => FlowNet::Vector(f.valid()),
            FlowNet::Image(f) => FlowNet::Image(f.valid()),
        }
    }

    /// The number of trainable values.
    pub fn num_params(&self) -> usize {
        match self {
            FlowNet::Vector(f) => f.num_params(),
            FlowNet::Image(f) => f.num_params(),
        }
    }

    /// One optimizer step with the gradients of a loss computed through `self`, their global
    /// norm clipped to `grad_clip` (0: no clipping).
    pub fn step(
        self,
        optim: &mut ModuleOptimizer,
        lr: f64,
        grad_clip: f64,
        grads: Gradients,
    ) -> FlowNet {
        match self {
            FlowNet::Vector(f) => {
                let g = clip_global_norm(GradientsParams::from_grads(grads, &f), &f, grad_clip);
                FlowNet::Vector(optim.step(lr, f, g))
            }
            FlowNet::Image(f) => {
                let g = clip_global_norm(GradientsParams::from_grads(grads, &f), &f, grad_clip);
                FlowNet::Image(optim.step(lr, f, g))
            }
        }
    }

    /// Save the weights to `path`.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        match self {
            FlowNet::Vector(f) => checkpoint::save_module(f, path),
            FlowNet::Image(f) => checkpoint::save_module(f, path),
        }
    }

    /// These networks with the weights saved at `path`.
    pub fn load(self, path: &Path) -> anyhow::Result<FlowNet> {
        Ok(match self {
            FlowNet::Vector(f) => FlowNet::Vector(checkpoint::load_module(f, path)?),
            FlowNet::Image(f) => FlowNet::Image(checkpoint::load_module(f, path)?),
        })
    }
}
