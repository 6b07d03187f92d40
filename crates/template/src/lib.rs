//! Template synthesis: the simplest generator there is. A sample is a training example drawn
//! at random, optionally deformed a little (a shift of up to k pixels, Simard et al.'s elastic
//! distortion, Gaussian jitter on vectors); the likelihood is the classical answer to "how
//! likely is x under the templates": a Gaussian kernel density estimate over the training set
//! (Rosenblatt 1956, Parzen 1962) with its bandwidth chosen on a validation split, kind `kde`
//! (exact on vectors, uniformly dequantized on images).
//!
//! Its sample metrics show what copying the data earns: without deformation FID-approx,
//! precision and density all reward it, which is what the evaluator's memorisation check is for.
//!
//! Modules: [`config`] (the knobs), [`kde`] (the estimate), [`deform`] (the deformations),
//! [`model`] (the state: templates, bandwidth, sampling order, save/load).

pub mod config;
pub mod deform;
pub mod kde;
pub mod model;

pub use config::TemplateConfig;
pub use model::{Fit, TemplateModel};

use genbench_core::likelihood::{Likelihood, LikelihoodKind};
use genbench_core::{
    Batch, BuildContext, ConfigError, DataSpec, Family, Footprint, GenerativeModel, ModelInfo,
    StepMetrics,
};
use std::path::Path;

/// The template family (`family = "template"`): builds a [`TemplateModel`] from a
/// [`TemplateConfig`].
pub struct Template;

impl Family for Template {
    const NAME: &'static str = "template";
    const SUMMARY: &'static str = "training examples drawn at random, optionally shifted, elastically deformed or jittered; KDE likelihood (bandwidth chosen on validation), 1 lookup per sample";
    type Config = TemplateConfig;

    fn objective(_config: &TemplateConfig) -> String {
        "validation NLL of the kernel density at the chosen bandwidth, nats per example (one step)"
            .into()
    }

    fn validate(config: &TemplateConfig, _spec: &DataSpec) -> Result<(), ConfigError> {
        config.validate()
    }

    /// A copy of the training set, the size of the data the planner counts; nothing else.
    fn footprint(_config: &TemplateConfig, _spec: &DataSpec, _classes: usize) -> Footprint {
        Footprint::default()
    }

    fn build(
        config: TemplateConfig,
        ctx: &BuildContext,
    ) -> anyhow::Result<Box<dyn GenerativeModel>> {
        Ok(Box::new(TemplateModel::new(config, ctx)?))
    }
}

impl GenerativeModel for TemplateModel {
    fn info(&self) -> ModelInfo {
        let c = &self.config;
        let mut parts = Vec::new();
        if c.max_shift > 0 {
            parts.push(format!("shift ≤ {}", c.max_shift));
        }
        if c.elastic_alpha > 0.0 {
            parts.push(format!(
                "elastic α={} σ={}",
                c.elastic_alpha, c.elastic_sigma
            ));
        }
        if c.jitter > 0.0 {
            parts.push(format!("jitter σ={}", c.jitter));
        }
        let deform = if parts.is_empty() {
            "copies".to_string()
        } else {
            parts.join(", ")
        };
        ModelInfo {
            family: Template::NAME,
            arch: format!("templates ({deform}) + KDE"),
            paper: "Parzen 1962",
            year: 1962,
        }
    }

    /// Keeps the training set: the templates and the KDE's centres.
    fn begin(&mut self, train: &Batch) -> anyhow::Result<()> {
        anyhow::ensure!(
            train.dim == self.spec.dim(),
            "training data of the wrong dim"
        );
        self.templates = Some(train.clone());
        Ok(())
    }

    /// The whole fit happens in the first step: the bandwidth is chosen on the validation split
    /// (so its cost is counted as training time). Every step reports the chosen bandwidth's
    /// validation NLL (nats per example) as its loss and the bandwidth as `bandwidth`; later
    /// steps change nothing.
    fn train_step(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        if self.templates.is_none() {
            self.templates = Some(batch.clone());
        }
        let fit = match self.fit {
            Some(fit) => fit,
            None => {
                let fit = self.choose_bandwidth()?;
                self.fit = Some(fit);
                fit
            }
        };
        Ok(StepMetrics::new(fit.validation_nll_nats).with("bandwidth", fit.bandwidth))
    }

    fn sample(&mut self, n: usize, labels: Option<&[usize]>, seed: u64) -> anyhow::Result<Batch> {
        self.draw(n, labels, seed)
    }

    /// The KDE's log-density (kind `kde`; the estimate of −log p(x | y) per class when
    /// conditional), with the chosen bandwidth's validation NLL as an extra (the bandwidth is
    /// in train.csv).
    fn log_likelihood(&mut self, batch: &Batch, seed: u64) -> anyhow::Result<Likelihood> {
        let lp = self.log_density(batch, seed)?;
        let fit = self.fit.expect("log_density checked the fit");
        Ok(Likelihood::new(LikelihoodKind::Kde, lp)
            .with_extra("validation_nll_nats", fit.validation_nll_nats))
    }

    /// One lookup (and a deformation) per sample; no network.
    fn evals_per_sample(&self) -> f64 {
        1.0
    }

    /// The stored values (N × D; the templates are the model) and the bandwidth.
    fn num_params(&self) -> usize {
        self.templates.as_ref().map(|t| t.x.len() + 1).unwrap_or(0)
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
