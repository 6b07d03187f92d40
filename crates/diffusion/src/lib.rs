//! Diffusion's three faces on one contract: DDPM (Ho et al. 2020) with ε-prediction, linear and
//! cosine schedules, the simple, VLB and hybrid losses and learned reverse variances (Nichol &
//! Dhariwal 2021), ancestral and DDIM samplers, the full variational bound, classifier-free
//! guidance; VDM (Kingma et al. 2021), continuous time with a learned noise schedule; and the
//! probability-flow ODE of either (Song et al. 2021), an exact likelihood and a sampler.
//!
//! Modules, from the maths out:
//! - [`schedule`]: β, α, ᾱ, q(x_t | x_0), the posterior q(x_{t−1} | x_t, x_0), learned
//!   variances, continuous-time γ(t) (host, f64);
//! - [`vlb`]: the bound's terms (Gaussian KL, discretized Gaussian decoder, prior KL);
//! - [`denoiser`]: the networks ε_θ(x_t, t, y) (MLP for vectors, small U-Net for images),
//!   Fourier features, and VDM's monotone γ_η(t);
//! - [`ema`]: the moving average of the weights used for sampling and scoring;
//! - [`resample`]: uniform or importance-sampled training timesteps;
//! - [`train`]: DDPM's training step for each loss; [`sampler`]: DDPM and DDIM reverse processes;
//! - [`model`]: ε̂ with guidance, sampling, save/load; [`bound`]: the bound term by term;
//! - [`vdm`]: the variational diffusion model (loss, bound, sampler);
//! - [`ode`]: Dormand–Prince; [`flow`]: the probability-flow ODE and its divergence;
//!   [`ddpm_field`], [`ode_score`]: the ODE likelihood and sampler of a trained model;
//! - [`artifacts`]: the figures' data.

pub mod artifacts;
pub mod bound;
pub mod config;
pub mod ddpm_field;
pub mod denoiser;
pub mod ema;
pub mod flow;
pub mod footprint;
pub mod model;
pub mod ode;
pub mod ode_score;
pub mod resample;
pub mod sampler;
pub mod schedule;
pub mod train;
pub mod vdm;
pub mod vlb;

pub use bound::Bound;
pub use config::{DenoiserKind, DiffusionConfig, LossKind, Process, SamplerKind};
pub use model::DiffusionModel;
pub use schedule::{ReverseVariance, Schedule, ScheduleKind};
pub use vdm::VdmModel;

use genbench_core::likelihood::{Likelihood, LikelihoodKind};
use genbench_core::{
    Batch, BuildContext, ConfigError, DataSpec, Family, Footprint, GenerativeModel, ModelInfo,
    SamplerVariant, StepMetrics,
};
use sampler::Sampler;
use std::path::Path;

/// The diffusion family (`family = "diffusion"`): builds a [`DiffusionModel`] or a [`VdmModel`]
/// from a [`DiffusionConfig`].
pub struct Diffusion;

impl Family for Diffusion {
    const NAME: &'static str = "diffusion";
    const SUMMARY: &'static str = "DDPM (eps-prediction; simple/VLB/hybrid loss, learned variances; MLP or U-Net), VDM (learned noise schedule, continuous time), DDPM/DDIM/probability-flow ODE samplers, variational bound and ODE likelihood";
    type Config = DiffusionConfig;

    fn objective(config: &DiffusionConfig) -> String {
        match (config.process, config.loss) {
            (Process::Vdm, _) => "the continuous-time bound (prior + reconstruction + diffusion) at one t per example, bits/dim".into(),
            (Process::Ddpm, LossKind::Simple) => "L_simple: ‖ε − ε_θ(x_t, t)‖² / D at one t per example (no unit)".into(),
            (Process::Ddpm, LossKind::Vlb) => "T · L_t at one t per example, bits/dim: the variational bound's diffusion terms".into(),
            (Process::Ddpm, LossKind::Hybrid) => format!(
                "L_simple + {} · T · L_t (L_t in bits/dim, the mean stopped inside it) at one t per example",
                config.hybrid_lambda
            ),
        }
    }

    fn validate(config: &DiffusionConfig, spec: &DataSpec) -> Result<(), ConfigError> {
        config.validate(spec)
    }

    fn footprint(config: &DiffusionConfig, spec: &DataSpec, classes: usize) -> Footprint {
        footprint::footprint(config, spec, classes)
    }

    fn build(
        config: DiffusionConfig,
        ctx: &BuildContext,
    ) -> anyhow::Result<Box<dyn GenerativeModel>> {
        Ok(match config.process {
            Process::Ddpm => Box::new(DiffusionModel::new(config, ctx)?),
            Process::Vdm => Box::new(VdmModel::new(config, ctx)?),
        })
    }
}

/// A DDPM bound as the runner's likelihood: −total per example, the three parts and the
/// network passes per example as extras.
fn bound_likelihood(b: bound::Bound, kind: LikelihoodKind, passes: usize) -> Likelihood {
    Likelihood::new(kind, b.total.iter().map(|v| -v).collect())
        .with_extra("l_T_nats", b.l_t_prior())
        .with_extra("l_0_nats", b.l_0())
        .with_extra("l_mid_nats", b.l_mid())
        .with_extra("network_passes_per_example", passes as f64)
}

/// The probability-flow ODE as a sampler: its cost is the NFE of the last draw (0 before one).
pub(crate) fn ode_variant(last_nfe: f64) -> SamplerVariant {
    SamplerVariant {
        name: "ode".into(),
        evals_per_sample: last_nfe,
        knob: "ode",
        value: 1.0,
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

    /// One Adam step on the configured loss (simple, VLB or hybrid), then the EMA update.
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
    /// per example; the runner times the whole) as extras; with `ode_likelihood` the
    /// probability-flow ODE's NLL, NFE and seconds on the same examples beside it.
    fn log_likelihood(&mut self, batch: &Batch, seed: u64) -> anyhow::Result<Likelihood> {
        let batch = self.config.vlb_head(batch);
        let steps = self.schedule.steps();
        let ll = bound_likelihood(
            self.bound(&batch, seed)?,
            LikelihoodKind::Vlb { steps },
            steps,
        );
        if !self.config.ode_likelihood {
            return Ok(ll);
        }
        let x = self.to_model_space(&batch.x);
        let decode = |x: &[f32], z: &[f32]| self.step_terms(x, z, 0, None);
        let decoder = ode_score::uses_decoder(&self.config).then(|| self.ode_decoder(&decode));
        ode_score::beside(
            ll,
            &ddpm_field::DdpmField::new(self),
            &x,
            &self.spec,
            decoder,
            &self.config,
            seed,
        )
    }

    /// With `validation_t_samples = K`, the bound estimated from L_0 and K stratified t
    /// (kind `vlb-T-tK`, K + 1 network passes per example instead of T; no ODE beside it); else
    /// [`GenerativeModel::log_likelihood`].
    fn validation_log_likelihood(
        &mut self,
        batch: &Batch,
        seed: u64,
    ) -> anyhow::Result<Likelihood> {
        let (steps, k) = (self.schedule.steps(), self.config.validation_t_samples);
        if k == 0 || k + 1 >= steps {
            return self.log_likelihood(batch, seed);
        }
        let batch = self.config.vlb_head(batch);
        Ok(bound_likelihood(
            self.sampled_bound(&batch, seed, k)?,
            LikelihoodKind::VlbSampled {
                steps,
                t_samples: k,
            },
            k + 1,
        ))
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
        if self.config.ode_sampler {
            v.push(ode_variant(self.last_ode_nfe));
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
            "ode" => {
                let d = self.spec.dim();
                let (x, nfe) = {
                    let field = ddpm_field::DdpmField::new(self);
                    ode_score::sample(&field, n, d, &self.config, seed)?
                };
                self.last_ode_nfe = nfe;
                Ok(Batch::new(self.to_data_space(&x), Vec::new(), d))
            }
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

/// The VDM behind the same contract: its bound (kind `vdm-cont`, or `vdm-T` with
/// `vdm_steps = T`) with the three terms as extras, optionally the ODE beside it; ancestral
/// sampling (and the ODE sampler as the variant `ode`).
impl GenerativeModel for VdmModel {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            family: Diffusion::NAME,
            arch: self.arch(),
            paper: "Kingma et al. 2021",
            year: 2021,
        }
    }

    /// One Adam step on the bound in bits/dim (θ and the schedule η together).
    fn train_step(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        Ok(StepMetrics::new(self.train_on(batch)?))
    }

    fn sample(&mut self, n: usize, _labels: Option<&[usize]>, seed: u64) -> anyhow::Result<Batch> {
        self.sample_ancestral(n, seed)
    }

    /// prior + reconstruction + diffusion on the first `vlb_examples` examples, the diffusion
    /// term from `bound_t_samples` stratified times per example.
    fn log_likelihood(&mut self, batch: &Batch, seed: u64) -> anyhow::Result<Likelihood> {
        let batch = self.config.vlb_head(batch);
        let b = self.bound(&batch, seed)?;
        let steps = (self.config.vdm_steps > 0).then_some(self.config.vdm_steps);
        let ll = Likelihood::new(
            LikelihoodKind::Vdm { steps },
            b.total.iter().map(|v| -v).collect(),
        )
        .with_extra("prior_nats", b.prior)
        .with_extra("reconstruction_nats", b.reconstruction)
        .with_extra("diffusion_nats", b.diffusion)
        .with_extra(
            "network_passes_per_example",
            self.config.bound_t_samples as f64,
        );
        if !self.config.ode_likelihood {
            return Ok(ll);
        }
        let x = self.to_model_space(&batch.x);
        let decode = |x: &[f32], z: &[f32]| self.decoder_nll(x, z);
        let decoder = if ode_score::uses_decoder(&self.config) {
            Some(self.ode_decoder(&decode)?)
        } else {
            None
        };
        ode_score::beside(
            ll,
            &vdm::field::VdmField::new(self),
            &x,
            &self.spec,
            decoder,
            &self.config,
            seed,
        )
    }

    fn evals_per_sample(&self) -> f64 {
        self.sample_steps() as f64
    }

    fn num_params(&self) -> usize {
        VdmModel::num_params(self)
    }

    fn save(&self, dir: &Path) -> anyhow::Result<()> {
        self.save_to(dir)
    }

    fn load(&mut self, dir: &Path) -> anyhow::Result<()> {
        self.load_from(dir)
    }

    fn sampler_variants(&self) -> Vec<SamplerVariant> {
        if self.config.ode_sampler {
            vec![ode_variant(self.last_ode_nfe)]
        } else {
            Vec::new()
        }
    }

    fn sample_variant(
        &mut self,
        name: &str,
        n: usize,
        _labels: Option<&[usize]>,
        seed: u64,
    ) -> anyhow::Result<Batch> {
        anyhow::ensure!(
            name == "ode" && self.config.ode_sampler,
            "{} has no sampler variant `{name}`",
            self.arch()
        );
        let d = self.spec.dim();
        let (x, nfe) = {
            let field = vdm::field::VdmField::new(self);
            ode_score::sample(&field, n, d, &self.config, seed)?
        };
        self.last_ode_nfe = nfe;
        Ok(Batch::new(
            model::to_data_space(&self.spec, &x),
            Vec::new(),
            d,
        ))
    }

    fn write_artifacts(&mut self, test: &Batch, dir: &Path, seed: u64) -> anyhow::Result<()> {
        vdm::bound::write_artifacts(self, test, dir, seed)
    }
}
