//! The VAE's networks: an encoder to q(z|x, y), a decoder to the parameters of p(x|z, y), and
//! the Gaussian decoder's learned log-variance.

pub mod conv;
pub mod mlp;

use crate::config::{Arch, VaeConfig};
use crate::observation::Observation;
use burn::module::Param;
use burn::prelude::*;
use conv::{ConvDecoder, ConvDecoderConfig, ConvEncoder, ConvEncoderConfig};
use genbench_core::DataSpec;
use mlp::{MlpDecoder, MlpDecoderConfig, MlpEncoder, MlpEncoderConfig};

// The enums hold one network each and are built once per model: their size is irrelevant.
/// The encoder to (μ, log σ²) of q(z|x, y).
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Encoder {
    /// Fully connected (vectors, or flattened images).
    Mlp(MlpEncoder),
    /// Convolutional (images).
    Conv(ConvEncoder),
}

/// The decoder to the parameters of p(x|z, y).
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Decoder {
    /// Fully connected.
    Mlp(MlpDecoder),
    /// Convolutional (images).
    Conv(ConvDecoder),
}

/// Encoder, decoder and (Gaussian decoder only) the per-dimension log-variance `[D]`.
#[derive(Module, Debug)]
pub struct VaeNet {
    /// The encoder.
    pub encoder: Encoder,
    /// The decoder.
    pub decoder: Decoder,
    /// The Gaussian decoder's log-variance per dimension `[D]` (None for other decoders).
    pub log_var: Option<Param<Tensor<1>>>,
}

impl VaeNet {
    /// Build the networks `config` describes for data `spec`; `classes` > 0 conditions on a
    /// one-hot label of that many classes.
    pub fn new(
        config: &VaeConfig,
        spec: &DataSpec,
        obs: Observation,
        classes: usize,
        device: &Device,
    ) -> Self {
        let d = spec.dim();
        let (encoder, decoder) = match config.arch {
            Arch::Mlp => (
                Encoder::Mlp(
                    MlpEncoderConfig::new(
                        d,
                        classes,
                        config.hidden,
                        config.layers,
                        config.latent_dim,
                    )
                    .init(device),
                ),
                Decoder::Mlp(
                    MlpDecoderConfig::new(
                        config.latent_dim,
                        classes,
                        config.hidden,
                        config.layers,
                        obs.params_per_dim() * d,
                    )
                    .init(device),
                ),
            ),
            Arch::Conv => {
                let image = spec.image_shape();
                (
                    Encoder::Conv(
                        ConvEncoderConfig::new(
                            image,
                            classes,
                            config.conv_channels,
                            config.hidden,
                            config.latent_dim,
                        )
                        .init(device),
                    ),
                    Decoder::Conv(
                        ConvDecoderConfig::new(
                            image,
                            classes,
                            config.conv_channels,
                            config.hidden,
                            config.latent_dim,
                            obs.params_per_dim(),
                        )
                        .init(device),
                    ),
                )
            }
        };
        let log_var = (obs == Observation::Gaussian)
            .then(|| Param::from_tensor(Tensor::full([d], config.init_log_var, device)));
        VaeNet {
            encoder,
            decoder,
            log_var,
        }
    }

    /// (mu, log_var) of q(z|x, y), each `[n, latent]`.
    pub fn encode(&self, x: Tensor<2>, y: Option<Tensor<2>>) -> (Tensor<2>, Tensor<2>) {
        match &self.encoder {
            Encoder::Mlp(e) => e.forward(x, y),
            Encoder::Conv(e) => e.forward(x, y),
        }
    }

    /// The observation's parameters `[n, P*D]` for `z` `[n, latent]`.
    pub fn decode(&self, z: Tensor<2>, y: Option<Tensor<2>>) -> Tensor<2> {
        match &self.decoder {
            Decoder::Mlp(d) => d.forward(z, y),
            Decoder::Conv(d) => d.forward(z, y),
        }
    }

    /// The Gaussian decoder's log-variance `[D]`, if any.
    pub fn log_var(&self) -> Option<Tensor<1>> {
        self.log_var.as_ref().map(burn::module::Param::val)
    }
}
