//! The variational autoencoder (Kingma & Welling 2014; Rezende et al. 2014) behind the genbench
//! contract.
//!
//! - q(z|x) = N(mu(x), diag(sigma^2(x))), p(z) = N(0, I), z = mu + sigma * eps (reparameterised).
//! - p(x|z): Bernoulli on binarized images, a discretized logistic over the grey levels of other
//!   images (so its NLL bounds the same discrete quantity as every family's), a Gaussian with a
//!   learned per-dimension variance on 2-D data. MLP or convolutional networks.
//! - Conditional (CVAE, Sohn et al. 2015): the one-hot label enters the encoder and the decoder.
//! - Training minimises distortion + w_t * rate per example (w_t = β after a linear KL warm-up);
//!   the reported likelihood is the IWAE-k bound (Burda et al. 2016), with the ELBO, rate and
//!   distortion beside it.
//!
//! The VAE plays the same game as diffusion: its encoder q(z|x) is a learned version of
//! diffusion's fixed q(x_t|x_0), its latent space the noise space, its decoder the denoiser; both
//! maximise a likelihood bound.

pub mod artifacts;
pub mod bound;
pub mod config;
pub mod footprint;
mod model;
pub mod nets;
pub mod observation;

pub use config::{Arch, DecoderKind, DecoderSample, VaeConfig};
pub use model::VaeModel;
pub use observation::{Observation, discretized_logistic_log_prob};

use genbench_core::likelihood::{Likelihood, LikelihoodKind};
use genbench_core::{
    Batch, BuildContext, ConfigError, DataSpec, Family, Footprint, GenerativeModel, ModelInfo,
    StepMetrics, seed,
};
use std::path::Path;

/// The VAE family (`family = "vae"`): builds a [`VaeModel`] from a [`VaeConfig`].
pub struct Vae;

impl Family for Vae {
    const NAME: &'static str = "vae";
    const SUMMARY: &'static str = "VAE (MLP or conv; Bernoulli / discretized-logistic / Gaussian decoder), IWAE-k bound with ELBO, rate and distortion, 1 pass per sample";
    type Config = VaeConfig;

    fn objective(config: &VaeConfig) -> String {
        let warmup = if config.kl_warmup_steps > 0 {
            format!(", rising from 0 over {} steps", config.kl_warmup_steps)
        } else {
            String::new()
        };
        format!(
            "distortion + w · rate, nats per example, w the KL weight (β = {}{warmup}): −ELBO where w = 1",
            config.beta
        )
    }

    fn validate(config: &VaeConfig, spec: &DataSpec) -> Result<(), ConfigError> {
        config.validate(spec).map(|_| ())
    }

    fn footprint(config: &VaeConfig, spec: &DataSpec, classes: usize) -> Footprint {
        // An invalid decoder never gets here (validate runs first); logistic is the widest guess.
        let obs = config
            .validate(spec)
            .unwrap_or(Observation::Logistic { levels: 2 });
        footprint::footprint(config, spec, obs, classes)
    }

    fn build(config: VaeConfig, ctx: &BuildContext) -> anyhow::Result<Box<dyn GenerativeModel>> {
        Ok(Box::new(VaeModel::new(config, ctx)?))
    }
}

impl GenerativeModel for VaeModel {
    fn info(&self) -> ModelInfo {
        let arch = match self.config().arch {
            Arch::Mlp => "MLP",
            Arch::Conv => "conv",
        };
        let cond = if self.classes() > 0 { "CVAE" } else { "VAE" };
        ModelInfo {
            family: Vae::NAME,
            arch: format!(
                "{cond} ({arch}, {}, z={})",
                self.observation().name(),
                self.config().latent_dim
            ),
            paper: "Kingma & Welling 2014",
            year: 2014,
        }
    }

    /// Continuous data: the per-dimension mean and standard deviation of the training set
    /// become the standardization (its Jacobian is added back to every likelihood).
    fn begin(&mut self, train: &Batch) -> anyhow::Result<()> {
        self.standardize_from(train);
        Ok(())
    }

    /// One Adam step on distortion + w_t * rate, the negative ELBO per example with the KL weight
    /// w_t (β after the warm-up); extras `rate` and `distortion` in nats per example.
    fn train_step(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        self.train_on(batch)
    }

    /// z ~ N(0, I), then a draw from p(x|z) (`decoder_sample = "sample"`) or its mode.
    fn sample(&mut self, n: usize, labels: Option<&[usize]>, seed: u64) -> anyhow::Result<Batch> {
        self.draw(n, labels, seed)
    }

    /// IWAE_k per example (k = `iwae_k`), with the mean ELBO, rate and distortion beside it:
    /// extras `elbo_nats` (a log-likelihood bound: negative), `rate_nats`, `distortion_nats`.
    fn log_likelihood(&mut self, batch: &Batch, seed: u64) -> anyhow::Result<Likelihood> {
        let k = self.config().iwae_k;
        let terms = self.elbo_terms(batch, seed::derive(seed, 0))?;
        let iwae = self.iwae(batch, k, seed::derive(seed, 1))?;
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        Ok(Likelihood::new(LikelihoodKind::Iwae { k }, iwae)
            .with_extra("elbo_nats", mean(&terms.elbo()))
            .with_extra("rate_nats", mean(&terms.rate))
            .with_extra("distortion_nats", mean(&terms.distortion)))
    }

    fn evals_per_sample(&self) -> f64 {
        1.0
    }

    fn num_params(&self) -> usize {
        VaeModel::num_params(self)
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

    /// Reconstructions, prior samples, an interpolation, the rate per latent dimension and the
    /// bound's terms ([`artifacts`]).
    fn write_artifacts(&mut self, test: &Batch, dir: &Path, seed: u64) -> anyhow::Result<()> {
        artifacts::write(self, test, dir, seed)
    }
}
