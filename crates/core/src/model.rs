//! The contract: one interface every family honours, so one loop, one evaluator and one
//! sampler serve them all.

use crate::check::{ConfigError, Footprint};
use crate::data::{Batch, DataSpec};
use crate::init;
use crate::likelihood::Likelihood;
use crate::seed::Seeds;
use anyhow::Context;
use burn::prelude::Device;
use serde::{Serialize, de::DeserializeOwned};
use std::collections::BTreeMap;
use std::path::Path;

/// What a model is, for tables and the report's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelInfo {
    /// The family, e.g. `gmm`, `vae`, `diffusion` (the manifest's `family`).
    pub family: &'static str,
    /// The architecture, e.g. `GMM (full)`, `MADE`, `DDPM (U-Net)`.
    pub arch: String,
    /// The paper that introduced it, e.g. `Kingma & Welling 2014`.
    pub paper: &'static str,
    /// That paper's year (the report orders families by it).
    pub year: u16,
}

/// A named alternative sampler: its network evaluations per sample and the knob it sets.
#[derive(Clone, Debug, PartialEq)]
pub struct SamplerVariant {
    /// e.g. `ddim-50` or `guidance-2`.
    pub name: String,
    /// Network evaluations per sample.
    pub evals_per_sample: f64,
    /// The knob it sets, e.g. `ddim_steps` (50.0) or `guidance_scale` (2.0).
    pub knob: &'static str,
    /// The knob's value.
    pub value: f64,
}

/// What one training step reports. `loss` is the objective the step minimised (the family
/// says which, with its unit, in [`Family::objective`]); `extras` carries other per-step numbers (a GAN's D and G losses,
/// a VAE's rate and distortion) that go to train.csv.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepMetrics {
    /// The value of the objective the step minimised.
    pub loss: f64,
    /// Other per-step numbers by name (written to train.csv).
    pub extras: BTreeMap<String, f64>,
}

impl StepMetrics {
    /// The metrics of a step with `loss` and no extras.
    pub fn new(loss: f64) -> Self {
        Self {
            loss,
            extras: BTreeMap::new(),
        }
    }

    /// The same with the extra `name` = `value`.
    pub fn with(mut self, name: &str, value: f64) -> Self {
        self.extras.insert(name.to_string(), value);
        self
    }

    /// Whether every number is finite.
    pub fn is_finite(&self) -> bool {
        self.loss.is_finite() && self.extras.values().all(|v| v.is_finite())
    }

    /// Why this step ends the run as diverged: a loss or extra that is not finite, or whose
    /// magnitude exceeds [`ABSURD_LOSS`]; `None` for a healthy step.
    pub fn divergence(&self) -> Option<String> {
        std::iter::once(("loss", self.loss))
            .chain(self.extras.iter().map(|(k, v)| (k.as_str(), *v)))
            .find(|(_, v)| !v.is_finite() || v.abs() > ABSURD_LOSS)
            .map(|(name, v)| {
                if v.is_finite() {
                    format!("{name} {v:e} beyond ±{ABSURD_LOSS:e}")
                } else {
                    format!("{name} {v}")
                }
            })
    }
}

/// A per-example loss (in nats, or a GAN's critic score) beyond this magnitude is a diverged
/// run, not a bad one: the worst honest model of 784 pixels with 256 levels costs
/// 784 ln 256 ≈ 4.3e3 nats per example, six orders of magnitude below.
pub const ABSURD_LOSS: f64 = 1e10;

/// How far outside the data a sample may lie before the run counts as diverged: a sample value
/// outside `[lo − k·(hi − lo), hi + k·(hi − lo)]`, where `[lo, hi]` is the range of every value
/// of the training set and k = [`ABSURD_SAMPLE_RANGES`], or not finite. Such a sample would
/// dominate the Fréchet distance (one point at 1e17 gives an FD near 1e34 / n). Generous on
/// purpose: a young flow's heavy tail put one of 2,000 checkerboard samples (data on [-4, 4]) at
/// 133, 16 widths out — a poor model, not a diverged one.
pub const ABSURD_SAMPLE_RANGES: f64 = 100.0;

/// The error a scorer returns when a model's output shows it diverged (see
/// [`absurd_samples`]): the runner records the run as diverged, not as failed.
#[derive(Debug)]
pub struct Diverged(pub String);

impl std::fmt::Display for Diverged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "diverged: {}", self.0)
    }
}

impl std::error::Error for Diverged {}

/// Why `samples` make the run diverged (see [`ABSURD_SAMPLE_RANGES`]), or `None`.
pub fn absurd_samples(samples: &Batch, train: &Batch) -> Option<String> {
    let (lo, hi) = train
        .x
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let (lo, hi) = (lo as f64, hi as f64);
    // Constant data has no width: its size (at least 1) stands in, so that a sample a little
    // off the one value is a poor model, not a diverged one.
    let width = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
    let (min, max) = (
        lo - ABSURD_SAMPLE_RANGES * width,
        hi + ABSURD_SAMPLE_RANGES * width,
    );
    let bad = samples
        .x
        .iter()
        .map(|&v| v as f64)
        .filter(|v| !(v.is_finite() && *v >= min && *v <= max))
        .collect::<Vec<_>>();
    let first = bad.first()?;
    Some(format!(
        "{} of {} sample values outside {min:.4e} to {max:.4e} (data {lo:.4e} to {hi:.4e}; first {first:.4e})",
        bad.len(),
        samples.x.len()
    ))
}

/// What a family receives to build a model: the data it will see, where to compute, the run's
/// seeds and the learning rate of the manifest. Made only by [`BuildContext::new`], which seeds
/// the device.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BuildContext {
    /// What an example is: the model's input and output shape, levels and classes.
    pub spec: DataSpec,
    /// The plain device; a model that trains by gradient calls `.autodiff()` on it.
    pub device: Device,
    /// The run's seed streams.
    pub seeds: Seeds,
    /// The manifest's learning rate.
    pub learning_rate: f64,
    /// Whether to condition on the label (the manifest's `conditional`).
    pub conditional: bool,
}

impl BuildContext {
    /// The context of one run. The generator initial weights are drawn from is seeded here
    /// ([`init::seed`], from the `init` stream of `seeds`), the one place it is: a model built
    /// next from this context (through [`init::on_host`]) starts from the same weights on every
    /// machine and device, and no family seeds its own.
    pub fn new(
        spec: DataSpec,
        device: Device,
        seeds: Seeds,
        learning_rate: f64,
        conditional: bool,
    ) -> Self {
        init::seed(&device, seeds.stream("init"));
        Self {
            spec,
            device,
            seeds,
            learning_rate,
            conditional,
        }
    }

    /// The same context with another learning rate.
    pub fn with_learning_rate(self, learning_rate: f64) -> Self {
        Self {
            learning_rate,
            ..self
        }
    }

    /// The same context, conditioning on the label or not.
    pub fn with_conditional(self, conditional: bool) -> Self {
        Self {
            conditional,
            ..self
        }
    }

    /// The classes to condition on: the dataset's when `conditional`, 0 otherwise; an error when
    /// conditioning is asked of a dataset without labels.
    pub fn condition_classes(&self) -> anyhow::Result<usize> {
        if !self.conditional {
            return Ok(0);
        }
        anyhow::ensure!(
            self.spec.num_classes > 0,
            "dataset {} has no labels to condition on",
            self.spec.name
        );
        Ok(self.spec.num_classes)
    }
}

/// A trained-or-training generative model. Values in and out are in the data's own space
/// (levels for images, coordinates for vectors); each family maps them to what its maths needs.
pub trait GenerativeModel {
    /// The model's family, architecture and the paper that introduced it.
    fn info(&self) -> ModelInfo;

    /// Called once with the whole training set before the first step (data-dependent
    /// initialisation: k-means++ for a mixture, act-norm statistics for a flow). Not called
    /// when a run resumes from a checkpoint.
    fn begin(&mut self, _train: &Batch) -> anyhow::Result<()> {
        Ok(())
    }

    /// One optimisation step on `batch` (a GAN makes its D and G updates here).
    fn train_step(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics>;

    /// `n` samples; for a conditional model `labels` (length `n`) says which class each is.
    fn sample(&mut self, n: usize, labels: Option<&[usize]>, seed: u64) -> anyhow::Result<Batch>;

    /// Per-example log-likelihood (or bound) of `batch`, in nats, with its kind. Stochastic
    /// bounds draw from `seed`.
    fn log_likelihood(&mut self, batch: &Batch, seed: u64) -> anyhow::Result<Likelihood>;

    /// The score the periodic and anytime validation evaluations read (checkpoint selection,
    /// early stopping, the anytime curves): [`Self::log_likelihood`] unless the family's bound
    /// is too costly to compute at every evaluation and it returns an unbiased estimate of the
    /// same bound under its own kind (a DDPM's `vlb-T-tK`). The test set is always scored by
    /// `log_likelihood`.
    fn validation_log_likelihood(
        &mut self,
        batch: &Batch,
        seed: u64,
    ) -> anyhow::Result<Likelihood> {
        self.log_likelihood(batch, seed)
    }

    /// Network evaluations to draw one sample (D for autoregressive, T for DDPM, 1 for GANs).
    fn evals_per_sample(&self) -> f64;

    /// Number of trainable parameters.
    fn num_params(&self) -> usize;

    /// Whether the model takes a label.
    fn is_conditional(&self) -> bool {
        false
    }

    /// Write weights (and optimizer state) into the folder `dir`.
    fn save(&self, dir: &Path) -> anyhow::Result<()>;

    /// Restore what `save` wrote.
    fn load(&mut self, dir: &Path) -> anyhow::Result<()>;

    /// Alternative samplers the evaluator should score besides the default one (a DDIM step
    /// sweep, classifier-free guidance scales). The runner scores each with the same metrics and
    /// writes runs/<id>/variants.csv.
    fn sampler_variants(&self) -> Vec<SamplerVariant> {
        Vec::new()
    }

    /// `n` samples from the variant named `name` (one of `sampler_variants`).
    fn sample_variant(
        &mut self,
        name: &str,
        _n: usize,
        _labels: Option<&[usize]>,
        _seed: u64,
    ) -> anyhow::Result<Batch> {
        anyhow::bail!("{} has no sampler variant `{name}`", self.info().arch)
    }

    /// Family-specific outputs for the report (reconstructions, trajectories, per-timestep
    /// terms), written as CSV/PNG under `dir` from fixed test examples.
    fn write_artifacts(&mut self, _test: &Batch, _dir: &Path, _seed: u64) -> anyhow::Result<()> {
        Ok(())
    }
}

/// A family: a name, a serde config and how to build a model from it.
pub trait Family {
    /// The manifest's `family = "..."`.
    const NAME: &'static str;
    /// One line for `genbench list`.
    const SUMMARY: &'static str;
    /// The family's own config (the manifest's `[models.config]` table). Unknown keys must be
    /// rejected (`#[serde(deny_unknown_fields)]`) and a missing table must mean the defaults.
    type Config: DeserializeOwned + Serialize + Default;

    /// Every check of `config` against the data it will see, made before anything is written
    /// (the planner calls it for every run of a manifest): a setting no model can be built or
    /// trained with is an error naming its key in `[models.config]`. `build` may assume it passed.
    fn validate(config: &Self::Config, spec: &DataSpec) -> Result<(), ConfigError>;

    /// What a model of `config` on `spec` (with `classes` label classes, 0 = unconditional) holds
    /// in memory, estimated from the config alone: the planner refuses a run that would not fit
    /// before anything is built.
    fn footprint(config: &Self::Config, spec: &DataSpec, classes: usize) -> Footprint;

    /// What a model of `config` reports as its training step's `loss` (train.csv's `loss`
    /// column), with its unit: e.g. "−log p(x) of the batch, nats per example (exact)". The
    /// report labels the training curves with it; a family with nothing to minimise says so.
    fn objective(config: &Self::Config) -> String;

    /// The model `config` describes for the data and device of `ctx`.
    fn build(config: Self::Config, ctx: &BuildContext) -> anyhow::Result<Box<dyn GenerativeModel>>;
}

/// Deserialize `config` (a TOML table, possibly empty) as `F::Config`, return it as JSON (what
/// goes into config.json) and the model. Errors name the family and the offending key.
pub fn build_family<F: Family>(
    config: toml::Table,
    ctx: &BuildContext,
) -> anyhow::Result<(serde_json::Value, Box<dyn GenerativeModel>)> {
    let parsed = parse_family_config::<F>(config)?;
    F::validate(&parsed, &ctx.spec)
        .map_err(|e| anyhow::anyhow!("config of family `{}`: {e}", F::NAME))?;
    let json = serde_json::to_value(&parsed)?;
    let model = F::build(parsed, ctx).with_context(|| format!("building a `{}` model", F::NAME))?;
    Ok((json, model))
}

/// Only the parse of `F::Config` — used to validate a manifest before any run starts.
pub fn parse_family_config<F: Family>(config: toml::Table) -> anyhow::Result<F::Config> {
    parse_config::<F>(config).map_err(|e| anyhow::anyhow!("config of family `{}`: {e}", F::NAME))
}

/// Parse `F::Config` from `config`; an error names the offending key. serde names an unknown
/// key itself; for a value of the wrong type or range it does not, so the key is found by
/// parsing each key alone (every family config takes its defaults for missing keys).
pub fn parse_config<F: Family>(config: toml::Table) -> Result<F::Config, ConfigError> {
    let whole = match F::Config::deserialize(config.clone()) {
        Ok(parsed) => return Ok(parsed),
        Err(e) => e.message().trim().replace('\n', " "),
    };
    let culprit = config.iter().find(|(key, value)| {
        let alone = toml::Table::from_iter([(key.to_string(), (*value).clone())]);
        F::Config::deserialize(alone).is_err()
    });
    let key = match culprit {
        Some((key, _)) => key.clone(),
        None => unknown_field(&whole).unwrap_or_else(|| "config".to_string()),
    };
    Err(ConfigError::new(key, whole))
}

/// The key of serde's "unknown field `k`, expected ..." message.
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest[..rest.find('`')?].to_string())
}

/// Parse and validate `config` for a run on `spec`: what the planner calls for every run.
pub fn check_family_config<F: Family>(
    config: toml::Table,
    spec: &DataSpec,
    conditional: bool,
) -> Result<Footprint, ConfigError> {
    let parsed = parse_config::<F>(config)?;
    crate::check::require_labels(spec, conditional)?;
    F::validate(&parsed, spec)?;
    let classes = if conditional { spec.num_classes } else { 0 };
    Ok(F::footprint(&parsed, spec, classes))
}

use serde::Deserialize as _;

#[cfg(test)]
mod divergence_tests {
    use super::*;

    /// Data on [-2, 6] (width 8): samples up to 6 + 100·8 = 806 and down to −802 are kept; one
    /// value beyond, or a NaN, is divergence.
    #[test]
    fn samples_beyond_a_hundred_data_ranges_are_absurd() {
        let train = Batch::new(vec![-2.0, 6.0, 0.0, 1.0], vec![], 2);
        let ok = Batch::new(vec![806.0, -802.0, 0.0, 5.0], vec![], 2);
        assert_eq!(absurd_samples(&ok, &train), None);
        let far = Batch::new(vec![806.5, 0.0, 6e17, 1.0], vec![], 2);
        let why = absurd_samples(&far, &train).unwrap();
        assert_eq!(
            why,
            "2 of 4 sample values outside -8.0200e2 to 8.0600e2 (data -2.0000e0 to 6.0000e0; first 8.0650e2)"
        );
        let nan = Batch::new(vec![f32::NAN, 0.0], vec![], 2);
        assert!(absurd_samples(&nan, &train).is_some());
        // Constant data at 7: width |7|, so 7 ± 700 is kept.
        let constant = Batch::new(vec![7.0; 4], vec![], 2);
        let near = Batch::new(vec![12.0, -693.0], vec![], 2);
        assert_eq!(absurd_samples(&near, &constant), None);
        let far = Batch::new(vec![708.0, 7.0], vec![], 2);
        assert!(absurd_samples(&far, &constant).is_some());
    }

    #[test]
    fn absurd_and_non_finite_steps_are_divergence() {
        assert_eq!(StepMetrics::new(4.3e3).divergence(), None);
        let huge = StepMetrics::new(1.0).with("d_loss", -2e10);
        assert_eq!(huge.divergence().unwrap(), "d_loss -2e10 beyond ±1e10");
        assert_eq!(StepMetrics::new(f64::NAN).divergence().unwrap(), "loss NaN");
    }
}
