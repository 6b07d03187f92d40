//! The manifest's `[models.config]` for `family = "vae"`, and its checks against the data.

use crate::observation::Observation;
use genbench_core::DataSpec;
use genbench_core::check::{ConfigError, require, require_positive, require_range};
use serde::{Deserialize, Serialize};

/// Encoder and decoder networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// Fully connected layers on the flattened example (any data).
    Mlp,
    /// Two stride-2 convolutions down and two stride-2 transposed convolutions up (images whose
    /// height and width are multiples of 4).
    Conv,
}

/// The decoder's distribution p(x|z).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecoderKind {
    /// Bernoulli for binarized images (2 levels), discretized logistic for other images,
    /// Gaussian for vectors.
    Auto,
    /// One logit per pixel; binarized images only.
    Bernoulli,
    /// Discretized logistic over the data's grey levels; images only.
    Logistic,
    /// Gaussian with a learned per-dimension variance; vectors (2-D data) only.
    Gaussian,
}

/// What `sample` returns from p(x|z) once z is drawn from the prior.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecoderSample {
    /// A draw from p(x|z): samples of the model whose likelihood is reported.
    Sample,
    /// The decoder's most probable value (the mean for a Gaussian, the level holding the
    /// logistic's location, the more probable bit): smoother images, not the model's samples.
    Mode,
}

/// The manifest's `[models.config]` for `family = "vae"`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VaeConfig {
    /// Encoder and decoder networks: fully connected or convolutional.
    pub arch: Arch,
    /// The decoder's distribution p(x|z) (`auto`: from the data).
    pub decoder: DecoderKind,
    /// Size of z.
    pub latent_dim: usize,
    /// Width of the hidden fully connected layers (both architectures).
    pub hidden: usize,
    /// Hidden layers of the MLP encoder and of the MLP decoder.
    pub layers: usize,
    /// Channels of the first convolution (the second has twice as many); `arch = "conv"` only.
    pub conv_channels: usize,
    /// Weight of the KL term in the training loss (1 = the ELBO; the reported bounds always use 1).
    pub beta: f64,
    /// The KL weight rises linearly from 0 to `beta` over this many steps (0 = no warm-up).
    pub kl_warmup_steps: u64,
    /// Importance samples of the IWAE bound the run reports.
    pub iwae_k: usize,
    /// Most decoder rows (examples x importance samples) per forward pass when evaluating.
    pub eval_rows: usize,
    /// What `sample` returns once z is drawn: a draw from p(x|z) or its mode.
    pub decoder_sample: DecoderSample,
    /// Gaussian decoder: the initial log-variance of p(x|z) in standardized units. Starting
    /// well below 0 (the variance of the data) makes the decoder use z from the first steps
    /// instead of settling into the collapsed solution p(x|z) = N(mean, data variance).
    pub init_log_var: f64,
}

impl Default for VaeConfig {
    fn default() -> Self {
        Self {
            arch: Arch::Mlp,
            decoder: DecoderKind::Auto,
            latent_dim: 16,
            hidden: 256,
            layers: 2,
            conv_channels: 32,
            beta: 1.0,
            kl_warmup_steps: 0,
            iwae_k: 1000,
            eval_rows: 4096,
            decoder_sample: DecoderSample::Sample,
            init_log_var: -3.0,
        }
    }
}

impl VaeConfig {
    /// Check the numbers and pick the decoder distribution for `spec`; an error names the key.
    pub fn validate(&self, spec: &DataSpec) -> Result<Observation, ConfigError> {
        require_positive("latent_dim", self.latent_dim)?;
        require_positive("hidden", self.hidden)?;
        require_positive("iwae_k", self.iwae_k)?;
        require_positive("eval_rows", self.eval_rows)?;
        require(self.init_log_var.is_finite(), "init_log_var", || {
            format!("must be finite, got {}", self.init_log_var)
        })?;
        require_range("beta", self.beta, 0.0, f64::MAX, false)?;
        if self.arch == Arch::Mlp {
            require_positive("layers", self.layers)?;
        }
        if self.arch == Arch::Conv {
            require(spec.is_image(), "arch", || {
                format!(
                    "\"conv\" needs images; {} has shape {:?}",
                    spec.name, spec.shape
                )
            })?;
            let [_, h, w] = spec.image_shape();
            require(h % 4 == 0 && w % 4 == 0, "arch", || {
                format!(
                    "\"conv\" needs height and width divisible by 4; {} is {h}x{w}",
                    spec.name
                )
            })?;
            require_positive("conv_channels", self.conv_channels)?;
        }
        let decoder_error = |msg: String| Err(ConfigError::new("decoder", msg));
        match (self.decoder, spec.levels) {
            (DecoderKind::Auto | DecoderKind::Bernoulli, Some(2)) => Ok(Observation::Bernoulli),
            (DecoderKind::Bernoulli, levels) => decoder_error(format!(
                "\"bernoulli\" needs binarized images (2 levels); {} has {levels:?}",
                spec.name
            )),
            (DecoderKind::Auto | DecoderKind::Logistic, Some(l)) if l < 2 => {
                decoder_error(format!("{} has {l} levels; need at least 2", spec.name))
            }
            (DecoderKind::Auto | DecoderKind::Logistic, Some(l)) => {
                Ok(Observation::Logistic { levels: l })
            }
            (DecoderKind::Logistic, None) => decoder_error(format!(
                "\"logistic\" needs discrete images; {} is continuous",
                spec.name
            )),
            (DecoderKind::Auto | DecoderKind::Gaussian, None) => Ok(Observation::Gaussian),
            (DecoderKind::Gaussian, Some(_)) => decoder_error(format!(
                "\"gaussian\" is for continuous vectors; on the images of {} use \"logistic\" (or \"bernoulli\" when binarized) so the NLL bounds the discrete data",
                spec.name
            )),
        }
    }
}
