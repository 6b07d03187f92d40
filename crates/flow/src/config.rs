//! The manifest's `[models.config]` for `family = "flow"`.

use genbench_core::DataSpec;
use genbench_core::check::{ConfigError, require, require_positive, require_range};
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
    /// Every check against the data `spec`, before anything is built; an error names the key.
    pub fn validate(&self, spec: &DataSpec) -> Result<(), ConfigError> {
        require_positive("couplings", self.couplings)?;
        require_positive("hidden", self.hidden)?;
        require_positive("hidden_layers", self.hidden_layers)?;
        require_positive("scales", self.scales)?;
        require_positive("couplings_per_scale", self.couplings_per_scale)?;
        require_positive("channels", self.channels)?;
        require(
            self.scale_clamp > 0.0 && self.scale_clamp.is_finite(),
            "scale_clamp",
            || format!("must be positive, got {}", self.scale_clamp),
        )?;
        require_range("logit_alpha", self.logit_alpha, 0.0, 0.5, true)?;
        require(self.init_examples >= 2, "init_examples", || {
            format!("must be at least 2, got {}", self.init_examples)
        })?;
        require_positive("eval_batch", self.eval_batch)?;
        require_range("grad_clip", self.grad_clip, 0.0, f64::MAX, false)?;
        require(
            self.temperature > 0.0 && self.temperature.is_finite(),
            "temperature",
            || format!("must be positive, got {}", self.temperature),
        )?;
        if spec.is_image() {
            let [_, h, w] = spec.image_shape();
            let f = 1usize << self.scales.min(30);
            require(h % f == 0 && w % f == 0, "scales", || {
                format!(
                    "{} squeezes of {h}x{w} images need height and width divisible by {f} ({} allows at most {})",
                    self.scales,
                    spec.name,
                    (h.trailing_zeros().min(w.trailing_zeros()))
                )
            })?;
        } else {
            require(
                spec.shape.len() == 1 && spec.dim() >= 2,
                "couplings",
                || {
                    format!(
                        "a coupling flow needs vectors of 2 or more values; {} has shape {:?}",
                        spec.name, spec.shape
                    )
                },
            )?;
        }
        Ok(())
    }
}
