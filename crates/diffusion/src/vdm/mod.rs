//! The variational diffusion model (Kingma et al. 2021): a VAE whose encoder is the noise
//! schedule. z_t = α_t x + σ_t ε with α_t² = sigmoid(−γ_η(t)), σ_t² = sigmoid(γ_η(t)) and the
//! learned monotone γ_η of [`crate::denoiser::gamma`]; ε̂_θ(z_t; γ_t) is the denoiser (with
//! Fourier features of z_t on images). Training minimises the bound of [`loss`] (prior +
//! reconstruction + diffusion, in bits/dim) over θ and η jointly, with antithetic times
//! t_i = (u + i/B) mod 1 across the batch; [`bound`] scores it and writes its figures.
//!
//! Sampling is ancestral on S steps (google-research/vdm's `sample`): for t = i/S, s = t − 1/S,
//! c = 1 − e^{γ_s − γ_t},
//!   z_s = √(α_s²/α_t²) (z_t − σ_t c ε̂) + √(σ_s² c) ε,
//! from z_1 ~ N(0, I), then x = z_0/α_0 (on images the nearest level, the decoder's mode).

pub mod bound;
pub mod field;
pub mod loss;
mod train;

use crate::config::{DenoiserKind, DiffusionConfig};
use crate::denoiser::embedding::{ConditioningConfig, sinusoidal_features_at};
use crate::denoiser::gamma::{Gamma, GammaConfig};
use crate::denoiser::mlp::MlpDenoiserConfig;
use crate::denoiser::unet::UNetConfig;
use crate::denoiser::{BackboneConfig, Denoiser, fourier};
use crate::model::{new_optim, to_data_space, to_model_space};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use genbench_core::seed::Rng;
use genbench_core::{Batch, BuildContext, DataSpec, checkpoint, fsutil};
use genbench_core::{host, init};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The learned schedule and the denoiser, trained (and averaged) together.
#[derive(Module, Debug)]
pub struct VdmNet {
    /// The learned monotone schedule γ_η(t).
    pub gamma: Gamma,
    /// ε̂_θ(z_t; γ_t).
    pub denoiser: Denoiser,
}

/// A VDM in training: its networks, their EMA, the optimizer and the noise stream.
pub struct VdmModel {
    pub(crate) config: DiffusionConfig,
    pub(crate) spec: DataSpec,
    kind: DenoiserKind,
    pub(crate) device: Device,
    net: VdmNet,
    /// The EMA weights (plain device): every sample, bound and figure uses these.
    pub(crate) ema: VdmNet,
    optim: ModuleOptimizer,
    lr: f64,
    step: u64,
    noise_seed: u64,
    pub(crate) last_ode_nfe: f64,
}

#[derive(Serialize, Deserialize)]
struct SavedState {
    step: u64,
}

fn read(t: Tensor<2>) -> anyhow::Result<Vec<f32>> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("reading a tensor: {e:?}"))
}

impl VdmModel {
    /// A fresh VDM for `config` on the context's data and device.
    pub fn new(config: DiffusionConfig, ctx: &BuildContext) -> anyhow::Result<Self> {
        config.validate(&ctx.spec)?;
        anyhow::ensure!(
            !ctx.conditional,
            "the VDM is unconditional (conditional = false)"
        );
        let spec = ctx.spec.clone();
        let kind = match config.denoiser {
            DenoiserKind::Auto if spec.is_image() => DenoiserKind::Unet,
            DenoiserKind::Auto => DenoiserKind::Mlp,
            k => k,
        };
        let groups_in = fourier::groups(&config.fourier_exponents);
        let backbone = if kind == DenoiserKind::Unet {
            anyhow::ensure!(spec.is_image(), "the U-Net denoiser needs images");
            let c = UNetConfig::new(spec.image_shape(), config.embed)
                .with_channels(config.unet_channels)
                .with_levels(config.unet_levels)
                .with_groups(config.unet_groups)
                .with_input_groups(groups_in);
            c.validate()?;
            BackboneConfig::UNet(c)
        } else {
            BackboneConfig::Mlp(
                MlpDenoiserConfig::new(spec.dim(), config.embed)
                    .with_hidden(config.mlp_hidden)
                    .with_blocks(config.mlp_blocks)
                    .with_input_groups(groups_in),
            )
        };
        let ad = ctx.device.clone().autodiff();
        let conditioning = ConditioningConfig::new(config.time_features, config.embed);
        let net = init::on_host(&ad, |d| VdmNet {
            gamma: GammaConfig::new(config.gamma_min, config.gamma_max)
                .with_hidden(config.gamma_hidden)
                .init(d),
            denoiser: Denoiser::new(&conditioning, &backbone, d),
        });
        let ema = net.valid();
        Ok(Self {
            optim: new_optim(),
            config,
            spec,
            kind,
            device: ctx.device.clone(),
            net,
            ema,
            lr: ctx.learning_rate,
            step: 0,
            noise_seed: ctx.seeds.stream("noise"),
            last_ode_nfe: 0.0,
        })
    }

    pub(crate) fn arch(&self) -> String {
        let net = if self.kind == DenoiserKind::Unet {
            "U-Net"
        } else {
            "MLP"
        };
        let time = match self.config.vdm_steps {
            0 => "continuous".to_string(),
            t => format!("T={t}"),
        };
        let fourier = if self.config.fourier_exponents.is_empty() {
            ""
        } else {
            ", Fourier features"
        };
        format!("VDM ({net}, {time}, learned γ{fourier})")
    }

    pub(crate) fn to_model_space(&self, x: &[f32]) -> Vec<f32> {
        to_model_space(&self.spec, x)
    }

    /// The network's time features of γ: VDM conditions on (γ − γ_min)/(γ_max − γ_min)
    /// (γ_min, γ_max the configured initial ends), here on the 0..1000 scale.
    pub(crate) fn time_features(&self, gamma: &[f64]) -> Vec<f32> {
        let (lo, hi) = (self.config.gamma_min, self.config.gamma_max);
        let s: Vec<f64> = gamma
            .iter()
            .map(|g| 1000.0 * (g - lo) / (hi - lo))
            .collect();
        sinusoidal_features_at(&s, self.config.time_features)
    }

    /// ε̂ = `net`(z (+ Fourier features), γ): `z` [n, d], `gamma` per row (or one for all).
    pub(crate) fn eps_tensor(&self, net: &Denoiser, z: Tensor<2>, gamma: &[f64]) -> Tensor<2> {
        let dev = z.device();
        let f = self.config.time_features;
        let feats = host::tensor(self.time_features(gamma), [gamma.len(), f], &dev); // [n, f]
        let input = fourier::append(z, &self.config.fourier_exponents); // [n, G·d]
        net.forward(input, feats, None, &self.spec.shape) // [n, d]
    }

    /// Sampler steps S: `sample_steps`, else `timesteps`.
    pub(crate) fn sample_steps(&self) -> usize {
        if self.config.sample_steps > 0 {
            self.config.sample_steps
        } else {
            self.config.timesteps
        }
    }

    /// `n` samples (data space) by the ancestral sampler, z_1 and the noise from `seed`.
    pub(crate) fn sample_ancestral(&self, n: usize, seed: u64) -> anyhow::Result<Batch> {
        let (d, steps) = (self.spec.dim(), self.sample_steps());
        let mut rng = Rng::new(seed);
        let grid: Vec<f64> = (0..=steps).map(|i| i as f64 / steps as f64).collect();
        let (gamma, _) = self.ema.gamma.eval(&grid)?;
        let sig = |g: f64| 1.0 / (1.0 + (-g).exp());
        let mut out = Vec::with_capacity(n * d);
        for start in (0..n).step_by(self.config.eval_batch) {
            let rows = (start + self.config.eval_batch).min(n) - start;
            let mut z: Vec<f32> = (0..rows * d).map(|_| rng.normal() as f32).collect();
            for i in (1..=steps).rev() {
                let (g_t, g_s) = (gamma[i], gamma[i - 1]);
                let zt = host::tensor(z.clone(), [rows, d], &self.device);
                let eps = read(self.eps_tensor(&self.ema.denoiser, zt, &[g_t]))?;
                let c = -(g_s - g_t).exp_m1();
                let (a_s2, a_t2, s_t) = (sig(-g_s), sig(-g_t), sig(g_t).sqrt());
                let noise_sd = (sig(g_s) * c).sqrt();
                for (zv, e) in z.iter_mut().zip(&eps) {
                    let mean = (a_s2 / a_t2).sqrt() * (*zv as f64 - s_t * c * *e as f64);
                    *zv = (mean + noise_sd * rng.normal()) as f32;
                }
            }
            let alpha_0 = sig(-gamma[0]).sqrt();
            out.extend(z.iter().map(|v| (*v as f64 / alpha_0) as f32));
        }
        Ok(Batch::new(to_data_space(&self.spec, &out), Vec::new(), d))
    }

    pub(crate) fn num_params(&self) -> usize {
        self.net.num_params()
    }

    pub(crate) fn save_to(&self, dir: &Path) -> anyhow::Result<()> {
        checkpoint::save_module(&self.net, &dir.join("vdm.bpk"))?;
        checkpoint::save_module(&self.ema, &dir.join("vdm_ema.bpk"))?;
        checkpoint::save_optimizer(&self.optim, &dir.join("optimizer.bpk"))?;
        fsutil::write_json(&dir.join("vdm.json"), &SavedState { step: self.step })
    }

    pub(crate) fn load_from(&mut self, dir: &Path) -> anyhow::Result<()> {
        self.net = checkpoint::load_module(self.net.clone(), &dir.join("vdm.bpk"))?;
        self.ema = checkpoint::load_module(self.ema.clone(), &dir.join("vdm_ema.bpk"))?;
        self.optim = checkpoint::load_optimizer(new_optim(), &dir.join("optimizer.bpk"))?;
        let state: SavedState = fsutil::read_json(&dir.join("vdm.json"))?;
        self.step = state.step;
        Ok(())
    }
}
