//! Diffusion: DDPM (Ho et al. 2020) with ε-prediction, linear and cosine schedules, ancestral
//! and DDIM samplers, the full variational bound, classifier-free guidance.
//!
//! Modules, from the maths out:
//! - [`schedule`]: β, α, ᾱ, q(x_t | x_0), the posterior q(x_{t−1} | x_t, x_0) (host, f64);
//! - [`vlb`]: the bound's terms (Gaussian KL, discretized Gaussian decoder, prior KL);
//! - [`denoiser`]: the networks ε_θ(x_t, t, y) (MLP for vectors, small U-Net for images);
//! - [`ema`]: the moving average of the weights used for sampling and scoring;
//! - [`sampler`]: DDPM and DDIM reverse processes with trajectory capture;
//! - [`model`]: training step, ε̂ with guidance, sampling, save/load;
//! - [`bound`]: the bound of a trained model on data, term by term; [`artifacts`]: the figures.

pub mod artifacts;
pub mod bound;
pub mod config;
pub mod denoiser;
pub mod ema;
pub mod model;
pub mod sampler;
pub mod schedule;
pub mod vlb;

pub use bound::Bound;
pub use config::{DenoiserKind, DiffusionConfig, SamplerKind};
pub use model::DiffusionModel;
pub use schedule::{ReverseVariance, Schedule, ScheduleKind};

use genbench_core::likelihood::{Likelihood, LikelihoodKind};
use genbench_core::{
    Batch, BuildContext, Family, GenerativeModel, ModelInfo, SamplerVariant, StepMetrics,
};
use sampler::Sampler;
use std::path::Path;

pub struct Diffusion;

impl Family for Diffusion {
    const NAME: &'static str = "diffusion";
    const SUMMARY: &'static str = "DDPM (eps-prediction; MLP or U-Net), DDPM/DDIM samplers, variational bound, T passes per sample (DDIM: fewer)";
    type Config = DiffusionConfig;

    fn build(
        config: DiffusionConfig,
        ctx: &BuildContext,
    ) -> anyhow::Result<Box<dyn GenerativeModel>> {
        Ok(Box::new(DiffusionModel::new(config, ctx)?))
    }
}

/// `guidance-2`, `guidance-0.5`.
fn guidance_name(w: f64) -> String {
    format!("guidance-{w}")
}

impl GenerativeModel for DiffusionModel {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            family: Diffusion::NAME,
            arch: self.arch(),
            paper: "Ho et al. 2020",
            year: 2020,
        }
    }

    fn begin(&mut self, train: &Batch) -> anyhow::Result<()> {
        if !self.spec.is_image() {
            self.cloud = Some(train.head(1000));
        }
        Ok(())
    }

    /// One Adam step on the simple loss (mean squared ε error per coordinate), then the EMA update.
    fn train_step(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        Ok(StepMetrics::new(self.train_on(batch)?))
    }

    fn sample(&mut self, n: usize, labels: Option<&[usize]>, seed: u64) -> anyhow::Result<Batch> {
        self.sample_with(
            n,
            labels,
            seed,
            self.default_sampler(),
            self.config.guidance_scale,
        )
    }

    /// The variational bound L_T + Σ_{t≥2} L_{t−1} + L_0 (kind `vlb-T`) on the first
    /// `vlb_examples` examples (all when 0), with the three parts and the cost (T network passes
    /// per example; the runner times the whole) as extras.
    fn log_likelihood(&mut self, batch: &Batch, seed: u64) -> anyhow::Result<Likelihood> {
        let batch = if self.config.vlb_examples > 0 {
            batch.head(self.config.vlb_examples)
        } else {
            batch.clone()
        };
        let b = self.bound(&batch, seed)?;
        Ok(Likelihood::new(
            LikelihoodKind::Vlb {
                steps: self.schedule.steps(),
            },
            b.total.iter().map(|v| -v).collect(),
        )
        .with_extra("l_T_nats", b.l_t_prior())
        .with_extra("l_0_nats", b.l_0())
        .with_extra("l_mid_nats", b.l_mid())
        .with_extra("network_passes_per_example", self.schedule.steps() as f64))
    }

    fn evals_per_sample(&self) -> f64 {
        self.evals(self.default_sampler(), self.config.guidance_scale)
    }

    fn num_params(&self) -> usize {
        DiffusionModel::num_params(self)
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

    /// `ddim-S` for each S of `ddim_sweep` (η and guidance of the config) and, on a
    /// conditional model, `guidance-w` for each w of `guidance_sweep` (default sampler).
    fn sampler_variants(&self) -> Vec<genbench_core::SamplerVariant> {
        let w = self.config.guidance_scale;
        let mut v: Vec<SamplerVariant> = self
            .config
            .ddim_sweep
            .iter()
            .map(|&s| SamplerVariant {
                name: format!("ddim-{s}"),
                evals_per_sample: self.evals(
                    Sampler::Ddim {
                        steps: s,
                        eta: self.config.eta,
                    },
                    w,
                ),
                knob: "ddim_steps",
                value: s as f64,
            })
            .collect();
        if self.classes > 0 {
            v.extend(self.config.guidance_sweep.iter().map(|&g| SamplerVariant {
                name: guidance_name(g),
                evals_per_sample: self.evals(self.default_sampler(), g),
                knob: "guidance_scale",
                value: g,
            }));
        }
        v
    }

    fn sample_variant(
        &mut self,
        name: &str,
        n: usize,
        labels: Option<&[usize]>,
        seed: u64,
    ) -> anyhow::Result<Batch> {
        let variant = self.sampler_variants().into_iter().find(|v| v.name == name);
        let Some(variant) = variant else {
            anyhow::bail!("{} has no sampler variant `{name}`", self.arch())
        };
        match variant.knob {
            "ddim_steps" => {
                let sampler = Sampler::Ddim {
                    steps: variant.value as usize,
                    eta: self.config.eta,
                };
                self.sample_with(n, labels, seed, sampler, self.config.guidance_scale)
            }
            _ => self.sample_with(n, labels, seed, self.default_sampler(), variant.value),
        }
    }

    fn write_artifacts(&mut self, test: &Batch, dir: &Path, seed: u64) -> anyhow::Result<()> {
        artifacts::write_all(self, test, dir, seed)
    }
}
