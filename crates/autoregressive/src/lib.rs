//! Autoregressive models: p(x) = prod_d p(x_d | x_<d), an exact likelihood in one pass and
//! samples in D passes.
//!
//! - MADE (Germain et al. 2015, [`made`]): a masked MLP; a categorical over the L grey levels
//!   per pixel on images (so log p is the exact discrete log-probability), a mixture of
//!   Gaussians per dimension on continuous vectors (an exact density in nats).
//! - PixelCNN (van den Oord et al. 2016, [`pixelcnn`]): masked convolutions (mask A, then
//!   residual mask-B blocks, optionally gated) to L logits per pixel of a single-channel image.
//!
//! Conditional models take the label in every layer: a one-hot input to each masked layer of
//! MADE (connected to all units), a learned per-layer bias from a label embedding in PixelCNN.

pub mod completion;
pub mod config;
pub mod footprint;
pub mod heads;
pub mod made;
pub mod masks;
pub mod model;
pub mod net;
pub mod pixelcnn;

pub use config::{Arch, AutoregressiveConfig};
pub use masks::Ordering;
pub use model::ArModel;

use genbench_core::likelihood::Likelihood;
use genbench_core::{
    Batch, BuildContext, ConfigError, DataSpec, Family, Footprint, GenerativeModel, ModelInfo,
    StepMetrics,
};
use std::path::Path;

/// The manifest's `family = "autoregressive"`.
pub const NAME: &str = "autoregressive";

/// The autoregressive family (`family = "autoregressive"`): builds an [`ArModel`] from an
/// [`AutoregressiveConfig`].
pub struct Autoregressive;

impl Family for Autoregressive {
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "MADE (masked MLP) and PixelCNN (masked convolutions), exact likelihood, D passes per sample";
    type Config = AutoregressiveConfig;

    fn objective(_config: &AutoregressiveConfig) -> String {
        "−log p(x) of the batch, nats per example (exact)".into()
    }

    fn validate(config: &AutoregressiveConfig, spec: &DataSpec) -> Result<(), ConfigError> {
        config.validate(spec)
    }

    fn footprint(config: &AutoregressiveConfig, spec: &DataSpec, classes: usize) -> Footprint {
        footprint::footprint(config, spec, classes)
    }

    fn build(
        config: AutoregressiveConfig,
        ctx: &BuildContext,
    ) -> anyhow::Result<Box<dyn GenerativeModel>> {
        Ok(Box::new(ArModel::new(config, ctx)?))
    }
}

impl GenerativeModel for ArModel {
    fn info(&self) -> ModelInfo {
        let (arch, paper, year) = match self.config().arch {
            Arch::Made => ("MADE", "Germain et al. 2015", 2015),
            Arch::Pixelcnn if self.config().gated => {
                ("PixelCNN (gated)", "van den Oord et al. 2016", 2016)
            }
            Arch::Pixelcnn => ("PixelCNN", "van den Oord et al. 2016", 2016),
        };
        ModelInfo {
            family: NAME,
            arch: arch.into(),
            paper,
            year,
        }
    }

    /// Mixture heads: spread each dimension's K component means over the training data's
    /// quantiles (j + 1/2)/K, with scales of half the spacing of the central 98%.
    fn begin(&mut self, train: &Batch) -> anyhow::Result<()> {
        self.initialise_mixtures(train)
    }

    /// One Adam step on the mean NLL (nats per example).
    fn train_step(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        self.train_on(batch)
    }

    /// D network passes, one dimension each in the model's order, batched over the samples.
    fn sample(&mut self, n: usize, labels: Option<&[usize]>, seed: u64) -> anyhow::Result<Batch> {
        self.draw(n, labels, seed)
    }

    /// Exact log p(x) in nats: the sum of the D conditionals' log-probabilities (discrete levels
    /// for images, a density for vectors).
    fn log_likelihood(&mut self, batch: &Batch, _seed: u64) -> anyhow::Result<Likelihood> {
        self.likelihood(batch)
    }

    fn evals_per_sample(&self) -> f64 {
        self.spec().dim() as f64
    }

    fn num_params(&self) -> usize {
        ArModel::num_params(self)
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

    /// Images: completions of the bottom half of test images given the top ([`completion`]).
    fn write_artifacts(&mut self, test: &Batch, dir: &Path, seed: u64) -> anyhow::Result<()> {
        if self.spec().is_image() {
            completion::write_completions(
                self,
                test,
                &dir.join(completion::COMPLETIONS_PNG),
                seed,
            )?;
        }
        Ok(())
    }
}
