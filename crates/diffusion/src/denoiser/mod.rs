//! The networks that predict the noise ε from (x_t, t, label): an MLP for vectors and a small
//! U-Net for images, behind one [`Denoiser`] that owns the shared conditioning embedding; the
//! Fourier features of the input ([`fourier`]) and VDM's learned noise schedule ([`gamma`]).

pub mod embedding;
pub mod fourier;
pub mod gamma;
pub mod mlp;
pub mod unet;

use burn::prelude::*;
use embedding::{Conditioning, ConditioningConfig};
use mlp::{MlpDenoiser, MlpDenoiserConfig};
use unet::{UNet, UNetConfig};

/// The network proper.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Backbone {
    /// MLP (vectors).
    Mlp(MlpDenoiser),
    /// U-Net (images).
    UNet(UNet),
}

/// ε_θ(x_t, t, y): conditioning embedding + backbone.
#[derive(Module, Debug)]
pub struct Denoiser {
    conditioning: Conditioning,
    backbone: Backbone,
}

/// Which backbone to build, with its settings (already validated).
#[derive(Clone, Debug)]
pub enum BackboneConfig {
    /// The MLP's settings.
    Mlp(MlpDenoiserConfig),
    /// The U-Net's settings.
    UNet(UNetConfig),
}

impl Denoiser {
    /// The denoiser of `conditioning` and `backbone`, initialised on `device`.
    pub fn new(
        conditioning: &ConditioningConfig,
        backbone: &BackboneConfig,
        device: &Device,
    ) -> Self {
        Self {
            conditioning: conditioning.init(device),
            backbone: match backbone {
                BackboneConfig::Mlp(c) => Backbone::Mlp(c.init(device)),
                BackboneConfig::UNet(c) => Backbone::UNet(c.init(device)),
            },
        }
    }

    /// `x`: [n, G_in·D] (images flattened, values on [−1, 1], Fourier features after x);
    /// `t_features`: [n, F] sinusoidal features of the timesteps ([1, F] when all rows share
    /// t); `labels`: [n, 1] or `None`; `shape`: the example's shape.
    /// Returns [n, G_out·D]: ε̂ in the first D columns (then v when variances are learned).
    pub fn forward(
        &self,
        x: Tensor<2>,
        t_features: Tensor<2>,
        labels: Option<Tensor<2, Int>>,
        shape: &[usize],
    ) -> Tensor<2> {
        let n = x.dims()[0];
        let emb = self.conditioning.forward(t_features, labels, n); // [n, embed]
        match &self.backbone {
            Backbone::Mlp(net) => net.forward(x, emb), // [n, G_out·D]
            Backbone::UNet(net) => net.forward(x, emb, [shape[0], shape[1], shape[2]]), // [n, G_out·D]
        }
    }
}
