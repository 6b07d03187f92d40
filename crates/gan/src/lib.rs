//! Generative adversarial networks behind the genbench contract: a generator G(z, y) and a
//! critic D(x, y) trained against each other, with the non-saturating loss (Goodfellow et al.
//! 2014, the default) or WGAN-GP (Gulrajani et al. 2017).
//!
//! - Vectors (2-D densities): MLPs on raw coordinates. Images: DCGAN-style nets on [-1, 1]
//!   (levels k -> 2k/(L-1) - 1), samples mapped back to the nearest level.
//! - Conditional: G gets `[z; onehot(y)]`, D is a projection discriminator.
//! - A GAN defines no likelihood: `log_likelihood` says `unavailable`, never 0.
//! - One `train_step` = `n_critic` D updates then one G update, each with its own Adam.

pub mod activation;
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

use genbench_core::likelihood::Likelihood;
use genbench_core::{
    Batch, BuildContext, ConfigError, DataSpec, Family, Footprint, GenerativeModel, ModelInfo,
    StepMetrics,
};
use std::path::Path;

/// The GAN family (`family = "gan"`): builds a [`GanModel`] from a [`GanConfig`].
pub struct Gan;

impl Family for Gan {
    const NAME: &'static str = "gan";
    const SUMMARY: &'static str = "GAN: non-saturating or WGAN-GP, MLP (vectors) or DCGAN (images), no likelihood, 1 pass per sample";
    type Config = GanConfig;

    fn objective(config: &GanConfig) -> String {
        match config.loss {
            Loss::NonSaturating => "G's loss −log σ(D(G(z))), nats per example (non-saturating; D's in d_loss)",
            Loss::WganGp => "G's loss −D(G(z)), in critic units (WGAN-GP: no likelihood scale; the critic's in d_loss)",
        }
        .into()
    }

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

impl GenerativeModel for GanModel {
    fn info(&self) -> ModelInfo {
        let net = match self.arch() {
            Arch::Conv => "DCGAN",
            _ => "MLP",
        };
        let cond = if self.classes() > 0 {
            "conditional "
        } else {
            ""
        };
        let (loss, paper, year) = match self.config().loss {
            Loss::NonSaturating => ("NS-GAN", "Goodfellow et al. 2014", 2014),
            Loss::WganGp => ("WGAN-GP", "Gulrajani et al. 2017", 2017),
        };
        ModelInfo {
            family: Gan::NAME,
            arch: format!("{cond}{loss} ({net})"),
            paper,
            year,
        }
    }

    /// `n_critic` critic updates on `batch` (fresh fakes each), then one generator update.
    /// `loss` is G's loss; extras: `d_loss` (mean over the critic updates, penalty included),
    /// `g_loss`, and for WGAN-GP `gp` and `w_gap` (mean D(x) - mean D(G(z)), the critic's
    /// Wasserstein estimate).
    fn train_step(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        self.train_on(batch)
    }

    /// `n` samples G(z, y), one network pass each; z drawn on the host from `seed`.
    fn sample(&mut self, n: usize, labels: Option<&[usize]>, seed: u64) -> anyhow::Result<Batch> {
        self.draw(n, labels, seed)
    }

    /// A GAN defines no density: the kind says so and there is no number (never 0).
    fn log_likelihood(&mut self, _batch: &Batch, _seed: u64) -> anyhow::Result<Likelihood> {
        Ok(Likelihood::unavailable())
    }

    fn evals_per_sample(&self) -> f64 {
        1.0
    }

    /// Trainable parameters of both networks (G alone draws the samples); batch norm's running
    /// statistics are buffers and not counted.
    fn num_params(&self) -> usize {
        GanModel::num_params(self)
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
}
