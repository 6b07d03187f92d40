//! The manifest's `[models.config]` for `family = "autoregressive"`.

use crate::masks::Ordering;
use genbench_core::DataSpec;
use genbench_core::check::{ConfigError, require, require_positive};
use serde::{Deserialize, Serialize};

/// Which network computes the conditionals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// Masked MLP (vectors and images).
    Made,
    /// Masked convolutions (single-channel images).
    Pixelcnn,
}

/// The manifest's `[models.config]` for `family = "autoregressive"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AutoregressiveConfig {
    /// The network: `made` (vectors and images) or `pixelcnn` (single-channel images).
    pub arch: Arch,

    // ---- MADE
    /// Widths of the masked hidden layers.
    pub hidden: Vec<usize>,
    /// `natural` (x_1..x_D, raster order) or `random` (a permutation drawn from `mask_seed`).
    pub order: Ordering,
    /// Seed of the ordering and of the hidden units' degrees (one mask set per model).
    pub mask_seed: u64,
    /// Continuous data: Gaussians in each dimension's conditional.
    pub components: usize,
    /// Images: 0 = a full masked output layer (hidden x D*L weights); k > 0 = k features per
    /// pixel mapped to the L logits by a layer shared by all pixels plus a per-pixel bias.
    pub logit_rank: usize,

    // ---- PixelCNN
    /// Feature maps of the residual stream.
    pub channels: usize,
    /// Residual mask-B blocks after the mask-A layer.
    pub blocks: usize,
    /// Kernel of the mask-A layer (odd).
    pub first_kernel: usize,
    /// Kernel of the mask-B layers (odd).
    pub kernel: usize,
    /// Channels of the 1x1 output stage.
    pub head_channels: usize,
    /// Gated activations tanh(a)·σ(b) in the blocks (else ReLU).
    pub gated: bool,
    /// Sample each pixel on the crop of its receptive field (exact; faster on large images).
    pub crop: bool,

    // ---- both
    /// Examples per network pass when scoring and sampling.
    pub eval_batch: usize,
    /// Completions per test image in ar_completions.png.
    pub completions: usize,
}

impl Default for AutoregressiveConfig {
    fn default() -> Self {
        Self {
            arch: Arch::Made,
            hidden: vec![256, 256],
            order: Ordering::Natural,
            mask_seed: 0,
            components: 10,
            logit_rank: 0,
            channels: 32,
            blocks: 4,
            first_kernel: 7,
            kernel: 3,
            head_channels: 64,
            gated: true,
            crop: true,
            eval_batch: 500,
            completions: 3,
        }
    }
}

impl AutoregressiveConfig {
    /// Reject configurations that cannot be built on `spec`; an error names the key.
    pub fn validate(&self, spec: &DataSpec) -> Result<(), ConfigError> {
        require(spec.dim() >= 2, "arch", || {
            format!(
                "an autoregressive model needs at least 2 dimensions; {} has {}",
                spec.name,
                spec.dim()
            )
        })?;
        require_positive("eval_batch", self.eval_batch)?;
        if let Some(l) = spec.levels {
            require(l >= 2, "arch", || {
                format!("{} has {l} levels; images need at least 2", spec.name)
            })?;
        }
        match self.arch {
            Arch::Made => {
                require(!self.hidden.is_empty(), "hidden", || {
                    "must list at least one layer width, e.g. [256, 256]".to_string()
                })?;
                require(self.hidden.iter().all(|&w| w >= 1), "hidden", || {
                    format!("every width must be at least 1, got {:?}", self.hidden)
                })?;
                if spec.levels.is_none() {
                    require_positive("components", self.components)?;
                }
            }
            Arch::Pixelcnn => {
                require(spec.is_image() && spec.levels.is_some(), "arch", || {
                    format!(
                        "\"pixelcnn\" needs an image dataset; {} has shape {:?}",
                        spec.name, spec.shape
                    )
                })?;
                require(spec.shape[0] == 1, "arch", || {
                    format!(
                        "\"pixelcnn\" here models single-channel images; {} has {}",
                        spec.name, spec.shape[0]
                    )
                })?;
                require_positive("channels", self.channels)?;
                require_positive("head_channels", self.head_channels)?;
                require(
                    self.first_kernel >= 3 && self.first_kernel % 2 == 1,
                    "first_kernel",
                    || format!("must be odd and at least 3, got {}", self.first_kernel),
                )?;
                require(self.kernel % 2 == 1, "kernel", || {
                    format!("must be odd, got {}", self.kernel)
                })?;
            }
        }
        Ok(())
    }
}
