//! The manifest's `[models.config]` for `family = "diffusion"`.

use crate::schedule::{ReverseVariance, ScheduleKind};
use serde::{Deserialize, Serialize};

/// The guidance scale that samples the conditional model as trained: ε̂ = ε(x, y).
pub const CONDITIONAL: f64 = 1.0;

/// Which network predicts ε.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DenoiserKind {
    /// U-Net for images, MLP for vectors.
    Auto,
    Mlp,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiffusionConfig {
    /// T, the number of diffusion steps.
    pub timesteps: usize,
    pub schedule: ScheduleKind,
    /// σ_t² of the reverse process: "beta" (β_t) or "beta-tilde" (β̃_t).
    pub reverse_variance: ReverseVariance,
    pub denoiser: DenoiserKind,
    /// Width of the sinusoidal time features.
    pub time_features: usize,
    /// Width of the time (+ label) embedding handed to every block.
    pub embed: usize,
    pub mlp_hidden: usize,
    pub mlp_blocks: usize,
    /// U-Net channels at full resolution (2x below).
    pub unet_channels: usize,
    /// U-Net down/up levels: 1 or 2.
    pub unet_levels: usize,
    pub unet_groups: usize,
    /// EMA decay of the weights used for sampling and evaluation (with a 1+s/10+s warm-up).
    pub ema_decay: f64,
    /// Clip the global gradient norm (0 = no clipping).
    pub grad_clip: f64,
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
    /// Examples per network call when sampling and scoring.
    pub eval_batch: usize,
}

impl Default for DiffusionConfig {
    fn default() -> Self {
        Self {
            timesteps: 1000,
            schedule: ScheduleKind::Linear,
            reverse_variance: ReverseVariance::Beta,
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
            eval_batch: 500,
        }
    }
}

impl DiffusionConfig {
    /// Every check that does not need the data.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.timesteps >= 2,
            "timesteps must be at least 2 (got {})",
            self.timesteps
        );
        anyhow::ensure!(
            self.time_features >= 2 && self.time_features.is_multiple_of(2),
            "time_features must be even and at least 2"
        );
        anyhow::ensure!(
            self.embed >= 1 && self.mlp_hidden >= 1 && self.mlp_blocks >= 1,
            "embed, mlp_hidden and mlp_blocks must be positive"
        );
        anyhow::ensure!(
            self.unet_channels >= 1 && self.unet_groups >= 1,
            "unet_channels and unet_groups must be positive"
        );
        anyhow::ensure!(
            (0.0..1.0).contains(&self.ema_decay),
            "ema_decay must be in [0, 1) (got {})",
            self.ema_decay
        );
        anyhow::ensure!(
            self.grad_clip >= 0.0 && self.grad_clip.is_finite(),
            "grad_clip must be >= 0"
        );
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.eta),
            "eta must be in [0, 1] (got {})",
            self.eta
        );
        anyhow::ensure!(
            (0.0..1.0).contains(&self.label_dropout),
            "label_dropout must be in [0, 1)"
        );
        anyhow::ensure!(
            self.guidance_scale >= 0.0 && self.guidance_scale.is_finite(),
            "guidance_scale must be >= 0"
        );
        anyhow::ensure!(
            self.guidance_sweep
                .iter()
                .all(|w| *w >= 0.0 && w.is_finite()),
            "guidance_sweep scales must be >= 0"
        );
        anyhow::ensure!(
            self.ddim_sweep
                .iter()
                .all(|&s| s >= 1 && s <= self.timesteps),
            "ddim_sweep steps must be in 1..=timesteps ({})",
            self.timesteps
        );
        anyhow::ensure!(
            self.sample_steps <= self.timesteps,
            "sample_steps ({}) exceeds timesteps ({})",
            self.sample_steps,
            self.timesteps
        );
        anyhow::ensure!(self.eval_batch >= 1, "eval_batch must be at least 1");
        Ok(())
    }
}
