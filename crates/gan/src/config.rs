//! The manifest's `[models.config]` for `family = "gan"` and the hyper-parameters it resolves to.

use genbench_core::DataSpec;
use genbench_core::check::{ConfigError, require, require_positive, require_range};
use serde::{Deserialize, Serialize};

/// The adversarial objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Loss {
    /// Non-saturating GAN (Goodfellow et al. 2014): D minimises
    /// `softplus(-D(x)) + softplus(D(G(z)))` (the logistic loss), G minimises `softplus(-D(G(z)))`
    /// (i.e. maximises `log sigmoid D(G(z))` instead of minimising `log(1 - sigmoid D(G(z)))`).
    #[serde(rename = "ns")]
    NonSaturating,
    /// WGAN-GP (Gulrajani et al. 2017): the critic minimises `D(G(z)) - D(x) + λ (‖∇D(x̂)‖ - 1)²`
    /// on per-sample interpolates x̂, G minimises `-D(G(z))`.
    #[serde(rename = "wgan-gp")]
    WganGp,
}

/// Which pair of networks: MLPs for vectors, DCGAN-style convolutional nets for images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// `conv` for images `[C, H, W]`, `mlp` for vectors.
    Auto,
    /// Fully connected networks (vectors).
    Mlp,
    /// DCGAN-style convolutional networks (images).
    Conv,
}

/// The GAN's own keys. Optional keys left out take the defaults of the chosen `loss`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GanConfig {
    /// `"ns"` (non-saturating, the default) or `"wgan-gp"`.
    pub loss: Loss,
    /// Which pair of networks (`auto`: conv for images, mlp for vectors).
    pub arch: Arch,
    /// Dimension of the generator's noise z ~ N(0, I).
    pub latent_dim: usize,
    /// MLP: width of every hidden layer (G and D).
    pub hidden: usize,
    /// MLP: number of hidden layers (G and D).
    pub layers: usize,
    /// Conv: channels of the first critic conv / the last generator block (the other has twice).
    pub channels: usize,
    /// Conv generator: batch norm after its projection and first up-sampling block.
    pub g_batch_norm: bool,
    /// Conv critic: batch norm after its second conv (default true for ns, and refused for
    /// wgan-gp, whose per-sample penalty batch statistics would break).
    pub d_batch_norm: Option<bool>,
    /// Slope of the critic's LeakyReLU for negative inputs.
    pub leaky_slope: f64,
    /// WGAN-GP: weight λ of the gradient penalty.
    pub gp_weight: f64,
    /// D updates per G update (default 1 for ns, 5 for wgan-gp).
    pub n_critic: Option<usize>,
    /// Learning rates (default: the manifest's `learning_rate`).
    pub g_lr: Option<f64>,
    /// The critic's learning rate (default: the manifest's `learning_rate`).
    pub d_lr: Option<f64>,
    /// Adam (β1, β2) (default (0.5, 0.999) for ns, (0.0, 0.9) for wgan-gp).
    pub g_betas: Option<[f64; 2]>,
    /// The critic's Adam (β1, β2) (default as `g_betas`).
    pub d_betas: Option<[f64; 2]>,
}

impl Default for GanConfig {
    fn default() -> Self {
        Self {
            loss: Loss::NonSaturating,
            arch: Arch::Auto,
            latent_dim: 32,
            hidden: 128,
            layers: 3,
            channels: 64,
            g_batch_norm: true,
            d_batch_norm: None,
            leaky_slope: 0.2,
            gp_weight: 10.0,
            n_critic: None,
            g_lr: None,
            d_lr: None,
            g_betas: None,
            d_betas: None,
        }
    }
}

/// Optimiser settings of one network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamSettings {
    /// Learning rate.
    pub lr: f64,
    /// Adam's (β1, β2).
    pub betas: [f64; 2],
}

/// Every optional key filled in and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// The networks, `auto` resolved by the data's shape.
    pub arch: Arch,
    /// Critic updates per generator update.
    pub n_critic: usize,
    /// Whether the conv critic batch-normalises its second conv.
    pub d_batch_norm: bool,
    /// The generator's optimiser.
    pub g: AdamSettings,
    /// The critic's optimiser.
    pub d: AdamSettings,
}

impl GanConfig {
    /// Fill the loss-dependent defaults and reject values no GAN can train with; an error names
    /// the key. `manifest_lr` (checked by the manifest) fills an unset `g_lr` / `d_lr`.
    pub fn resolve(&self, is_image: bool, manifest_lr: f64) -> Result<Resolved, ConfigError> {
        require_positive("latent_dim", self.latent_dim)?;
        require_positive("hidden", self.hidden)?;
        require_positive("layers", self.layers)?;
        require_positive("channels", self.channels)?;
        require_range("leaky_slope", self.leaky_slope, 0.0, 1.0, true)?;
        require_range("gp_weight", self.gp_weight, 0.0, f64::MAX, false)?;
        let default_betas = match self.loss {
            Loss::NonSaturating => [0.5, 0.999],
            Loss::WganGp => [0.0, 0.9],
        };
        let adam = |lr: Option<f64>,
                    betas: Option<[f64; 2]>,
                    name: &str|
         -> Result<AdamSettings, ConfigError> {
            if let Some(lr) = lr {
                require(lr.is_finite() && lr > 0.0, &format!("{name}_lr"), || {
                    format!("must be positive, got {lr}")
                })?;
            }
            let betas = betas.unwrap_or(default_betas);
            require(
                betas.iter().all(|b| (0.0..1.0).contains(b)),
                &format!("{name}_betas"),
                || format!("must lie in [0, 1), got {betas:?}"),
            )?;
            Ok(AdamSettings {
                lr: lr.unwrap_or(manifest_lr),
                betas,
            })
        };
        let n_critic = self.n_critic.unwrap_or(match self.loss {
            Loss::NonSaturating => 1,
            Loss::WganGp => 5,
        });
        require_positive("n_critic", n_critic)?;
        let arch = match (self.arch, is_image) {
            (Arch::Auto, true) => Arch::Conv,
            (Arch::Auto, false) => Arch::Mlp,
            (Arch::Conv, false) => {
                return Err(ConfigError::new(
                    "arch",
                    "\"conv\" (DCGAN) needs image data [C, H, W]",
                ));
            }
            (a, _) => a,
        };
        let d_batch_norm = match (self.loss, self.d_batch_norm) {
            (Loss::WganGp, Some(true)) => {
                return Err(ConfigError::new(
                    "d_batch_norm",
                    "true is not allowed with loss = \"wgan-gp\" (the gradient penalty is per sample)",
                ));
            }
            (Loss::WganGp, _) => false,
            (Loss::NonSaturating, b) => b.unwrap_or(true),
        };
        Ok(Resolved {
            arch,
            n_critic,
            d_batch_norm,
            g: adam(self.g_lr, self.g_betas, "g")?,
            d: adam(self.d_lr, self.d_betas, "d")?,
        })
    }

    /// Every check against the data `spec`, before anything is built.
    pub fn validate(&self, spec: &DataSpec) -> Result<Resolved, ConfigError> {
        // The learning rate only fills unset g_lr / d_lr here; the manifest checks its own.
        let resolved = self.resolve(spec.is_image(), 1.0)?;
        if resolved.arch == Arch::Conv {
            let [_, h, w] = spec.image_shape();
            require(h % 4 == 0 && w % 4 == 0 && h >= 4 && w >= 4, "arch", || {
                format!(
                    "the DCGAN nets need height and width divisible by 4; {} is {h}x{w}",
                    spec.name
                )
            })?;
        }
        Ok(resolved)
    }
}
