//! Non-parametric texture synthesis (Efros & Leung 1999) as a generator of whole examples:
//! pixels in raster order, each copied from a training pixel whose causal neighbourhood best
//! matches what has been generated so far (the k nearest, or every match within (1 + ε) of the
//! best); on vectors the same over coordinates. It defines no tractable density: its likelihood
//! is `unavailable`, never a number.
//!
//! Modules: [`config`] (the knobs and the distance), [`window`] (the causal neighbourhood),
//! [`synth`] (one example), [`model`] (the state and the sampler over the training set).

pub mod config;
pub mod model;
pub mod synth;
pub mod window;

pub use config::{Selection, TextureConfig};
pub use model::TextureModel;

use genbench_core::likelihood::Likelihood;
use genbench_core::{
    Batch, BuildContext, ConfigError, DataSpec, Family, Footprint, GenerativeModel, ModelInfo,
    StepMetrics,
};
use std::path::Path;

/// The texture-synthesis family (`family = "texture"`): builds a [`TextureModel`] from a
/// [`TextureConfig`].
pub struct Texture;

impl Family for Texture {
    const NAME: &'static str = "texture";
    const SUMMARY: &'static str = "Efros & Leung non-parametric sampling: each pixel (coordinate) in raster order copied from a training pixel with a matching causal neighbourhood; likelihood unavailable, D searches per sample";
    type Config = TextureConfig;

    fn objective(_config: &TextureConfig) -> String {
        "none: nothing is trained (a lookup); 0 by convention".into()
    }

    fn validate(config: &TextureConfig, _spec: &DataSpec) -> Result<(), ConfigError> {
        config.validate()
    }

    /// A copy of the training set, the size of the data the planner counts; nothing else.
    fn footprint(_config: &TextureConfig, _spec: &DataSpec, _classes: usize) -> Footprint {
        Footprint::default()
    }

    fn build(
        config: TextureConfig,
        ctx: &BuildContext,
    ) -> anyhow::Result<Box<dyn GenerativeModel>> {
        Ok(Box::new(TextureModel::new(config, ctx)?))
    }
}

impl GenerativeModel for TextureModel {
    fn info(&self) -> ModelInfo {
        let c = &self.config;
        let rule = match c.selection {
            Selection::KNearest => format!("{}-nearest", c.k),
            Selection::Tolerance => format!("ε={}", c.epsilon),
        };
        ModelInfo {
            family: Texture::NAME,
            arch: format!("Efros–Leung (window {}, {rule})", c.window),
            paper: "Efros & Leung 1999",
            year: 1999,
        }
    }

    /// Keeps the training set: every pixel a sample copies comes from it.
    fn begin(&mut self, train: &Batch) -> anyhow::Result<()> {
        self.keep(train)
    }

    /// Nothing is fitted: the model is its training set. A step keeps the batch only if `begin`
    /// was skipped, and reports a loss of 0.
    fn train_step(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        if self.sources.is_none() {
            self.keep(batch)?;
        }
        Ok(StepMetrics::new(0.0))
    }

    fn sample(&mut self, n: usize, labels: Option<&[usize]>, seed: u64) -> anyhow::Result<Batch> {
        self.draw(n, labels, seed)
    }

    /// Unavailable: the sampler defines no density that can be evaluated.
    fn log_likelihood(&mut self, _batch: &Batch, _seed: u64) -> anyhow::Result<Likelihood> {
        Ok(Likelihood::unavailable())
    }

    /// One neighbourhood search per value: D.
    fn evals_per_sample(&self) -> f64 {
        self.spec.dim() as f64
    }

    /// The stored values (N × D): the training set is the model.
    fn num_params(&self) -> usize {
        self.sources.as_ref().map(|s| s.x.len()).unwrap_or(0)
    }

    fn is_conditional(&self) -> bool {
        self.classes > 0
    }

    fn save(&self, dir: &Path) -> anyhow::Result<()> {
        self.save_to(dir)
    }

    fn load(&mut self, dir: &Path) -> anyhow::Result<()> {
        self.load_from(dir)
    }
}
