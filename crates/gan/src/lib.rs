//! Generative adversarial networks behind the genbench contract: a generator G(z, y) and a
//! critic D(x, y) trained against each other, with the non-saturating loss (Goodfellow et al.
//! 2014, the default) or WGAN-GP (Gulrajani et al. 2017).
//!
//! - Vectors (2-D densities): MLPs on raw coordinates. Images: DCGAN-style nets on [-1, 1]
//!   (levels k -> 2k/(L-1) - 1), samples mapped back to the nearest level.
//! - Conditional: G gets `[z; onehot(y)]`, D is a projection discriminator.
//! - A GAN defines no likelihood: `log_likelihood` says `unavailable`, never 0.
//! - One `train_step` = `n_critic` D updates then one G update, each with its own Adam.
// Issue #17: the workspace denies missing_docs; this crate's public items are not all
// documented yet. Remove this line once `cargo clippy -p genbench-gan` passes without it.
#![allow(missing_docs)]

pub mod config;
pub mod conv;
pub mod footprint;
pub mod losses;
pub mod mlp;
mod model;
pub mod nets;
#[cfg(test)]
mod tests;

pub use config::{Arch, GanConfig, Loss};
pub use model::GanModel;

use burn::prelude::*;
use genbench_core::{BuildContext, ConfigError, DataSpec, Family, Footprint, GenerativeModel};

/// σ'(a) of LeakyReLU with negative slope `slope`: 1 where a > 0, `slope` elsewhere. Piecewise
/// constant, so it carries no gradient (the bool mask is detached by construction).
pub(crate) fn leaky_relu_slope_mask<const D: usize>(a: Tensor<D>, slope: f64) -> Tensor<D> {
    a.greater_elem(0.0)
        .float()
        .mul_scalar(1.0 - slope)
        .add_scalar(slope)
}

pub struct Gan;

impl Family for Gan {
    const NAME: &'static str = "gan";
    const SUMMARY: &'static str = "GAN: non-saturating or WGAN-GP, MLP (vectors) or DCGAN (images), no likelihood, 1 pass per sample";
    type Config = GanConfig;

    fn validate(config: &GanConfig, spec: &DataSpec) -> Result<(), ConfigError> {
        config.validate(spec).map(|_| ())
    }

    fn footprint(config: &GanConfig, spec: &DataSpec, classes: usize) -> Footprint {
        let (arch, d_bn) = match config.validate(spec) {
            Ok(r) => (r.arch, r.d_batch_norm),
            Err(_) => (Arch::Mlp, false),
        };
        footprint::footprint(config, spec, arch, d_bn, classes)
    }

    fn build(config: GanConfig, ctx: &BuildContext) -> anyhow::Result<Box<dyn GenerativeModel>> {
        Ok(Box::new(GanModel::new(config, ctx)?))
    }
}
