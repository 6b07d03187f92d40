//! The manifest's `[models.config]` for `family = "diffusion"`.

use crate::schedule::{ReverseVariance, ScheduleKind};
use genbench_core::check::{ConfigError, require, require_positive, require_range};
use genbench_core::{Batch, DataSpec};
use serde::{Deserialize, Serialize};

/// The guidance scale that samples the conditional model as trained: ε̂ = ε(x, y).
pub const CONDITIONAL: f64 = 1.0;

/// Which network predicts ε.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DenoiserKind {
    /// U-Net for images, MLP for vectors.
    Auto,
    /// An MLP with residual blocks (vectors).
    Mlp,
    /// A U-Net (images).
    Unet,
}

/// The default sampler (the one `sample` and the main evaluation use).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SamplerKind {
    /// Ancestral sampling, T network evaluations.
    Ddpm,
    /// DDIM with `sample_steps` steps and `eta`.
    Ddim,
}

/// Which diffusion model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Process {
    /// DDPM (Ho et al. 2020): T fixed steps of a fixed schedule.
    Ddpm,
    /// VDM (Kingma et al. 2021): continuous time, a learned monotone γ_η(t), SNR = exp(−γ).
    Vdm,
}

/// DDPM's training objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    /// L_simple = E_{t, x_0, ε} ‖ε − ε_θ(x_t, t)‖² / D (Ho et al. 2020).
    Simple,
    /// L_vlb = L_T + Σ L_{t−1} + L_0, estimated as T · L_t at one t per example, in bits/dim
    /// (improved-diffusion's `RESCALED_KL`); t importance-sampled by default.
    Vlb,
    /// L_hybrid = L_simple + λ L_vlb with the mean stopped inside L_vlb, so L_vlb trains only
    /// the learned variances (Nichol & Dhariwal 2021, λ = `hybrid_lambda`).
    Hybrid,
}

/// How training draws t.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimestepSampler {
    /// `loss-second-moment` for `loss = "vlb"`, `uniform` otherwise.
    Auto,
    /// Uniform over the T steps.
    Uniform,
    /// p_t ∝ √E[L_t²] over the last 10 losses at each t (uniform until every t has 10), mixed
    /// with 0.1% uniform; each loss weighted by 1/(T p_t) so the objective is unchanged
    /// (improved-diffusion's `LossSecondMomentResampler`).
    LossSecondMoment,
}

/// How the probability-flow ODE computes the divergence of ε̂.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DivergenceKind {
    /// Exact for D ≤ 2, Hutchinson above.
    Auto,
    /// D backward passes per evaluation.
    Exact,
    /// `ode_probes` Rademacher probes, one backward pass each (Hutchinson 1989).
    Hutchinson,
}

/// How the ODE's density of continuous z becomes a bound on discrete data (images).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OdeDequantization {
    /// The model's own encoder and decoder at a small time (VDM: t = 0, its reconstruction
    /// term's decoder; DDPM: x_1 and its L_0 decoder): z_0 ~ q(z_0 | x),
    /// E_q[log p(x | z_0) + log p_ODE(z_0) − log q(z_0 | x)], kind `ode-decoder`.
    Decoder,
    /// x + u, u ~ U(bin): kind `ode-dequantized`. Loose for a model trained on discrete data,
    /// whose density piles up at the levels (the flow of a good score is nearly a mixture of
    /// spikes of width σ_0 there).
    Uniform,
}

/// The manifest's `[models.config]` for `family = "diffusion"` (DDPM or VDM).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiffusionConfig {
    /// "ddpm" or "vdm" (the VDM keys below apply to it).
    pub process: Process,
    /// DDPM's training loss: "simple", "vlb" or "hybrid" (hybrid needs
    /// `reverse_variance = "learned"`).
    pub loss: LossKind,
    /// λ of the hybrid loss (0.001 in Nichol & Dhariwal 2021).
    pub hybrid_lambda: f64,
    /// How training draws t (`auto`: importance sampling for `loss = "vlb"`).
    pub timestep_sampler: TimestepSampler,
    /// T, the number of diffusion steps (VDM: of its ancestral sampler, and 0 for the
    /// continuous-time loss `vdm_steps`).
    pub timesteps: usize,
    /// The forward process's β schedule (DDPM).
    pub schedule: ScheduleKind,
    /// Σ_θ of the reverse process: "beta" (β_t), "beta-tilde" (β̃_t) or "learned"
    /// (exp(v log β_t + (1 − v) log β̃_t), v predicted per coordinate).
    pub reverse_variance: ReverseVariance,
    /// VDM: the diffusion loss in continuous time (0, bound kind `vdm-cont`) or with T steps
    /// (½ T (exp(γ_t − γ_s) − 1) ‖ε − ε̂‖², kind `vdm-T`).
    pub vdm_steps: usize,
    /// VDM: γ(0) and γ(1) at initialisation (both learned): log σ²/α² at the ends,
    /// σ_0² = sigmoid(γ(0)), SNR(1) = exp(−γ(1)) (VDM's −13.3 and 5).
    pub gamma_min: f64,
    /// VDM: γ(1) at initialisation (see `gamma_min`).
    pub gamma_max: f64,
    /// VDM: width of the monotone network's hidden layer (VDM: 1024).
    pub gamma_hidden: usize,
    /// VDM: exponents n of the Fourier features sin/cos(2ⁿ 2π x) appended to the input
    /// (images; e.g. [2, 3] for 17 levels, VDM's [6, 7] for 256).
    pub fourier_exponents: Vec<i32>,
    /// VDM: draws of t per example (stratified) for the diffusion term of the bound.
    pub bound_t_samples: usize,
    /// Also score the probability-flow ODE's likelihood (`ll_ode_*` columns: kind `ode` on
    /// continuous data, `ode-dequantized` or `ode-decoder` on images).
    pub ode_likelihood: bool,
    /// Add the ODE sampler as the variant `ode` (NFE measured).
    pub ode_sampler: bool,
    /// Dormand–Prince tolerances of the ODE (relative, absolute).
    pub ode_rtol: f64,
    /// Absolute tolerance of the ODE solver (see `ode_rtol`).
    pub ode_atol: f64,
    /// Evaluations after which a solve fails.
    pub ode_max_evals: usize,
    /// The ODE runs between t_min and 1 (t = paper step / T for DDPM).
    pub ode_t_min: f64,
    /// How the ODE computes the divergence of ε̂ (`auto`: exact for D ≤ 2).
    pub ode_divergence: DivergenceKind,
    /// Rademacher probes per example for Hutchinson's estimator.
    pub ode_probes: usize,
    /// On images: "decoder" or "uniform" (see [`OdeDequantization`]).
    pub ode_dequantization: OdeDequantization,
    /// The network that predicts ε (`auto`: U-Net for images, MLP for vectors).
    pub denoiser: DenoiserKind,
    /// Width of the sinusoidal time features.
    pub time_features: usize,
    /// Width of the time (+ label) embedding handed to every block.
    pub embed: usize,
    /// MLP denoiser: width of its blocks.
    pub mlp_hidden: usize,
    /// MLP denoiser: residual blocks.
    pub mlp_blocks: usize,
    /// U-Net channels at full resolution (2x below).
    pub unet_channels: usize,
    /// U-Net down/up levels: 1 or 2.
    pub unet_levels: usize,
    /// U-Net group-norm groups (must divide `unet_channels`).
    pub unet_groups: usize,
    /// EMA decay of the weights used for sampling and evaluation (with a 1+s/10+s warm-up).
    pub ema_decay: f64,
    /// Clip the global gradient norm (0 = no clipping).
    pub grad_clip: f64,
    /// The default sampler: `ddpm` (ancestral) or `ddim`.
    pub sampler: SamplerKind,
    /// DDIM steps of the default sampler (0 = T).
    pub sample_steps: usize,
    /// DDIM's η (0 = deterministic, 1 = DDPM-like noise).
    pub eta: f64,
    /// Extra DDIM step counts the evaluator scores as variants `ddim-S`.
    pub ddim_sweep: Vec<usize>,
    /// Classifier-free guidance scale w of the default sampler (conditional models):
    /// ε̂ = ε(x, ∅) + w (ε(x, y) − ε(x, ∅)); 0 = unconditional, 1 = conditional without
    /// guidance (one network pass), above 1 = guided (two passes). Ho & Salimans' w′ is w − 1.
    pub guidance_scale: f64,
    /// Extra guidance scales scored as variants `guidance-w` (conditional models), e.g.
    /// [0, 1, 2, 4] for quality and conditional accuracy against w.
    pub guidance_sweep: Vec<f64>,
    /// Probability of replacing the label by ∅ in training (conditional models).
    pub label_dropout: f64,
    /// Cap on the test examples the bound is computed on (0 = all the runner gives).
    pub vlb_examples: usize,
    /// DDPM: the periodic and anytime validation evaluations estimate the bound from L_0 and
    /// this many stratified draws of t per example instead of all T terms (kind `vlb-T-tK`):
    /// L_T + L_0 + Σ_j |S_j| · L_{t_j}, t_j uniform in the j-th of K geometric strata of
    /// {1, …, T−1} (boundaries ⌊T^{j/K}⌋, so the large first terms get strata of their own:
    /// [`crate::bound::stratified_terms`]); unbiased for vlb-T at (K + 1)/T of its cost. The same t for every example
    /// of an evaluation and the same draws at every evaluation (one seed), so checkpoints are
    /// compared on common noise. 0 = the full bound (T passes per example). The test set always
    /// gets the full bound.
    /// (Left out of the recorded settings when 0, so runs recorded before the knob existed keep
    /// their fingerprint.)
    #[serde(skip_serializing_if = "is_zero")]
    pub validation_t_samples: usize,
    /// Examples per network call when sampling and scoring.
    pub eval_batch: usize,
}

impl Default for DiffusionConfig {
    fn default() -> Self {
        Self {
            process: Process::Ddpm,
            loss: LossKind::Simple,
            hybrid_lambda: 0.001,
            timestep_sampler: TimestepSampler::Auto,
            timesteps: 1000,
            schedule: ScheduleKind::Linear,
            reverse_variance: ReverseVariance::Beta,
            vdm_steps: 0,
            gamma_min: -13.3,
            gamma_max: 5.0,
            gamma_hidden: 1024,
            fourier_exponents: Vec::new(),
            bound_t_samples: 32,
            ode_likelihood: false,
            ode_sampler: false,
            ode_rtol: 1e-5,
            ode_atol: 1e-5,
            ode_max_evals: 20_000,
            ode_t_min: 1e-3,
            ode_divergence: DivergenceKind::Auto,
            ode_probes: 1,
            ode_dequantization: OdeDequantization::Decoder,
            denoiser: DenoiserKind::Auto,
            time_features: 64,
            embed: 128,
            mlp_hidden: 128,
            mlp_blocks: 3,
            unet_channels: 32,
            unet_levels: 2,
            unet_groups: 8,
            ema_decay: 0.999,
            grad_clip: 1.0,
            sampler: SamplerKind::Ddpm,
            sample_steps: 0,
            eta: 0.0,
            ddim_sweep: Vec::new(),
            guidance_scale: CONDITIONAL,
            guidance_sweep: Vec::new(),
            label_dropout: 0.1,
            vlb_examples: 0,
            validation_t_samples: 0,
            eval_batch: 500,
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl DiffusionConfig {
    /// The first `vlb_examples` examples of `batch` (all when 0): what the bound scores.
    pub fn vlb_head(&self, batch: &Batch) -> Batch {
        if self.vlb_examples > 0 {
            batch.head(self.vlb_examples)
        } else {
            batch.clone()
        }
    }

    /// The denoiser `denoiser = "auto"` resolves to on `spec`: a U-Net on images, an MLP on vectors.
    pub fn denoiser_for(&self, spec: &DataSpec) -> DenoiserKind {
        match self.denoiser {
            DenoiserKind::Auto if spec.is_image() => DenoiserKind::Unet,
            DenoiserKind::Auto => DenoiserKind::Mlp,
            k => k,
        }
    }

    /// Every check against the data `spec`, before anything is built; an error names the key.
    pub fn validate(&self, spec: &DataSpec) -> Result<(), ConfigError> {
        require(self.timesteps >= 2, "timesteps", || {
            format!("must be at least 2, got {}", self.timesteps)
        })?;
        if self.schedule == ScheduleKind::Linear {
            // β_T = (1000 / T) 0.02 must stay below 1.
            require(self.timesteps >= 21, "timesteps", || {
                format!(
                    "the linear schedule needs T >= 21 (β_T = {:.3} >= 1 at T = {}); use more steps or schedule = \"cosine\"",
                    20.0 / self.timesteps as f64,
                    self.timesteps
                )
            })?;
        }
        require(
            self.time_features >= 2 && self.time_features.is_multiple_of(2),
            "time_features",
            || format!("must be even and at least 2, got {}", self.time_features),
        )?;
        require_positive("embed", self.embed)?;
        require_positive("mlp_hidden", self.mlp_hidden)?;
        require_positive("mlp_blocks", self.mlp_blocks)?;
        require_positive("unet_channels", self.unet_channels)?;
        require_positive("unet_groups", self.unet_groups)?;
        require_range("ema_decay", self.ema_decay, 0.0, 1.0, true)?;
        require_range("grad_clip", self.grad_clip, 0.0, f64::MAX, false)?;
        require_range("eta", self.eta, 0.0, 1.0, false)?;
        require_range("label_dropout", self.label_dropout, 0.0, 1.0, true)?;
        require_range("guidance_scale", self.guidance_scale, 0.0, f64::MAX, false)?;
        for &w in &self.guidance_sweep {
            require_range("guidance_sweep", w, 0.0, f64::MAX, false)?;
        }
        require(
            self.ddim_sweep
                .iter()
                .all(|&s| s >= 1 && s <= self.timesteps),
            "ddim_sweep",
            || {
                format!(
                    "steps must lie in 1..={} (timesteps), got {:?}",
                    self.timesteps, self.ddim_sweep
                )
            },
        )?;
        require(self.sample_steps <= self.timesteps, "sample_steps", || {
            format!(
                "{} exceeds timesteps ({})",
                self.sample_steps, self.timesteps
            )
        })?;
        require_positive("eval_batch", self.eval_batch)?;
        if self.denoiser_for(spec) == DenoiserKind::Unet {
            require(spec.is_image(), "denoiser", || {
                format!(
                    "the U-Net needs images; {} has shape {:?}",
                    spec.name, spec.shape
                )
            })?;
            require((1..=2).contains(&self.unet_levels), "unet_levels", || {
                format!("must be 1 or 2, got {}", self.unet_levels)
            })?;
            let [_, h, w] = spec.image_shape();
            let f = 1 << self.unet_levels;
            require(h % f == 0 && w % f == 0, "unet_levels", || {
                format!(
                    "{} levels need height and width divisible by {f}; {} is {h}x{w}",
                    self.unet_levels, spec.name
                )
            })?;
            require(
                self.unet_channels.is_multiple_of(self.unet_groups),
                "unet_groups",
                || {
                    format!(
                        "{} does not divide unet_channels ({})",
                        self.unet_groups, self.unet_channels
                    )
                },
            )?;
        }
        require(
            self.loss != LossKind::Hybrid || self.reverse_variance == ReverseVariance::Learned,
            "loss",
            || "\"hybrid\" trains the variances only: set reverse_variance = \"learned\"".into(),
        )?;
        require(
            self.process == Process::Ddpm || self.loss == LossKind::Simple,
            "loss",
            || "applies to process = \"ddpm\"; a VDM trains on its own bound".into(),
        )?;
        require(
            self.process == Process::Ddpm || self.validation_t_samples == 0,
            "validation_t_samples",
            || {
                "applies to process = \"ddpm\"; a VDM's bound already draws bound_t_samples times"
                    .into()
            },
        )?;
        require_range("hybrid_lambda", self.hybrid_lambda, 0.0, f64::MAX, false)?;
        require(self.gamma_min < self.gamma_max, "gamma_min", || {
            format!(
                "({}) must be below gamma_max ({})",
                self.gamma_min, self.gamma_max
            )
        })?;
        require_positive("gamma_hidden", self.gamma_hidden)?;
        require_positive("bound_t_samples", self.bound_t_samples)?;
        require(self.ode_rtol > 0.0, "ode_rtol", || {
            format!("must be positive, got {}", self.ode_rtol)
        })?;
        require(self.ode_atol > 0.0, "ode_atol", || {
            format!("must be positive, got {}", self.ode_atol)
        })?;
        require_range("ode_t_min", self.ode_t_min, 0.0, 0.5, true)?;
        require_positive("ode_probes", self.ode_probes)?;
        Ok(())
    }
}
