//! The manifest's `[models.config]` for `family = "flow"`.

use serde::{Deserialize, Serialize};

/// RealNVP's knobs. Vectors use `couplings`, `hidden`, `hidden_layers`; images use `scales`,
/// `couplings_per_scale`, `channels` and `logit_alpha`; the rest serve both.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlowConfig {
    /// Vectors: affine coupling layers, each preceded by an act-norm; the transformed half
    /// alternates from one layer to the next.
    pub couplings: usize,
    /// Vectors: a fixed random rotation after every coupling but the last (see `mlp`); off in
    /// RealNVP as published, it gets 25gaussians off its saddle.
    pub mixing: bool,
    /// Vectors: width of the coupling MLPs' hidden layers.
    pub hidden: usize,
    /// Vectors: hidden layers of each coupling MLP (at least 1).
    pub hidden_layers: usize,
    /// Images: scales of the multi-scale architecture (each one halves height and width, so
    /// both must be divisible by 2^scales).
    pub scales: usize,
    /// Images: checkerboard couplings before the squeeze, and channel couplings after it, per scale.
    pub couplings_per_scale: usize,
    /// Images: feature maps of the coupling conv nets (3x3, 1x1, 3x3).
    pub channels: usize,
    /// Soft clamp of every log-scale: s = c tanh(s_raw / c), so |s| < c.
    pub scale_clamp: f64,
    /// Images: the logit transform y = logit(a + (1 - 2a) x) of the dequantized x in [0, 1]
    /// (RealNVP's a = 0.05); 0 models x itself.
    pub logit_alpha: f64,
    /// Training examples whose statistics set the act-norms (data-dependent initialisation).
    pub init_examples: usize,
    /// Examples per forward pass when scoring and sampling.
    pub eval_batch: usize,
    /// Clip the gradient's global norm to this (0: no clipping).
    pub grad_clip: f64,
    /// Standard deviation of the base normal when sampling (1 = the model's own distribution).
    pub temperature: f64,
}

impl Default for FlowConfig {
    fn default() -> Self {
        Self {
            couplings: 8,
            mixing: false,
            hidden: 64,
            hidden_layers: 2,
            scales: 2,
            couplings_per_scale: 3,
            channels: 32,
            scale_clamp: 3.0,
            logit_alpha: 0.05,
            init_examples: 512,
            eval_batch: 500,
            grad_clip: 100.0,
            temperature: 1.0,
        }
    }
}

impl FlowConfig {
    /// Errors for values no flow can be built from.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.couplings >= 1, "couplings must be at least 1");
        anyhow::ensure!(self.hidden >= 1, "hidden must be at least 1");
        anyhow::ensure!(self.hidden_layers >= 1, "hidden_layers must be at least 1");
        anyhow::ensure!(self.scales >= 1, "scales must be at least 1");
        anyhow::ensure!(
            self.couplings_per_scale >= 1,
            "couplings_per_scale must be at least 1"
        );
        anyhow::ensure!(self.channels >= 1, "channels must be at least 1");
        anyhow::ensure!(
            self.scale_clamp > 0.0 && self.scale_clamp.is_finite(),
            "scale_clamp must be positive, got {}",
            self.scale_clamp
        );
        anyhow::ensure!(
            (0.0..0.5).contains(&self.logit_alpha),
            "logit_alpha must be in [0, 0.5), got {}",
            self.logit_alpha
        );
        anyhow::ensure!(self.init_examples >= 2, "init_examples must be at least 2");
        anyhow::ensure!(self.eval_batch >= 1, "eval_batch must be at least 1");
        anyhow::ensure!(
            self.grad_clip >= 0.0 && self.grad_clip.is_finite(),
            "grad_clip must be 0 (off) or positive, got {}",
            self.grad_clip
        );
        anyhow::ensure!(
            self.temperature > 0.0 && self.temperature.is_finite(),
            "temperature must be positive, got {}",
            self.temperature
        );
        Ok(())
    }
}
