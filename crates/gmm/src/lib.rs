//! The classical baseline: a Gaussian mixture fitted by EM (Dempster, Laird & Rubin 1977),
//! behind the same contract as the neural families.
//!
//! Each training step is one EM iteration of every restart on the batch (the manifest gives
//! the mixture `batch_size = "full"`); the restart with the highest likelihood so far is the
//! model that samples and scores. On images the mixture models uniformly dequantized data
//! (k + u)/L in [0,1]^D, so its NLL bounds the discrete NLL like every other family's.

pub mod config;
mod mixture;
pub mod model;

pub use config::GmmConfig;
pub use mixture::{Component, Covariance, Mixture, log_sum_exp, mixture_component};
pub use model::GmmModel;

use genbench_core::likelihood::Likelihood;
use genbench_core::{
    Batch, BuildContext, ConfigError, DataSpec, Family, Footprint, GenerativeModel, ModelInfo,
    StepMetrics,
};
use std::path::Path;

/// The Gaussian-mixture family (`family = "gmm"`): builds a [`GmmModel`] from a [`GmmConfig`].
pub struct Gmm;

impl Family for Gmm {
    const NAME: &'static str = "gmm";
    const SUMMARY: &'static str =
        "Gaussian mixture by EM (full or diagonal covariance), exact likelihood, 1 pass per sample";
    type Config = GmmConfig;

    fn objective(_config: &GmmConfig) -> String {
        "−log-likelihood of the batch before the EM update, nats per example (model space: dequantized pixels on images; best restart)".into()
    }

    fn validate(config: &GmmConfig, _spec: &DataSpec) -> Result<(), ConfigError> {
        config.validate()
    }

    fn footprint(config: &GmmConfig, spec: &DataSpec, classes: usize) -> Footprint {
        config.footprint(spec, classes)
    }

    fn build(config: GmmConfig, ctx: &BuildContext) -> anyhow::Result<Box<dyn GenerativeModel>> {
        Ok(Box::new(GmmModel::new(config, ctx)?))
    }
}

impl GenerativeModel for GmmModel {
    fn info(&self) -> ModelInfo {
        let cov = match self.config().covariance {
            Covariance::Full => "full",
            Covariance::Diagonal => "diag",
        };
        ModelInfo {
            family: Gmm::NAME,
            arch: format!("GMM K={} ({cov})", self.config().components),
            paper: "Dempster et al. 1977",
            year: 1977,
        }
    }

    /// k-means++ starts of every restart from the whole training set.
    fn begin(&mut self, train: &Batch) -> anyhow::Result<()> {
        self.initialise(train)
    }

    /// One EM iteration per restart and class; the loss is the best restart's NLL per example
    /// (nats, in the model's space) before the update.
    fn train_step(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        self.em_step(batch)
    }

    fn sample(&mut self, n: usize, labels: Option<&[usize]>, seed: u64) -> anyhow::Result<Batch> {
        self.draw(n, labels, seed)
    }

    /// Exact log p(x) on vectors; on images log p((k+u)/L) - D log L with one u per example,
    /// an unbiased estimate of the dequantized bound on log P(k).
    fn log_likelihood(&mut self, batch: &Batch, seed: u64) -> anyhow::Result<Likelihood> {
        self.likelihood(batch, seed)
    }

    fn evals_per_sample(&self) -> f64 {
        1.0
    }

    fn num_params(&self) -> usize {
        GmmModel::num_params(self)
    }

    fn is_conditional(&self) -> bool {
        self.conditional()
    }

    fn save(&self, dir: &Path) -> anyhow::Result<()> {
        self.save_to(dir)
    }

    fn load(&mut self, dir: &Path) -> anyhow::Result<()> {
        self.load_from(dir)
    }
}
