//! Normalizing flows: RealNVP (Dinh, Sohl-Dickstein & Bengio 2017) behind genbench's contract.
//!
//! An invertible network f maps data to a standard normal z, so the log-density is exact by
//! change of variables, log p(x) = log N(f(x); 0, I) + log|det df/dx|, and a sample is one
//! inverse pass x = f^{-1}(z). Every layer is cheap to invert and has a triangular Jacobian:
//! - [`coupling`]: affine coupling with alternating masks (halves, checkerboard, channels) and
//!   a soft-clamped log-scale;
//! - [`actnorm`]: per-feature affine maps initialised from data (the contract's `begin`);
//! - [`mlp`]: the vector flow (MLP conditioners); [`image`]: the multi-scale image flow
//!   (conv conditioners, squeeze, factoring out half the channels per scale) built from [`conv`].
//!
//! On images the flow models uniformly dequantized, logit-transformed pixels, and its reported
//! likelihood is the dequantization bound on the discrete data ([`model`]). Conditional flows
//! give every conditioner the label.

pub mod actnorm;
pub mod artifacts;
pub mod config;
pub mod conv;
pub mod coupling;
pub mod footprint;
pub mod image;
pub mod mlp;
pub mod model;
pub mod net;

pub use config::FlowConfig;
pub use model::FlowModel;

use genbench_core::likelihood::Likelihood;
use genbench_core::{
    Batch, BuildContext, ConfigError, DataSpec, Family, Footprint, GenerativeModel, ModelInfo,
    StepMetrics,
};
use std::path::Path;

/// The manifest's `family = "flow"`.
pub const NAME: &str = "flow";

/// The normalizing-flow family (`family = "flow"`): builds a [`FlowModel`] from a [`FlowConfig`].
pub struct Flow;

impl Family for Flow {
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "RealNVP normalizing flow (affine couplings, act-norm, multi-scale on images), exact / dequantized likelihood, 1 pass per sample";
    type Config = FlowConfig;

    fn objective(_config: &FlowConfig) -> String {
        "−log p(x) of the batch, nats per example (exact; on images dequantized, one noise draw)"
            .into()
    }

    fn validate(config: &FlowConfig, spec: &DataSpec) -> Result<(), ConfigError> {
        config.validate(spec)
    }

    fn footprint(config: &FlowConfig, spec: &DataSpec, classes: usize) -> Footprint {
        footprint::footprint(config, spec, classes)
    }

    fn build(config: FlowConfig, ctx: &BuildContext) -> anyhow::Result<Box<dyn GenerativeModel>> {
        Ok(Box::new(FlowModel::new(config, ctx)?))
    }
}

impl GenerativeModel for FlowModel {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            family: NAME,
            arch: self.arch(),
            paper: "Dinh et al. 2017",
            year: 2017,
        }
    }

    /// Act-norm data-dependent initialisation from up to `init_examples` training examples
    /// (a seeded subset), each norm from the outputs of the layers before it.
    fn begin(&mut self, train: &Batch) -> anyhow::Result<()> {
        self.initialise_actnorm(train)
    }

    /// One Adam step on the mean NLL per dimension; the reported loss is the NLL per example in
    /// nats (for images, of the discrete data through the dequantization bound), with `bpd`.
    fn train_step(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        self.train_on(batch)
    }

    /// z ~ N(0, temperature^2 I) drawn on the host from `seed`, then x = f^{-1}(z).
    fn sample(&mut self, n: usize, labels: Option<&[usize]>, seed: u64) -> anyhow::Result<Batch> {
        self.draw(n, labels, seed)
    }

    /// Exact log p(x) on vectors (kind `Exact`); on images the dequantized bound on log P(k)
    /// with one u ~ U[0,1)^D per example drawn from `seed` (kind `Dequantized`).
    fn log_likelihood(&mut self, batch: &Batch, seed: u64) -> anyhow::Result<Likelihood> {
        self.likelihood(batch, seed)
    }

    fn evals_per_sample(&self) -> f64 {
        1.0
    }

    fn num_params(&self) -> usize {
        FlowModel::num_params(self)
    }

    fn is_conditional(&self) -> bool {
        self.classes() > 0
    }

    fn save(&self, dir: &Path) -> anyhow::Result<()> {
        self.save_to(dir)
    }

    fn load(&mut self, dir: &Path) -> anyhow::Result<()> {
        self.load_from(dir)
    }

    /// 2-D: the latents of the test points; images: samples by temperature ([`artifacts`]).
    fn write_artifacts(&mut self, test: &Batch, dir: &Path, seed: u64) -> anyhow::Result<()> {
        artifacts::write(self, test, dir, seed)
    }
}
