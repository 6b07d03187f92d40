//! The manifest's `[models.config]` for `family = "autoregressive"`.

use crate::masks::Ordering;
use genbench_core::DataSpec;
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AutoregressiveConfig {
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
    /// Reject configurations that cannot be built on `spec` (with a message naming the key).
    pub fn validate(&self, spec: &DataSpec) -> anyhow::Result<()> {
        anyhow::ensure!(
            spec.dim() >= 2,
            "an autoregressive model needs at least 2 dimensions; {} has {}",
            spec.name,
            spec.dim()
        );
        anyhow::ensure!(self.eval_batch >= 1, "eval_batch must be at least 1");
        match self.arch {
            Arch::Made => {
                anyhow::ensure!(
                    !self.hidden.is_empty(),
                    "hidden must list at least one layer width"
                );
                anyhow::ensure!(
                    self.hidden.iter().all(|&w| w >= 1),
                    "every hidden width must be at least 1"
                );
                if spec.levels.is_none() {
                    anyhow::ensure!(self.components >= 1, "components must be at least 1");
                }
            }
            Arch::Pixelcnn => {
                anyhow::ensure!(
                    spec.is_image() && spec.levels.is_some(),
                    "pixelcnn needs an image dataset; {} is not one",
                    spec.name
                );
                anyhow::ensure!(
                    spec.shape[0] == 1,
                    "pixelcnn here models single-channel images; {} has {}",
                    spec.name,
                    spec.shape[0]
                );
                anyhow::ensure!(
                    self.channels >= 1 && self.head_channels >= 1,
                    "channels and head_channels must be at least 1"
                );
                anyhow::ensure!(
                    self.first_kernel >= 3 && self.first_kernel % 2 == 1,
                    "first_kernel must be odd and at least 3"
                );
                anyhow::ensure!(
                    self.kernel >= 1 && self.kernel % 2 == 1,
                    "kernel must be odd"
                );
            }
        }
        if let Some(l) = spec.levels {
            anyhow::ensure!(l >= 2, "images need at least 2 levels");
        }
        Ok(())
    }
}
